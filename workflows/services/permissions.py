"""Role checks shared by the services (the API and admin call services, never bypass them)."""

from circulation.records.models import Notice, Person
from workflows.services.errors import Forbidden, NotVisible


def require_perm(user: Person, codename: str, what_zh: str, what_en: str) -> None:
    if not user.is_active or not user.has_perm(f"records.{codename}"):
        raise Forbidden(
            f"您没有{what_zh}的权限", f"You are not allowed to {what_en}", code="permission_denied"
        )


def require_same_organisation(user: Person, notice: Notice) -> None:
    if notice.organisation_id != user.organisation_id:
        raise not_found("notice")


def not_found(field: str = "id") -> NotVisible:
    return NotVisible("对象不存在或您无权查看", "Not found", code="not_found", field=field)
