"""Roles as Django groups with model permissions (收发员, 科室人员, 负责人, 档案员, 管理员,
局领导, 办公室主任)."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CLERK = "clerk"
STAFF = "staff"
UNIT_HEAD = "unit_head"
ARCHIVIST = "archivist"
ADMIN = "admin"
LEADER = "leader"
OFFICE_DIRECTOR = "office_director"

ROLE_LABELS = {
    CLERK: "收发员",
    STAFF: "科室人员",
    UNIT_HEAD: "机构负责人",
    ARCHIVIST: "档案员",
    ADMIN: "管理员",
    LEADER: "局领导",
    OFFICE_DIRECTOR: "办公室主任",
}

_CLERK_PERMS = [
    "register_notice",
    "forward_notice",
    "withdraw_notice",
    "view_all_notices",
    "remind_notice",
    "view_notice",
    "add_attachment",
    "view_attachment",
    # 批办: the clerk writes the 拟办意见 and records the 答复.
    "propose_handling",
    "record_reply",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: _CLERK_PERMS,
    STAFF: [],
    UNIT_HEAD: [],
    ARCHIVIST: [
        "view_all_notices",
        "archive_notice",
        "verify_audit",
        "view_notice",
        # 档案员 read the archive's records and counters in the admin (they stay read-only).
        "archive.view_archivedrecord",
        "archive.view_itemcounter",
    ],
    ADMIN: [*_CLERK_PERMS, "archive_notice", "verify_audit"],
    # 局领导 批示 what they are named for (checked per item, no model permission needed).
    LEADER: [],
    # 办公室主任 may write the 拟办意见 like the clerk, and sees the notices to do so.
    OFFICE_DIRECTOR: ["propose_handling", "record_reply", "view_all_notices", "view_notice"],
}


def _permission_q(names: list[str]) -> Q:
    """``codename`` for the records app, ``app_label.codename`` for another app."""
    query = Q(pk__in=[])
    for name in names:
        app_label, _dot, codename = name.rpartition(".")
        query |= Q(content_type__app_label=app_label or "records", codename=codename)
    return query


def ensure_roles(**_: Any) -> None:
    """Create the role groups and give them their permissions (idempotent; runs after migrate
    of the records and the archive apps, whose permissions exist only after their own)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(_permission_q(names)))
