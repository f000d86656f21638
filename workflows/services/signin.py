"""登录保护: refusals of a sign-in (locked account, noisy address), password re-entry that counts
like a sign-in, and the audit event of a lock-out.

django-axes counts failed sign-ins per account from any address (``AXES_LOCKOUT_PARAMETERS``
username only): after ``SIGNIN_FAILURE_LIMIT`` failures the account is locked for
``SIGNIN_LOCKOUT_MINUTES``, and every way in — the token endpoint, the admin login, a password
confirmation — is refused until then. An admin unlocks it early (admin → 登录失败记录 Access
attempts, delete the rows; or ``manage.py axes_reset_username <name>``).
"""

import math
from datetime import datetime, timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import DomainError, InvalidInput, RateLimited
from circulation.records.models import AuditAction, Person


def locked_until(username: str) -> datetime:
    """When the account's lock-out ends: its latest counted failure plus the cool-off (failures
    refused during a lock-out are not counted, so trying again does not extend it)."""
    cool_off = get_cool_off() or timedelta(0)
    latest = AccessAttempt.objects.filter(username=username).aggregate(at=Max("attempt_time"))
    return (latest["at"] or timezone.now()) + cool_off


def _local_time(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _seconds_until(at: datetime) -> int:
    return max(1, math.ceil((at - timezone.now()).total_seconds()))


def locked_out(username: str) -> RateLimited:
    until = locked_until(username)
    return RateLimited(
        f"登录失败次数过多，该账户已被临时锁定，请于 {_local_time(until)} 后再试，或请管理员解锁",
        f"Too many failed sign-ins: this account is locked until {_local_time(until)} "
        "(Beijing time); try again then, or ask an administrator to unlock it",
        code="locked_out",
        extra={"retry_after": _seconds_until(until), "locked_until": until.isoformat()},
    )


def address_throttled(retry_after: int) -> RateLimited:
    until = timezone.now() + timedelta(seconds=retry_after)
    return RateLimited(
        f"来自您网络地址的登录失败次数过多，请于 {_local_time(until)} 后再试",
        f"Too many failed sign-ins from your network address; try again after "
        f"{_local_time(until)} (Beijing time)",
        code="address_throttled",
        extra={"retry_after": retry_after},
    )


def refusal(request: HttpRequest, username: str) -> DomainError | None:
    """Why ``authenticate(request, …)`` refused before checking the password, if it did."""
    retry_after = getattr(request, "signin_address_retry_after", None)
    if retry_after:
        return address_throttled(int(retry_after))
    if getattr(request, "axes_locked_out", False):
        return locked_out(username)
    return None


def wrong_credentials() -> InvalidInput:
    return InvalidInput(
        "用户名或密码不正确",
        "The username or password is not correct",
        code="invalid_credentials",
    )


def verify_password(actor: Actor, password: str, *, path: str) -> None:
    """Password re-entry by a signed-in person, counted like a sign-in.

    Goes through ``authenticate()`` so that the same protections apply: a locked account or a
    noisy address is refused before the password is checked (429), and a wrong password counts
    towards the lock-out. The backends key their records on a request; the service has only the
    actor's address, so it hands them a minimal request carrying that address and ``path`` (the
    way in, shown in the admin's access attempts).
    """
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = path
    request.META["REMOTE_ADDR"] = actor.ip or ""
    username = actor.user.get_username()
    user = authenticate(request, username=username, password=password)
    if user is not None and user.pk == actor.user.pk:
        return
    reason = refusal(request, username)
    if reason is not None:
        raise reason
    raise InvalidInput(
        "密码不正确", "The password is not correct", code="invalid_password", field="password"
    )


def record_lockout(username: str, ip: str | None, failures: int, path: str) -> None:
    """``auth.locked_out``: the account ``username`` was locked after ``failures`` failures.

    The actor is unknown (whoever typed the passwords); the account is the object when it
    exists (a lock-out of an unknown name is recorded too: it shows someone guessing names).
    """
    person = Person.objects.filter(username=username).first()
    with transaction.atomic():
        append_event(
            None,
            AuditAction.AUTH_LOCKED_OUT,
            person,
            data={
                "username": username,
                "ip": ip,
                "failures": failures,
                "path": path,
                "locked_until": locked_until(username).isoformat(),
            },
        )
