"""Who is acting and from where: passed by views, admin and commands into every service."""

from dataclasses import dataclass

from circulation.records.models import ConfirmMethod, Person


@dataclass(frozen=True)
class Actor:
    user: Person
    ip: str | None = None
    method: str = ConfirmMethod.SESSION

    @classmethod
    def system(cls, user: Person) -> "Actor":
        return cls(user=user, ip=None, method=ConfirmMethod.ADMIN)
