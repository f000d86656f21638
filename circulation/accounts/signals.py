"""Receivers: count failed sign-ins per address, audit lock-outs, revoke tokens.

Revoking tokens is the one job here that changes data; it lives in a receiver on purpose: a
password can be changed by the admin, ``changepassword``, a future web page or a script, and
every one of them must end the person's API tokens.
"""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from circulation.accounts.throttle import count_address_failure
from circulation.accounts.tokens import revoke_all
from circulation.client_ip import client_ip
from circulation.records.models import Person
from workflows.services.signin import record_lockout


@receiver(user_login_failed, dispatch_uid="signin_count_address_failure")
def count_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is None or getattr(request, "signin_address_retry_after", None):
        return  # refused before the password was checked: already over the limit
    count_address_failure(client_ip(request))


@receiver(user_locked_out, dispatch_uid="signin_audit_lockout")
def audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """axes sends ``user_locked_out`` for the failure that locks the account and again for each
    attempt refused while it is locked; only the first has a failure count."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None or username is None:
        return
    record_lockout(username, ip_address, failures, request.path)


@receiver(post_save, sender=Person, dispatch_uid="tokens_revoke_on_password_or_deactivation")
def revoke_tokens(sender: Any, instance: Person, created: bool, **kwargs: Any) -> None:
    """A new password (``set_password`` then ``save``) or a deactivated account ends every API
    token of the person. ``_password`` is Django's marker of a password set since the last save
    (it is reset only after ``post_save``); a hasher upgrade on sign-in does not set it."""
    if created:
        return
    if getattr(instance, "_password", None) is not None or not instance.is_active:
        revoke_all(instance)
