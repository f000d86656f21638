"""GET /api/v1/notices/{id}/record.pdf, the verify page, and the render queued on completion."""

from typing import Any

import pytest
from django.test import Client

from circulation.ackrecord import tasks
from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import current_record
from circulation.records.models import AuditEvent
from tests.ackrecord.builders import Circulated, confirm, forward, register_sample
from tests.builders import Bureau

pytestmark = pytest.mark.django_db


def test_the_clerk_gets_the_pdf(circulated: Circulated, bureau: Bureau, api: Any) -> None:
    url = f"/api/v1/notices/{circulated.notice.pk}/record.pdf"
    response = api(bureau.clerk).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; ")
    assert "filename*=UTF-8''%E8%88%9E%E5%B7%A5%E4%BF%A1" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    rendition = RecordRendition.objects.get(notice=circulated.notice)
    assert response["X-Record-Id"] == str(rendition.pk)
    assert response["X-Record-SHA256"] == rendition.sha256
    event = AuditEvent.objects.get(action="record.downloaded")
    assert (event.actor_username, event.object_id) == ("clerk", str(rendition.pk))

    again = api(bureau.clerk).get(url)
    assert again.status_code == 200
    assert RecordRendition.objects.count() == 1  # served again, not regenerated
    assert AuditEvent.objects.filter(action="record.downloaded").count() == 2


def test_a_recipient_and_an_outsider_get_404(
    circulated: Circulated, bureau: Bureau, outsider: Any, api: Any
) -> None:
    url = f"/api/v1/notices/{circulated.notice.pk}/record.pdf"
    # The record lists every recipient: a recipient sees only their own acknowledgement (JSON).
    assert api(bureau.person("gyg_1")).get(url).status_code == 404
    response = api(outsider).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api(bureau.clerk).get("/api/v1/notices/999999/record.pdf").status_code == 404
    assert api(None).get(url).status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="record.downloaded", actor_username="outsider")


def test_the_verify_page(circulated: Circulated, bureau: Bureau, outsider: Any) -> None:
    rendition = current_record(circulated.notice)
    url = f"/records/{rendition.pk}/verify/"

    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/signin/?next=")

    client = Client()
    client.force_login(outsider)  # anyone logged in may check a record they scanned
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "存档文件完整" in html
    assert circulated.notice.doc_number in html
    assert rendition.sha256 in html

    with open(rendition.file.path, "ab") as handle:
        handle.write(b"% appended")
    html = client.get(url).content.decode()
    assert "已被改动" in html
    assert client.get("/records/00000000-0000-0000-0000-000000000000/verify/").status_code == 404


def test_completion_queues_a_render_on_commit(
    bureau: Bureau, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    notice = register_sample(bureau)
    forward(bureau, notice, units=("GYG",))
    acks = list(notice.acknowledgements.select_related("person").order_by("pk"))
    for minute, ack in enumerate(acks[:-1], start=10):
        confirm(ack, minute)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        confirm(acks[-1], 30)
    notice.refresh_from_db()
    assert notice.state == "completed"
    renders = [cb for cb in callbacks if getattr(cb, "func", None) is tasks._send]
    assert [cb.args for cb in renders] == [(notice.pk,)]
    assert not RecordRendition.objects.exists()  # nothing before the commit

    settings.CELERY_TASK_ALWAYS_EAGER = True
    renders[0]()
    rendition = RecordRendition.objects.get(notice=notice)
    assert rendition.generated_by is None  # rendered by the worker (system)
    assert AuditEvent.objects.filter(action="record.generated", actor_username="").count() == 1


def test_a_broker_failure_after_commit_is_logged_not_raised(monkeypatch: Any, caplog: Any) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.render_record, "apply_async", down)
    tasks._send(42)
    assert "could not queue the render of notice 42" in caplog.text


def test_the_task_is_idempotent_and_tolerates_a_missing_notice(
    circulated: Circulated, settings: Any
) -> None:
    first = tasks.render_record(circulated.notice.pk)
    second = tasks.render_record(circulated.notice.pk)
    assert first == second == str(RecordRendition.objects.get().pk)
    assert tasks.render_record(999999) is None


def test_the_admin_lists_records_read_only(circulated: Circulated, bureau: Bureau) -> None:
    from circulation.records.models import Person

    rendition = current_record(circulated.notice)
    admin = Person.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/ackrecord/recordrendition/")
    assert listing.status_code == 200
    assert circulated.notice.doc_number in listing.content.decode()
    page = client.get(f"/admin/ackrecord/recordrendition/{rendition.pk}/change/")
    assert page.status_code == 200
    assert f"/records/{rendition.pk}/verify/" in page.content.decode()
    assert client.get("/admin/ackrecord/recordrendition/add/").status_code == 403
    deleted = client.post(
        f"/admin/ackrecord/recordrendition/{rendition.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert RecordRendition.objects.filter(pk=rendition.pk).exists()
