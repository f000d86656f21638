"""Roles as Django groups with model permissions (收发员, 科室人员, 负责人, 档案员, 管理员)."""

from typing import Any

from django.contrib.auth.models import Group, Permission

CLERK = "clerk"
STAFF = "staff"
UNIT_HEAD = "unit_head"
ARCHIVIST = "archivist"
ADMIN = "admin"

ROLE_LABELS = {
    CLERK: "收发员",
    STAFF: "科室人员",
    UNIT_HEAD: "机构负责人",
    ARCHIVIST: "档案员",
    ADMIN: "管理员",
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
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: _CLERK_PERMS,
    STAFF: [],
    UNIT_HEAD: [],
    ARCHIVIST: ["view_all_notices", "archive_notice", "verify_audit", "view_notice"],
    ADMIN: [*_CLERK_PERMS, "archive_notice", "verify_audit"],
}


def ensure_roles(**_: Any) -> None:
    """Create the role groups and give them their permissions (idempotent; runs after migrate)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="records", codename__in=codenames)
        group.permissions.set(perms)
