"""个人通知偏好: which channels a person is told through besides the in-app notification (always
on): email, and being named in their unit's group-robot message (企业微信/钉钉). Read by the digest
writer (``workflows.reminders.digest_items``) and the forward announcements."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from circulation.records.models import Person
from workflows.models import NotificationPreference, WebhookChannel


@dataclass(frozen=True)
class Preferences:
    email: bool
    group_robot: bool
    robot_configured: bool  # an active robot of the person's units or organisation exists


def preferences_of(person: Person) -> Preferences:
    saved = NotificationPreference.objects.filter(person=person).first()
    configured = False
    if person.organisation_id is not None:
        configured = WebhookChannel.objects.filter(
            Q(unit__memberships__person=person) | Q(unit__isnull=True),
            organisation_id=person.organisation_id,
            is_active=True,
        ).exists()
    return Preferences(
        email=saved.email if saved else True,
        group_robot=saved.group_robot if saved else True,
        robot_configured=configured,
    )


def set_preferences(person: Person, *, email: bool, group_robot: bool) -> Preferences:
    """Save the person's own choices (one row per person, created on first save)."""
    with transaction.atomic(durable=True):
        NotificationPreference.objects.update_or_create(
            person=person, defaults={"email": email, "group_robot": group_robot}
        )
    return preferences_of(person)
