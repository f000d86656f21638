"""演示数据: the 舞阳县工业和信息化局 organisation, its units and people, and the sample notice.

Used by ``manage.py seed_demo``; it lives in the project package, not in the records app, because
it is a caller of the services (an interface, like a command), not something they build on.
Everything is found or created by its natural key (unit code,
username, 发文字号), so running the seed twice changes nothing; passwords are set only when an
account is created. The sample notice goes through the same services as the API.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.doc_number import parse_doc_number
from circulation.records.models import (
    Handling,
    Membership,
    Notice,
    Organisation,
    Person,
    Secrecy,
    Unit,
    UnitKind,
    Urgency,
)
from workflows.machines import NoticeState
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

ORG_NAME = "舞阳县工业和信息化局"
ORG_SHORT_NAME = "舞阳县工信局"
EMAIL_DOMAIN = "wyxgxj.example.cn"
FILING_UNIT = "BGS"
STAFF_PER_UNIT = 3
DUE_WORKING_DAYS = 5


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str


UNITS = (
    UnitSpec("LDBZ", "局领导班子", UnitKind.LEADERSHIP),
    UnitSpec("BGS", "办公室", UnitKind.SECTION),
    UnitSpec("RSG", "人事股", UnitKind.SECTION),
    UnitSpec("CWG", "财务股", UnitKind.SECTION),
    UnitSpec("GYG", "工业股", UnitKind.SECTION),
    UnitSpec("XXHG", "信息化股", UnitKind.SECTION),
    UnitSpec("ZXQYG", "中小企业股", UnitKind.SECTION),
    UnitSpec("AQG", "安全生产股", UnitKind.SECTION),
    UnitSpec("ZXFW", "县中小企业服务中心", UnitKind.INSTITUTION),
    UnitSpec("JNJC", "县节能监察大队", UnitKind.INSTITUTION),
    UnitSpec("XXZX", "县信息化发展中心", UnitKind.INSTITUTION),
)
LEADERSHIP_UNIT = "LDBZ"
# 传阅范围 of the sample notice (各股室、二级机构): every section and institution.
CIRCULATION_UNITS = tuple(u.code for u in UNITS if u.kind != UnitKind.LEADERSHIP)

# Display names: surname i mod 24 + given name i; the given names are distinct, so are the names.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢"
GIVEN_NAMES = tuple(
    "建国秀英志强丽娟海涛淑芬文博晓燕国庆春梅永刚雪梅振华玉兰明辉桂芳"
    "卫东红霞俊杰慧敏德胜晓静新民美玲宏伟艳萍立军婷婷家豪静怡思远佳琪"
    "保国凤英子涵雨桐建军晓丽学文金凤天宇梦瑶庆华素珍浩然欣怡书林嘉怡"[i : i + 2]
    for i in range(0, 96, 2)
)


@dataclass(frozen=True)
class AccountSpec:
    username: str
    role: str
    display_name: str
    unit: str | None = None
    heads_unit: bool = False
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"

    @property
    def groups(self) -> tuple[str, ...]:
        # A unit head also reads what is circulated to the unit: roles unit_head and staff.
        groups = (roles.UNIT_HEAD, roles.STAFF) if self.role == roles.UNIT_HEAD else (self.role,)
        # The 局领导班子's people are the leaders a 拟办意见 is sent to for their 批示 (批办).
        return (*groups, roles.LEADER) if self.unit == LEADERSHIP_UNIT else groups


def account_specs() -> list[AccountSpec]:
    """admin, clerk, archivist, then per unit ``<code>_head`` and ``<code>_1`` … ``_3``."""
    rows: list[tuple[str, str, str | None]] = [
        ("admin", roles.ADMIN, None),
        ("clerk", roles.CLERK, FILING_UNIT),
        ("archivist", roles.ARCHIVIST, FILING_UNIT),
    ]
    for unit in UNITS:
        code = unit.code.lower()
        rows.append((f"{code}_head", roles.UNIT_HEAD, unit.code))
        rows.extend((f"{code}_{n}", roles.STAFF, unit.code) for n in range(1, STAFF_PER_UNIT + 1))
    if len(rows) > len(GIVEN_NAMES):
        raise ValueError("not enough demo names")
    return [
        AccountSpec(
            username=username,
            role=role,
            display_name=SURNAMES[i % len(SURNAMES)] + GIVEN_NAMES[i],
            unit=unit,
            heads_unit=role == roles.UNIT_HEAD,
            is_staff=role in (roles.ADMIN, roles.CLERK, roles.ARCHIVIST),
            is_superuser=role == roles.ADMIN,
        )
        for i, (username, role, unit) in enumerate(rows)
    ]


@dataclass
class OrganisationSeed:
    organisation: Organisation
    organisation_created: bool
    units_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)


@transaction.atomic
def seed_organisation(password: str) -> OrganisationSeed:
    """The organisation, its units and the demo accounts (found or created by natural key)."""
    roles.ensure_roles()
    organisation, org_created = Organisation.objects.get_or_create(
        name=ORG_NAME,
        defaults={"short_name": ORG_SHORT_NAME, "fonds_code": settings.FONDS_CODE},
    )
    seed = OrganisationSeed(organisation, org_created)
    units: dict[str, Unit] = {}
    for order, unit_spec in enumerate(UNITS, start=1):
        unit, created = Unit.objects.get_or_create(
            organisation=organisation,
            code=unit_spec.code,
            defaults={"name": unit_spec.name, "kind": unit_spec.kind, "sort_order": order * 10},
        )
        units[unit_spec.code] = unit
        if created:
            seed.units_created.append(unit_spec.code)
    if organisation.filing_unit_id is None:
        organisation.filing_unit = units[FILING_UNIT]
        organisation.save(update_fields=["filing_unit"])
    for spec in account_specs():
        person = Person.objects.filter(username=spec.username).first()
        if person is None:
            person = _create_person(spec, organisation, password)
            seed.users_created.append(spec.username)
        person.groups.add(*roles_for(spec))
        if spec.unit is not None:
            unit = units[spec.unit]
            Membership.objects.get_or_create(person=person, unit=unit)
            if spec.heads_unit and unit.head_id is None:
                unit.head = person
                unit.save(update_fields=["head"])
    return seed


def roles_for(spec: AccountSpec) -> list[Group]:
    return list(Group.objects.filter(name__in=spec.groups))


def _create_person(spec: AccountSpec, organisation: Organisation, password: str) -> Person:
    fields: dict[str, Any] = {
        "display_name": spec.display_name,
        "organisation": organisation,
        "is_staff": spec.is_staff,
    }
    if spec.is_superuser:
        return Person.objects.create_superuser(spec.username, spec.email, password, **fields)
    return Person.objects.create_user(spec.username, spec.email, password, **fields)


# --- the sample notice -------------------------------------------------------------------------
SAMPLE_FILE = "wugongxin-2022-25.txt"
SAMPLE_DIRS = (
    Path(settings.BASE_DIR) / "docs" / "samples",
    Path(settings.BASE_DIR).parent / "shared" / "samples",
)
# The date of issue is not printed in the text we have; 2022-09-29 is assumed (the Thursday the
# notice was circulated, design.md §4's deadline example).
SAMPLE_ISSUED_ON = date(2022, 9, 29)
# The document it forwards, with the State Council's 发文字号 (not in the text itself).
KNOWN_DOC_NUMBERS = {"国务院关于加强数字政府建设的指导意见": "国发〔2022〕14号"}
# The forwarding notice itself, used when the full sample file is not available.
SAMPLE_EXCERPT = """舞阳县工业和信息化局文件

舞工信〔2022〕25号

舞阳县工业和信息化局 关于转发《国务院关于加强数字政府 建设的指导意见》的通知

各股室、二级机构：

为加快数字工信建设，大力推进利用大数据辅助行政决策工作的落实，更好的满足企业和群众的需求，\
现转发《国务院关于加强数字政府建设的指导意见》，请各股室认真学习。
"""

_DOC_NUMBER_LINE = re.compile(r"^\S{1,20}[〔\[（(【]\s*\d{4}\s*[〕\]）)】]\s*第?\s*\d+\s*号$")
_DOC_TYPES = ("通知", "通报", "意见", "决定", "函", "报告", "请示", "批复", "纪要", "公告")


@dataclass(frozen=True)
class SampleNotice:
    doc_number: str
    title: str
    issuer: str
    doc_type: str
    addressees: str
    instruction: str
    forwards: list[str]
    body: str


def parse_sample(text: str) -> SampleNotice:
    """Read the header of a 公文 text: 版头, 发文字号, 标题, 主送机关, the instruction, 转发."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    number_at = next(i for i, line in enumerate(lines) if _DOC_NUMBER_LINE.match(line))
    header = lines[0] if number_at > 0 else ""
    addressee_at = next(i for i in range(number_at + 1, len(lines)) if lines[i].endswith("："))
    # The title may be wrapped and carries stray spaces from the PDF: Chinese has no spaces.
    title = re.sub(r"\s+", "", "".join(lines[number_at + 1 : addressee_at]))
    instruction = re.search(r"请各[^，。；\n]+", text)
    forwards = list(dict.fromkeys(re.findall(r"转发《([^》]+)》", re.sub(r"\s+", "", text))))
    return SampleNotice(
        doc_number=lines[number_at],
        title=title,
        issuer=header.removesuffix("文件") or title.split("关于")[0],
        doc_type=next((t for t in _DOC_TYPES if title.endswith(t)), ""),
        addressees=lines[addressee_at].removesuffix("："),
        instruction=instruction.group(0) if instruction else "",
        forwards=[
            f"《{name}》（{KNOWN_DOC_NUMBERS[name]}）"
            if name in KNOWN_DOC_NUMBERS
            else f"《{name}》"
            for name in forwards
        ],
        body=text,
    )


def load_sample(path: Path | None = None) -> tuple[str, str]:
    """(text, where it came from): the given file, else the first sample file found, else the
    excerpt kept here."""
    candidates = [path] if path is not None else [d / SAMPLE_FILE for d in SAMPLE_DIRS]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate.read_text(encoding="utf-8"), str(candidate)
    if path is not None:
        raise FileNotFoundError(path)
    return SAMPLE_EXCERPT, "built-in excerpt"


@dataclass(frozen=True)
class NoticeSeed:
    notice: Notice
    registered: bool
    recipients_added: int


def seed_sample_notice(clerk: Person, sample: SampleNotice) -> NoticeSeed:
    """Register (签收/登记) and forward (传阅) the sample notice as the clerk, through the services.

    Call outside any transaction: the services open durable ones. An existing notice with the same
    发文字号 is reused, and forwarded only if it was never forwarded.
    """
    actor = Actor.system(clerk)
    parsed = parse_doc_number(sample.doc_number)
    notice = (
        Notice.objects.filter(
            organisation=clerk.organisation,
            issuer_code=parsed.issuer_code,
            year=parsed.year,
            serial=parsed.serial,
        )
        .exclude(state=NoticeState.RETURNED)
        .first()
    )
    registered = notice is None
    if notice is None:
        data = NoticeInput(
            doc_number=sample.doc_number,
            title=sample.title,
            issuer=sample.issuer,
            secrecy=Secrecy.PUBLIC,
            urgency=Urgency.NORMAL,
            handling=Handling.READ,
            doc_type=sample.doc_type,
            addressees=sample.addressees,
            issued_on=SAMPLE_ISSUED_ON,
            instruction=sample.instruction,
            body=sample.body,
            forwards=sample.forwards,
        )
        notice = register_notice(actor, data).notice
    added = 0
    if notice.state == NoticeState.REGISTERED:
        request = ForwardRequest(
            unit_codes=CIRCULATION_UNITS,
            instruction=sample.instruction,
            due_working_days=DUE_WORKING_DAYS,
        )
        result = forward_notice(actor, notice.pk, request)
        notice, added = result.notice, result.recipients_added
    return NoticeSeed(notice, registered, added)
