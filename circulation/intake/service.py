"""The entry point for the API, the web page and the command: who may extract, with which units.

Reads only (the organisation's units, to map the 主送机关); writes nothing. Errors are the
services' :class:`~circulation.records.errors.InvalidInput` (400, bilingual, naming the field).
"""

from __future__ import annotations

from django.conf import settings

from circulation.intake.errors import IntakeError
from circulation.intake.extraction import Extraction, extract_file, extract_text
from circulation.intake.layout import UnitRef
from circulation.records import roles
from circulation.records.errors import InvalidInput
from circulation.records.models import Organisation, Person, Unit
from circulation.records.permissions import require_perm


def organisation_units(organisation: Organisation | None) -> list[UnitRef]:
    if organisation is None:
        return []
    return [
        UnitRef(code, name, kind)
        for code, name, kind in Unit.objects.filter(organisation=organisation)
        .order_by("sort_order", "code")
        .values_list("code", "name", "kind")
    ]


def require_clerk(user: Person) -> None:
    require_perm(user, roles.REGISTER_NOTICE)


def extract_upload(user: Person, name: str, data: bytes) -> Extraction:
    """The fields of an uploaded file (its format by content, its size by the attachment limit)."""
    require_clerk(user)
    try:
        return extract_file(
            name,
            data,
            max_bytes=int(settings.ATTACHMENT_MAX_BYTES),
            units=organisation_units(user.organisation),
        )
    except IntakeError as error:
        raise as_invalid(error) from error


def extract_pasted(user: Person, text: str) -> Extraction:
    require_clerk(user)
    try:
        return extract_text(text, units=organisation_units(user.organisation))
    except IntakeError as error:
        raise as_invalid(error) from error


def as_invalid(error: IntakeError) -> InvalidInput:
    return InvalidInput(error.message, error.message_en, code=error.code, field=error.field)
