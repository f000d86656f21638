"""What a signed-in person may open in the web interface, decided once per request.

The same rules as the API (``workflows.services.permissions``): the clerk's desk needs the
permission to register or forward, the archive the archivist's, everyone has an inbox.
"""

from dataclasses import dataclass

from circulation.records.models import Person


@dataclass(frozen=True)
class WebRoles:
    clerk: bool
    archivist: bool
    admin: bool

    @classmethod
    def of(cls, user: Person) -> "WebRoles":
        return cls(
            clerk=(
                user.has_perm("records.forward_notice") or user.has_perm("records.register_notice")
            ),
            archivist=user.has_perm("records.archive_notice"),
            admin=user.is_superuser or user.is_staff,
        )
