"""代理设置 (/delegation/): name a delegate for a period away, see one's delegations (given and
taken), cancel one — over :mod:`workflows.services.delegation`, as ``/api/v1/delegations/``.

A service error is shown next to its field (or above the form for a conflict) in the page's
language, with the service's status (400, 409); nothing is written then.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError, NotVisible
from circulation.records.models import ConfirmMethod, Person
from circulation.web.views.inbox import error_text
from workflows.models import DelegationStatus
from workflows.services.delegation import (
    DelegationInput,
    appoint_delegate,
    cancel_delegation,
    delegations_of,
)

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"
SHOWN = 30


class AppointForm(forms.Form):
    delegate = forms.ChoiceField(label=_("代理人"), error_messages={"required": _("请选择代理人")})
    starts_at = forms.DateTimeField(
        label=_("开始时间（不填为现在）"),
        required=False,
        input_formats=[LOCAL_MINUTE],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"),
        input_formats=[LOCAL_MINUTE],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        error_messages={
            "required": _("请填写结束时间"),
            "invalid": _("结束时间格式不正确"),
        },
    )
    reason = forms.CharField(
        label=_("事由（可不填）"),
        required=False,
        max_length=200,
        strip=False,  # the service cleans and bounds it, with its own message
    )

    def __init__(self, person: Person, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            Person.objects.filter(organisation_id=person.organisation_id or 0, is_active=True)
            .exclude(pk=person.pk)
            .only("id", "username", "display_name", "first_name", "last_name")
            .order_by("username")
        )
        field = self.fields["delegate"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", "—")] + [(p.username, f"{p.name}（{p.username}）") for p in people]


def _person(request: HttpRequest) -> Person:
    if not isinstance(request.user, Person):  # login_required runs first
        raise Http404
    return request.user


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=_person(request), ip=client_ip(request), method=ConfirmMethod.SESSION)


def _page(
    request: HttpRequest, form: AppointForm, *, error: str | None = None, status: int = 200
) -> HttpResponse:
    person = _person(request)
    now = timezone.now()
    given: list[dict[str, Any]] = []
    taken: list[dict[str, Any]] = []
    for delegation in delegations_of(person)[:SHOWN]:
        state = delegation.status_at(now)
        row = {"d": delegation, "status": state, "status_label": state.label}
        row["cancellable"] = state in (DelegationStatus.UPCOMING, DelegationStatus.ACTIVE)
        (given if delegation.principal_id == person.pk else taken).append(row)
    context = {"form": form, "error": error, "given": given, "taken": taken}
    return render(request, "web/delegation/page.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delegation_page(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if request.method != "POST":
        return _page(request, AppointForm(person))
    form = AppointForm(person, request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        appoint_delegate(
            _actor(request),
            DelegationInput(
                delegate=data["delegate"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            ),
        )
    except DomainError as exc:
        field = exc.field if exc.field in form.fields and exc.status == 400 else None
        if field is None:
            return _page(request, form, error=error_text(exc), status=exc.status)
        form.add_error(field, error_text(exc))
        return _page(request, form, status=exc.status)
    messages.success(request, gettext("代理已设置。"))
    return HttpResponseRedirect(reverse("web:delegation"), status=303)


@login_required
@require_POST
def cancel(request: HttpRequest, delegation_id: int) -> HttpResponse:
    try:
        cancel_delegation(_actor(request), delegation_id)
    except NotVisible as exc:
        raise Http404 from exc
    except DomainError as exc:
        return _page(
            request, AppointForm(_person(request)), error=error_text(exc), status=exc.status
        )
    messages.success(request, gettext("代理已取消。"))
    return HttpResponseRedirect(reverse("web:delegation"), status=303)
