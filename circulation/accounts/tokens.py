"""API tokens (django-rest-knox): create on sign-in, list and revoke one's own.

A token's public id is the first 16 hex digits of its SHA-512 digest: enough to tell a person's
tokens apart and to revoke one, useless for signing in.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from circulation.records.errors import DomainError
from circulation.records.models import Person
from circulation.records.permissions import not_found
from workflows.services.signin import refusal, wrong_credentials

ID_LENGTH = 16


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expiry: datetime | None


def sign_in_for_token(request: HttpRequest, username: str, password: str) -> IssuedToken:
    """Check the credentials through ``authenticate()`` (the address limit and the account
    lock-out apply, failures are counted) and issue a new token."""
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, Person):
        reason: DomainError | None = refusal(request, username)
        raise reason or wrong_credentials()
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return IssuedToken(token=token, expiry=instance.expiry)


@dataclass(frozen=True)
class TokenInfo:
    id: str
    created: datetime
    expiry: datetime | None
    last_used_at: datetime | None
    current: bool


def token_id(auth_token: AuthToken) -> str:
    return auth_token.digest[:ID_LENGTH]


def own_tokens(user: Person, current: AuthToken | None) -> list[TokenInfo]:
    """The person's live tokens, newest first. With a sliding lifetime the expiry moves with
    every use (written at most once a minute), so the last use is the expiry minus the TTL."""
    now = timezone.now()
    rows = AuthToken.objects.filter(user=user).exclude(expiry__lte=now).order_by("-created")
    sliding = knox_settings.AUTO_REFRESH
    return [
        TokenInfo(
            id=token_id(row),
            created=row.created,
            expiry=row.expiry,
            last_used_at=(
                max(row.created, row.expiry - knox_settings.TOKEN_TTL)
                if sliding and row.expiry
                else None
            ),
            current=current is not None and row.digest == current.digest,
        )
        for row in rows
    ]


def revoke(user: Person, public_id: str) -> None:
    """Revoke one of the person's own tokens; anyone else's (or an unknown id) is not found."""
    if len(public_id) != ID_LENGTH:
        raise not_found()
    deleted, _ = AuthToken.objects.filter(user=user, digest__startswith=public_id).delete()
    if not deleted:
        raise not_found()


def revoke_all(user: Person) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
