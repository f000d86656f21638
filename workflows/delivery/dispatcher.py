"""Deliver outbox messages: claim with a lease, send, record the attempt; sent, retry or failed.

A message moves ``pending`` → ``sending`` (claimed: ``attempts`` + 1, ``lease_until`` = now +
``DELIVERY_LEASE_SECONDS``) → ``sent``, or → ``retry`` (``next_attempt_at`` after an exponential
backoff) → … → ``failed`` once the organisation's ``max_delivery_attempts`` are used up or retrying
cannot help. Every attempt is a :class:`DeliveryAttempt` row with the reason.

The claim is ``SELECT … FOR UPDATE SKIP LOCKED`` on the row and a state check, so two workers (a
redelivered task, a second beat, two dispatchers) never send the same message twice while a lease
holds. A worker killed mid-delivery leaves a ``sending`` row whose lease expires; the next claim
(a redelivered task or the dispatcher, see :mod:`workflows.delivery.requeue`) records the lost
attempt and hands the message out again.
"""

import enum
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workflows.delivery.email import send_email
from workflows.delivery.errors import DeliveryError, PermanentDeliveryError
from workflows.delivery.outbox import lease_seconds, schedule_delivery
from workflows.delivery.webhooks import send_webhook
from workflows.models import Channel, DeliveryAttempt, Message, MessageStatus, ReminderPolicy

logger = logging.getLogger(__name__)

LOST_REASON = "投递中断：worker 在发送时退出，租约已过期 / worker lost mid-delivery, lease expired"
MAX_REASON = 1000
POLICY_PATH = "digest__recipient__organisation__reminder_policy"


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # not due, already sent, or held by another worker
    ERROR = "error"  # claiming or recording raised (database): left to the dispatcher
    REQUEUED = "requeued"  # not started within the task's budget: handed back to the broker


def default_max_attempts() -> int:
    default = ReminderPolicy._meta.get_field("max_delivery_attempts").default
    return int(default)


def max_attempts_for(message: Message) -> int:
    """The recipient organisation's ``max_delivery_attempts`` (6 without a policy)."""
    organisation = message.digest.recipient.organisation
    policy = getattr(organisation, "reminder_policy", None) if organisation else None
    return policy.max_delivery_attempts if policy is not None else default_max_attempts()


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base × 2^(attempts − 1), capped."""
    base = int(settings.DELIVERY_RETRY_BASE_SECONDS)
    cap = int(settings.DELIVERY_RETRY_MAX_SECONDS)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def due_q(now: datetime) -> Q:
    """Messages a worker may take now: due pending/retry ones, and lost claims."""
    waiting = Q(status__in=(MessageStatus.PENDING, MessageStatus.RETRY)) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    lost = Q(status=MessageStatus.SENDING, lease_until__lt=now)
    return waiting | lost


def lost_attempt(message: Message, now: datetime) -> DeliveryAttempt:
    return DeliveryAttempt(message=message, at=now, ok=False, error=LOST_REASON)


@dataclass(frozen=True)
class Claim:
    message: Message
    attempt: int
    max_attempts: int


def claim(message_id: int, now: datetime) -> Claim | None:
    """Take one message for delivery, or None when it is not ours to send now."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook", POLICY_PATH)
            .filter(due_q(now), pk=message_id)
            .first()
        )
        if message is None:
            return None
        max_attempts = max_attempts_for(message)
        if message.status == MessageStatus.SENDING:  # the previous worker died
            lost_attempt(message, now).save()
            if message.attempts >= max_attempts:
                _fail(message, LOST_REASON)
                return None
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.lease_until = now + timedelta(seconds=lease_seconds())
        message.save(update_fields=["status", "attempts", "lease_until"])
    return Claim(message=message, attempt=message.attempts, max_attempts=max_attempts)


def _fail(message: Message, reason: str) -> None:
    message.status = MessageStatus.FAILED
    message.last_error = reason[:MAX_REASON]
    message.lease_until = None
    message.next_attempt_at = None
    message.save(update_fields=["status", "last_error", "lease_until", "next_attempt_at"])
    logger.warning("outbox message %s failed for good: %s", message.pk, reason)


def send(message: Message) -> None:
    if message.channel == Channel.EMAIL:
        send_email(message)
    elif message.channel in (Channel.WECOM, Channel.DINGTALK):
        send_webhook(message)
    else:
        raise PermanentDeliveryError(f"未知渠道 unknown channel: {message.channel!r}")


def deliver(message_id: int, now: datetime | None = None) -> Outcome:
    """Claim, send and record one message. Safe to call any number of times."""
    now = now or timezone.now()
    taken = claim(message_id, now)
    if taken is None:
        logger.info("outbox message %s: nothing to do (not due, done or taken)", message_id)
        return Outcome.SKIPPED
    error = ""
    permanent = False
    try:
        send(taken.message)
    except PermanentDeliveryError as exc:
        error, permanent = str(exc), True
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # an unexpected failure is a failed attempt, not a lost message
        logger.exception("outbox message %s: unexpected delivery error", message_id)
        error = f"{type(exc).__name__}: {exc}"
    return finish(taken, now, error=error or None, permanent=permanent)


def deliver_many(message_ids: Sequence[int], budget_seconds: float) -> Counter[Outcome]:
    """:func:`deliver` each message in turn; how many ended how.

    One message's failure never stops the rest: a failed send is recorded on that message (retry
    or failed, as for a single one), and an error of the database while claiming or recording it
    is logged and leaves the message to its lease and the dispatcher. Messages not started within
    ``budget_seconds`` are queued again in a new task, so that a chunk of slow sends never runs
    into the task's time limit. Safe to call any number of times: each message is claimed on its
    own (``SELECT … FOR UPDATE SKIP LOCKED`` and a state check), so it is sent at most once per
    lease whoever else holds the same ids.
    """
    outcomes: Counter[Outcome] = Counter()
    started = time.monotonic()
    ids = [int(pk) for pk in message_ids]
    for index, message_id in enumerate(ids):
        if time.monotonic() - started > budget_seconds:
            rest = ids[index:]
            logger.info(
                "%d outbox messages not started within %s s: queued again",
                len(rest),
                budget_seconds,
            )
            schedule_delivery(rest)  # outside a transaction: marked and queued at once
            outcomes[Outcome.REQUEUED] += len(rest)
            break
        try:
            outcomes[deliver(message_id)] += 1
        except Exception:
            logger.exception("outbox message %s: could not claim or record it", message_id)
            outcomes[Outcome.ERROR] += 1
    return outcomes


def finish(taken: Claim, now: datetime, *, error: str | None, permanent: bool = False) -> Outcome:
    """Record the attempt and move the message to sent, retry or failed."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=taken.message.pk)
        ours = message.status == MessageStatus.SENDING and message.attempts == taken.attempt
        attempt = DeliveryAttempt(message=message, at=now, ok=error is None, error=error or "")
        if error is None:
            message.status = MessageStatus.SENT
            message.sent_at = now
            message.last_error = ""
            message.lease_until = message.next_attempt_at = None
            attempt.save()
            message.save(
                update_fields=["status", "sent_at", "last_error", "lease_until", "next_attempt_at"]
            )
            return Outcome.SENT
        if not ours:  # our lease ran out and another worker holds the message now
            attempt.save()
            logger.warning("outbox message %s: attempt failed after losing the lease", message.pk)
            return Outcome.SKIPPED
        if permanent or message.attempts >= taken.max_attempts:
            attempt.save()
            _fail(message, error)
            return Outcome.FAILED
        attempt.retry_at = now + backoff(message.attempts)
        attempt.save()
        message.status = MessageStatus.RETRY
        message.next_attempt_at = attempt.retry_at
        message.last_error = error[:MAX_REASON]
        message.lease_until = None
        message.save(update_fields=["status", "next_attempt_at", "last_error", "lease_until"])
        logger.info(
            "outbox message %s: attempt %s failed (%s), retry at %s",
            message.pk,
            message.attempts,
            error,
            attempt.retry_at,
        )
        return Outcome.RETRY
