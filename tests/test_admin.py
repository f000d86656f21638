"""Django admin: every page loads with a constant number of queries, records made by the
services are read-only, and the transition buttons go through the services (and the audit log)."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circulation.records.actors import Actor
from circulation.records.audit import verify_chain
from circulation.records.models import (
    Acknowledgement,
    Attachment,
    AuditAction,
    AuditEvent,
    Membership,
    Notice,
    Organisation,
    Person,
    Unit,
    UnitKind,
)
from workflows.machines import AckState, NoticeState
from workflows.models import CalendarDay
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-2022"
SAMPLE_DOC = "舞工信〔2022〕25号"


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    """The test settings keep whitenoise's manifest storage, which needs collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def seeded() -> None:
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


@pytest.fixture
def superuser(seeded: None) -> Person:
    return Person.objects.get(username="admin")


@pytest.fixture
def clerk(seeded: None) -> Person:
    return Person.objects.get(username="clerk")


def login(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_notice(clerk: Person, serial: int, *, units: tuple[str, ...] = (), people=()) -> Notice:
    """Register (and forward, when recipients are given) a notice through the services."""
    actor = Actor(clerk)
    data = NoticeInput(
        doc_number=f"舞工信〔2023〕{serial}号",
        title=f"关于第{serial}项工作的通知",
        issuer="舞阳县工业和信息化局",
        secrecy="public",
        instruction="请认真阅知",
    )
    notice = register_notice(actor, data).notice
    if units or people:
        forward_notice(actor, notice.pk, ForwardRequest(unit_codes=units, usernames=people))
    notice.refresh_from_db()
    return notice


def transition_url(model: str, pk: int, name: str) -> str:
    return reverse(f"admin:records_{model}_transition", args=[pk, name])


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def sample_notice() -> Notice:
    return Notice.objects.get(doc_number=SAMPLE_DOC)


# --- pages ---------------------------------------------------------------------------------------
def test_every_changelist_and_a_change_page_load(superuser: Person) -> None:
    client = login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_search_and_filters_work(superuser: Person) -> None:
    client = login(superuser)
    notice = sample_notice()
    pages = {
        "notice": f"q=舞工信&state={NoticeState.CIRCULATING}",
        "acknowledgement": f"notice__id__exact={notice.pk}&state=pending&overdue=yes&q=bgs",
        "auditevent": "action=notice.*&q=1",
        "person": "q=王",
        "unit": "q=BGS&kind=section",
    }
    for model, query in pages.items():
        response = client.get(f"{reverse(f'admin:records_{model}_changelist')}?{query}")
        assert response.status_code == 200, model


def test_notice_change_page(superuser: Person) -> None:
    notice = sample_notice()
    response = login(superuser).get(reverse("admin:records_notice_change", args=[notice.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert notice.title in html
    assert "csrfmiddlewaretoken" in html
    # Circulating: 撤回 only, not 退回; fields read-only, no save button.
    assert transition_url("notice", notice.pk, "withdraw") in html
    assert transition_url("notice", notice.pk, "return") not in html
    assert 'name="_save"' not in html
    # Acknowledgements: counts per unit, the first few, and a link to all of them.
    assert f"acknowledgement/?notice__id__exact={notice.pk}" in html
    assert notice.acknowledgements.count() == 42
    assert html.count("/admin/records/acknowledgement/") < 42


CHANGELISTS = [
    f"{model._meta.app_label}_{model._meta.model_name}"
    for model in admin.site._registry
    if model._meta.app_label in {"records", "workflows"}
]


def _grow(clerk: Person, superuser: Person) -> None:
    """From a handful of rows to 50+ of each kind shown on the changelists."""
    org = clerk.organisation
    assert org is not None
    for serial in range(1, 46):
        new_notice(clerk, serial, units=("GYG",) if serial % 3 else (), people=("admin",))
    for index in range(50):
        other = Organisation.objects.create(name=f"测试机关{index}", fonds_code=f"T{index}")
        unit = Unit.objects.create(
            organisation=other, code=f"T{index}", name="测试股", kind=UnitKind.SECTION
        )
        person = Person.objects.create_user(f"extra{index}", organisation=other)
        Membership.objects.create(person=person, unit=unit)
        CalendarDay.objects.create(
            date=date(2030, 1, 1) + timedelta(days=index), is_working_day=False, name="测试"
        )
    notice = sample_notice()
    Attachment.objects.bulk_create(
        Attachment(
            notice=notice,
            file=f"attachments/{i}.pdf",
            original_name=f"{i}.pdf",
            extension="pdf",
            content_type="application/pdf",
            size=i,
            sha256="0" * 64,
            uploaded_by=clerk,
        )
        for i in range(50)
    )


def test_changelist_queries_do_not_grow_with_rows(
    superuser: Person, clerk: Person, django_assert_max_num_queries: Any
) -> None:
    client = login(superuser)
    assert len(CHANGELISTS) >= 10  # every admin of records and workflows
    urls = {name: reverse(f"admin:{name}_changelist") for name in CHANGELISTS}
    for url in urls.values():  # warm per-process caches (content types, …)
        client.get(url)
    baseline = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        baseline[name] = len(queries)
    _grow(clerk, superuser)
    assert Notice.objects.count() > 45
    assert Acknowledgement.objects.count() > 100
    for name, url in urls.items():
        with django_assert_max_num_queries(baseline[name]):
            assert client.get(url).status_code == 200, name


# --- notice transitions --------------------------------------------------------------------------
def test_clerk_withdraws_through_the_admin_button(clerk: Person) -> None:
    notice = sample_notice()
    client = login(clerk)
    page = client.get(reverse("admin:records_notice_change", args=[notice.pk]))
    assert transition_url("notice", notice.pk, "withdraw") in page.content.decode()
    before = AuditEvent.objects.count()

    response = client.post(
        transition_url("notice", notice.pk, "withdraw"),
        {"text": "误发，撤回重发"},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:records_notice_change", args=[notice.pk])
    notice.refresh_from_db()
    assert notice.state == NoticeState.WITHDRAWN
    assert notice.closing_reason == "误发，撤回重发"
    assert not notice.acknowledgements.exclude(state=AckState.CANCELLED).exists()
    event = AuditEvent.objects.get(action="notice.withdrawn", notice=notice)
    assert event.actor == clerk
    assert event.ip == "10.0.0.7"
    assert event.data["reason"] == "误发，撤回重发"
    assert AuditEvent.objects.count() == before + 1
    assert any("已撤回" in m for m in messages_of(response))
    assert verify_chain().ok


def test_withdraw_without_reason_is_refused(superuser: Person) -> None:
    notice = sample_notice()
    response = login(superuser).post(transition_url("notice", notice.pk, "withdraw"), {"text": " "})
    assert messages_of(response) == ["请填写撤回原因 / A reason is required"]
    notice.refresh_from_db()
    assert notice.state == NoticeState.CIRCULATING


def test_invalid_transition_shows_bilingual_error_and_changes_nothing(
    superuser: Person, clerk: Person
) -> None:
    notice = new_notice(clerk, 901)
    assert notice.state == NoticeState.REGISTERED
    client = login(superuser)
    page = client.get(reverse("admin:records_notice_change", args=[notice.pk])).content.decode()
    assert transition_url("notice", notice.pk, "withdraw") not in page
    assert transition_url("notice", notice.pk, "return") in page
    events = AuditEvent.objects.count()

    response = client.post(transition_url("notice", notice.pk, "withdraw"), {"text": "试试"})
    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "只有传阅中的收文可以撤回" in message
    assert "Only a circulating notice can be withdrawn" in message
    notice.refresh_from_db()
    assert notice.state == NoticeState.REGISTERED
    assert notice.closing_reason == ""
    assert AuditEvent.objects.count() == events


def test_return_to_sender_button(superuser: Person, clerk: Person) -> None:
    notice = new_notice(clerk, 902)
    response = login(superuser).post(
        transition_url("notice", notice.pk, "return"), {"text": "非本机关办理"}
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == NoticeState.RETURNED
    assert AuditEvent.objects.filter(
        action="notice.returned", notice=notice, actor=superuser
    ).exists()


def test_transition_url_refuses_get_and_unknown_names(superuser: Person) -> None:
    notice = sample_notice()
    client = login(superuser)
    assert client.get(transition_url("notice", notice.pk, "withdraw")).status_code == 405
    assert client.post(transition_url("notice", notice.pk, "archive")).status_code == 404
    assert client.post(transition_url("notice", 999_999, "withdraw")).status_code == 404
    notice.refresh_from_db()
    assert notice.state == NoticeState.CIRCULATING


def test_user_without_change_permission_cannot_post(seeded: None) -> None:
    archivist = Person.objects.get(username="archivist")  # may view notices, not act on them
    notice = sample_notice()
    client = login(archivist)
    page = client.get(reverse("admin:records_notice_change", args=[notice.pk]))
    assert page.status_code == 200
    assert transition_url("notice", notice.pk, "withdraw") not in page.content.decode()
    response = client.post(transition_url("notice", notice.pk, "withdraw"), {"text": "x"})
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.state == NoticeState.CIRCULATING


def test_login_required(seeded: None) -> None:
    notice = sample_notice()
    response = Client().post(transition_url("notice", notice.pk, "withdraw"), {"text": "x"})
    assert response.status_code == 302
    assert "/admin/login/" in response.url
    assert sample_notice().state == NoticeState.CIRCULATING


# --- acknowledgement transitions -----------------------------------------------------------------
def test_recipient_reads_then_confirms_through_the_buttons(
    superuser: Person, clerk: Person
) -> None:
    notice = new_notice(clerk, 903, people=("admin",))
    ack = Acknowledgement.objects.get(notice=notice, person=superuser)
    client = login(superuser)
    change = reverse("admin:records_acknowledgement_change", args=[ack.pk])

    html = client.get(change).content.decode()
    assert transition_url("acknowledgement", ack.pk, "read") in html
    assert transition_url("acknowledgement", ack.pk, "confirm") not in html  # not before read
    client.post(transition_url("acknowledgement", ack.pk, "read"))
    ack.refresh_from_db()
    assert ack.state == AckState.READ
    assert ack.opened_at is not None

    html = client.get(change).content.decode()
    assert transition_url("acknowledgement", ack.pk, "read") not in html
    assert transition_url("acknowledgement", ack.pk, "confirm") in html
    response = client.post(
        transition_url("acknowledgement", ack.pk, "confirm"), {"text": "已认真学习"}
    )
    assert any("已确认" in m for m in messages_of(response))
    ack.refresh_from_db()
    assert ack.state == AckState.CONFIRMED
    assert ack.comment == "已认真学习"
    assert ack.confirm_method == "admin"
    actions = list(
        AuditEvent.objects.filter(notice=notice, actor=superuser).values_list("action", flat=True)
    )
    assert actions == ["ack.read", "ack.confirmed", "notice.completed"]
    notice.refresh_from_db()
    assert notice.state == NoticeState.COMPLETED


def test_confirm_before_read_is_refused_with_message(superuser: Person, clerk: Person) -> None:
    notice = new_notice(clerk, 904, people=("admin",))
    ack = Acknowledgement.objects.get(notice=notice, person=superuser)
    response = login(superuser).post(transition_url("acknowledgement", ack.pk, "confirm"))
    (message,) = messages_of(response)
    assert "请先打开并阅读通知" in message
    assert "Open and read the notice" in message
    ack.refresh_from_db()
    assert ack.state == AckState.PENDING


def test_non_recipient_sees_no_buttons_and_cannot_post(superuser: Person) -> None:
    ack = Acknowledgement.objects.get(notice=sample_notice(), person__username="bgs_1")
    client = login(superuser)
    html = client.get(reverse("admin:records_acknowledgement_change", args=[ack.pk])).content
    text = html.decode()
    assert "/transition/" not in text
    assert "只有接收人本人" in text
    events = AuditEvent.objects.count()
    for name in ("read", "confirm", "return"):
        response = client.post(transition_url("acknowledgement", ack.pk, name), {"text": "x"})
        assert response.status_code == 302
        assert any("只有接收人本人" in m for m in messages_of(response))
    ack.refresh_from_db()
    assert ack.state == AckState.PENDING
    assert AuditEvent.objects.count() == events


# --- audit events --------------------------------------------------------------------------------
def test_audit_admin_is_read_only(superuser: Person) -> None:
    client = login(superuser)
    event = AuditEvent.objects.order_by("seq").first()
    assert event is not None
    changelist = client.get(reverse("admin:records_auditevent_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert reverse("admin:records_auditevent_add") not in changelist
    assert client.get(reverse("admin:records_auditevent_add")).status_code == 403

    change = reverse("admin:records_auditevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert 'name="action"' not in page.content.decode()
    response = client.post(change, {"action": "forged", "actor_username": "mallory"})
    assert response.status_code == 403
    delete = reverse("admin:records_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert (fresh.action, fresh.hash) == (event.action, event.hash)
    assert verify_chain().ok


def test_audit_admin_verifies_the_chain(superuser: Person) -> None:
    response = login(superuser).post(reverse("admin:records_auditevent_verify"))
    assert any("Audit chain OK" in m for m in messages_of(response))


def test_archivist_reads_the_archive_in_the_admin_and_staff_do_not(seeded: None) -> None:
    archivist = login(Person.objects.get(username="archivist"))
    for name in ("archive_archivedrecord_changelist", "archive_itemcounter_changelist"):
        assert archivist.get(reverse(f"admin:{name}")).status_code == 200
    assert archivist.get(reverse("admin:archive_archivedrecord_add")).status_code == 403
    clerk = login(Person.objects.get(username="clerk"))
    assert clerk.get(reverse("admin:archive_archivedrecord_changelist")).status_code == 403


def test_audit_log_filters_by_every_action_family(superuser: Person) -> None:
    from django.db import transaction

    from circulation.records.audit import append_event

    notice = sample_notice()
    with transaction.atomic():
        append_event(Actor(superuser), AuditAction.RECORD_DOWNLOADED, notice, notice_id=notice.pk)
    client = login(superuser)
    url = reverse("admin:records_auditevent_changelist")

    page = client.get(url).content.decode()
    for family in ("notice", "ack", "record", "archive", "auth"):
        assert f"?action={family}.%2A" in page or f"?action={family}.*" in page
    # every action of the vocabulary is offered, by its Chinese name beside its stored code
    for action in AuditAction:
        assert f"{action.label} {action.value}" in page
    filtered = client.get(url, {"action": "record.*"})
    shown = [event.action for event in filtered.context["cl"].result_list]
    assert shown == ["record.downloaded"]
