"""Role checks shared by the services (the API and admin call services, never bypass them)."""

from circulation.records.errors import Forbidden, NotVisible
from circulation.records.models import Notice, Person
from circulation.records.roles import Perm


def require_perm(user: Person, perm: Perm) -> None:
    """403 naming what the permission allows (its labels in :mod:`circulation.records.roles`)."""
    if not user.is_active or not user.has_perm(perm.name):
        raise Forbidden(
            f"您没有{perm.label}的权限",
            f"You are not allowed to {perm.label_en}",
            code="permission_denied",
        )


def require_same_organisation(user: Person, notice: Notice) -> None:
    if notice.organisation_id != user.organisation_id:
        raise not_found("notice")


def not_found(field: str = "id") -> NotVisible:
    return NotVisible("对象不存在或您无权查看", "Not found", code="not_found", field=field)
