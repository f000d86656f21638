"""Roles as Django groups (收发员, 科室人员, 负责人, 档案员, 管理员, 局领导, 办公室主任), and every
permission they are given with its label, in one module: the models declare theirs from here
(``meta_permissions``) and the services check them by these names (``require_perm``)."""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Perm:
    """A permission a role is given: its codename (in the ``records`` app unless ``app`` says),
    what it allows in Chinese and English (the 403's "您没有…的权限 / You are not allowed to …"),
    and, for one of ours, the description Django stores (``Meta.permissions``)."""

    codename: str
    label: str
    label_en: str
    app: str = "records"
    description: str = ""

    @property
    def name(self) -> str:
        """``app_label.codename``, as ``has_perm`` takes it."""
        return f"{self.app}.{self.codename}"


REGISTER_NOTICE = Perm(
    "register_notice",
    "登记收文",
    "register notices",
    description="Can register (签收/登记) notices",
)
FORWARD_NOTICE = Perm(
    "forward_notice", "传阅收文", "forward notices", description="Can forward (传阅) notices"
)
WITHDRAW_NOTICE = Perm(
    "withdraw_notice", "撤回收文", "withdraw notices", description="Can withdraw (撤回) notices"
)
VIEW_ALL_NOTICES = Perm(
    "view_all_notices",
    "查看本机关全部收文",
    "see every notice of the organisation",
    description="Can see every notice of the organisation",
)
REMIND_NOTICE = Perm(
    "remind_notice", "催办收文", "send reminders", description="Can send a manual reminder (催办)"
)
ARCHIVE_NOTICE = Perm(
    "archive_notice", "归档", "archive notices", description="Can archive (归档) notices"
)
VERIFY_AUDIT = Perm(
    "verify_audit", "校验审计日志", "verify the audit log", description="Can verify the audit chain"
)
PROPOSE_HANDLING = Perm(
    "propose_handling", "拟办", "write 拟办 proposals", description="Can write a 拟办意见 (拟办)"
)
RECORD_REPLY = Perm("record_reply", "登记答复", "record replies", description="Can record a 答复")
# Django's own model permissions that roles are given.
VIEW_NOTICE = Perm("view_notice", "查看收文", "view notices")
ADD_ATTACHMENT = Perm("add_attachment", "上传附件", "add attachments")
VIEW_ATTACHMENT = Perm("view_attachment", "查看附件", "view attachments")
VIEW_ARCHIVED_RECORD = Perm(
    "view_archivedrecord", "查看归档记录", "view archived records", app="archive"
)
VIEW_ITEM_COUNTER = Perm("view_itemcounter", "查看件号计数", "view item counters", app="archive")

NOTICE_PERMISSIONS = (
    REGISTER_NOTICE,
    FORWARD_NOTICE,
    WITHDRAW_NOTICE,
    VIEW_ALL_NOTICES,
    REMIND_NOTICE,
    ARCHIVE_NOTICE,
    VERIFY_AUDIT,
)
"""Declared on ``Notice`` (its ``Meta.permissions``)."""
HANDLING_PERMISSIONS = (PROPOSE_HANDLING, RECORD_REPLY)
"""Declared on ``HandlingCase`` (批办单)."""


def meta_permissions(perms: tuple[Perm, ...]) -> list[tuple[str, Any]]:
    """``Meta.permissions`` of a model: (codename, description) of each."""
    return [(perm.codename, perm.description) for perm in perms]


_CLERK_PERMS = [
    REGISTER_NOTICE,
    FORWARD_NOTICE,
    WITHDRAW_NOTICE,
    VIEW_ALL_NOTICES,
    REMIND_NOTICE,
    VIEW_NOTICE,
    ADD_ATTACHMENT,
    VIEW_ATTACHMENT,
    # 批办: the clerk writes the 拟办意见 and records the 答复.
    PROPOSE_HANDLING,
    RECORD_REPLY,
]
ROLE_PERMISSIONS: dict[str, list[Perm]] = {
    CLERK: _CLERK_PERMS,
    STAFF: [],
    UNIT_HEAD: [],
    ARCHIVIST: [
        VIEW_ALL_NOTICES,
        ARCHIVE_NOTICE,
        VERIFY_AUDIT,
        VIEW_NOTICE,
        # 档案员 read the archive's records and counters in the admin (they stay read-only).
        VIEW_ARCHIVED_RECORD,
        VIEW_ITEM_COUNTER,
    ],
    ADMIN: [*_CLERK_PERMS, ARCHIVE_NOTICE, VERIFY_AUDIT],
    # 局领导 批示 what they are named for (checked per item, no model permission needed).
    LEADER: [],
    # 办公室主任 may write the 拟办意见 like the clerk, and sees the notices to do so.
    OFFICE_DIRECTOR: [PROPOSE_HANDLING, RECORD_REPLY, VIEW_ALL_NOTICES, VIEW_NOTICE],
}


def _permission_q(perms: list[Perm]) -> Q:
    query = Q(pk__in=[])
    for perm in perms:
        query |= Q(content_type__app_label=perm.app, codename=perm.codename)
    return query


def ensure_roles(**_: Any) -> None:
    """Create the role groups and give them their permissions (idempotent; runs after migrate
    of the records and the archive apps, whose permissions exist only after their own)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(_permission_q(perms)))
