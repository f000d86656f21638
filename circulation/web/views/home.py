"""The role-aware home page: what is waiting for this person today."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from circulation.records.models import Acknowledgement, Person
from circulation.web.roles import WebRoles
from circulation.web.views.inbox import inbox_summary
from workflows.machines import ACK_OPEN_STATES


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Person)  # noqa: S101 - login_required
    open_acks = Acknowledgement.objects.filter(person=user, state__in=ACK_OPEN_STATES).count()
    return render(
        request,
        "web/home.html",
        {"open_acks": open_acks, "web_roles": WebRoles.of(user), **inbox_summary(user)},
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on their own, whatever the page links: our icon (its hashed
    static name is known only once the manifest is built, so it is looked up per request)."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))
