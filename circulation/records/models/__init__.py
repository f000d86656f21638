from circulation.records.models.acknowledgement import Acknowledgement, ConfirmMethod
from circulation.records.models.attachment import Attachment
from circulation.records.models.audit import AuditAction, AuditChainHead, AuditEvent
from circulation.records.models.handling import (
    Assignment,
    AssignmentRole,
    HandlingCase,
    HandlingFile,
    Instruction,
    InstructionKind,
    Reply,
    ReplyChannel,
)
from circulation.records.models.notice import (
    CirculationRound,
    Handling,
    Notice,
    RegistrationCounter,
    Secrecy,
    Urgency,
)
from circulation.records.models.organisation import Membership, Organisation, Person, Unit, UnitKind

__all__ = [
    "Acknowledgement",
    "Assignment",
    "AssignmentRole",
    "Attachment",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "CirculationRound",
    "ConfirmMethod",
    "Handling",
    "HandlingCase",
    "HandlingFile",
    "Instruction",
    "InstructionKind",
    "Membership",
    "Notice",
    "Organisation",
    "Person",
    "RegistrationCounter",
    "Reply",
    "ReplyChannel",
    "Secrecy",
    "Unit",
    "UnitKind",
    "Urgency",
]
