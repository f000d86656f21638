"""Pure parts of the record: the recipient listing, display filters, names and URLs."""

from typing import Any

import pytest

from circulation.ackrecord.drawn import DrawnLines, drawn_records
from circulation.ackrecord.fonts import mono_columns
from circulation.ackrecord.listing import LINE_COLUMNS, recipient_listing, wrap
from circulation.ackrecord.render import embedded_name, verify_url
from circulation.ackrecord.serving import content_disposition
from circulation.ackrecord.templatetags.ackrecord_tags import record_date, record_time


def recipient(name: str, state: str = "confirmed", comment: str = "已学习") -> dict[str, Any]:
    return {
        "person": {"username": "u", "name": name},
        "unit": "工业股",
        "round": 1,
        "state": state,
        "state_label": {"confirmed": "已确认", "returned": "已退回", "pending": "待阅"}[state],
        "due_at": None,
        "opened_at": "2022-10-10T09:28:00+08:00",
        "confirmed_at": "2022-10-10T09:30:00+08:00" if state == "confirmed" else None,
        "confirm_method": "session",
        "comment": comment,
        "reminders": 2,
        "escalations": 0,
        "returned_at": "2022-10-10T09:40:00+08:00" if state == "returned" else None,
        "return_reason": "误发" if state == "returned" else "",
        "cancelled_at": None,
    }


def minimal_data(comment: str = "已学习", title: str = "关于测试的通知") -> dict[str, Any]:
    return {
        "format": 1,
        "organisation": {"name": "舞阳县工业和信息化局", "short_name": "", "fonds_code": "Z109"},
        "notice": {
            "id": 1,
            "doc_number": "舞工信〔2022〕25号",
            "doc_number_original": "舞工信〔2022〕25号",
            "title": title,
            "issuer": "舞阳县工业和信息化局",
            "doc_type": "通知",
            "addressees": "",
            "forwards": [],
            "issued_on": "2022-09-29",
            "secrecy": "public",
            "secrecy_label": "公开",
            "urgency": "normal",
            "urgency_label": "平件",
            "handling": "read",
            "handling_label": "阅知",
            "received_at": "2022-09-29T10:00:00+08:00",
            "received_by": {"username": "clerk", "name": "王收发"},
            "registration_no": "收〔2022〕0001号",
            "registered_at": None,
            "instruction": "",
            "due_at": None,
            "completed_at": None,
            "closing_reason": "",
        },
        "rounds": [],
        "units": [
            {
                "code": "GYG",
                "name": "工业股",
                "recipients": [recipient("张三", comment=comment)],
                "totals": {"total": 1, "confirmed": 1, "returned": 0},
            },
        ],
        "totals": {
            "total": 1,
            "pending": 0,
            "read": 0,
            "confirmed": 1,
            "returned": 0,
            "cancelled": 0,
        },
        "attachments": [],
    }


def _records(listing: dict[str, Any]) -> list[str]:
    return [rec["text"] for unit in listing["units"] for rec in unit["records"]]


def _start_of(line: str, marker: str) -> float:
    return mono_columns(line[: line.index(marker)])


def test_listing_lines_align_chinese_names_with_digits() -> None:
    units = [
        {
            "code": "GYG",
            "name": "工业股",
            "totals": {},
            "recipients": [
                recipient("张三"),
                recipient("Li Lei"),
                recipient("欧阳娜娜", "returned"),
            ],
        },
    ]
    listing = recipient_listing(units)
    records = _records(listing)
    assert len({_start_of(r, "2022") for r in records}) == 1  # the time column lines up
    assert "2022-10-10 09:30" in records[0]
    assert "退回原因：误发（2022-10-10 09:40）" in records[2]
    assert [rec["muted"] for rec in listing["units"][0]["records"]] == [False, False, True]
    comment_column = _start_of(listing["header"], "学习体会")
    assert _start_of(records[0], "已学习") == comment_column


def test_a_long_name_widens_its_column_and_comments_wrap_under_their_column() -> None:
    long_name = "买买提·艾力克木江"
    comment = "第一行\r\n" + "很长的学习体会，" * 12 + "\tend"
    units = [
        {
            "code": "",
            "name": "未指定机构",
            "totals": {},
            "recipients": [recipient(long_name, comment=comment), recipient("王五")],
        }
    ]
    listing = recipient_listing(units)
    first, second = _records(listing)
    assert _start_of(first, "2022") == _start_of(second, "2022")
    lines = first.split("\n")
    column = _start_of(lines[0], "第一行")
    assert len(lines) >= 3
    for line in lines[1:]:
        assert mono_columns(line) - mono_columns(line.lstrip(" ")) == column  # hanging indent
        assert mono_columns(line) <= LINE_COLUMNS
        assert not line.lstrip(" ").startswith(("，", "。"))
    remark = "".join(line.strip() for line in lines[1:])
    assert lines[0].endswith("第一行")
    assert remark == "很长的学习体会，" * 12 + "end"  # nothing lost in the wrapping


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("", 10, [""]),
        ("一二三四五六", 6, ["一二三", "四五六"]),
        ("一二，三四", 4, ["一", "二，", "三四"]),  # a line never starts with ，
        ("see https://example.com/x now", 12, ["see https://", "example.com/", "x now"]),
        ("read the document carefully", 12, ["read the", "document", "carefully"]),
        ("甲\n乙", 10, ["甲", "乙"]),
    ],
)
def test_wrap(text: str, width: int, expected: list[str]) -> None:
    assert wrap(text, width) == expected


def test_records_in_the_monospaced_face_are_drawn_and_others_laid_out_as_text() -> None:
    units = [
        {
            "code": "GYG",
            "name": "工业股",
            "totals": {},
            "recipients": [
                recipient("张三", comment="已认真学习\n第二行"),
                recipient("𠀀某", comment="扩展B的姓"),  # HanaMinB only: WeasyPrint lays it out
                recipient("Zoë", comment="👍"),  # Symbola only
            ],
        }
    ]
    listing, cache = drawn_records(recipient_listing(units), LINE_COLUMNS)
    first, second, third = listing["units"][0]["records"]
    assert "src" not in second
    assert "src" not in third
    drawn = cache[first["src"]]
    assert isinstance(drawn, DrawnLines)
    assert drawn.lines == first["text"].split("\n")
    assert len(drawn.lines) == 2
    width, height, ratio = drawn.get_intrinsic_size(96, 8 * 4 / 3)
    assert height == 2 * 1.5 * 8 * 4 / 3  # two lines of the CSS line height
    assert width == LINE_COLUMNS * 8 * 4 / 3 / 2
    assert ratio == width / height


@pytest.mark.parametrize(
    ("value", "shown"),
    [("2022-10-10T09:30:59+08:00", "2022-10-10 09:30"), (None, "—"), ("", "—")],
)
def test_record_time(value: str | None, shown: str) -> None:
    assert record_time(value) == shown


def test_record_date() -> None:
    assert record_date("2022-09-29") == "2022年9月29日"
    assert record_date(None) == "—"


def test_embedded_names_are_ascii() -> None:
    assert embedded_name(1, "pdf") == "attachment-01.pdf"
    assert embedded_name(12, "../../x") == "attachment-12.x"
    assert embedded_name(3, "") == "attachment-03.bin"


def test_verify_url_uses_site_url(settings: Any) -> None:
    settings.SITE_URL = "https://oa.example.gov.cn/"
    assert verify_url("abc") == "https://oa.example.gov.cn/records/abc/verify/"


def test_content_disposition_names_the_doc_number() -> None:
    header = content_disposition("舞工信〔2022〕25号")
    assert header.startswith("inline; filename=\"record-2022-25.pdf\"; filename*=UTF-8''")
    assert "%E8%88%9E" in header  # 舞


@pytest.mark.django_db
def test_forwarded_titles_get_one_pair_of_book_title_marks(bureau: Any) -> None:
    """《》 are added to a bare title, never doubled on one typed with them."""
    from circulation.ackrecord.data import collect_record_data
    from tests.helpers import registered_notice

    notice = registered_notice(bureau.clerk)
    bare = "国务院关于加强数字政府建设的指导意见"
    typed = "《国务院办公厅关于印发全国一体化政务大数据体系建设指南的通知》（国办函〔2022〕102号）"
    notice.forwards = [bare, typed]
    notice.save(update_fields=["forwards"])
    forwards = collect_record_data(notice.pk)["notice"]["forwards"]
    assert forwards == [f"《{bare}》", typed]


def test_one_subsetting_pass_gives_weasyprints_font_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The render helper's single HarfBuzz pass (ackrecord/fontsubset.py) embeds exactly the font
    program that WeasyPrint's own two passes make, for both of the record's faces."""
    from weasyprint import HTML
    from weasyprint.pdf import fonts as weasy_fonts

    from circulation.ackrecord.fontsubset import subset_once

    original = weasy_fonts.Font._harfbuzz_subset
    compared: list[tuple[str, bool]] = []

    def compare(self: Any, to_unicode: dict[int, str], hinting: bool) -> None:
        once = subset_once(self, to_unicode, hinting)
        original(self, to_unicode, hinting)
        compared.append((self.family, once == self.file_content))

    monkeypatch.setattr(weasy_fonts.Font, "_harfbuzz_subset", compare)
    HTML(
        string="<p style=\"font-family:'Noto Serif CJK SC'\">舞阳县工业和信息化局 2022 Zoë</p>"
        "<p style=\"font-family:'Noto Sans Mono CJK SC'\">  12  张三  已确认</p>"
    ).write_pdf()
    assert sorted(compared) == [("Noto Sans Mono CJK SC", True), ("Noto Serif CJK SC", True)]
