"""Files of a 办理结果 and of a 答复: checked like 附件, kept apart from the received document's,
uploaded only by those who may, downloaded by those who see the 批办单."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from circulation.records.models import Assignment, AuditEvent, HandlingFile, Instruction, Notice
from tests.builders import Bureau
from tests.handling.builders import proposal_body
from tests.helpers import small_pdf
from tests.test_api_errors import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(leaders: Bureau, notice: Notice, api: Any, media: Any) -> Assignment:
    api(leaders.clerk).post(
        f"/api/v1/notices/{notice.pk}/handling/",
        proposal_body(leaders=["leader_1"], reply_expected=True),
        format="json",
    )
    ins = Instruction.objects.get(case__notice=notice)
    api(leaders.person("leader_1")).post(
        f"/api/v1/handling/instructions/{ins.pk}/", {"kind": "agree"}
    )
    return Assignment.objects.get(case__notice=notice, role="lead")


def pdf(name: str = "实施方案.pdf", data: bytes | None = None) -> SimpleUploadedFile:
    content = data if data is not None else small_pdf("实施方案")
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_unit_uploads_result_files_then_records_the_result(
    leaders: Bureau, notice: Notice, lead: Assignment, api: Any
) -> None:
    unit = api(leaders.person("gyg_1"))
    url = f"/api/v1/handling/assignments/{lead.pk}/files/"
    data = small_pdf("实施方案")
    answer = unit.post(url, {"file": pdf(data=data)}, format="multipart")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["name"] == "实施方案.pdf"
    assert body["extension"] == "pdf"
    assert len(body["sha256"]) == 64
    assert notice.attachments.count() == 0  # not one of the received document's 附件
    assert AuditEvent.objects.filter(action="handling.file_added", notice=notice).count() == 1

    unit.post(f"/api/v1/handling/assignments/{lead.pk}/result/", {"text": "已办理，方案附后。"})
    case = api(leaders.person("leader_1")).get(f"/api/v1/notices/{notice.pk}/handling/").json()
    assert [f["name"] for f in case["assignments"][0]["attachments"]] == ["实施方案.pdf"]

    download = api(leaders.person("leader_1")).get(f"/api/v1/handling/files/{body['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert_error(unit.post(url, {"file": pdf("补充.pdf")}, format="multipart"), 409, None)


def test_who_may_upload_and_download(
    leaders: Bureau, notice: Notice, lead: Assignment, api: Any, outsider: Any
) -> None:
    url = f"/api/v1/handling/assignments/{lead.pk}/files/"
    assert_error(
        api(leaders.clerk).post(url, {"file": pdf()}, format="multipart"), 403, None, "not_in_unit"
    )
    assert_error(api(outsider).post(url, {"file": pdf()}, format="multipart"), 404, None)
    assert_error(api(leaders.person("gyg_1")).post(url, {}, format="multipart"), 400, "file")
    bad = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    assert_error(
        api(leaders.person("gyg_1")).post(url, {"file": bad}, format="multipart"), 400, "file"
    )
    assert not HandlingFile.objects.exists()

    item = api(leaders.person("gyg_1")).post(url, {"file": pdf()}, format="multipart").json()
    assert_error(api(outsider).get(f"/api/v1/handling/files/{item['id']}/"), 404, None)


def test_the_clerk_attaches_files_to_a_reply(
    leaders: Bureau, notice: Notice, lead: Assignment, api: Any
) -> None:
    clerk = api(leaders.clerk)
    case = clerk.post(
        f"/api/v1/notices/{notice.pk}/handling/reply/",
        {"text": "已函复。", "replied_on": str(timezone.localdate()), "channel": "post"},
        format="json",
    ).json()
    reply_id = case["replies"][0]["id"]
    url = f"/api/v1/handling/replies/{reply_id}/files/"
    assert_error(
        api(leaders.person("gyg_1")).post(url, {"file": pdf()}, format="multipart"),
        403,
        None,
        "permission_denied",
    )
    answer = clerk.post(url, {"file": pdf("复函.pdf")}, format="multipart")
    assert answer.status_code == 201, answer.content
    case = clerk.get(f"/api/v1/notices/{notice.pk}/handling/").json()
    assert [f["name"] for f in case["replies"][0]["attachments"]] == ["复函.pdf"]
