"""The web pages' URLs (namespace ``web``), mounted at the site root."""

from django.urls import path

from circulation.web.views import (
    attachments,
    auth,
    board,
    dashboard,
    delegation,
    forward,
    handling,
    handling_clerk,
    handling_leader,
    handling_unit,
    home,
    inbox,
    notice,
    notifications,
    preferences,
    register,
    unit,
)
from circulation.web.views.archive import catalogue as archive_catalogue
from circulation.web.views.archive import queue as archive_queue
from circulation.web.views.archive import record as archive_record
from circulation.web.views.archive import search as archive_search

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    # Browsers ask for /favicon.ico on their own, whatever the page links.
    path("favicon.ico", home.favicon),
    path("signin/", auth.SignInView.as_view(), name="signin"),
    path("signout/", auth.SignOutView.as_view(), name="signout"),
    path("board/", board.board, name="board"),
    path("board/handling/", handling_clerk.board, name="handling-board"),
    path("board/<int:pk>/units/", board.units, name="board-units"),
    path("board/<int:pk>/remind/", board.remind, name="board-remind"),
    path("board/<int:pk>/withdraw/", board.withdraw, name="board-withdraw"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:ack_id>/", inbox.reading, name="inbox-item"),
    path("inbox/<int:ack_id>/confirm/", inbox.confirm, name="inbox-confirm"),
    path("inbox/<int:ack_id>/return/", inbox.return_, name="inbox-return"),
    path(
        "notices/<int:notice_id>/attachments/<int:att_id>/",
        attachments.attachment,
        name="notice-attachment",
    ),
    path("handling/", handling.inbox, name="handling"),
    path("handling/people/", handling.people, name="handling-people"),
    path(
        "handling/instructions/<int:instruction_id>/",
        handling_leader.instruction_page,
        name="handling-instruction",
    ),
    path(
        "handling/assignments/<int:assignment_id>/",
        handling_unit.assignment_page,
        name="handling-assignment",
    ),
    path("notices/<int:pk>/handling/propose/", handling_clerk.propose, name="handling-propose"),
    path("notices/<int:pk>/handling/reply/", handling_clerk.reply, name="handling-reply"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        notifications.mark_read,
        name="notification-read",
    ),
    path("notifications/read-all/", notifications.mark_all_read, name="notifications-read-all"),
    path("notifications/preferences/", preferences.preferences, name="notification-preferences"),
    path("delegation/", delegation.delegation_page, name="delegation"),
    path("delegation/<int:delegation_id>/cancel/", delegation.cancel, name="delegation-cancel"),
    path("unit/", unit.unit_page, name="unit"),
    path("unit/<int:notice_id>/<int:unit_id>/remind/", unit.remind, name="unit-remind"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("register/", register.register, name="register"),
    path("register/check-number/", register.check_number, name="register-check-number"),
    path("register/import/", register.import_document, name="register-import"),
    path("register/<int:pk>/attachments/", register.attachments, name="register-attachments"),
    path("notices/<int:pk>/forward/", forward.forward, name="forward"),
    path("notices/<int:pk>/recall/", notice.recall, name="notice-recall"),
    path("forward/people/", forward.people, name="forward-people"),
    path("forward/deadline/", forward.deadline, name="forward-deadline"),
    path("archive/", archive_queue.queue, name="archive-queue"),
    path("archive/notices/<int:pk>/", archive_queue.archive_form, name="archive-form"),
    path("archive/notices/<int:pk>/preview/", archive_queue.preview, name="archive-preview"),
    path("archive/search/", archive_search.search, name="archive-search"),
    path("archive/catalogue/", archive_catalogue.catalogue, name="archive-catalogue"),
    path("archive/catalogue.csv", archive_catalogue.catalogue_csv, name="archive-catalogue-csv"),
    path("archive/catalogue.xlsx", archive_catalogue.catalogue_xlsx, name="archive-catalogue-xlsx"),
    path("archive/records/<str:code>/", archive_record.record_page, name="archive-record"),
    path("archive/records/<str:code>/record.pdf", archive_record.record_pdf, name="archive-pdf"),
    path("archive/records/<str:code>/verify/", archive_record.verify, name="archive-verify"),
]
