"""record.pdf off the request path: 202 + Retry-After while the worker renders a big record (queued
once), 200 once it is stored; superseded renditions pruned (rows and files)."""

from pathlib import Path
from typing import Any

import pytest
from django.db.models import F

from circulation.ackrecord import tasks
from circulation.ackrecord.models import RecordRendition, RenderRequest
from circulation.ackrecord.renditions import current_record
from circulation.records.models import Acknowledgement, AuditEvent
from tests.ackrecord.builders import Circulated
from tests.builders import Bureau

pytestmark = pytest.mark.django_db


def _renders(callbacks: list[Any]) -> list[Any]:
    return [cb for cb in callbacks if getattr(cb, "func", None) is tasks._send]


def test_a_big_record_is_rendered_by_the_worker_202_then_200(
    circulated: Circulated,
    bureau: Bureau,
    api: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.RECORD_INLINE_MAX_RECIPIENTS = 3  # the sample has more: a "big" record
    url = f"/api/v1/notices/{circulated.notice.pk}/record.pdf"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = api(bureau.clerk).get(url, HTTP_ACCEPT="application/pdf")
    assert first.status_code == 202
    assert first["Retry-After"] == "3"
    body = first.json()
    assert body["code"] == "record_rendering"
    assert body["retry_after"] == 3
    assert "秒后重试" in body["detail"]
    assert body["detail_en"]
    assert [cb.args for cb in _renders(callbacks)] == [(circulated.notice.pk,)]
    assert not RecordRendition.objects.exists()  # nothing rendered in the request

    with django_capture_on_commit_callbacks(execute=False) as again:
        second = api(bureau.clerk).get(url)
    assert second.status_code == 202
    assert _renders(again) == []  # already queued: not queued twice
    assert RenderRequest.objects.count() == 1

    rendition_id = tasks.render_record(circulated.notice.pk)  # what the worker runs
    assert not RenderRequest.objects.exists()
    done = api(bureau.clerk).get(url)
    assert done.status_code == 200
    assert done["X-Record-Id"] == rendition_id
    assert b"".join(done.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="record.downloaded").count() == 1


def test_a_small_record_is_rendered_in_the_request(
    circulated: Circulated, bureau: Bureau, api: Any, settings: Any
) -> None:
    settings.RECORD_INLINE_MAX_RECIPIENTS = 300
    response = api(bureau.clerk).get(f"/api/v1/notices/{circulated.notice.pk}/record.pdf")
    assert response.status_code == 200
    rendition = RecordRendition.objects.get()
    assert rendition.generated_by == bureau.clerk  # rendered in the request, not by the worker


def test_a_failed_worker_render_answers_503_once_then_queues_again(
    circulated: Circulated,
    bureau: Bureau,
    api: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.RECORD_INLINE_MAX_RECIPIENTS = 0
    url = f"/api/v1/notices/{circulated.notice.pk}/record.pdf"
    assert api(bureau.clerk).get(url).status_code == 202
    attachment = circulated.attachments[0]
    Path(attachment.file.path).write_bytes(b"%PDF-1.4 altered")
    assert tasks.render_record(circulated.notice.pk) is None  # refused: attachment_altered
    assert RenderRequest.objects.get().failed_at is not None
    failed = api(bureau.clerk).get(url)
    assert failed.status_code == 503
    assert failed.json()["code"] == "render_failed"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api(bureau.clerk).get(url).status_code == 202
    assert len(_renders(callbacks)) == 1


def test_superseded_renditions_are_pruned_rows_and_files(
    circulated: Circulated, django_capture_on_commit_callbacks: Any
) -> None:
    first = current_record(circulated.notice)
    first_path = Path(first.file.path)
    assert first_path.exists()
    Acknowledgement.objects.filter(notice=circulated.notice).update(
        reminders_sent=F("reminders_sent") + 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = current_record(circulated.notice)
    assert second.pk != first.pk
    assert list(RecordRendition.objects.values_list("pk", flat=True)) == [second.pk]
    assert not first_path.exists()
    assert Path(second.file.path).exists()
    event = AuditEvent.objects.filter(action="record.generated").latest("seq")
    assert event.data["superseded"] == [str(first.pk)]
