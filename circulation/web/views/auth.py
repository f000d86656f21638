"""登录 and 退出 for every role. Failures are counted by django-axes (lock-out per account) and the
per-address failure limit, exactly as for the API's token endpoint and the admin."""

from django.contrib.auth import views as auth_views

from circulation.web.forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "web/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView): a link cannot sign anybody out."""
