"""Archive routes, included by ``circulation/api/urls.py`` under /api/v1/ (before the router)."""

from django.urls import path

from circulation.archive.api import (
    ArchiveAttachmentView,
    ArchiveDetailView,
    ArchiveListView,
    ArchiveNoticeView,
    ArchiveRecordPdfView,
    ArchiveVerifyView,
    CatalogueCsvView,
)

urlpatterns = [
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
]
