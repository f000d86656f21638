"""Who may see the archive: archivists and administrators (permission ``archive_notice``) of the
organisation. Everyone else is refused (403) — the archive is not browsable by staff or clerks."""

from django.db.models import QuerySet

from circulation.archive.codes import ArchivalCodeError, normalise_code
from circulation.archive.models import ArchivedRecord
from circulation.records import roles
from circulation.records.models import Person
from circulation.records.permissions import not_found, require_perm


def require_archive_access(user: Person) -> None:
    require_perm(user, roles.ARCHIVE_NOTICE)


def archive_records(user: Person) -> QuerySet[ArchivedRecord]:
    """The records of the caller's organisation (raises Forbidden without the role)."""
    require_archive_access(user)
    if user.organisation_id is None:
        return ArchivedRecord.objects.none()
    return ArchivedRecord.objects.filter(organisation_id=user.organisation_id)


def get_record(user: Person, archival_code: str) -> ArchivedRecord:
    """One record by its 档号 (look-alike dots and lower case accepted); 404 if not visible."""
    records = archive_records(user)
    try:
        code = normalise_code(archival_code)
    except ArchivalCodeError as exc:
        raise not_found("archival_code") from exc
    record = (
        records.select_related("notice", "unit", "archived_by").filter(archival_code=code).first()
    )
    if record is None:
        raise not_found("archival_code")
    return record
