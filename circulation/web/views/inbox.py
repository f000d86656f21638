"""收件箱 (the staff inbox) and the reading page (阅读页), over the acknowledging services.

The inbox lists the person's own acknowledgements by tab (待阅 / 已阅 / 已确认 / 已退回) with the
count of every tab from one query. Opening an item marks it opened (已阅) through the service, as
``POST acknowledgements/{id}/read/`` does; confirming (with an optional 学习体会 and the password
when the organisation requires it) and returning (with a reason) are the API's services too, so
someone else's acknowledgement is a 404 here exactly as there.

While someone has named the person their delegate (代理, :mod:`workflows.services.delegation`),
the inbox holds that person's acknowledgements too, each marked "代 <name>", and the reading page
answers them on their behalf; the people whose items are shown come from a subquery in the same
statements, so the inbox costs the same number of queries with or without delegations.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError, NotVisible
from circulation.records.models import (
    Acknowledgement,
    Attachment,
    ConfirmMethod,
    Person,
    Urgency,
)
from circulation.web.rowtext import PkUrl, local_minute, translated
from workflows.machines import ACK_OPEN_STATES, AckState
from workflows.services import acknowledging
from workflows.services.delegation import handled_by

TABS: tuple[str, ...] = tuple(
    state.value
    for state in (AckState.PENDING, AckState.READ, AckState.CONFIRMED, AckState.RETURNED)
)
PAGE_SIZE = 20
NEXT_DEADLINES = 5
# Shown in the page (an <iframe> for PDF, an <img> for these images); anything else is downloaded.
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"})
INLINE_TYPES = INLINE_IMAGES | {"application/pdf"}


class ConfirmForm(forms.Form):
    comment = forms.CharField(
        label=_("学习体会（可不填）"),
        required=False,
        max_length=2000,
        strip=False,  # the service cleans and bounds it, with its own bilingual message
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    password = forms.CharField(
        label=_("登录密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"),
        max_length=500,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写退回原因")},
    )


@dataclass(frozen=True)
class InboxRow:
    ack: Acknowledgement
    overdue: bool
    # what the inbox list prints, prepared in ``inbox`` (circulation/web/rowtext.py)
    url: str = ""
    urgency: str = ""
    when: str = ""  # the deadline, or when it was confirmed / returned
    on_behalf: str = ""  # 代 <name>: the recipient, when the person is their delegate
    acted_by: str = ""  # the delegate who answered it, when it was not the recipient


# Translated once per request: the labels every item of the list repeats.
ROW_TEXT = {
    "doc_number": _("文号"),
    "urgency": _("紧急程度"),
    "confirmed_at": _("确认时间"),
    "returned_at": _("退回时间"),
    "due": _("办理时限"),
    "none": _("无"),
    "overdue": _("已逾期"),
    "on_behalf": _("代"),
}


# What "代 <name>" needs of an item's recipient (read along in the same statement).
PERSON_NAME = (
    "person__id",
    "person__username",
    "person__display_name",
    "person__first_name",
    "person__last_name",
)


def _on_behalf(ack: Acknowledgement, person: Person) -> str:
    """The recipient's name when ``person`` sees the item as their delegate, else ""."""
    return ack.person.name if ack.person_id != person.pk else ""


def _person(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person):  # login_required runs first
        raise Http404
    return user


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=_person(request), ip=client_ip(request), method=ConfirmMethod.SESSION)


def error_text(error: DomainError) -> str:
    """The service's message in the page's language."""
    return error.message_en if translation.get_language() == "en" else error.message


def tab_counts(person: Person) -> dict[str, int]:
    """How many acknowledgements each tab holds (the person's and their principals'), in one
    query."""
    counts = Acknowledgement.objects.filter(handled_by(person)).aggregate(
        **{state: Count("id", filter=Q(state=state)) for state in TABS}
    )
    return {state: counts[state] or 0 for state in TABS}


def _is_overdue(ack: Acknowledgement, now: datetime) -> bool:
    return ack.state in ACK_OPEN_STATES and ack.due_at is not None and ack.due_at < now


def _rows(person: Person, state: str) -> QuerySet[Acknowledgement]:
    acks = (
        Acknowledgement.objects.filter(handled_by(person), state=state)
        .select_related("notice", "person", "acted_by")
        .only(
            "id",
            "state",
            *PERSON_NAME,
            *(f"acted_by__{name.split('__', 1)[1]}" for name in PERSON_NAME),
            "due_at",
            "opened_at",
            "confirmed_at",
            "returned_at",
            "notice__id",
            "notice__doc_number",
            "notice__title",
            "notice__urgency",
        )
    )
    if state in ACK_OPEN_STATES:  # the nearest deadline first
        return acks.order_by(F("due_at").asc(nulls_last=True), "-id")
    done_at = "confirmed_at" if state == AckState.CONFIRMED else "returned_at"
    return acks.order_by(F(done_at).desc(nulls_last=True), "-id")


def inbox_summary(person: Person) -> dict[str, Any]:
    """The home page's part of the inbox: the tab counts and the nearest open deadlines."""
    now = timezone.now()
    upcoming = (
        Acknowledgement.objects.filter(handled_by(person), state__in=ACK_OPEN_STATES)
        .select_related("notice", "person")
        .only(
            "id",
            "state",
            "due_at",
            *PERSON_NAME,
            "notice__id",
            "notice__doc_number",
            "notice__title",
        )
        .order_by(F("due_at").asc(nulls_last=True), "-id")[:NEXT_DEADLINES]
    )
    return {
        "inbox_tabs": _tabs(tab_counts(person), current=None),
        "inbox_next": [
            InboxRow(ack, _is_overdue(ack, now), on_behalf=_on_behalf(ack, person))
            for ack in upcoming
        ],
    }


def _tabs(counts: dict[str, int], current: str | None) -> list[dict[str, Any]]:
    return [
        {
            "state": state,
            "label": AckState(state).label,
            "count": counts[state],
            "current": state == current,
        }
        for state in TABS
    ]


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    state = request.GET.get("state", AckState.PENDING)
    if state not in TABS:
        state = AckState.PENDING
    counts = tab_counts(person)
    paginator = Paginator(_rows(person, state), PAGE_SIZE)
    paginator.count = counts[state]  # counted with the tabs: no second COUNT query
    page = paginator.get_page(request.GET.get("page"))
    text = translated(ROW_TEXT)
    return render(
        request,
        "web/inbox/list.html",
        {
            "state": state,
            "state_label": AckState(state).label,
            "tabs": _tabs(counts, current=state),
            "page": page,
            "t": text,
            "rows": _list_rows(page.object_list, state, text, person),
        },
    )


def _list_rows(acks: Any, state: str, text: dict[str, str], person: Person) -> list[InboxRow]:
    now = timezone.now()
    url = PkUrl("web:inbox-item")
    urgencies = translated(dict(Urgency.choices))
    done_at = {"confirmed": "confirmed_at", "returned": "returned_at"}.get(state)
    return [
        InboxRow(
            ack,
            _is_overdue(ack, now),
            url=url(ack.pk),
            urgency=urgencies.get(ack.notice.urgency, ack.notice.urgency),
            when=local_minute(getattr(ack, done_at) if done_at else ack.due_at) or text["none"],
            on_behalf=_on_behalf(ack, person),
            acted_by=ack.acted_by.name if ack.acted_by_id is not None else "",
        )
        for ack in acks
    ]


def _own_ack(person: Person, ack_id: int) -> Acknowledgement:
    ack = (
        Acknowledgement.objects.select_related("notice", "round", "unit", "person", "acted_by")
        .filter(handled_by(person), pk=ack_id)
        .first()
    )
    if ack is None:
        raise Http404
    return ack


def _page_context(
    request: HttpRequest,
    ack: Acknowledgement,
    confirm_form: ConfirmForm | None = None,
    return_form: ReturnForm | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    person = _person(request)
    organisation = person.organisation
    attachments = list(
        Attachment.objects.filter(notice_id=ack.notice_id)
        .only("id", "notice_id", "original_name", "content_type", "size")
        .order_by("id")
    )
    return {
        "ack": ack,
        "on_behalf": _on_behalf(ack, person),
        "notice": ack.notice,
        "overdue": _is_overdue(ack, timezone.now()),
        "attachments": [
            {
                "attachment": attachment,
                "pdf": attachment.content_type == "application/pdf",
                "image": attachment.content_type in INLINE_IMAGES,
            }
            for attachment in attachments
        ],
        "needs_password": bool(organisation and organisation.require_password_on_confirm),
        "confirm_form": confirm_form or ConfirmForm(),
        "return_form": return_form or ReturnForm(),
        "error": error,
    }


@login_required
@require_safe
def reading(request: HttpRequest, ack_id: int) -> HttpResponse:
    """The reading page; opening it is 已阅 (recorded once, by the service)."""
    try:
        ack = acknowledging.open_acknowledgement(_actor(request), ack_id)
    except NotVisible as exc:
        raise Http404 from exc
    return render(request, "web/inbox/reading.html", _page_context(request, ack))


def _answer(
    request: HttpRequest,
    ack: Acknowledgement,
    *,
    status: int = 200,
    **forms_and_error: Any,
) -> HttpResponse:
    """The panel alone for htmx (swapped in place), else the page (or back to it on success)."""
    if status == 200 and not request.htmx:  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse("web:inbox-item", args=[ack.pk]), status=303)
    template = "web/inbox/_panel.html" if request.htmx else "web/inbox/reading.html"  # type: ignore[attr-defined]
    context = _page_context(request, ack, **forms_and_error)
    context["swapped"] = bool(request.htmx)  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _field_errors(form: forms.Form, error: DomainError, fallback: str) -> str | None:
    """Put a service's error next to its field; a state error goes above the forms."""
    field = error.field if error.field in form.fields else None
    if field is None and error.status == 400:
        field = fallback
    if field is None:
        return error_text(error)
    form.add_error(field, error_text(error))
    return None


@login_required
@require_POST
def confirm(request: HttpRequest, ack_id: int) -> HttpResponse:
    person = _person(request)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _answer(request, _own_ack(person, ack_id), status=400, confirm_form=form)
    try:
        ack = acknowledging.confirm_acknowledgement(
            _actor(request),
            ack_id,
            comment=form.cleaned_data["comment"],
            password=form.cleaned_data["password"] or None,
        )
    except NotVisible as exc:
        raise Http404 from exc
    except DomainError as exc:
        error = _field_errors(form, exc, "comment")
        return _answer(
            request, _own_ack(person, ack_id), status=exc.status, confirm_form=form, error=error
        )
    return _answer(request, ack)


@login_required
@require_POST
def return_(request: HttpRequest, ack_id: int) -> HttpResponse:
    person = _person(request)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _answer(request, _own_ack(person, ack_id), status=400, return_form=form)
    try:
        ack = acknowledging.return_acknowledgement(
            _actor(request), ack_id, form.cleaned_data["reason"]
        )
    except NotVisible as exc:
        raise Http404 from exc
    except DomainError as exc:
        error = _field_errors(form, exc, "reason")
        return _answer(
            request, _own_ack(person, ack_id), status=exc.status, return_form=form, error=error
        )
    return _answer(request, ack)
