"""The circulation of 舞工信〔2022〕25号 through the API, as clerk and recipients see it."""

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from circulation.records.models import Acknowledgement, AuditEvent
from tests.builders import Bureau
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def login(api: Any, username: str) -> Any:
    response = api().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def ack_id(client: Any) -> int:
    rows = client.get("/api/v1/acknowledgements/").json()["results"]
    assert len(rows) == 1
    return int(rows[0]["id"])


def test_sample_notice_full_circulation(bureau: Bureau, api: Any, sample_payload: dict) -> None:
    clerk = login(api, "clerk")

    # 签收/登记 with a variant number: corrected, explained, numbered.
    created = clerk.post(
        "/api/v1/notices/", {**sample_payload, "doc_number": "舞工信[2022]025号"}, format="json"
    )
    assert created.status_code == 201, created.content
    notice = created.json()
    assert notice["doc_number"] == "舞工信〔2022〕25号"
    assert notice["doc_number_original"] == "舞工信[2022]025号"
    assert {c["code"] for c in notice["corrections"]} >= {"brackets", "leading_zeros"}
    assert (notice["issuer_code"], notice["year"], notice["serial"]) == ("舞工信", 2022, 25)
    assert notice["state"] == "registered"
    assert notice["registration_no"].endswith("0001号")
    assert notice["urgency_label"] == "平件"
    assert notice["handling_label"] == "阅知"
    notice_id = notice["id"]

    # The same document typed canonically is a duplicate naming the first record.
    again = clerk.post("/api/v1/notices/", sample_payload, format="json")
    assert again.status_code == 409
    assert again.json()["existing_id"] == notice_id
    assert again.json()["errors"][0]["field"] == "doc_number"

    upload = SimpleUploadedFile("原文.pdf", MINIMAL_PDF, content_type="application/pdf")
    attached = clerk.post(f"/api/v1/notices/{notice_id}/attachments/", {"file": upload})
    assert attached.status_code == 201, attached.content
    assert attached.json()["sha256"] == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert attached.json()["content_type"] == "application/pdf"

    # 传阅 to a section, an institution and one person; due in 5 working days.
    forwarded = clerk.post(
        f"/api/v1/notices/{notice_id}/forward/",
        {
            "units": ["GYG", "ZXFW"],
            "people": ["bgs_1"],
            "due_working_days": 5,
            "instruction": "请认真学习",
        },
        format="json",
    )
    assert forwarded.status_code == 200, forwarded.content
    assert forwarded.json()["state"] == "circulating"
    assert forwarded.json()["recipients_added"] == 9  # 2 units × (head + 3) + bgs_1
    assert forwarded.json()["due_at"]

    # 补发: only the new person is added.
    more = clerk.post(
        f"/api/v1/notices/{notice_id}/forward/",
        {"units": ["GYG"], "people": ["bgs_1", "bgs_2"]},
        format="json",
    )
    assert more.json()["recipients_added"] == 1

    # A recipient: confirm before opening is refused; open, confirm, confirm again.
    staff = login(api, "gyg_1")
    ack = ack_id(staff)
    early = staff.post(f"/api/v1/acknowledgements/{ack}/confirm/", {}, format="json")
    assert early.status_code == 409
    assert early.json()["code"] == "not_opened"
    assert staff.post(f"/api/v1/acknowledgements/{ack}/read/").json()["state"] == "read"
    confirmed = staff.post(
        f"/api/v1/acknowledgements/{ack}/confirm/",
        {"comment": "已认真学习，抓好落实。"},
        format="json",
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["confirm_method"] == "token"
    assert confirmed.json()["doc_number"] == "舞工信〔2022〕25号"
    assert confirmed.json()["instruction"] == "请认真学习"
    events_before = AuditEvent.objects.count()
    repeat = staff.post(f"/api/v1/acknowledgements/{ack}/confirm/", {"comment": "x"}, format="json")
    assert repeat.status_code == 200
    assert repeat.json()["comment"] == "已认真学习，抓好落实。"
    assert AuditEvent.objects.count() == events_before

    detail = clerk.get(f"/api/v1/notices/{notice_id}/").json()
    assert detail["progress"] | {} == {
        "total": 10,
        "pending": 9,
        "read": 0,
        "confirmed": 1,
        "returned": 0,
        "cancelled": 0,
        "overdue": 0,
    }
    gyg = next(row for row in detail["progress_by_unit"] if row["unit"] == "GYG")
    assert (gyg["total"], gyg["confirmed"]) == (4, 1)

    # bgs_2 was sent it by mistake and returns it; everyone else confirms.
    mistaken = login(api, "bgs_2")
    returned = mistaken.post(
        f"/api/v1/acknowledgements/{ack_id(mistaken)}/return/", {"reason": "误发"}, format="json"
    )
    assert returned.json()["state"] == "returned"
    others = Acknowledgement.objects.filter(notice_id=notice_id, state="pending")
    for username in others.values_list("person__username", flat=True):
        client = login(api, username)
        own = ack_id(client)
        client.post(f"/api/v1/acknowledgements/{own}/read/")
        assert (
            client.post(f"/api/v1/acknowledgements/{own}/confirm/", {}, format="json").status_code
            == 200
        )

    final = clerk.get(f"/api/v1/notices/{notice_id}/").json()
    assert final["state"] == "completed"
    assert final["progress"]["confirmed"] == 9
    assert final["progress"]["returned"] == 1

    history = clerk.get(f"/api/v1/notices/{notice_id}/history/").json()["results"]
    actions = [event["action"] for event in history]
    assert actions[:4] == [
        "notice.received",
        "notice.registered",
        "notice.attachment_added",
        "notice.forwarded",
    ]
    assert actions.count("notice.forwarded") == 2
    assert actions.count("ack.confirmed") == 9
    assert actions.count("ack.returned") == 1
    assert actions[-1] == "notice.completed"
    assert all(event["prev_hash"] for event in history)
    assert api(bureau.archivist).get("/api/v1/audit/verify/").json() == {
        "ok": True,
        "events_checked": AuditEvent.objects.count(),
    }
