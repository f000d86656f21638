"""站内通知: the caller's own in-app notifications, and marking one (or all) read."""

from django.db.models import QuerySet
from django.utils import timezone

from circulation.records.models import Person
from circulation.records.permissions import not_found
from workflows.models import Notification


def notifications_of(person: Person) -> QuerySet[Notification]:
    return Notification.objects.filter(person=person).order_by("-created_at", "-id")


def mark_notification_read(person: Person, notification_id: int) -> Notification:
    """Mark one's own notification read; repeating changes nothing. Anyone else's: not found."""
    Notification.objects.filter(pk=notification_id, person=person, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification = notifications_of(person).filter(pk=notification_id).first()
    if notification is None:
        raise not_found()
    return notification


def mark_all_notifications_read(person: Person) -> int:
    """Mark all of one's own unread notifications read (one UPDATE); how many were unread."""
    return Notification.objects.filter(person=person, read_at__isnull=True).update(
        read_at=timezone.now()
    )
