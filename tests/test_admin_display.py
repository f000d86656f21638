"""The admin shows people, not data structures: JSON fields as tables and lists with Chinese
labels, codes as their Chinese names, and files through permission-checked admin views (never a
``/media/`` URL, which is not served)."""

import hashlib
import io
import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from circulation.ackrecord.models import RecordRendition
from circulation.archive.models import ArchivedRecord
from circulation.records.actors import Actor
from circulation.records.models import Attachment, AuditEvent, Notice, Person
from circulation.records.roles import CLERK
from tests.archive.builders import circulate_to_completion, registered
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.helpers import small_pdf
from workflows.services.archiving import archive_notice
from workflows.services.attachments import add_attachment

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    """The test settings keep whitenoise's manifest storage, which needs collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def staff(bureau: Bureau) -> Bureau:
    """The bureau's clerk and archivist may use the admin."""
    Person.objects.filter(pk__in=[bureau.clerk.pk, bureau.archivist.pk]).update(is_staff=True)
    bureau.clerk.refresh_from_db()
    bureau.archivist.refresh_from_db()
    return bureau


@pytest.fixture
def foreign_clerk(db: Any) -> Person:
    """A clerk (with the admin) of another organisation."""
    other = OrganisationFactory(name="舞阳县发展和改革委员会", fonds_code="Z200")
    return PersonFactory(username="fgw_clerk", organisation=other, roles=[CLERK], is_staff=True)


def login(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def notice_with_attachment(bureau: Bureau, doc_number: str = "舞工信[2022]025号") -> Notice:
    """Registered from a variant 发文字号 (two corrections), 内部, with one PDF attachment."""
    notice = registered(bureau.clerk, doc_number)
    Notice.objects.filter(pk=notice.pk).update(secrecy="internal")
    data = small_pdf("附件一")
    add_attachment(Actor(bureau.clerk), notice.pk, "附件1.pdf", io.BytesIO(data), len(data))
    notice.refresh_from_db()
    return notice


def superuser_of(bureau: Bureau) -> Person:
    return PersonFactory(username="root", organisation=bureau.org, is_staff=True, is_superuser=True)


def downloaded(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- labels --------------------------------------------------------------------------------------
def test_every_field_of_our_models_has_a_chinese_label() -> None:
    """Column headers and form labels come from verbose_name; an English default such as
    "notice" or "created at" would show in the Chinese interface."""
    english = []
    for app in ("records", "workflows", "archive", "ackrecord"):
        for model in apps.get_app_config(app).get_models():
            if not CJK.search(str(model._meta.verbose_name)):
                english.append(model.__name__)
            for field in model._meta.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # reverse relations
                label = str(getattr(field, "verbose_name", ""))
                if field.name == "id" or label in {"SHA-256", "SM3", "IP", "ID"}:
                    continue
                if not CJK.search(label):
                    english.append(f"{model.__name__}.{field.name} ({label})")
    assert english == []


def test_notice_page_shows_corrections_forwards_and_labels_not_json(staff: Bureau) -> None:
    notice = notice_with_attachment(staff)
    html = page(login(staff.clerk), reverse("admin:records_notice_change", args=[notice.pk]))

    corrections = re.search(r'<table class="readable corrections">(.*?)</table>', html, re.S)
    assert corrections is not None
    assert corrections.group(1).count("<tr>") == 3  # the header and one row per correction
    assert "年份括号" in corrections.group(1)
    assert "序号前导零" in corrections.group(1)
    assert '"code"' not in html
    assert "&quot;code&quot;" not in html
    assert "<li>国务院关于加强数字政府建设的指导意见</li>" in html
    assert '["' not in html
    assert ">内部<" in html
    assert ">internal<" not in html
    assert ">阅知<" in html
    assert ">read<" not in html


def test_audit_event_data_is_a_table_with_chinese_names(staff: Bureau) -> None:
    notice = notice_with_attachment(staff)
    event = AuditEvent.objects.get(notice=notice, action="notice.registered")
    client = login(superuser_of(staff))
    html = page(client, reverse("admin:records_auditevent_change", args=[event.pk]))

    assert "登记" in html
    assert "notice.registered" in html
    assert "已签收" in html
    assert "已登记" in html
    data = re.search(r'<table class="readable audit-data">(.*?)</table>', html, re.S)
    assert data is not None
    assert "收文登记号" in data.group(1)
    assert notice.registration_no in data.group(1)
    assert "年份括号、序号前导零" in data.group(1)
    assert "<pre" not in html
    listing = page(client, reverse("admin:records_auditevent_changelist"))
    assert "上传附件" in listing
    assert "<th" in listing
    assert ">Notice<" not in listing


# --- attachments ---------------------------------------------------------------------------------
def test_attachment_links_go_to_the_checked_view_and_serve_the_file(staff: Bureau) -> None:
    notice = notice_with_attachment(staff)
    attachment = Attachment.objects.get(notice=notice)
    url = reverse("admin:records_attachment_download", args=[attachment.pk])
    client = login(staff.clerk)
    for where in (
        reverse("admin:records_notice_change", args=[notice.pk]),
        reverse("admin:records_attachment_change", args=[attachment.pk]),
        reverse("admin:records_attachment_changelist"),
    ):
        html = page(client, where)
        assert f'href="{url}"' in html, where
        assert "/media/" not in html, where

    response = client.get(url)
    assert response.status_code == 200
    body = downloaded(response)
    assert hashlib.sha256(body).hexdigest() == attachment.sha256
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_of_another_organisation_is_404(staff: Bureau, foreign_clerk: Person) -> None:
    attachment = Attachment.objects.get(notice=notice_with_attachment(staff))
    url = reverse("admin:records_attachment_download", args=[attachment.pk])
    assert login(foreign_clerk).get(url).status_code == 404
    assert login(staff.clerk).get(url).status_code == 200


def test_altered_attachment_is_refused_with_a_message(staff: Bureau) -> None:
    attachment = Attachment.objects.get(notice=notice_with_attachment(staff))
    with open(attachment.file.path, "ab") as handle:
        handle.write(b"tampered")
    url = reverse("admin:records_attachment_download", args=[attachment.pk])
    response = login(staff.clerk).get(url, follow=True)
    assert response.status_code == 200
    assert "SHA-256 与存储时不符" in response.content.decode()


# --- the archive ---------------------------------------------------------------------------------
@pytest.fixture
def archived(staff: Bureau, media: Any) -> ArchivedRecord:
    notice = notice_with_attachment(staff)
    circulate_to_completion(staff, notice)
    return archive_notice(Actor(staff.archivist), notice.pk, retention="D30")


def test_archive_record_shows_the_report_and_hashes_as_tables(
    staff: Bureau, archived: ArchivedRecord
) -> None:
    client = login(staff.archivist)
    html = page(client, reverse("admin:archive_archivedrecord_change", args=[archived.pk]))

    report = re.search(r'<table class="readable checks-report">(.*?)</table>', html, re.S)
    assert report is not None
    checks = sum(len(a["checks"]) for a in archived.checks_report["aspects"].values())
    assert report.group(1).count("<tr>") == checks + 1
    for aspect in ("真实性", "完整性", "可用性", "安全性"):
        assert f"<td>{aspect}</td>" in report.group(1)
    assert "通过" in report.group(1)
    assert '"aspects"' not in html
    assert "&quot;aspects&quot;" not in html
    hashes = re.search(r'<table class="readable hashes">(.*?)</table>', html, re.S)
    assert hashes is not None
    assert archived.attachments[0]["sha256"] in hashes.group(1)
    assert "附件1.pdf" in hashes.group(1)
    assert ">内部<" in html
    assert ">internal<" not in html
    assert ">定期30年<" in html
    assert "/media/" not in html


def test_archive_downloads_are_checked_and_audited(staff: Bureau, archived: ArchivedRecord) -> None:
    client = login(staff.archivist)
    html = page(client, reverse("admin:archive_archivedrecord_change", args=[archived.pk]))
    record_url = reverse("admin:archive_archivedrecord_download", args=[archived.pk])
    attachment_id = archived.attachments[0]["id"]
    attachment_url = reverse(
        "admin:archive_archivedrecord_attachment", args=[archived.pk, attachment_id]
    )
    assert f'href="{record_url}"' in html
    assert f'href="{attachment_url}"' in html

    response = client.get(record_url)
    assert response.status_code == 200
    assert hashlib.sha256(downloaded(response)).hexdigest() == archived.record_sha256
    response = client.get(attachment_url)
    assert response.status_code == 200
    assert hashlib.sha256(downloaded(response)).hexdigest() == archived.attachments[0]["sha256"]
    events = AuditEvent.objects.filter(action="archive.downloaded", notice=archived.notice_id)
    assert sorted(e.data["what"] for e in events) == ["attachment", "record.pdf"]


def test_rendition_download_is_checked_and_scoped(
    staff: Bureau, archived: ArchivedRecord, foreign_clerk: Person
) -> None:
    rendition = RecordRendition.objects.get(notice=archived.notice_id)
    url = reverse("admin:ackrecord_recordrendition_download", args=[rendition.pk])
    client = login(superuser_of(staff))
    html = page(client, reverse("admin:ackrecord_recordrendition_change", args=[rendition.pk]))
    assert f'href="{url}"' in html
    assert "/media/" not in html
    response = client.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(downloaded(response)).hexdigest() == rendition.sha256
    assert AuditEvent.objects.filter(action="record.downloaded", notice=rendition.notice_id)


def test_archive_files_of_another_organisation_are_404(
    staff: Bureau, archived: ArchivedRecord, foreign_clerk: Person
) -> None:
    """Even with every permission of the admin: the organisation scope answers 404."""
    foreign_archivist = PersonFactory(
        username="fgw_archivist",
        organisation=foreign_clerk.organisation,
        roles=["archivist"],
        is_staff=True,
    )
    rendition = RecordRendition.objects.get(notice=archived.notice_id)
    urls = [
        reverse("admin:archive_archivedrecord_download", args=[archived.pk]),
        reverse(
            "admin:archive_archivedrecord_attachment",
            args=[archived.pk, archived.attachments[0]["id"]],
        ),
        reverse("admin:ackrecord_recordrendition_download", args=[rendition.pk]),
        reverse("admin:records_attachment_download", args=[archived.attachments[0]["id"]]),
    ]
    for user in (foreign_clerk, foreign_archivist):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
    own = login(staff.archivist)
    assert own.get(urls[0]).status_code == 200
