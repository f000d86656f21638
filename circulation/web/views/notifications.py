"""站内通知: the person's notifications, newest first, unread marked; mark one or all read.

The same services as ``GET /api/v1/notifications/`` and ``POST notifications/{id}/read/``
(:mod:`workflows.services.notifications`). A notification about a notice the person has in their
inbox links to the reading page; otherwise to the notice page ``/notices/<id>/``.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from circulation.records.errors import NotVisible
from circulation.records.models import Acknowledgement, Person
from workflows.models import Notification
from workflows.services.notifications import (
    mark_all_notifications_read,
    mark_notification_read,
    notifications_of,
)

PAGE_SIZE = 20


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    href: str


def _person(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person):  # login_required runs first
        raise Http404
    return user


def _href(notification: Notification, ack_ids: dict[int, int]) -> str:
    if notification.notice_id is not None:
        ack_id = ack_ids.get(notification.notice_id)
        if ack_id is not None:
            return reverse("web:inbox-item", args=[ack_id])
        return reverse("notice-page", args=[notification.notice_id])
    if notification.link.startswith("/") and not notification.link.startswith("//"):
        return notification.link
    return reverse("web:inbox")


def _rows(person: Person, notifications: list[Notification]) -> list[NotificationRow]:
    """Each notification with its link; the inbox items of all of them in one query."""
    notice_ids = {n.notice_id for n in notifications if n.notice_id is not None}
    ack_ids = dict(
        Acknowledgement.objects.filter(person=person, notice_id__in=notice_ids).values_list(
            "notice_id", "id"
        )
        if notice_ids
        else []
    )
    return [NotificationRow(n, _href(n, ack_ids)) for n in notifications]


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    notifications = notifications_of(person).only(
        "id", "kind", "title", "body", "link", "notice_id", "created_at", "read_at"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/notifications/list.html",
        {"page": page, "rows": _rows(person, list(page.object_list))},
    )


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the list page the form was on (a local path only)."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:notifications")
    return HttpResponseRedirect(target, status=303)


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """One notification read. htmx gets the item back and the badge (out of band)."""
    person = _person(request)
    try:
        notification = mark_notification_read(person, notification_id)
    except NotVisible as exc:
        raise Http404 from exc
    if not request.htmx:  # type: ignore[attr-defined]
        return _back(request)
    return render(
        request,
        "web/notifications/_item_swap.html",
        {"row": _rows(person, [notification])[0], "next": request.POST.get("next", "")},
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    mark_all_notifications_read(_person(request))
    return _back(request)
