"""Read-only HTML for the JSON fields shown in the admin (文号更正, 转发文件, 附件警告, 附件哈希,
四性检测报告, 审计数据): tables and lists with Chinese labels, every value escaped
(``format_html``), never raw JSON. Data of an unexpected shape is shown as escaped JSON text, so
an odd old row still renders."""

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from circulation.archive.codes import Retention
from circulation.archive.report import ASPECTS
from circulation.records.models import AuditAction, ConfirmMethod
from workflows.machines import AckState, NoticeState

EMPTY = "—"

ACTION_LABELS: dict[str, Promise] = {action.value: action.label for action in AuditAction}
"""审计动作的中文名 (the dotted code stays visible beside it: it is what the API returns)."""

STATE_LABELS: dict[str, str] = {
    **{str(value): str(label) for value, label in NoticeState.choices},
    **{str(value): str(label) for value, label in AckState.choices},
}
"""Notice and acknowledgement states share codes (``returned`` is 已退回 for both)."""

OBJECT_TYPE_LABELS = {
    "records.notice": "收文",
    "records.acknowledgement": "阅知确认",
    "records.attachment": "附件",
    "records.person": "人员",
    "ackrecord.recordrendition": "阅知确认单",
    "archive.archivedrecord": "归档记录",
}

DATA_LABELS = {
    "archival_code": "档号",
    "attachment": "附件编号",
    "calendar_note": "日历说明",
    "cancelled": "取消数",
    "comment": "学习体会",
    "content_hash": "内容哈希",
    "corrections": "文号更正",
    "doc_number": "发文字号",
    "due_at": "办理时限",
    "failures": "失败次数",
    "ip": "IP",
    "locked_until": "锁定至",
    "manual": "人工催办",
    "method": "确认方式",
    "name": "文件名",
    "original": "原始文号",
    "pages": "页数",
    "path": "路径",
    "people": "人员",
    "reason": "原因",
    "recipients": "接收人",
    "recipients_added": "新增接收人数",
    "record_id": "归档记录编号",
    "registration_no": "收文登记号",
    "rendition": "确认单编号",
    "retention": "保管期限",
    "round": "轮次",
    "row_sha256": "记录哈希",
    "sha256": "SHA-256",
    "size": "大小（字节）",
    "superseded": "被取代的确认单",
    "unit": "机构",
    "units": "机构",
    "username": "账号",
    "warnings": "警告",
    "what": "下载内容",
}

VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "method": {str(value): str(label) for value, label in ConfirmMethod.choices},
    "retention": {str(value): str(label) for value, label in Retention.choices},
    "what": {"record.pdf": "归档文件（record.pdf）", "attachment": "附件"},
}

CORRECTION_LABELS = {
    "whitespace": "空白",
    "fullwidth_letters": "全角字母",
    "fullwidth_digits": "全角数字",
    "brackets": "年份括号",
    "di": "“第”字",
    "leading_zeros": "序号前导零",
    "missing_hao": "缺少“号”",
}


def coded(code: str, labels: Mapping[str, str]) -> str:
    """``内部`` for ``internal``; an unknown code as itself."""
    return labels.get(code, code) if code else EMPTY


def labelled_code(code: str, labels: Mapping[str, str | Promise]) -> SafeString:
    """The Chinese name with the code beside it in small print (``归档 notice.archived``)."""
    if not code:
        return format_html("{}", EMPTY)
    label = labels.get(code)
    if label is None:
        return format_html("{}", code)
    return format_html('{} <span class="code">{}</span>', label, code)


def raw_json(value: Any) -> SafeString:
    """Fallback for data of an unexpected shape: escaped, indented JSON text."""
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return format_html('<pre class="json-fallback">{}</pre>', text)


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], css: str = "") -> SafeString:
    """A small read-only table; cells are escaped unless they are already safe HTML."""
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    cells = (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)) for row in rows)
    body = format_html_join("", "<tr>{}</tr>", ((row,) for row in cells))
    return format_html(
        '<table class="readable {}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        css,
        head,
        body,
    )


def _is_list_of(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


# --- 收文 --------------------------------------------------------------------------------------
def corrections_html(corrections: Any) -> SafeString:
    """文号更正: one row per correction (what was corrected, why)."""
    if not corrections:
        return format_html("{}", "无更正 / none")
    if _is_list_of(corrections, str):  # the audit event keeps the codes only
        return format_html("{}", "、".join(coded(c, CORRECTION_LABELS) for c in corrections))
    if not _is_list_of(corrections, dict):
        return raw_json(corrections)
    return table(
        ("更正", "说明", "英文说明"),
        (
            (
                coded(str(c.get("code", "")), CORRECTION_LABELS),
                c.get("message", ""),
                c.get("message_en", ""),
            )
            for c in corrections
        ),
        "corrections",
    )


def titles_html(titles: Any) -> SafeString:
    """转发文件: the forwarded documents' titles as a numbered list."""
    if not titles:
        return format_html("{}", EMPTY)
    if not _is_list_of(titles, str):
        return raw_json(titles)
    items = format_html_join("", "<li>{}</li>", ((title,) for title in titles))
    return format_html('<ol class="readable-list">{}</ol>', items)


def warnings_html(warnings: Any) -> SafeString:
    """附件警告 (active content found at upload): where and what."""
    if not warnings:
        return format_html("{}", "无 / none")
    if not _is_list_of(warnings, dict):
        return raw_json(warnings)
    return table(
        ("位置", "说明", "英文说明"),
        ((w.get("where", ""), w.get("message", ""), w.get("message_en", "")) for w in warnings),
        "warnings",
    )


# --- 归档 --------------------------------------------------------------------------------------
def verdict(ok: Any, review: Any = False) -> SafeString:
    if ok:
        return format_html('<span class="verdict ok">{}</span>', "通过")
    if review:
        return format_html('<span class="verdict review">{}</span>', "需复核")
    return format_html('<span class="verdict failed">{}</span>', "未通过")


def checks_report_html(report: Any) -> SafeString:
    """四性检测报告 (DA/T 70-2018): the verdict, then one row per check grouped by aspect."""
    if not report:
        return format_html("{}", EMPTY)
    aspects = report.get("aspects") if isinstance(report, dict) else None
    if not isinstance(aspects, dict):
        return raw_json(report)
    rows = []
    ordered = [key for key in ASPECTS if key in aspects] + [k for k in aspects if k not in ASPECTS]
    for key in ordered:
        aspect = aspects[key]
        if not isinstance(aspect, dict) or not _is_list_of(aspect.get("checks", []), dict):
            return raw_json(report)
        label = aspect.get("label") or ASPECTS.get(key, key)
        for check in aspect.get("checks", []):
            rows.append(
                (
                    label,
                    format_html('<span class="code">{}</span>', check.get("code", "")),
                    verdict(check.get("ok"), check.get("review")),
                    check.get("message", ""),
                    check.get("message_en", ""),
                )
            )
    summary = format_html(
        '<p class="report-summary">结论：{}{} · 标准：{} · 检测时间：{}</p>',
        verdict(report.get("ok") and not report.get("needs_review"), report.get("needs_review")),
        "（有项目需档案员复核）" if report.get("needs_review") else "",
        report.get("standard", EMPTY),
        report.get("checked_at", EMPTY),
    )
    return format_html(
        "{}{}",
        summary,
        table(("方面", "检测项", "结果", "说明", "英文说明"), rows, "checks-report"),
    )


def attachment_hashes_html(
    entries: Any, link: Callable[[dict[str, Any]], str | None]
) -> SafeString:
    """附件哈希 sealed with an archive record: name, type, size, SHA-256 and a download link
    (``link(entry)``, None: no link)."""
    if not entries:
        return format_html("{}", "无附件 / none")
    if not _is_list_of(entries, dict):
        return raw_json(entries)
    rows = []
    for entry in entries:
        url = link(entry)
        download = format_html('<a href="{}">下载</a>', url) if url else EMPTY
        rows.append(
            (
                entry.get("name", ""),
                entry.get("content_type", "") or entry.get("extension", ""),
                entry.get("size", ""),
                format_html('<code class="hash">{}</code>', entry.get("sha256", "")),
                download,
            )
        )
    return table(("文件名", "类型", "大小（字节）", "SHA-256", "下载"), rows, "hashes")


# --- 审计数据 ----------------------------------------------------------------------------------
def _value_html(key: str, value: Any) -> SafeString:
    if value is None or value == "" or value == []:
        return format_html("{}", EMPTY)
    if isinstance(value, bool):
        return format_html("{}", "是" if value else "否")
    if isinstance(value, (str, int, float)):
        labels = VALUE_LABELS.get(key)
        text = coded(str(value), labels) if labels else value
        if key.endswith("sha256") or key in {"content_hash", "hash", "prev_hash"}:
            return format_html('<code class="hash">{}</code>', text)
        return format_html("{}", text)
    if key == "corrections":
        return corrections_html(value)
    if key == "warnings":
        return warnings_html(value)
    if _is_list_of(value, (str, int, float)):
        return format_html("{}", "、".join(str(item) for item in value))
    if isinstance(value, dict):
        return data_html(value)
    if isinstance(value, list):
        items = format_html_join("", "<li>{}</li>", ((_value_html(key, v),) for v in value))
        return format_html('<ol class="readable-list">{}</ol>', items)
    return raw_json(value)


def data_html(data: Any) -> SafeString:
    """An audit event's data: one row per key (Chinese label, then the key), nested data as
    nested tables and lists."""
    if not data:
        return format_html("{}", EMPTY)
    if not isinstance(data, dict):
        return raw_json(data)
    rows = (
        (labelled_code(str(key), DATA_LABELS), _value_html(str(key), value))
        for key, value in sorted(data.items())
    )
    return table(("项目", "内容"), rows, "audit-data")
