"""Limits at the edge: bodies refused before they are read, parsers that cannot be crashed,
query parameters and texts checked — every refusal a bilingual 4xx naming what was wrong."""

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.errors import InvalidInput
from circulation.records.models import Attachment, Notice
from tests.builders import Bureau
from tests.helpers import circulating_notice, opened_ack, registered_notice
from tests.test_api_errors import assert_error
from workflows.services.registration import NoticeInput, register_notice

pytestmark = pytest.mark.django_db


class CountingStream(io.BytesIO):
    """A request body that counts how much of it the server read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


BOUNDARY = "----limits-test-boundary"


def multipart(payload: bytes, name: str = "a.txt") -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + payload + f"\r\n--{BOUNDARY}--\r\n".encode()


def send(
    client: Any, path: str, body: bytes, content_type: str, length: int | None = None, **extra: Any
) -> tuple[Any, CountingStream]:
    stream = CountingStream(body)
    environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_TYPE": content_type, **extra}
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    answer = client.generic("POST", path, b"", content_type, **environ)
    return answer, stream


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- deeply nested JSON -------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(
    bureau: Bureau, api: Any, sample_payload: dict, depth: int
) -> None:
    body = json.dumps(sample_payload)[:-1] + f', "forwards": {nested(depth)}}}'
    answer = api(bureau.clerk).post("/api/v1/notices/", body, content_type="application/json")
    assert_error(answer, 400, None, "parse_error")
    assert not Notice.objects.exists()


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_to_the_sign_in_is_a_400(api: Any, depth: int, db: Any) -> None:
    body = '{"username": ' + nested(depth) + ', "password": "x"}'
    answer = api(None).post("/api/v1/auth/token/", body, content_type="application/json")
    assert_error(answer, 400, None, "parse_error")


def test_moderately_nested_json_still_parses(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/", {"units": [["GYG"]]}, format="json"
    )
    assert_error(answer, 400, "units.0")  # the serializer's answer, not the parser's


# --- query parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "who"),
    [
        ("/api/v1/notices/?q=%00", "q", "clerk"),
        ("/api/v1/notices/?q=ab%01c", "q", "clerk"),
        ("/api/v1/people/?unit=%00", "unit", "clerk"),
        ("/api/v1/archive/?issuer=%00", "issuer", "archivist"),
        ("/api/v1/archive/?unit=%00", "unit", "archivist"),
        ("/api/v1/archive/?q=%00", "q", "archivist"),
    ],
)
def test_control_characters_in_query_parameters_are_a_400(
    bureau: Bureau, api: Any, path: str, field: str, who: str
) -> None:
    user = bureau.clerk if who == "clerk" else bureau.archivist
    body = assert_error(api(user).get(path), 400, field, "control_character")
    assert "U+00" in body["detail_en"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/archive/?page=99999999999999999999", "page"),
        ("/api/v1/archive/?page=0", "page"),
        ("/api/v1/archive/?q=abc&year=9223372036854775807", "year"),
        ("/api/v1/archive/?year=%C2%B2", "year"),  # "²" is a digit to str.isdigit()
        ("/api/v1/archive/catalogue.csv?year=99999999999999999999", "year"),
        ("/api/v1/notices/?year=9223372036854775807", "year"),
        ("/api/v1/notices/?year=%C2%B2", "year"),
    ],
)
def test_numbers_out_of_range_are_a_400(bureau: Bureau, api: Any, path: str, field: str) -> None:
    assert_error(api(bureau.archivist).get(path), 400, field, "invalid")


def test_numbers_in_range_still_filter(bureau: Bureau, api: Any) -> None:
    registered_notice(bureau.clerk)
    client = api(bureau.clerk)
    assert client.get("/api/v1/notices/?year=2022").json()["count"] == 1
    assert client.get("/api/v1/notices/?year=2021").json()["count"] == 0
    assert api(bureau.archivist).get("/api/v1/archive/?page=2&year=2022").status_code == 200


# --- request size -------------------------------------------------------------------------------


def test_an_upload_over_the_limit_is_refused_from_content_length_unread(
    bureau: Bureau, api: Any, settings: Any
) -> None:
    notice = registered_notice(bureau.clerk)
    answer, stream = send(
        api(bureau.clerk),
        f"/api/v1/notices/{notice.pk}/attachments/",
        multipart(b"%PDF-1.7 small"),
        f"multipart/form-data; boundary={BOUNDARY}",
        length=1 << 30,  # 1 GiB announced
    )
    body = assert_error(answer, 413, None, "too_large")
    assert body["max_bytes"] == settings.ATTACHMENT_MAX_BYTES + 64 * 1024
    assert stream.bytes_read == 0
    assert not Attachment.objects.exists()


def test_a_json_body_over_the_limit_is_refused_unread(
    bureau: Bureau, api: Any, settings: Any
) -> None:
    answer, stream = send(
        api(bureau.clerk),
        "/api/v1/notices/",
        b"{}",
        "application/json",
        length=settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1,
    )
    assert_error(answer, 413, None, "too_large")
    assert stream.bytes_read == 0


def test_a_real_json_body_over_the_limit_is_a_413(
    bureau: Bureau, api: Any, sample_payload: dict, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = {**sample_payload, "body": "正" * 5_000}  # 15 kB of UTF-8
    answer = api(bureau.clerk).post("/api/v1/notices/", payload, format="json")
    assert_error(answer, 413, None, "too_large")
    assert not Notice.objects.exists()


def test_non_api_paths_get_a_plain_413(client: Client, settings: Any) -> None:
    answer, stream = send(
        client,
        "/admin/login/",
        b"x",
        "application/x-www-form-urlencoded",
        length=settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1,
    )
    assert answer.status_code == 413
    text = answer.content.decode()
    assert "请求内容过大" in text
    assert "too large" in text
    assert stream.bytes_read == 0


def test_a_chunked_body_without_length_is_a_411(bureau: Bureau, api: Any) -> None:
    answer, stream = send(
        api(bureau.clerk),
        "/api/v1/notices/",
        b'{"doc_number": "x"}',
        "application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert_error(answer, 411, None, "length_required")
    assert stream.bytes_read == 0


def test_upload_stops_at_the_attachment_limit_whatever_the_headers_say(
    bureau: Bureau, api: Any, settings: Any, media: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1_000
    notice = registered_notice(bureau.clerk)
    body = multipart(b"A" * 20_000)  # within the multipart allowance of Content-Length
    answer, _stream = send(
        api(bureau.clerk),
        f"/api/v1/notices/{notice.pk}/attachments/",
        body,
        f"multipart/form-data; boundary={BOUNDARY}",
        length=len(body),
    )
    assert_error(answer, 413, "file", "too_large")
    assert not Attachment.objects.exists()
    assert not any(media.rglob("*.*"))


def test_a_recipient_who_may_not_upload_is_refused_before_the_body_is_read(
    bureau: Bureau, api: Any, media: Any
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    body = multipart(b"A" * 1_000_000)
    answer, stream = send(
        api(bureau.person("gyg_1")),
        f"/api/v1/notices/{notice.pk}/attachments/",
        body,
        f"multipart/form-data; boundary={BOUNDARY}",
        length=len(body),
    )
    assert_error(answer, 403, None, "permission_denied")
    assert stream.bytes_read == 0


def test_a_session_recipient_is_refused_before_the_csrf_check_reads_the_form(
    bureau: Bureau, media: Any
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau.person("gyg_1"))
    client.get("/api/v1/notices/")  # a CSRF cookie, as a browser would hold
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else "x" * 32
    client.cookies["csrftoken"] = token
    body = multipart(b"A" * 1_000_000)
    answer, stream = send(
        client,
        f"/api/v1/notices/{notice.pk}/attachments/",
        body,
        f"multipart/form-data; boundary={BOUNDARY}",
        length=len(body),
        HTTP_X_CSRFTOKEN=token,
    )
    assert_error(answer, 403, None, "permission_denied")
    assert stream.bytes_read == 0


def test_the_clerk_still_uploads(bureau: Bureau, api: Any, media: Any) -> None:
    notice = registered_notice(bureau.clerk)
    body = multipart("通知正文".encode(), name="说明.txt")
    answer, _stream = send(
        api(bureau.clerk),
        f"/api/v1/notices/{notice.pk}/attachments/",
        body,
        f"multipart/form-data; boundary={BOUNDARY}",
        length=len(body),
    )
    assert answer.status_code == 201, answer.content


# --- lengths and ranges at creation -------------------------------------------------------------

CREATE_TOO_LONG = [
    ("instruction", "请" * 1_000_000),
    ("instruction", "请" * 2_001),
    ("title", "题" * 301),
    ("issuer", "机" * 201),
    ("doc_type", "通" * 21),
    ("addressees", "各" * 301),
    ("body", "文" * 200_001),
    ("forwards", ["题" * 301]),
]


@pytest.mark.parametrize(("field", "value"), CREATE_TOO_LONG)
def test_texts_over_their_length_are_refused_at_creation(
    bureau: Bureau, api: Any, sample_payload: dict, field: str, value: Any
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, field: value}, format="json"
    )
    body = assert_error(answer, 400, field, "max_length")
    assert "个字符" in body["detail"] or "不能超过" in body["errors"][0]["message"]
    assert not Notice.objects.exists()


def test_the_service_refuses_the_same_texts(bureau: Bureau) -> None:
    """The admin and the commands register through the service: same rule, same message."""
    data = NoticeInput(
        doc_number="舞工信〔2022〕25号",
        title="标题",
        issuer="舞阳县工业和信息化局",
        secrecy="public",
        instruction="请" * 1_000_000,
    )
    with pytest.raises(InvalidInput) as caught:
        register_notice(Actor(bureau.clerk), data)
    assert (caught.value.field, caught.value.code) == ("instruction", "max_length")
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("path", "field", "payload"),
    [
        ("forward/", "instruction", {"units": ["GYG"], "instruction": "请" * 2_001}),
        ("return/", "reason", {"reason": "因" * 501}),
    ],
)
def test_texts_over_their_length_are_refused_later_too(
    bureau: Bureau, api: Any, path: str, field: str, payload: dict
) -> None:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(f"/api/v1/notices/{notice.pk}/{path}", payload, format="json")
    assert_error(answer, 400, field, "max_length")


def test_a_long_comment_is_refused(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    ack = opened_ack(notice, "gyg_1")
    answer = api(bureau.person("gyg_1")).post(
        f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"comment": "学" * 2_001}, format="json"
    )
    assert_error(answer, 400, "comment", "max_length")


@pytest.mark.parametrize("issued_on", ["0001-01-01", "1949-09-30", "9999-12-31"])
def test_issued_on_out_of_range_is_refused(
    bureau: Bureau, api: Any, sample_payload: dict, issued_on: str
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, "issued_on": issued_on}, format="json"
    )
    body = assert_error(answer, 400, "issued_on", "out_of_range")
    assert "1949-10-01" in body["detail"]
    assert not Notice.objects.exists()


@pytest.mark.parametrize("issued_on", ["1949-10-01", "today"])
def test_issued_on_in_range_is_kept(
    bureau: Bureau, api: Any, sample_payload: dict, issued_on: str
) -> None:
    if issued_on == "today":
        issued_on = timezone.localdate().isoformat()
    answer = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, "issued_on": issued_on}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["issued_on"] == issued_on


def test_a_past_deadline_is_refused_at_creation(
    bureau: Bureau, api: Any, sample_payload: dict
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/",
        {**sample_payload, "due_at": "2001-01-01T09:00:00+08:00"},
        format="json",
    )
    assert_error(answer, 400, "due_at", "in_the_past")
    assert not Notice.objects.exists()


def test_a_deadline_years_ahead_is_refused_at_forward(bureau: Bureau, api: Any) -> None:
    notice = registered_notice(bureau.clerk)
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/",
        {"units": ["GYG"], "due_at": "2099-01-01T09:00:00+08:00"},
        format="json",
    )
    assert_error(answer, 400, "due_at", "out_of_range")
    soon = (timezone.now() + timedelta(days=30)).isoformat()
    answer = api(bureau.clerk).post(
        f"/api/v1/notices/{notice.pk}/forward/", {"units": ["GYG"], "due_at": soon}, format="json"
    )
    assert answer.status_code == 200, answer.content


# --- control characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "关于\x00的通知"),
        ("title", "关于\u202e的通知"),  # RIGHT-TO-LEFT OVERRIDE
        ("title", "关于\n的通知"),  # one line only
        ("issuer", "舞阳县\x1b[31m"),
        ("doc_type", "通\x7f知"),
        ("instruction", "请\x07学习"),
        ("body", "正文\x85"),  # C1 NEXT LINE inside the text
        ("body", "正文\u2066隔离"),
        ("forwards", ["国务院\x00意见"]),
        ("doc_number", "舞工信〔2022〕\x0025号"),
    ],
)
def test_control_characters_in_texts_are_refused_naming_the_field(
    bureau: Bureau, api: Any, sample_payload: dict, field: str, value: Any
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/", {**sample_payload, field: value}, format="json"
    )
    body = assert_error(answer, 400, field, "control_character")
    assert "U+" in body["detail"]
    assert not Notice.objects.exists()


def test_multi_line_fields_keep_tabs_and_lines(
    bureau: Bureau, api: Any, sample_payload: dict
) -> None:
    answer = api(bureau.clerk).post(
        "/api/v1/notices/",
        {
            **sample_payload,
            "instruction": "请学习\r\n并\t讨论",
            "body": "\u3000\u3000第一段\r\n\u3000\u3000第二段",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    notice = Notice.objects.get()
    assert notice.instruction == "请学习\n并\t讨论"
    assert notice.body == "\u3000\u3000第一段\n\u3000\u3000第二段"  # indentation kept


@pytest.mark.parametrize(
    ("path", "field", "payload"),
    [
        ("forward/", "units", {"units": ["GYG\x00"]}),
        ("forward/", "people", {"people": ["gyg_1\ud800"]}),
        ("forward/", "instruction", {"units": ["GYG"], "instruction": "请\u202e阅"}),
        ("return/", "reason", {"reason": "误发\x00"}),
        ("archive/", "unit", {"retention": "D30", "unit": "B\x00GS"}),
    ],
)
def test_control_characters_are_refused_later_too(
    bureau: Bureau, api: Any, path: str, field: str, payload: dict
) -> None:
    notice = registered_notice(bureau.clerk)
    user = bureau.archivist if path == "archive/" else bureau.clerk
    answer = api(user).post(
        f"/api/v1/notices/{notice.pk}/{path}",
        json.dumps(payload),
        content_type="application/json",
    )
    assert_error(answer, 400, field, "control_character")


def test_control_characters_in_a_comment_are_refused(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    ack = opened_ack(notice, "gyg_1")
    answer = api(bureau.person("gyg_1")).post(
        f"/api/v1/acknowledgements/{ack.pk}/confirm/", {"comment": "已学习\x00"}, format="json"
    )
    assert_error(answer, 400, "comment", "control_character")


def test_issued_on_rule_is_relative_to_today() -> None:
    from circulation.records.validation import clean_issued_on

    today = date(2030, 6, 1)
    assert clean_issued_on(date(2031, 6, 1), today=today) == date(2031, 6, 1)
    with pytest.raises(InvalidInput):
        clean_issued_on(date(2031, 6, 3), today=today)
