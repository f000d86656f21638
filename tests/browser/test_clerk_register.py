"""The clerk's morning in a real browser: register 舞工信[2022]25号 and see it corrected as it is
typed, attach a PDF (progress and the content check's verdict), forward it to all 股室 with 5
working days and see the date live. Accessible (axe) on every page state, phone and desktop."""

import hashlib
import io
from typing import Any

import pikepdf
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from circulation.records.models import Acknowledgement, Attachment, Notice
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
from workflows.calendar import add_working_days

pytestmark = pytest.mark.django_db(transaction=True)


def _pdf() -> bytes:
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _both_sizes(page: Page, name: str) -> None:
    """axe on the page as it is, then a screenshot on a phone and on a desktop."""
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    screenshot(page, f"{name}-desktop")


def test_the_clerk_registers_attaches_and_forwards_the_sample_notice(
    watched_page: WatchedPage, bureau: Bureau, media: Any
) -> None:
    bureau.clerk.set_password(PASSWORD)
    bureau.clerk.save()
    page = watched_page.page
    page.set_viewport_size(DESKTOP)
    sign_in(page, "clerk")
    page.get_by_role("link", name="登记收文").click()
    page.get_by_role("heading", name="登记收文").wait_for()

    # 发文字号 typed as a variant, corrected as it is typed.
    page.get_by_label("发文字号").press_sequentially("舞工信[2022]25号", delay=20)
    check = page.locator("#doc-number-check")
    expect(check).to_contain_text("规范写法：舞工信〔2022〕25号")
    expect(check).to_contain_text('将"[2022]"中的括号改为六角括号"〔〕"')
    page.get_by_label("标题").fill(
        "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"
    )
    page.get_by_label("发文机关").fill("舞阳县工业和信息化局")
    page.get_by_label("文种").fill("通知")

    # 密级: a classified level is explained before anything is sent.
    page.get_by_label("密级").select_option("秘密")
    expect(page.locator("#secrecy-reason.refused")).to_contain_text("不得在本系统登记和传阅")
    _both_sizes(page, "register")
    page.get_by_label("密级").select_option("public")
    expect(page.locator("#secrecy-reason.refused")).to_have_count(0)
    page.get_by_role("button", name="签收并登记").click()

    # 附件: the file input (what a drop hands over too), progress to the end, the verdict.
    page.get_by_role("heading", name="上传附件").wait_for()
    notice = Notice.objects.get()
    assert notice.doc_number == "舞工信〔2022〕25号"
    pdf = _pdf()
    page.locator("#attachment-input").set_input_files(
        files=[{"name": "数字政府指导意见.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    upload = page.locator(".upload.done")
    expect(upload).to_contain_text("上传完成")
    expect(upload).to_contain_text("内容检查通过")
    expect(upload).to_contain_text("PDF (application/pdf)")
    expect(upload).to_contain_text(hashlib.sha256(pdf).hexdigest())
    assert upload.locator("progress").evaluate("bar => bar.value") == 100
    assert Attachment.objects.get(notice=notice).sha256 == hashlib.sha256(pdf).hexdigest()
    # A file the content check refuses: the service's reason, nothing stored.
    page.locator("#attachment-input").set_input_files(
        files=[{"name": "空白.pdf", "mimeType": "application/pdf", "buffer": b""}]
    )
    refused = page.locator(".upload.refused")
    expect(refused).to_contain_text("未上传")
    expect(refused).to_contain_text("文件是空的（0 字节），请检查后重新选择文件。")
    assert Attachment.objects.filter(notice=notice).count() == 1
    _both_sizes(page, "register-attachments")

    # 传阅: all 股室, 5 working days, the date shown live exactly as the service will count it.
    page.get_by_role("link", name="下一步：传阅").click()
    page.get_by_role("heading", name=f"传阅：{notice.title}").wait_for()
    page.get_by_label("全部股室").check()
    expect(page.get_by_label("办公室")).to_be_checked()
    expect(page.get_by_label("工业股")).to_be_checked()
    expect(page.get_by_label("县中小企业服务中心")).not_to_be_checked()
    page.get_by_label("办理时限：工作日天数").fill("5")
    due = timezone.localtime(add_working_days(timezone.now(), 5).due_at)
    expect(page.locator("#deadline-result")).to_contain_text(f"5 个工作日后：{due:%Y-%m-%d %H:%M}")
    page.get_by_label("按姓名或拼音首字母查找").fill("lda")
    page.get_by_label("李档案").check()  # found by pinyin initials, moved to 已选人员
    expect(page.locator("#chosen-people")).to_contain_text("李档案")
    page.get_by_label("传阅要求").fill("请各股室认真学习")
    _both_sizes(page, "forward")
    page.get_by_role("button", name="传阅", exact=True).click()

    page.get_by_role("heading", name="已传阅").wait_for()
    expect(page.locator("main")).to_contain_text("新增接收人 10 位")
    expect(page.locator("main")).to_contain_text(f"{due:%Y-%m-%d %H:%M}")
    assert Acknowledgement.objects.filter(notice=notice).count() == 10
    _both_sizes(page, "forward-done")
    # No CSP refusal, no script error: the console's only errors are Chromium's notes of the
    # refused upload's 400 (and of its own /favicon.ico probe, which the pages do not link).
    failed_loads = {
        message.location["url"].removeprefix(page.url.split("/notices/")[0])
        for message in watched_page.console
        if message.type == "error" and message.text.startswith("Failed to load resource")
    }
    assert failed_loads <= {f"/api/v1/notices/{notice.pk}/attachments/", "/favicon.ico"}
    assert f"/api/v1/notices/{notice.pk}/attachments/" in failed_loads
    assert [
        error for error in watched_page.errors() if not error.startswith("Failed to load resource")
    ] == []
