"""登录 and 退出 for every role. Failures are counted by django-axes (lock-out per account) and the
per-address failure limit, exactly as for the API's token endpoint and the admin."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse

from circulation.records.models import Person
from circulation.web.forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "web/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """Signed in: the interface language the person chose (kept on their account by
        ``/i18n/setlang/``) becomes this browser's, whatever it showed before."""
        response = super().form_valid(form)
        user = form.get_user()
        if isinstance(user, Person) and user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView): a link cannot sign anybody out."""
