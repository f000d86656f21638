"""What a signed-in person may open in the web interface, decided once per request.

The same rules as the API (``circulation.records.permissions``): the clerk's desk needs the
permission to register or forward, the archive the archivist's, everyone has an inbox.
"""

from dataclasses import dataclass

from circulation.records.models import Person


@dataclass(frozen=True)
class WebRoles:
    clerk: bool
    archivist: bool
    admin: bool
    # Known to the page context only (one query with the unread count): heads a unit, is a
    # member of the 领导班子. Views decide with their own checks.
    head: bool = False
    leader: bool = False

    @property
    def dashboard(self) -> bool:
        return self.clerk or self.admin or self.leader

    @classmethod
    def of(cls, user: Person, *, head: bool = False, leader: bool = False) -> "WebRoles":
        return cls(
            head=head,
            leader=leader,
            clerk=(
                user.has_perm("records.forward_notice") or user.has_perm("records.register_notice")
            ),
            archivist=user.has_perm("records.archive_notice"),
            admin=user.is_superuser or user.is_staff,
        )
