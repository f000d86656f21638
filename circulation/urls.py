"""URL configuration: the web pages at the root, admin, the JSON API under /api/v1/, its schema
and docs, and /healthz."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from circulation.health import healthz
from circulation.web.views.language import set_language
from circulation.web.views.notice import notice_page
from circulation.web.views.record_verify import verify_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("circulation.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its init script served as a file (the CSP allows no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # ReDoc injects its styles at run time (styled-components): inline style, never inline script,
    # on this one page, which shows only the public schema.
    path(
        "api/redoc/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="api-redoc",
    ),
    path("healthz", healthz, name="healthz"),
    # The page the 阅知确认单's QR code opens (namespace "ackrecord": printed records link to it).
    path(
        "records/",
        include(([path("<uuid:pk>/verify/", verify_page, name="verify")], "ackrecord")),
    ),
    # 收文页: where links in reminders and notifications land (every role; 404 if not visible).
    path("notices/<int:pk>/", notice_page, name="notice-page"),
    # The interface language (zh-hans by default, English switchable): a POST with CSRF; kept on
    # the account of a signed-in person.
    path("i18n/setlang/", set_language, name="set_language"),
    # The web pages (sign-in, home, inboxes and desks) at the site root.
    path("", include("circulation.web.urls")),
]
