"""Writing a batch of digests: the digest rows, their notifications and outbox messages, and the
link from each reminder to its digest.

One statement (data-modifying ``WITH``): each digest's title and body travel once, as arrays, and
the notification and the email message copy them from there. Group-robot messages, which have
texts of their own and are rare, are written with ``bulk_create``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from workflows.models import (
    AssignmentReminder,
    Channel,
    Digest,
    Message,
    MessageStatus,
    Notification,
    NotificationKind,
    Reminder,
    WebhookChannel,
)
from workflows.reminders import sql
from workflows.reminders.digest_items import HandlingPending, Pending


@dataclass
class Composed:
    """One person's digest, ready to write."""

    person_id: int
    subject: str
    body: str
    notice_id: int | None  # the one notice it is about, if only one
    link: str
    email: str  # "" when no email is to be sent
    robots: list[tuple[WebhookChannel, str, str]] = field(default_factory=list)
    kind: str = NotificationKind.REMINDER  # of the in-app notification


def store(
    composed: Sequence[Composed],
    rows: Sequence[Pending],
    window_key: str,
    now: datetime,
    handling: Sequence[HandlingPending] = (),
) -> list[int]:
    """Write the digests of ``composed`` and link ``rows`` (and the 承办 reminders ``handling``)
    to them; the new messages' ids."""
    digest_of, message_ids = _store_arrays(composed, rows, window_key, now, handling)
    robots = [
        Message(
            digest_id=digest_of[c.person_id],
            channel=Channel(robot.kind),
            address=f"robot:{robot.pk}",  # never the URL: it carries the access token
            webhook=robot,
            subject=subject,
            body=body,
            next_attempt_at=now,
        )
        for c in composed
        for robot, subject, body in c.robots
    ]
    if robots:
        Message.objects.bulk_create(robots)
        message_ids += [message.pk for message in robots]
    return message_ids


def _store_arrays(
    composed: Sequence[Composed],
    rows: Sequence[Pending],
    window_key: str,
    now: datetime,
    handling: Sequence[HandlingPending],
) -> tuple[dict[int, int], list[int]]:
    qn = sql.qn
    digest, notification = qn(Digest._meta.db_table), qn(Notification._meta.db_table)
    message, reminder = qn(Message._meta.db_table), qn(Reminder._meta.db_table)
    undertaking = qn(AssignmentReminder._meta.db_table)
    statement = (
        "WITH v AS (SELECT * FROM "  # noqa: S608 - names from the models
        f"{sql.unnest(('id', 'text', 'text', 'id', 'text', 'text', 'text'))} "
        "AS v(person, title, body, notice, link, email, kind)), "
        f"d AS (INSERT INTO {digest} (recipient_id, window_key, created_at, title, body) "
        "SELECT person, %s, %s, title, body FROM v RETURNING id, recipient_id), "
        f"n AS (INSERT INTO {notification} "
        "(person_id, digest_id, notice_id, kind, title, body, link, created_at, read_at) "
        "SELECT v.person, d.id, v.notice, v.kind, v.title, v.body, v.link, %s, NULL "
        "FROM v JOIN d ON d.recipient_id = v.person), "
        f"m AS (INSERT INTO {message} (digest_id, channel, address, webhook_id, subject, body, "
        "status, attempts, next_attempt_at, lease_until, last_error, sent_at, created_at) "
        "SELECT d.id, %s, v.email, NULL, v.title, v.body, %s, 0, %s, NULL, '', NULL, %s "
        "FROM v JOIN d ON d.recipient_id = v.person WHERE v.email <> '' RETURNING id), "
        f"r AS (UPDATE {reminder} SET digest_id = d.id FROM {sql.unnest(('id', 'id'))} "
        f"AS u(id, person), d WHERE {reminder}.id = u.id AND d.recipient_id = u.person "
        f"AND {reminder}.id = ANY(%s::bigint[])), "
        f"h AS (UPDATE {undertaking} SET digest_id = d.id FROM {sql.unnest(('id', 'id'))} "
        f"AS u(id, person), d WHERE {undertaking}.id = u.id AND d.recipient_id = u.person "
        f"AND {undertaking}.id = ANY(%s::bigint[])) "
        "SELECT d.id, d.recipient_id, NULL FROM d UNION ALL SELECT NULL, NULL, m.id FROM m"
    )
    ids = sql.ids_array(row.pk for row in rows)
    handling_ids = sql.ids_array(row.pk for row in handling)
    params = [
        sql.ids_array(c.person_id for c in composed),
        sql.text_array(c.subject for c in composed),
        sql.text_array(c.body for c in composed),
        sql.ids_array(c.notice_id for c in composed),
        sql.text_array(c.link for c in composed),
        sql.text_array(c.email for c in composed),
        sql.text_array(c.kind for c in composed),
        window_key,
        now,
        now,
        Channel.EMAIL,
        MessageStatus.PENDING,
        now,
        timezone.now(),  # what auto_now_add gives Message.created_at
        ids,
        sql.ids_array(row.recipient_id for row in rows),
        ids,
        handling_ids,
        sql.ids_array(row.recipient_id for row in handling),
        handling_ids,
    ]
    digest_of: dict[int, int] = {}
    message_ids: list[int] = []
    for digest_id, person_id, message_id in sql.execute(statement, params):
        if message_id is None:
            digest_of[person_id] = digest_id
        else:
            message_ids.append(message_id)
    return digest_of, message_ids
