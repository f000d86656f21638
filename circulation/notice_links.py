"""``/notices/<id>/``: where reminder and notification links point (``SITE_URL/notices/<id>/``).

Until the web pages exist (the web issue serves this path itself) it sends a signed-in user
somewhere that works: staff who use the admin (收发员, 管理员, 档案员) to the notice's admin page,
everyone else to the notice in the browsable API. Anonymous users go to the login page and come
back; a notice the user may not see is a 404, the rule of the API
(:func:`circulation.records.selectors.visible_notices`).
"""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from circulation.records.models import Person
from circulation.records.selectors import visible_notices


@require_safe
def notice_page(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    assert isinstance(user, Person)  # noqa: S101 - AUTH_USER_MODEL
    if not user.is_active or not visible_notices(user).filter(pk=pk).exists():
        raise Http404
    if user.is_staff and user.has_perm("records.view_notice"):
        return HttpResponseRedirect(reverse("admin:records_notice_change", args=[pk]))
    return HttpResponseRedirect(reverse("notice-detail", args=[pk]))
