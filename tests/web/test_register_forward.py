"""The clerk's register and forward pages: the 发文字号 checked as it is typed, 密级 refusals,
the attachments step, forwarding with a live deadline, people found by pinyin initials, 补发."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from circulation.records.models import (
    Acknowledgement,
    Membership,
    Notice,
    Organisation,
    Person,
    Unit,
    UnitKind,
)
from tests.builders import SAMPLE, Bureau
from tests.factories import OrganisationFactory, PersonFactory, unit_with_staff
from tests.helpers import circulating_notice, registered_notice

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 舞工信〔2022〕25号 was registered on Thursday 2022-09-29, just before 国庆.
SAMPLE_DAY = datetime(2022, 9, 29, 10, 0, tzinfo=SHANGHAI)


def signed_in(person: Person, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def register_form(**changes: Any) -> dict[str, Any]:
    form = {key: value for key, value in SAMPLE.items() if key not in {"forwards", "issued_on"}}
    form.update(forwards="国务院关于加强数字政府建设的指导意见", issued_on="2022-09-29")
    form.update(changes)
    return form


# --- 发文字号 checked as it is typed ------------------------------------------------------------


def test_the_number_check_shows_the_normalised_form_and_each_correction(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk).get(
        "/register/check-number/", {"doc_number": "舞工信[2022]25号"}
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "舞工信〔2022〕25号" in page
    assert "已自动更正 1 处" in page
    assert "将&quot;[2022]&quot;中的括号改为六角括号&quot;〔〕&quot;" in page

    several = signed_in(bureau.clerk).get(
        "/register/check-number/", {"doc_number": "舞工信（2022）第025"}
    )
    text = several.content.decode()
    assert "舞工信〔2022〕25号" in text
    assert "已自动更正 4 处" in text
    assert "去掉序号前的&quot;第&quot;字" in text
    assert "在序号后补上&quot;号&quot;字" in text


def test_the_number_check_explains_in_english(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk, "en").get(
        "/register/check-number/", {"doc_number": "舞工信[2022]25号"}
    )
    assert "Changed the brackets in &quot;[2022]&quot;" in answer.content.decode()


def test_the_number_check_says_why_a_number_cannot_be_read(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk).get("/register/check-number/", {"doc_number": "舞工信25号"})
    page = answer.content.decode()
    assert "无法识别" in page
    assert "没有用括号括起的年份" in page


def test_a_duplicate_names_the_existing_registration_with_a_link(bureau: Bureau) -> None:
    existing = registered_notice(bureau.clerk)
    answer = signed_in(bureau.clerk).get(
        "/register/check-number/", {"doc_number": "舞工信【2022】025号"}
    )
    page = answer.content.decode()
    assert f"已登记：{existing.registration_no}" in page
    assert existing.title in page
    assert f'href="/notices/{existing.pk}/"' in page


def test_the_register_page_has_the_live_check_and_the_secrecy_reason(bureau: Bureau) -> None:
    page = signed_in(bureau.clerk).get("/register/").content.decode()
    assert 'hx-get="/register/check-number/"' in page
    assert 'hx-trigger="keyup changed delay:400ms, change"' in page
    assert "涉密文件（秘密、机密、绝密）不得在本系统登记和传阅" in page
    assert "style=" not in page
    assert "<script>" not in page


@pytest.mark.parametrize("level", ["秘密", "机密", "绝密"])
def test_classified_levels_are_refused_with_the_reason(bureau: Bureau, level: str) -> None:
    answer = signed_in(bureau.clerk).post("/register/", register_form(secrecy=level))
    page = answer.content.decode()
    assert answer.status_code == 400
    assert 'id="id_secrecy_error"' in page
    assert (
        "涉密文件（秘密、机密、绝密）不得在本系统登记和传阅，请按涉密文件管理规定线下办理" in page
    )
    assert not Notice.objects.exists()


def test_registering_normalises_the_number_and_leads_to_the_attachments(bureau: Bureau) -> None:
    client = signed_in(bureau.clerk)
    answer = client.post("/register/", register_form(doc_number="舞工信[2022]25号"))
    notice = Notice.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/register/{notice.pk}/attachments/"
    assert notice.doc_number == "舞工信〔2022〕25号"
    assert notice.doc_number_original == "舞工信[2022]25号"
    assert notice.forwards == ["国务院关于加强数字政府建设的指导意见"]

    step = client.get(answer["Location"]).content.decode()
    assert notice.registration_no in step
    assert f'data-upload-url="/api/v1/notices/{notice.pk}/attachments/"' in step
    assert 'type="file"' in step
    assert f'href="/notices/{notice.pk}/forward/"' in step


def test_registering_a_duplicate_is_refused_at_the_number_with_a_link(bureau: Bureau) -> None:
    existing = registered_notice(bureau.clerk)
    answer = signed_in(bureau.clerk, "en").post(
        "/register/", register_form(doc_number="舞工信〔2022〕第25号")
    )
    page = answer.content.decode()
    assert answer.status_code == 400
    assert f"This document is already registered as {existing.registration_no}" in page
    assert f'href="/notices/{existing.pk}/"' in page
    assert Notice.objects.count() == 1


def test_a_text_rule_of_the_service_is_shown_at_its_field(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk).post("/register/", register_form(title="标题\u202e反转"))
    page = answer.content.decode()
    assert answer.status_code == 400
    assert 'id="id_title_error"' in page
    assert "U+202E" in page


def test_staff_may_not_register_and_another_organisations_notice_is_404(bureau: Bureau) -> None:
    staff = bureau.person("gyg_1")
    assert signed_in(staff).get("/register/").status_code == 403
    assert signed_in(staff).get("/register/check-number/?doc_number=x").status_code == 403
    other_org = OrganisationFactory(name="舞阳县教育局")
    other_clerk = PersonFactory(username="other_clerk", organisation=other_org, roles=["clerk"])
    notice = registered_notice(bureau.clerk)
    assert signed_in(other_clerk).get(f"/register/{notice.pk}/attachments/").status_code == 404
    assert signed_in(other_clerk).get(f"/notices/{notice.pk}/forward/").status_code == 404
    assert signed_in(staff).get(f"/notices/{notice.pk}/forward/").status_code == 403


def test_the_pages_need_sign_in(bureau: Bureau) -> None:
    for url in ("/register/", "/forward/people/?q=w", "/forward/deadline/?days=5"):
        answer = Client().get(url)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/signin/")


# --- 传阅 -------------------------------------------------------------------------------------


def test_forwarding_to_all_sections_with_five_working_days_shows_the_date(bureau: Bureau) -> None:
    with time_machine.travel(SAMPLE_DAY, tick=False):
        notice = registered_notice(bureau.clerk)
        client = signed_in(bureau.clerk)
        page = client.get(f"/notices/{notice.pk}/forward/").content.decode()
        assert "全部股室" in page
        assert "全部二级机构" in page
        assert "县中小企业服务中心" in page  # an 二级机构, grouped under its kind

        live = client.get("/forward/deadline/", {"days": "5"}).content.decode()
        assert "2022-10-11 17:30" in live  # 国庆 skipped, as the forward service counts

        answer = client.post(
            f"/notices/{notice.pk}/forward/",
            {"all_kind": "section", "due_working_days": "5", "instruction": "请认真学习"},
        )
    done = answer.content.decode()
    assert answer.status_code == 200
    sections = Unit.objects.filter(kind=UnitKind.SECTION)
    expected = Person.objects.filter(units__in=sections).distinct().count()
    assert expected == 10  # 办公室 (head, 3 staff, clerk, archivist) + 工业股 (head, 3 staff)
    assert f"新增接收人 {expected} 位" in done
    assert "2022-10-11 17:30" in done
    acks = Acknowledgement.objects.filter(notice=notice)
    assert acks.count() == expected
    assert {ack.due_at for ack in acks} == {datetime(2022, 10, 11, 17, 30, tzinfo=SHANGHAI)}
    assert not acks.filter(unit__code="ZXFW").exists()


def test_the_forward_page_preselects_the_units_the_addressees_name(bureau: Bureau) -> None:
    """主送 “各股室、二级机构，县中小企业服务中心，省厅” ticks 全部股室, 全部二级机构 and
    their units, says so, and names what matched nothing; a 补发 preselects nothing."""
    notice = registered_notice(bureau.clerk)
    Notice.objects.filter(pk=notice.pk).update(
        addressees="各股室、二级机构，县中小企业服务中心，省厅"
    )
    client = signed_in(bureau.clerk)
    page = client.get(f"/notices/{notice.pk}/forward/").content.decode()
    assert "已按主送机关“各股室、二级机构，县中小企业服务中心，省厅”预选接收机构" in page
    assert "未能对应到本单位机构：省厅" in page
    assert 'value="section" id="all-section" data-kind="section" checked' in page
    assert 'value="institution" id="all-institution" data-kind="institution" checked' in page
    ticked = {unit.code for unit in Unit.objects.filter(organisation=bureau.org)
              if f'id="unit-{unit.code}" data-kind="{unit.kind}" checked' in page}  # fmt: skip
    expected = set(
        Unit.objects.filter(
            organisation=bureau.org, kind__in=(UnitKind.SECTION, UnitKind.INSTITUTION)
        ).values_list("code", flat=True)
    )
    assert ticked == expected
    assert "ZXFW" in ticked

    english = signed_in(bureau.clerk, "en").get(f"/notices/{notice.pk}/forward/").content.decode()
    assert "Units preselected from the addressees" in english

    # Once circulating (补发), nothing is preselected: the clerk adds people deliberately.
    answer = client.post(f"/notices/{notice.pk}/forward/", {"all_kind": ["section", "institution"]})
    assert answer.status_code == 200
    again = client.get(f"/notices/{notice.pk}/forward/").content.decode()
    assert "预选接收机构" not in again
    assert " checked" not in again


def test_addressees_naming_none_of_our_units_preselect_nothing(bureau: Bureau) -> None:
    notice = registered_notice(bureau.clerk)
    Notice.objects.filter(pk=notice.pk).update(addressees="各省、自治区、直辖市人民政府")
    page = signed_in(bureau.clerk).get(f"/notices/{notice.pk}/forward/").content.decode()
    assert "预选接收机构" not in page
    assert " checked" not in page


def test_the_live_deadline_shows_the_calendar_note_beyond_the_official_data(
    bureau: Bureau,
) -> None:
    with time_machine.travel(datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        client = signed_in(bureau.clerk)
        live = client.get("/forward/deadline/", {"days": "5"}).content.decode()
        english = signed_in(bureau.clerk, "en").get("/forward/deadline/", {"days": "5"})
    assert "2027-01-05 17:30" in live  # 元旦 2027 derived, provisional
    assert "日历说明" in live
    assert "超出官方节假日数据" in live
    assert "Beyond the official holiday data" in english.content.decode()


def test_the_live_deadline_refuses_a_number_out_of_range(bureau: Bureau) -> None:
    answer = signed_in(bureau.clerk).get("/forward/deadline/", {"days": "0"})
    assert "工作日天数须在 1 到 250 之间" in answer.content.decode()


def test_pinyin_initials_find_people(bureau: Bureau) -> None:
    client = signed_in(bureau.clerk)
    found = client.get("/forward/people/", {"q": "wsf"}).content.decode()
    assert "王收发" in found
    assert 'value="clerk"' in found
    assert "办公室" in found
    by_name = client.get("/forward/people/", {"q": "档案"}).content.decode()
    assert "李档案" in by_name
    assert "王收发" not in by_name
    nobody = client.get("/forward/people/", {"q": "xyz"}).content.decode()
    assert "没有找到“xyz”" in nobody


def test_forwarding_to_people_found_by_search(bureau: Bureau) -> None:
    notice = registered_notice(bureau.clerk)
    answer = signed_in(bureau.clerk).post(
        f"/notices/{notice.pk}/forward/", {"people": ["archivist", "gyg_2"]}
    )
    assert "新增接收人 2 位" in answer.content.decode()
    assert set(
        Acknowledgement.objects.filter(notice=notice).values_list("person__username", flat=True)
    ) == {"archivist", "gyg_2"}


def test_reforwarding_adds_only_new_people_and_says_so(bureau: Bureau) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    before = Acknowledgement.objects.filter(notice=notice).count()
    client = signed_in(bureau.clerk)
    page = client.get(f"/notices/{notice.pk}/forward/").content.decode()
    assert "补发" in page
    assert f"已有 {before} 位接收人" in page
    assert "已在名单中的人员不会重复添加" in page

    answer = client.post(f"/notices/{notice.pk}/forward/", {"people": ["gyg_1", "zxfw_1"]})
    done = answer.content.decode()
    assert "已补发" in done
    assert "新增接收人 1 位" in done
    assert "已在名单中的人员没有重复添加" in done
    assert Acknowledgement.objects.filter(notice=notice).count() == before + 1

    again = client.post(f"/notices/{notice.pk}/forward/", {"people": ["gyg_1"]})
    assert "没有新增接收人" in again.content.decode()


def test_forward_errors_are_shown_at_their_fields_in_the_language(bureau: Bureau) -> None:
    notice = registered_notice(bureau.clerk)
    url = f"/notices/{notice.pk}/forward/"
    nobody = signed_in(bureau.clerk).post(url, {"due_working_days": "5"})
    assert nobody.status_code == 400
    assert 'id="units-error"' in nobody.content.decode()
    assert "请至少选择一个机构或人员" in nobody.content.decode()

    english = signed_in(bureau.clerk, "en").post(url, {"people": ["ghost"]})
    assert 'id="people-error"' in english.content.decode()
    assert "Unknown or inactive people: ghost; nothing was forwarded" in english.content.decode()

    both = signed_in(bureau.clerk).post(
        url, {"units": ["GYG"], "due_working_days": "5", "due_date": "2099-01-01"}
    )
    assert "办理时限只能填写具体时间或工作日天数之一" in both.content.decode()
    past = signed_in(bureau.clerk).post(url, {"units": ["GYG"], "due_date": "2020-01-01"})
    assert "办理时限不能早于当前时间" in past.content.decode()
    assert not Acknowledgement.objects.exists()


# --- Queries do not grow with the bureau ----------------------------------------------------------


def _add_people(org: Organisation, unit: Unit, count: int) -> None:
    people = Person.objects.bulk_create(
        [Person(username=f"bulk{i}", display_name=f"赵{i}", organisation=org) for i in range(count)]
    )
    Membership.objects.bulk_create([Membership(person=p, unit=unit) for p in people])


@pytest.mark.parametrize("extra", [10, 1000])
def test_the_forward_page_and_the_search_cost_the_same_queries(
    bureau: Bureau, django_assert_num_queries: Any, extra: int
) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    _add_people(bureau.org, bureau.units["GYG"], extra)
    for code in ("AAA", "BBB"):
        unit_with_staff(bureau.org, code, staff=1)
    client = signed_in(bureau.clerk)
    client.get("/")  # the session's first read
    with django_assert_num_queries(5):
        page = client.get(f"/notices/{notice.pk}/forward/")
    assert f"{extra + 4} 人" in page.content.decode()  # 工业股: head, 3 staff and the new ones
    with django_assert_num_queries(3):
        found = client.get("/forward/people/", {"q": "z"})
    assert "赵" in found.content.decode()
