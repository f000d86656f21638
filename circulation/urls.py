"""URL configuration: admin, the JSON API under /api/v1/, its schema and docs, and /healthz."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from circulation.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("circulation.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("records/", include("circulation.ackrecord.urls")),
]
