"""POST /api/v1/notices/extract/: a file or text in, the fields out, nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from circulation.records.models import AuditEvent, Notice, Person
from tests.builders import Bureau
from tests.intake import builders

URL = "/api/v1/notices/extract/"
pytestmark = pytest.mark.django_db

Api = Callable[[Person | None], APIClient]


def upload(client: APIClient, name: str, data: bytes) -> Any:
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


@pytest.mark.parametrize("kind", ["txt", "gbk", "docx", "pdf", "ofd"])
def test_a_clerk_extracts_the_sample_from_a_file(bureau: Bureau, api: Api, kind: str) -> None:
    name, data = builders.build(kind, builders.sample_lines())
    response = upload(api(bureau.clerk), name, data)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["complete"] is True
    assert body["missing"] == []
    fields = body["fields"]
    assert fields["doc_number"]["value"] == "舞工信〔2022〕25号"
    assert fields["doc_number"]["confidence"] == "high"
    assert isinstance(fields["doc_number"]["line"], int)
    assert fields["addressees"]["unit_kinds"] == ["section", "institution"]
    assert body["notice"]["title"].endswith("的通知")
    assert body["source"]["format"] == ("txt" if kind == "gbk" else kind)
    assert Notice.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_the_answer_registers_as_is(bureau: Bureau, api: Api) -> None:
    """The ``notice`` part plus the clerk's 密级 is a valid registration."""
    client = api(bureau.clerk)
    lines = builders.notice_lines(number="舞工信[2022]25号")
    extracted = upload(client, "n.docx", builders.docx(lines)).json()
    created = client.post(
        "/api/v1/notices/", {**extracted["notice"], "secrecy": "内部"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["doc_number"] == "舞工信〔2022〕25号"
    assert [c["code"] for c in created.json()["corrections"]] == ["brackets"]


def test_pasted_text_with_units_of_the_organisation(bureau: Bureau, api: Api) -> None:
    text = "\n".join(builders.notice_lines(addressees="工业股、县中小企业服务中心："))
    client = api(bureau.clerk)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, {"text": text}, format="json")
    assert response.status_code == 200
    assert response.json()["fields"]["addressees"]["units"] == ["GYG", "ZXFW"]
    # Token, user and permission look-ups, then one query for the units; nothing written but
    # the token's last use (knox).
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert all("knox_authtoken" in sql for sql in writes), writes
    assert sum("records_unit" in q["sql"] for q in queries) == 1


def test_a_document_without_number_or_title_is_a_draft(bureau: Bureau, api: Api) -> None:
    response = api(bureau.clerk).post(URL, {"text": "各位：\n请按时参加会议。"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["complete"] is False
    assert {m["field"] for m in body["missing"]} == {"doc_number", "title", "issuer"}


def test_staff_may_not_extract(bureau: Bureau, api: Api) -> None:
    staff = bureau.person("gyg_1")
    response = upload(api(staff), "n.txt", builders.txt(builders.notice_lines()))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(db: Any) -> None:
    response = APIClient().post(URL, {"text": "x"}, format="json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.txt", b"", "empty"),
        ("junk.txt", bytes(range(256)) * 20, "not_text"),
        (
            "mixed.txt",
            "舞阳县工业和信息化局文件\n".encode()
            + "舞工信〔2022〕25号\n关于开会的通知\n".encode("gbk"),
            "mixed_encodings",
        ),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "unsupported_format"),
    ],
)
def test_bad_files_are_a_bilingual_400(
    bureau: Bureau, api: Api, name: str, data: bytes, code: str
) -> None:
    response = upload(api(bureau.clerk), name, data)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    assert body["detail_en"]
    assert body["errors"][0]["field"] == "file"


def test_bad_zip_members_are_a_400(bureau: Bureau, api: Api) -> None:
    data = builders.ofd(builders.notice_lines(), extra_members={"../../evil.xml": b"<x/>"})
    response = upload(api(bureau.clerk), "n.ofd", data)
    assert response.status_code == 400
    assert response.json()["code"] == "zip_unsafe_name"


def test_nothing_sent_and_bad_text(bureau: Bureau, api: Api) -> None:
    client = api(bureau.clerk)
    nothing = client.post(URL, {}, format="json")
    assert nothing.status_code == 400
    assert nothing.json()["errors"][0]["field"] == "file"
    blank = client.post(URL, {"text": "   "}, format="json")
    assert blank.status_code == 400
    assert blank.json()["errors"][0]["field"] == "text"
    control = client.post(URL, {"text": "关于\x00开会的通知"}, format="json")
    assert control.status_code == 400
    wrong_type = client.post(URL, {"text": ["a", "b"]}, format="json")
    assert wrong_type.status_code == 400


def test_a_file_over_the_attachment_limit(bureau: Bureau, api: Api, settings: Any) -> None:
    data = builders.txt(builders.sample_lines())
    settings.ATTACHMENT_MAX_BYTES = len(data) - 10
    response = upload(api(bureau.clerk), "big.txt", data)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    bureau: Bureau, api: Api, settings: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    client = api(bureau.clerk)
    response = client.generic(
        "POST", URL, b"x" * 10, CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(1000 + 64 * 1024 + 1),
    )  # fmt: skip
    assert response.status_code == 413


def test_the_schema_documents_the_endpoint(db: Any) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/notices/extract/"]["post"]
    assert set(operation["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert "200" in operation["responses"]


def test_pasted_text_keeps_the_ordinary_body_limit(bureau: Bureau, api: Api) -> None:
    text = "关于开会的通知\n" * 300_000  # about 6 MiB of JSON, over the 4 MiB of a plain body
    response = api(bureau.clerk).post(URL, {"text": text}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
