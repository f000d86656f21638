"""Bad input gets a 4xx with field, code and messages in Chinese and English — never a 500,
never a half-written record."""

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from circulation.records.models import Attachment, AuditEvent, Notice
from tests.builders import Bureau
from tests.helpers import circulating_notice, opened_ack, registered_notice

pytestmark = pytest.mark.django_db


def assert_error(answer: Any, status: int, field: str | None, code: str | None = None) -> dict:
    assert answer.status_code == status, answer.content
    body = answer.json()
    error = body["errors"][0] if body["errors"] else body
    if field is not None:
        assert error["field"] == field
    if code is not None:
        assert error["code"] == code
    message, message_en = (
        error.get("message", body["detail"]),
        error.get("message_en", body["detail_en"]),
    )
    assert message
    assert message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert re.search("[A-Za-z]{3,}", message_en), message_en
    return body


@pytest.mark.parametrize(
    ("doc_number", "code"),
    [("", "blank"), ("   ", "blank"), ("舞工信2022年25号", None), ("舞工信〔22〕25号", None)],
)
def test_unusable_document_numbers(
    bureau: Bureau, api: Any, sample_payload: dict, doc_number: str, code: str | None
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, "doc_number": doc_number}, format="json"
    )
    assert_error(answer, 400, "doc_number", code)
    assert not Notice.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("level", ["秘密", "机密", "绝密", "secret", "top_secret"])
def test_classified_documents_are_refused(
    bureau: Bureau, api: Any, sample_payload: dict, level: str
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, "secrecy": level}, format="json"
    )
    body = assert_error(answer, 400, "secrecy", "classified")
    assert "涉密" in body["detail"]
    assert not Notice.objects.exists()


def test_chinese_labels_are_accepted_and_both_forms_returned(
    bureau: Bureau, api: Any, sample_payload: dict
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/",
        {**sample_payload, "secrecy": "内部", "urgency": "加急", "handling": "批办"},
        format="json",
    )
    assert answer.status_code == 201
    body = answer.json()
    assert (body["secrecy"], body["secrecy_label"]) == ("internal", "内部")
    assert (body["urgency"], body["urgency_label"]) == ("urgent", "加急")
    assert (body["handling"], body["handling_label"]) == ("action", "批办")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"urgency": "very"}, "urgency"),
        ({"title": ""}, "title"),
        ({"issued_on": "2022-13-45"}, "issued_on"),
        ({"forwards": {"a": 1}}, "forwards"),
        ({"secrecy": "保密"}, "secrecy"),
    ],
)
def test_field_errors_name_the_field(
    bureau: Bureau, api: Any, sample_payload: dict, patch: dict, field: str
) -> None:
    answer = api(bureau.clerk).post("/api/v1/notices/", {**sample_payload, **patch}, format="json")
    assert_error(answer, 400, field)
    assert not Notice.objects.exists()


def test_missing_fields_are_all_listed(bureau: Bureau, api: Any) -> None:
    answer = api(bureau.clerk).post("/api/v1/notices/", {}, format="json")
    assert answer.status_code == 400
    fields = {error["field"] for error in answer.json()["errors"]}
    assert fields >= {"doc_number", "title", "issuer", "secrecy"}
    assert all(error["message_en"] == "This field is required" for error in answer.json()["errors"])


def test_malformed_json_and_bad_ids(bureau: Bureau, api: Any) -> None:
    client = api(bureau.clerk)
    answer = client.post("/api/v1/notices/", "{not json", content_type="application/json")
    assert_error(answer, 400, None, "parse_error")
    assert client.get("/api/v1/notices/abc/").status_code == 404
    assert client.get("/api/v1/notices/999999/").status_code == 404
    assert client.post("/api/v1/acknowledgements/x/confirm/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "units"),
        ({"units": [], "people": []}, "units"),
        ({"units": ["GYG"], "due_working_days": 0}, "due_working_days"),
        (
            {"units": ["GYG"], "due_working_days": 3, "due_at": "2099-01-01T09:00:00+08:00"},
            "due_working_days",
        ),
        ({"units": ["GYG"], "due_at": "2001-01-01T09:00:00+08:00"}, "due_at"),
        ({"units": "GYG"}, "units"),
    ],
)
def test_bad_forwards_change_nothing(bureau: Bureau, api: Any, body: dict, field: str) -> None:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(f"/api/v1/notices/{notice.pk}/forward/", body, format="json")
    assert_error(answer, 400, field)
    notice.refresh_from_db()
    assert notice.state == "registered"
    assert not notice.acknowledgements.exists()


def test_state_conflicts_are_409(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    clerk = api(bureau.clerk)
    answer = clerk.post(f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "错发"}, format="json")
    assert_error(answer, 409, None, "invalid_state")
    assert (
        clerk.post(
            f"/api/v1/notices/{notice.pk}/return/", {"reason": "不属本机关办理"}, format="json"
        ).json()["state"]
        == "returned"
    )
    again = clerk.post(f"/api/v1/notices/{notice.pk}/forward/", {"units": ["GYG"]}, format="json")
    assert_error(again, 409, None, "invalid_state")


def test_withdraw_cancels_open_acknowledgements(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    opened_ack(notice, "gyg_1")
    staff = api(opened_ack(notice, "gyg_2").person)
    staff.post(
        f"/api/v1/acknowledgements/{notice.acknowledgements.get(person__username='gyg_2').pk}/confirm/"
    )
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "范围有误"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["state"] == "withdrawn"
    states = dict(notice.acknowledgements.values_list("person__username", "state"))
    assert states == {
        "gyg_head": "cancelled",
        "gyg_1": "cancelled",
        "gyg_2": "confirmed",
        "gyg_3": "cancelled",
    }
    event = AuditEvent.objects.get(action="notice.withdrawn")
    assert event.data == {"reason": "范围有误", "cancelled": 3}
    assert event.actor_username == "clerk"


def test_password_reentry_when_the_organisation_requires_it(bureau: Bureau, api: Any) -> None:
    bureau.org.require_password_on_confirm = True
    bureau.org.save()
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    client = api(ack.person)
    url = f"/api/v1/acknowledgements/{ack.pk}/confirm/"
    assert_error(client.post(url, {}, format="json"), 400, "password", "password_required")
    assert_error(
        client.post(url, {"password": "wrong"}, format="json"), 400, "password", "invalid_password"
    )
    answer = client.post(url, {"password": "correct-horse-9"}, format="json")
    assert answer.json()["confirm_method"] == "password"


def test_return_needs_a_reason(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    answer = api(ack.person).post(
        f"/api/v1/acknowledgements/{ack.pk}/return/", {"reason": " "}, format="json"
    )
    assert_error(answer, 400, "reason")
    ack.refresh_from_db()
    assert ack.state == "read"


def test_attachment_checks(bureau: Bureau, api: Any, settings: Any) -> None:
    notice = registered_notice(bureau.clerk)
    client = api(bureau.clerk)
    url = f"/api/v1/notices/{notice.pk}/attachments/"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    mismatch = client.post(url, {"file": SimpleUploadedFile("公文.pdf", png)})
    assert_error(mismatch, 400, "file", "extension_mismatch")
    assert_error(client.post(url, {}), 400, "file", "required")
    settings.ATTACHMENT_MAX_BYTES = 10
    big = client.post(url, {"file": SimpleUploadedFile("a.txt", "通知正文".encode() * 10)})
    assert_error(big, 413, "file", "too_large")  # stopped while uploading
    assert not Attachment.objects.exists()


def test_attachment_is_stored_under_a_generated_name(
    bureau: Bureau, api: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    notice = registered_notice(bureau.clerk)
    text = "附件：数字政府建设任务分工".encode()
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/attachments/",
        {"file": SimpleUploadedFile("../../etc/任务分工.txt", text)},
    )
    assert answer.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.original_name.endswith("任务分工.txt")
    assert "etc" not in attachment.file.name
    assert "任务" not in attachment.file.name
    assert attachment.file.name.endswith(".txt")
    assert (tmp_path / attachment.file.name).read_bytes() == text
    forwarded = circulating_notice  # noqa: F841 - attachments close once circulation starts
    from circulation.records.actors import Actor
    from workflows.services.forwarding import ForwardRequest, forward_notice

    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=["GYG"]))
    late = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/attachments/", {"file": SimpleUploadedFile("b.txt", text)}
    )
    assert_error(late, 409, None, "invalid_state")
