"""Email delivery through Django's configured email backend (SMTP in production).

Every message carries a ``Message-ID`` derived from its outbox row, the same on every attempt: if
a worker dies after the server accepted a message but before the row was marked sent, the copy
sent on the next attempt has the same ``Message-ID``, so mail clients and archives see one message.
"""

import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from workflows.delivery.errors import DeliveryError, PermanentDeliveryError
from workflows.models import Message


def message_id_header(message: Message) -> str:
    """``<circulation.<id>.<created epoch>@<sender's domain>>``: stable per outbox row, and
    different for two rows that happen to reuse an id (a re-created database)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    created = int(message.created_at.timestamp()) if message.created_at else 0
    return f"<circulation.{message.pk}.{created}@{domain}>"


def build_email(message: Message) -> EmailMessage:
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        headers={
            "Message-ID": message_id_header(message),
            # RFC 3834: an automatic message; vacation responders do not answer it.
            "Auto-Submitted": "auto-generated",
        },
    )


def send_email(message: Message) -> None:
    """Send one outbox message; raise :class:`DeliveryError` with the reason when it fails."""
    if "@" not in message.address:
        raise PermanentDeliveryError(f"无效的邮件地址 invalid address: {message.address!r}")
    connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
    try:
        sent = connection.send_messages([build_email(message)]) or 0
    except smtplib.SMTPRecipientsRefused as exc:
        answers = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        raise DeliveryError(f"SMTP recipient refused: {answers}") from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, reset
        raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from exc
    if sent != 1:
        raise DeliveryError("the email backend sent nothing")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
