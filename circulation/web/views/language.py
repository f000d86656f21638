"""The interface language: Django's ``set_language`` (a POST with CSRF; sets the language cookie
and goes back), and for a signed-in person the choice is kept on their account, so it follows
them to another browser (``SignInView`` applies it at sign-in)."""

from contextlib import suppress

from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from circulation.records.errors import InvalidInput
from circulation.records.models import Person
from workflows.services.preferences import set_interface_language


def set_language(request: HttpRequest) -> HttpResponse:
    response = django_set_language(request)
    user = getattr(request, "user", None)
    if request.method == "POST" and isinstance(user, Person) and user.is_authenticated:
        # An unknown code changes nothing, as Django's own view ignores it.
        with suppress(InvalidInput):
            set_interface_language(user, request.POST.get("language", ""))
    return response
