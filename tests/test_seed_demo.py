"""manage.py seed_demo: the demo organisation, accounts and the circulating sample notice;
idempotent, and refusing to run without a password."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from circulation.records.audit import verify_chain
from circulation.records.management import demo
from circulation.records.models import (
    Acknowledgement,
    AuditEvent,
    CirculationRound,
    Membership,
    Notice,
    Organisation,
    Person,
    Unit,
    UnitKind,
)
from workflows.machines import NoticeState

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-2022"
TITLE = "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "units": Unit.objects.count(),
        "memberships": Membership.objects.count(),
        "groups": Person.groups.through.objects.count(),
        "organisations": Organisation.objects.count(),
        "notices": Notice.objects.count(),
        "rounds": CirculationRound.objects.count(),
        "acks": Acknowledgement.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_seed_twice_changes_nothing() -> None:
    first = seed(password=PASSWORD)
    before = counts()
    snapshot = list(Person.objects.order_by("pk").values_list("username", "password", "email"))
    second = seed(password="another-password-1")
    assert counts() == before
    assert list(Person.objects.order_by("pk").values_list("username", "password", "email")) == (
        snapshot
    )
    assert Person.objects.get(username="clerk").check_password(PASSWORD)
    assert before["units"] == len(demo.UNITS) >= 8
    assert before["people"] == 3 + 4 * len(demo.UNITS)
    assert before["notices"] == 1
    assert verify_chain().ok
    assert "新建 created 47" in first
    assert "新建 created 0" in second
    assert f"密码 Password: {PASSWORD}" in first
    assert "kept theirs" in second


def test_organisation_units_and_accounts(settings: Any) -> None:
    settings.FONDS_CODE = "Z109"
    output = seed(password=PASSWORD)
    org = Organisation.objects.get()
    assert (org.name, org.short_name, org.fonds_code) == (
        "舞阳县工业和信息化局",
        "舞阳县工信局",
        "Z109",
    )
    assert org.filing_unit is not None
    assert org.filing_unit.code == "BGS"
    for unit in Unit.objects.all():
        assert re.fullmatch(r"[A-Z0-9]+", unit.code)
        assert unit.head is not None
        assert unit.head.username == f"{unit.code.lower()}_head"
    assert Unit.objects.get(code="LDBZ").kind == UnitKind.LEADERSHIP
    assert Unit.objects.filter(kind=UnitKind.INSTITUTION).count() == 3

    people = list(Person.objects.all())
    names = [p.display_name for p in people]
    assert all(CHINESE_NAME.match(name) for name in names), names
    assert len(set(names)) == len(names)
    assert all(p.email == f"{p.username}@wyxgxj.example.cn" for p in people)
    assert all(p.organisation_id == org.pk for p in people)
    assert all(p.check_password(PASSWORD) for p in people[:3])

    admin = Person.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    for username, role in (("admin", "admin"), ("clerk", "clerk"), ("archivist", "archivist")):
        person = Person.objects.get(username=username)
        assert person.is_staff
        assert list(person.groups.values_list("name", flat=True)) == [role]
    assert set(Person.objects.get(username="gyg_head").groups.values_list("name", flat=True)) == {
        "unit_head",
        "staff",
    }
    assert not Person.objects.get(username="gyg_1").is_staff
    assert Group.objects.get(name="staff").user_set.count() == 4 * len(demo.UNITS)
    clerk = Person.objects.get(username="clerk")
    assert list(clerk.units.values_list("code", flat=True)) == ["BGS"]
    assert "ldbz_head" in output
    assert "xxzx_3" in output


def test_sample_notice_is_circulating_to_sections_and_institutions() -> None:
    seed(password=PASSWORD)
    notice = Notice.objects.get()
    assert notice.state == NoticeState.CIRCULATING
    assert notice.doc_number == "舞工信〔2022〕25号"
    assert notice.title == TITLE
    assert notice.issuer == "舞阳县工业和信息化局"
    assert notice.doc_type == "通知"
    assert notice.issued_on == date(2022, 9, 29)
    assert (notice.secrecy, notice.urgency, notice.handling) == ("public", "normal", "read")
    assert notice.instruction == "请各股室认真学习"
    assert notice.forwards == ["《国务院关于加强数字政府建设的指导意见》（国发〔2022〕14号）"]
    assert notice.received_by.username == "clerk"
    assert notice.registration_no is not None
    assert notice.due_at is not None
    assert "请各股室认真学习" in notice.body

    (round_,) = notice.rounds.all()
    assert round_.instruction == "请各股室认真学习"
    assert set(round_.units.values_list("code", flat=True)) == set(demo.CIRCULATION_UNITS)
    acks = Acknowledgement.objects.filter(notice=notice)
    for unit in Unit.objects.exclude(kind=UnitKind.LEADERSHIP):
        code = unit.code.lower()
        got = set(acks.filter(unit=unit).values_list("person__username", flat=True))
        expected = {f"{code}_head", f"{code}_1", f"{code}_2", f"{code}_3"}
        if unit.code == "BGS":  # the clerk and the archivist work in 办公室 too
            expected |= {"clerk", "archivist"}
        assert got == expected
    assert not acks.filter(unit__code="LDBZ").exists()
    assert acks.count() == 4 * len(demo.CIRCULATION_UNITS) + 2
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["notice.received", "notice.registered", "notice.forwarded"]


def test_password_from_settings(settings: Any) -> None:
    settings.DEMO_PASSWORD = "from-settings-7"
    assert "from-settings-7" in seed()
    assert Person.objects.get(username="bgs_1").check_password("from-settings-7")


def test_missing_password_is_an_error(settings: Any) -> None:
    settings.DEMO_PASSWORD = ""
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        seed()
    assert Person.objects.count() == 0


def test_missing_sample_file_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="sample"):
        seed(password=PASSWORD, sample=tmp_path / "missing.txt")


def test_parse_sample_reads_the_header() -> None:
    for text in (demo.SAMPLE_EXCERPT, demo.load_sample()[0]):
        sample = demo.parse_sample(text)
        assert sample.doc_number == "舞工信〔2022〕25号"
        assert sample.title == TITLE
        assert sample.issuer == "舞阳县工业和信息化局"
        assert sample.addressees == "各股室、二级机构"
        assert sample.instruction == "请各股室认真学习"
        assert sample.forwards == ["《国务院关于加强数字政府建设的指导意见》（国发〔2022〕14号）"]
        assert sample.body == text


def test_demo_accounts_are_unique_and_chinese() -> None:
    specs = demo.account_specs()
    assert len({s.username for s in specs}) == len(specs)
    assert len({s.display_name for s in specs}) == len(specs)
    assert all(CHINESE_NAME.match(s.display_name) for s in specs)
