"""The web pages' URLs (namespace ``web``), mounted at the site root."""

from django.urls import path

from circulation.web.views import auth, forward, home, register

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("signin/", auth.SignInView.as_view(), name="signin"),
    path("signout/", auth.SignOutView.as_view(), name="signout"),
    path("register/", register.register, name="register"),
    path("register/check-number/", register.check_number, name="register-check-number"),
    path("register/<int:pk>/attachments/", register.attachments, name="register-attachments"),
    path("notices/<int:pk>/forward/", forward.forward, name="forward"),
    path("forward/people/", forward.people, name="forward-people"),
    path("forward/deadline/", forward.deadline, name="forward-deadline"),
]
