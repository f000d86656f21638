"""/api/v1/ routes (design.md §6)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from circulation.api.views.acknowledgements import AcknowledgementViewSet
from circulation.api.views.archive import (
    ArchiveAttachmentView,
    ArchiveDetailView,
    ArchiveListView,
    ArchiveNoticeView,
    ArchiveRecordPdfView,
    ArchiveVerifyView,
    CatalogueCsvView,
)
from circulation.api.views.audit import AuditVerifyView
from circulation.api.views.auth import OwnTokensView, OwnTokenView, TokenView
from circulation.api.views.delegations import DelegationViewSet
from circulation.api.views.handling import (
    AcceptView,
    HandlingCaseView,
    HandlingFileView,
    InstructView,
    PendingView,
    RecallView,
    ReplyFileView,
    ReplyView,
    ResultFileView,
    ResultView,
)
from circulation.api.views.handling_sheet import HandlingSheetPdfView
from circulation.api.views.intake import ExtractView
from circulation.api.views.notices import NoticeViewSet
from circulation.api.views.notifications import NotificationViewSet
from circulation.api.views.organisation import PersonViewSet, UnitViewSet
from circulation.api.views.record import RecordPdfView
from circulation.api.views.stats import StatsView

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
    # 归档 (archivists and admins), before the router
    path("notices/<int:pk>/archive/", ArchiveNoticeView.as_view(), name="notice-archive"),
    path("archive/", ArchiveListView.as_view(), name="archive-list"),
    path("archive/catalogue.csv", CatalogueCsvView.as_view(), name="archive-catalogue"),
    path("archive/<str:archival_code>/", ArchiveDetailView.as_view(), name="archive-detail"),
    path(
        "archive/<str:archival_code>/record.pdf",
        ArchiveRecordPdfView.as_view(),
        name="archive-record-pdf",
    ),
    path(
        "archive/<str:archival_code>/attachments/<int:attachment_id>/",
        ArchiveAttachmentView.as_view(),
        name="archive-attachment",
    ),
    path("archive/<str:archival_code>/verify/", ArchiveVerifyView.as_view(), name="archive-verify"),
    path("notices/extract/", ExtractView.as_view(), name="notice-extract"),
    path("notices/<int:pk>/record.pdf", RecordPdfView.as_view(), name="notice-record-pdf"),
    path(
        "notices/<int:pk>/handling-sheet.pdf",
        HandlingSheetPdfView.as_view(),
        name="notice-handling-sheet-pdf",
    ),
    # 批办 (issue 16)
    path("notices/<int:pk>/handling/", HandlingCaseView.as_view(), name="notice-handling"),
    path("notices/<int:pk>/handling/reply/", ReplyView.as_view(), name="notice-handling-reply"),
    path("notices/<int:pk>/recall/", RecallView.as_view(), name="notice-recall"),
    path("handling/pending/", PendingView.as_view(), name="handling-pending"),
    path("handling/instructions/<int:pk>/", InstructView.as_view(), name="handling-instruct"),
    path("handling/assignments/<int:pk>/accept/", AcceptView.as_view(), name="handling-accept"),
    path("handling/assignments/<int:pk>/result/", ResultView.as_view(), name="handling-result"),
    path(
        "handling/assignments/<int:pk>/files/",
        ResultFileView.as_view(),
        name="handling-result-files",
    ),
    path("handling/replies/<int:pk>/files/", ReplyFileView.as_view(), name="handling-reply-files"),
    path("handling/files/<int:pk>/", HandlingFileView.as_view(), name="handling-file"),
    path("", include(router.urls)),
]
