"""从文件导入 in a real browser: the clerk drops the sample DOCX (舞工信〔2022〕25号) on the
register page, sees every field filled and marked with its confidence and line, chooses the
密级 the document does not mark, registers it, and finds the file as the first attachment.
Accessible (axe) on the imported state, phone and desktop."""

from typing import Any

import pytest
from playwright.sync_api import expect

from circulation.records.models import Notice
from tests.browser.builders import (
    DESKTOP,
    PASSWORD,
    PHONE,
    WatchedPage,
    assert_accessible,
    screenshot,
    sign_in,
)
from tests.builders import Bureau
from tests.intake import builders

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_the_clerk_imports_the_sample_docx_and_registers_it(
    watched_page: WatchedPage, bureau: Bureau, media: Any
) -> None:
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    page = watched_page.page
    page.set_viewport_size(DESKTOP)
    sign_in(page, "clerk")
    page.goto("/register/")
    page.get_by_role("heading", name="从文件导入").wait_for()

    data = builders.docx(builders.sample_lines())
    page.get_by_label("公文文件").set_input_files(
        files=[{"name": "舞工信〔2022〕25号.docx", "mimeType": DOCX, "buffer": data}]
    )
    page.get_by_role("button", name="识别并填入").click()

    expect(page.locator("#import-summary")).to_contain_text("已识别“舞工信〔2022〕25号.docx”")
    expect(page.get_by_label("标题")).to_have_value(TITLE)
    expect(page.get_by_label("发文字号")).to_have_value("舞工信〔2022〕25号")
    expect(page.get_by_label("发文机关")).to_have_value("舞阳县工业和信息化局")
    expect(page.get_by_label("主送机关")).to_have_value("各股室、二级机构")
    expect(page.get_by_label("转发文件")).to_have_value("国务院关于加强数字政府建设的指导意见")
    expect(page.get_by_label("文种")).to_have_value("通知")
    # Each field says how sure it is, in words, and where it came from.
    expect(page.locator("#id_title_confidence")).to_contain_text("可信度高")
    expect(page.locator("#id_doc_number_confidence")).to_contain_text("来自第 5 行")
    expect(page.locator("#id_secrecy_confidence")).to_contain_text("文件未标注，请选择")
    expect(page.locator("#import-summary")).to_contain_text("全部股室、全部二级机构")
    # The live 发文字号 check ran on its own when the form came back.
    expect(page.locator("#doc-number-check")).to_contain_text("规范写法：舞工信〔2022〕25号")
    expect(page.locator("#import-file-note")).to_contain_text("将作为第一个附件保存")

    page.set_viewport_size(PHONE)
    assert_accessible(page)
    screenshot(page, "register-import-phone")
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    screenshot(page, "register-import-desktop")

    page.get_by_label("密级").select_option("public")
    page.get_by_role("button", name="签收并登记").click()
    page.get_by_role("heading", name="上传附件").wait_for()
    expect(page.locator(".attachment-list")).to_contain_text("舞工信〔2022〕25号.docx")

    notice = Notice.objects.get()
    assert notice.doc_number == "舞工信〔2022〕25号"
    assert notice.title == TITLE
    assert notice.secrecy == "public"
    assert notice.addressees == "各股室、二级机构"
    assert notice.forwards == ["国务院关于加强数字政府建设的指导意见"]
    assert "加强数字政府建设是适应新一轮科技革命" in notice.body
    attachment = notice.attachments.get()
    assert attachment.extension == "docx"
    assert attachment.size == len(data)
    assert watched_page.errors() == []  # no CSP refusal, no script error
