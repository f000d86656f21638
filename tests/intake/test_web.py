"""The register page's 从文件导入: pre-filled, marked by confidence, the file kept on register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from circulation.records.models import Notice, Person
from tests.builders import Bureau
from tests.intake import builders

pytestmark = pytest.mark.django_db


def signed_in(person: Person, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def import_file(client: Client, kind: str, lines: list[str] | None = None, **headers: Any) -> Any:
    name, data = builders.build(kind, lines or builders.sample_lines())
    return client.post(
        "/register/import/", {"file": SimpleUploadedFile(name, data)}, headers=headers
    )


def test_the_register_page_offers_the_import(bureau: Bureau) -> None:
    page = signed_in(bureau.clerk).get("/register/").content.decode()
    assert "从文件导入" in page
    assert 'hx-post="/register/import/"' in page
    assert 'hx-encoding="multipart/form-data"' in page


def test_a_docx_prefills_the_form_with_confidence_in_words(bureau: Bureau, media: Path) -> None:
    answer = import_file(signed_in(bureau.clerk), "docx")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'value="舞工信〔2022〕25号"' in page
    assert 'value="舞阳县工业和信息化局"' in page
    assert "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知" in page
    assert 'value="各股室、二级机构"' in page
    assert "国务院关于加强数字政府建设的指导意见</textarea>" in page  # 转发文件
    assert "可信度高" in page
    assert "来自第 5 行" in page
    assert "文件未标注，请选择" in page  # 密级: not in the document, not guessed
    assert "全部股室、全部二级机构" in page
    assert 'name="import_token"' in page
    assert "将作为第一个附件保存" in page
    assert 'aria-describedby="id_title_confidence"' in page
    assert Notice.objects.count() == 0


def test_registering_keeps_the_file_as_the_first_attachment(bureau: Bureau, media: Path) -> None:
    client = signed_in(bureau.clerk)
    page = import_file(client, "docx").content.decode()
    token = page.split('name="import_token" value="', 1)[1].split('"', 1)[0]
    form = {
        "doc_number": "舞工信〔2022〕25号",
        "title": "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知",
        "issuer": "舞阳县工业和信息化局",
        "secrecy": "internal",
        "urgency": "normal",
        "handling": "read",
        "import_token": token,
    }
    answer = client.post("/register/", form)
    notice = Notice.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/register/{notice.pk}/attachments/"
    attachment = notice.attachments.get()
    assert attachment.extension == "docx"
    assert attachment.original_name == "notice.docx"
    assert not list((media / "intake-staging").iterdir())  # the staged copy is gone
    attachments_page = client.get(answer["Location"]).content.decode()
    assert "notice.docx" in attachments_page


def test_a_token_of_another_session_attaches_nothing(bureau: Bureau, media: Path) -> None:
    page = import_file(signed_in(bureau.clerk), "txt").content.decode()
    token = page.split('name="import_token" value="', 1)[1].split('"', 1)[0]
    other = signed_in(bureau.clerk)  # a second browser of the same clerk
    form = {
        "doc_number": "舞工信〔2022〕25号",
        "title": "关于开会的通知",
        "issuer": "舞阳县工业和信息化局",
        "secrecy": "internal",
        "urgency": "normal",
        "handling": "read",
        "import_token": token,
    }
    answer = other.post("/register/", form, follow=True)
    assert Notice.objects.get().attachments.count() == 0
    assert "导入的文件已不在" in answer.content.decode()  # said, not silently dropped


def test_pasted_text_with_a_bracket_variant_and_missing_parts(bureau: Bureau, media: Path) -> None:
    text = "\n".join(builders.notice_lines(number="舞工信【2022】025号", issuer_mark=None))
    page = signed_in(bureau.clerk).post("/register/import/", {"text": text}).content.decode()
    assert 'value="舞工信【2022】025号"' in page  # as typed; the live check explains it on load
    assert "keyup changed delay:400ms, change, load" in page
    assert "可信度中，请核对" in page  # the issuer from the title
    assert 'name="import_token"' not in page


def test_a_draft_says_what_is_missing(bureau: Bureau, media: Path) -> None:
    page = (
        signed_in(bureau.clerk)
        .post("/register/import/", {"text": "各位：\n请按时参加会议。"})
        .content.decode()
    )
    assert "未能识别，请补全后登记：发文字号、标题、发文机关" in page
    assert page.count("未识别，请填写") == 3
    assert page.count("未识别，可补填") == 2  # 文种 and 成文日期
    assert 'value="各位"' in page  # the 主送机关, read from “各位：”


def test_a_bad_file_is_said_in_the_page_language(bureau: Bureau, media: Path) -> None:
    data = bytes(range(256)) * 10
    upload = {"file": SimpleUploadedFile("junk.txt", data)}
    answer = signed_in(bureau.clerk).post("/register/import/", upload)
    assert answer.status_code == 400
    assert "文件内容不是文本" in answer.content.decode()
    upload = {"file": SimpleUploadedFile("junk.txt", data)}
    english = signed_in(bureau.clerk, "en").post(
        "/register/import/", upload, headers={"HX-Request": "true"}
    )
    assert english.status_code == 200  # htmx swaps only a 2xx
    assert "The file is not text" in english.content.decode()
    assert Notice.objects.count() == 0


def test_nothing_sent(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk).post("/register/import/", {"text": "  "})
    assert answer.status_code == 400
    assert "请选择文件或粘贴文字" in answer.content.decode()


def test_the_english_page_marks_fields_in_english(bureau: Bureau, media: Path) -> None:
    page = import_file(signed_in(bureau.clerk, "en"), "ofd").content.decode()
    assert "Import from a file" in page
    assert "high confidence" in page
    assert "from line" in page
    assert "Document number (line" in page


def test_staff_may_not_import(bureau: Bureau) -> None:
    staff = bureau.person("gyg_1")
    answer = signed_in(staff).post("/register/import/", {"text": "x"})
    assert answer.status_code == 403
    assert signed_in(staff).get("/register/import/").status_code in (403, 405)


def test_the_csrf_check_still_applies(bureau: Bureau) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau.clerk)
    assert client.post("/register/import/", {"text": "关于开会的通知"}).status_code == 403


def test_the_attachments_step_names_the_units_the_addressees_mean(
    bureau: Bureau, media: Path
) -> None:
    from tests.helpers import registered_notice

    notice = registered_notice(bureau.clerk)
    Notice.objects.filter(pk=notice.pk).update(addressees="各股室、县中小企业服务中心")
    page = signed_in(bureau.clerk).get(f"/register/{notice.pk}/attachments/").content.decode()
    assert "传阅时可选：全部股室、县中小企业服务中心" in page
