"""Message texts: zh-hans first, then English. Pure functions of the items they list."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.conf import settings

from workflows.machines import AckState
from workflows.models import ReminderKind
from workflows.reminders.policy import to_local

KIND_TEXT: dict[str, tuple[str, str]] = {
    ReminderKind.DUE_SOON: ("即将到期", "due soon"),
    ReminderKind.DUE_TODAY: ("今日到期", "due today"),
    ReminderKind.OVERDUE: ("已逾期", "overdue"),
    ReminderKind.MANUAL: ("收发员催办", "reminder from the clerk"),
}
STATE_EN: dict[str, str] = {AckState.PENDING: "not opened", AckState.READ: "opened, not confirmed"}


@dataclass(frozen=True)
class NoticeRef:
    notice_id: int
    doc_number: str
    title: str
    due_at: datetime | None

    # Cached: a digest batch shares one ref per notice and deadline among many items.
    @cached_property
    def link(self) -> str:
        return notice_link(self.notice_id)

    @cached_property
    def heading(self) -> str:
        return f"{self.doc_number}《{self.title}》"

    @cached_property
    def deadline(self) -> str:
        return "—" if self.due_at is None else f"{to_local(self.due_at):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class OwnItem:
    """A notice the recipient still has to confirm."""

    notice: NoticeRef
    kind: str
    state: str
    state_label: str


@dataclass
class LateItem:
    """A notice with late recipients, told to their unit head or the clerk (升级)."""

    notice: NoticeRef
    people: list[str] = field(default_factory=list)  # "张三（gyg_1）"
    hidden: set[int] = field(default_factory=set)  # ids of late people not to be named


@dataclass(frozen=True)
class HandlingItem:
    """A 承办 (assignment) of the recipient's unit still waiting for its result, or (escalation)
    late units of a notice, told to the clerk who proposed the 批办."""

    notice: NoticeRef  # its ``due_at`` is the assignment's deadline
    assignment_id: int
    unit_name: str
    kind: str

    @cached_property
    def link(self) -> str:
        return f"{settings.SITE_URL.rstrip('/')}{assignment_path(self.assignment_id)}"


def assignment_path(assignment_id: int) -> str:
    """The 承办 page of an assignment on this site."""
    return f"/handling/assignments/{assignment_id}/"


def notice_path(notice_id: int) -> str:
    """The notice's page on this site (in-app notifications link here)."""
    return f"/notices/{notice_id}/"


def notice_link(notice_id: int) -> str:
    """An absolute link: it is read in mail clients and chat groups, not on our pages."""
    return f"{settings.SITE_URL.rstrip('/')}{notice_path(notice_id)}"


def _notices_en(count: int) -> str:
    return "1 notice awaits" if count == 1 else f"{count} notices await"


def _people_en(count: int) -> str:
    return "1 person is" if count == 1 else f"{count} people are"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def digest_subject(own: int, late_people: int, late_notices: int) -> str:
    if own and late_people:
        return (
            f"【催办】您有 {own} 件收文待阅知确认；另有 {late_people} 人逾期未确认"
            f" / {_notices_en(own)} your confirmation; {_people_en(late_people)} late"
        )
    if own:
        return f"【催办】您有 {own} 件收文待阅知确认 / {_notices_en(own)} your confirmation"
    return (
        f"【催办升级】有 {late_people} 人逾期未确认 {late_notices} 件收文"
        f" / {_people_en(late_people)} late confirming {_plural(late_notices, 'notice')}"
    )


def handling_subject(base: str, handling: int, late_units: int) -> str:
    """The digest's subject with its 承办 items: ``base`` (the acknowledgements' subject, or
    "" when it has none) plus the undertakings waiting and the late units."""
    parts_zh, parts_en = [], []
    if handling:
        parts_zh.append(f"{handling} 件承办事项待办理")
        verb = "awaits" if handling == 1 else "await"
        parts_en.append(f"{_plural(handling, 'undertaking')} {verb} your unit's result")
    if late_units:
        parts_zh.append(f"{late_units} 个承办单位逾期未办理")
        parts_en.append(f"{_plural(late_units, 'undertaking unit')} late")
    zh, en = "；".join(parts_zh), "; ".join(parts_en)
    if not base:
        prefix = "【催办】您有 " if handling else "【催办升级】有 "
        return f"{prefix}{zh} / {en[0].upper()}{en[1:]}"
    head, _sep, tail = base.partition(" / ")
    return f"{head}；另有 {zh} / {tail}; {en}"


def handling_lines(items: Sequence[HandlingItem]) -> list[str]:
    """The 承办 part of a digest: the unit's items, then late units (escalations)."""
    own = [item for item in items if item.kind != ReminderKind.ESCALATION_CLERK]
    late = [item for item in items if item.kind == ReminderKind.ESCALATION_CLERK]
    lines: list[str] = []
    if own:
        lines += ["请在办理时限前办理并录入办理结果。 / Please handle them, record the result.", ""]
        for index, item in enumerate(own, start=1):
            kind_zh, kind_en = KIND_TEXT.get(item.kind, (item.kind, item.kind))
            lines += [
                f"{index}. 承办 Undertaking：{item.notice.heading}（{item.unit_name}）",
                f"   办理时限 Deadline：{item.notice.deadline}（{kind_zh} {kind_en}）",
                f"   {item.link}",
            ]
    if own and late:
        lines.append("")
    if late:
        lines += ["以下承办单位逾期未办理，请督促 / These units are late; please follow up:", ""]
        for index, item in enumerate(late, start=1):
            lines += [
                f"{index}. 承办 Undertaking：{item.notice.heading}",
                f"   办理时限 Deadline：{item.notice.deadline}",
                f"   逾期单位 Late unit：{item.unit_name}",
                f"   {item.link}",
            ]
    return lines


def _own_lines(items: Sequence[OwnItem]) -> list[str]:
    lines = ["请尽快阅知并确认。 / Please read and confirm them.", ""]
    for index, item in enumerate(items, start=1):
        kind_zh, kind_en = KIND_TEXT.get(item.kind, (item.kind, item.kind))
        lines += [
            f"{index}. {item.notice.heading}",
            f"   办理时限 Deadline：{item.notice.deadline}（{kind_zh} {kind_en}）",
            f"   状态 State：{item.state_label} {STATE_EN.get(item.state, item.state)}",
            f"   {item.notice.link}",
        ]
    return lines


def _late_lines(items: Sequence[LateItem]) -> list[str]:
    lines = ["以下人员逾期未确认，请督促办理 / These people are late; please follow up:", ""]
    for index, item in enumerate(items, start=1):
        lines += [
            f"{index}. {item.notice.heading}",
            f"   办理时限 Deadline：{item.notice.deadline}",
            f"   逾期人员 Late：{'、'.join(item.people)}",
            f"   {item.notice.link}",
        ]
    return lines


def digest_body(subject: str, own: Sequence[OwnItem], late: Sequence[LateItem]) -> str:
    lines = [subject, ""]
    if own:
        lines += _own_lines(own)
    if own and late:
        lines.append("")
    if late:
        lines += _late_lines(late)
    return "\n".join(lines)


def robot_text(items: Sequence[LateItem]) -> tuple[str, str]:
    """A group-robot message (企业微信/钉钉) about late recipients."""
    named = {name for item in items for name in item.people}
    total = len(named) + len(set().union(*(item.hidden for item in items)))
    subject = (
        f"【催办提醒】{total} 人逾期未确认 {len(items)} 件收文"
        f" / {_people_en(total)} late confirming {_plural(len(items), 'notice')}"
    )
    lines = [subject, ""]
    for index, item in enumerate(items, start=1):
        names = "、".join(item.people)
        if item.hidden:
            more = len(item.hidden)
            names = f"{names}及另外 {more} 人 and {more} more" if names else f"{more} 人 people"
        lines += [
            f"{index}. {item.notice.heading}",
            f"   办理时限 Deadline：{item.notice.deadline}",
            f"   逾期 Late：{names}",
            f"   {item.notice.link}",
        ]
    return subject, "\n".join(lines)


def handling_robot_text(items: Sequence[HandlingItem]) -> tuple[str, str]:
    """A group-robot message about 承办 units late with their result (no person is named)."""
    late = sorted({(item.notice.notice_id, item.unit_name) for item in items})
    notices = len({notice_id for notice_id, _unit in late})
    subject = (
        f"【催办提醒】{len(late)} 个承办单位逾期未办理 {notices} 件收文"
        f" / {_plural(len(late), 'undertaking unit')} late on {_plural(notices, 'notice')}"
    )
    lines = [subject, ""]
    for index, item in enumerate(items, start=1):
        lines += [
            f"{index}. 承办 Undertaking：{item.notice.heading}",
            f"   办理时限 Deadline：{item.notice.deadline}",
            f"   逾期单位 Late unit：{item.unit_name}",
            f"   {item.link}",
        ]
    return subject, "\n".join(lines)


# --- 传阅通知 and 退回通知 (workflows.reminders.announcements) -------------------------------

SUBJECT_MAX = 200  # Digest.title, Notification.title, Message.subject
ROBOT_NAMES_MAX = 50  # names listed in one group-robot message; the rest are counted


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def forwarded_subject(ref: NoticeRef) -> str:
    return _short(
        f"【传阅】{ref.doc_number}《{_short(ref.title, 60)}》请阅知确认 / Please read and confirm",
        SUBJECT_MAX,
    )


def forwarded_body(subject: str, ref: NoticeRef, forwarded_by: str, instruction: str) -> str:
    lines = [
        subject,
        "",
        ref.heading,
        f"传阅人 Forwarded by：{forwarded_by}",
    ]
    if instruction:
        lines.append(f"传阅要求 Instruction：{instruction}")
    lines += [
        f"办理时限 Deadline：{ref.deadline}",
        "请打开收文，阅读后确认已阅知。 / Please open the notice, read it and confirm.",
        ref.link,
    ]
    return "\n".join(lines)


def forwarded_robot_text(
    ref: NoticeRef, unit_name: str, named: Sequence[str], hidden: int
) -> tuple[str, str]:
    """A unit's group robot is told who in the unit was sent the notice (people who turned
    naming off are counted, not named)."""
    total = len(named) + hidden
    subject = _short(
        f"【传阅】{ref.doc_number}已传阅至{unit_name} {total} 人"
        f" / {ref.doc_number} forwarded to {_people(total)} of {unit_name}",
        SUBJECT_MAX,
    )
    shown = list(named[:ROBOT_NAMES_MAX])
    more = total - len(shown)
    names = "、".join(shown)
    if more:
        names = f"{names}及另外 {more} 人 and {more} more" if names else f"{more} 人 people"
    lines = [
        subject,
        "",
        ref.heading,
        f"办理时限 Deadline：{ref.deadline}",
        f"请阅知确认 To read and confirm：{names}",
        ref.link,
    ]
    return subject, "\n".join(lines)


def returned_subject(ref: NoticeRef, returned_by: str) -> str:
    return _short(
        f"【退回】{returned_by}退回了{ref.doc_number} / {ref.doc_number} was returned",
        SUBJECT_MAX,
    )


def returned_body(subject: str, ref: NoticeRef, returned_by: str, reason: str, at: str) -> str:
    return "\n".join(
        [
            subject,
            "",
            ref.heading,
            f"退回人 Returned by：{returned_by}",
            f"退回时间 At：{at}",
            f"退回原因 Reason：{reason}",
            ref.link,
        ]
    )
