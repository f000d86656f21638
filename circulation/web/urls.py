"""The web pages' URLs (namespace ``web``), mounted at the site root."""

from django.urls import path

from circulation.web.views import auth, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("signin/", auth.SignInView.as_view(), name="signin"),
    path("signout/", auth.SignOutView.as_view(), name="signout"),
]
