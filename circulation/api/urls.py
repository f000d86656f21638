"""/api/v1/ routes (design.md §6)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from circulation.ackrecord.views import RecordPdfView
from circulation.api.views.acknowledgements import AcknowledgementViewSet
from circulation.api.views.audit import AuditVerifyView
from circulation.api.views.auth import OwnTokensView, OwnTokenView, TokenView
from circulation.api.views.delegations import DelegationViewSet
from circulation.api.views.intake import ExtractView
from circulation.api.views.notices import NoticeViewSet
from circulation.api.views.notifications import NotificationViewSet
from circulation.api.views.organisation import PersonViewSet, UnitViewSet
from circulation.api.views.stats import StatsView
from circulation.archive.urls import urlpatterns as archive_urls

router = DefaultRouter(trailing_slash=True)
router.register("units", UnitViewSet, basename="unit")
router.register("people", PersonViewSet, basename="person")
router.register("notices", NoticeViewSet, basename="notice")
router.register("acknowledgements", AcknowledgementViewSet, basename="acknowledgement")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("delegations", DelegationViewSet, basename="delegation")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/tokens/", OwnTokensView.as_view(), name="auth-tokens"),
    path("auth/tokens/<str:token_id>/", OwnTokenView.as_view(), name="auth-token-revoke"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
    path("stats/", StatsView.as_view(), name="stats"),
    path("", include(archive_urls)),
    path("notices/extract/", ExtractView.as_view(), name="notice-extract"),
    path("notices/<int:pk>/record.pdf", RecordPdfView.as_view(), name="notice-record-pdf"),
    path("", include(router.urls)),
]
