"""The QR verify page (``/records/<id>/verify/``) in a real browser: a staff member of the
organisation (not a clerk or archivist) follows the link from the record's QR code, signs in
through the normal web sign-in and lands on the page, which says whether the stored file is
intact, the 档号 and the sealed SHA-256 once archived with the last stored full check ("verify
now" runs one), and whether a newer record exists; a person of another organisation gets 404.
axe on each state, screenshots on phone and desktop."""

from typing import Any

import pytest
from playwright.sync_api import Page

from circulation.ackrecord.models import RecordRendition
from circulation.ackrecord.renditions import current_record
from circulation.records.actors import Actor
from circulation.records.models import Person
from circulation.records.roles import STAFF
from tests.archive.builders import completed_notice
from tests.browser.builders import PASSWORD, PHONE, WatchedPage
from tests.browser.test_archivist import both_sizes, with_password
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.helpers import circulating_notice, opened_ack
from workflows.services import archiving
from workflows.services.acknowledging import confirm_acknowledgement

pytestmark = pytest.mark.django_db(transaction=True)


def follow_link_and_sign_in(page: Page, url: str, username: str) -> None:
    """Open the QR code's link signed out: the normal sign-in page, then back to the link."""
    page.goto(url)
    page.wait_for_url(lambda u: "/signin/" in u)
    assert "next=" in page.url
    assert "/admin/" not in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda u: u.endswith(url))


def test_staff_verify_an_archived_record_from_its_qr_link(
    watched_page: WatchedPage, bureau: Bureau, media: Any
) -> None:
    notice = completed_notice(bureau)
    record = archiving.archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    frozen = RecordRendition.objects.get(notice=notice, frozen=True)
    staff = with_password(bureau.person("gyg_2"))
    assert not staff.has_perm("records.view_all_notices")  # neither clerk nor archivist
    page = watched_page.page
    page.set_viewport_size(PHONE)

    follow_link_and_sign_in(page, f"/records/{frozen.pk}/verify/", staff.username)
    text = page.locator("body").inner_text()
    assert "存档文件完整" in text
    assert "尚未做过完整校验" in text  # opening the page runs no full check
    page.get_by_role("button", name="立即校验").click()
    page.wait_for_url(lambda u: u.endswith(f"/records/{frozen.pk}/verify/"))
    text = page.locator("body").inner_text()
    assert "归档文件完整" in text
    assert staff.display_name in text  # who checked, and when
    assert "此确认单已被更新的确认单取代" not in text
    assert record.archival_code in text
    assert record.record_sha256 in text
    assert notice.doc_number in text
    assert "更新的确认单" not in text
    both_sizes(page, "record-verify")
    assert watched_page.errors() == []


def test_a_superseded_record_says_a_newer_one_exists(
    watched_page: WatchedPage, bureau: Bureau, media: Any
) -> None:
    """A record printed while the notice circulated, then changed by a confirmation."""
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    first = current_record(notice)
    confirm_acknowledgement(Actor(ack.person), ack.pk, comment="已学习")
    newer = current_record(notice)
    assert newer.pk != first.pk
    staff = with_password(bureau.person("gyg_3"))
    page = watched_page.page
    page.set_viewport_size(PHONE)

    follow_link_and_sign_in(page, f"/records/{newer.pk}/verify/", staff.username)
    assert "存档文件完整" in page.locator("body").inner_text()
    assert "更新的确认单" not in page.locator("body").inner_text()
    response = page.goto(f"/records/{first.pk}/verify/")
    assert response is not None
    assert response.status == 200, f"the superseded record's link answered {response.status}"
    text = page.locator("body").inner_text()
    assert "此确认单已被更新的确认单取代" in text
    assert notice.doc_number in text
    both_sizes(page, "record-verify-superseded")
    page.get_by_role("link", name="核验现行确认单").click()
    page.wait_for_url(lambda u: u.endswith(f"/records/{newer.pk}/verify/"))
    assert "存档文件完整" in page.locator("body").inner_text()
    assert watched_page.errors() == []


def test_another_organisation_gets_404(
    watched_page: WatchedPage, bureau: Bureau, media: Any
) -> None:
    notice = circulating_notice(bureau.clerk)
    ack = opened_ack(notice, "gyg_1")
    rendition = current_record(notice)
    other: Person = PersonFactory(
        username="jyj_1",
        organisation=OrganisationFactory(name="舞阳县教育局", fonds_code="Z110"),
        roles=[STAFF],
    )
    with_password(other)
    page = watched_page.page
    page.set_viewport_size(PHONE)
    follow_link_and_sign_in(page, f"/records/{rendition.pk}/verify/", other.username)
    assert notice.doc_number not in page.content()
    response = page.goto(f"/records/{rendition.pk}/verify/")
    assert response is not None
    assert response.status == 404
    assert notice.doc_number not in page.content()
    # nor does a superseded record of that notice say anything to them
    confirm_acknowledgement(Actor(ack.person), ack.pk, comment="已学习")
    assert current_record(notice).pk != rendition.pk
    response = page.goto(f"/records/{rendition.pk}/verify/")
    assert response is not None
    assert response.status == 404
    assert notice.doc_number not in page.content()
