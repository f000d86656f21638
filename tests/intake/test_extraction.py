"""The sample notice in every format, and the layout variants a clerk meets."""

from __future__ import annotations

from datetime import date

import pytest

from circulation.intake.extraction import extract_file, extract_text
from circulation.intake.layout import UnitRef
from tests.intake import builders

MAX = 50 * 1024 * 1024
TITLE = "舞阳县工业和信息化局关于转发《国务院关于加强数字政府建设的指导意见》的通知"
FORWARDED = "国务院关于加强数字政府建设的指导意见"


@pytest.mark.parametrize("kind", ["txt", "gbk", "docx", "pdf", "ofd"])
def test_the_sample_notice_in_every_format(kind: str) -> None:
    name, data = builders.build(kind, builders.sample_lines())
    result = extract_file(name, data, max_bytes=MAX, units=[UnitRef("GYG", "工业股", "section")])

    fields = result.fields
    assert fields["issuer"].value == "舞阳县工业和信息化局"
    assert fields["issuer"].confidence == "high"
    assert fields["doc_number"].value == "舞工信〔2022〕25号"
    assert fields["title"].value == TITLE  # the stray space inside the title line is gone
    assert fields["doc_type"].value == "通知"
    assert fields["addressees"].value == "各股室、二级机构"
    assert fields["addressees"].extra["unit_kinds"] == ["section", "institution"]
    assert fields["forwards"].value == [FORWARDED]
    assert fields["body"].value.startswith("为加快数字工信建设")
    assert "加强数字政府建设是适应新一轮科技革命" in fields["body"].value
    assert result.complete
    assert result.missing == []
    # Each field names the line it came from, in the order of the layout.
    lines = [fields[key].line for key in ("issuer", "doc_number", "title", "addressees")]
    assert lines == sorted(lines)
    assert result.document.format == ("txt" if kind == "gbk" else kind)
    if kind == "gbk":
        assert result.document.encoding == "gb18030"
    # What the register form and API take.
    assert result.notice_data()["doc_number"] == "舞工信〔2022〕25号"
    assert "secrecy" not in result.notice_data()  # no mark in the document: not guessed


def test_the_sample_lines_are_the_files_lines() -> None:
    lines = builders.sample_lines()
    result = extract_file("s.txt", builders.txt(lines), max_bytes=MAX)
    for key in ("issuer", "doc_number", "title", "addressees"):
        found = result.fields[key]
        assert found.line is not None
        assert lines[found.line - 1].strip()  # the line really holds the text


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("舞工信[2022]25号", ["brackets"]),
        ("舞工信（2022）25号", ["brackets"]),
        ("舞工信【2022】025号", ["brackets", "leading_zeros"]),
        ("舞工信〔2022〕第25号", ["di"]),
        ("舞工信(２０２２)25", ["fullwidth_digits", "brackets", "missing_hao"]),
    ],
)
def test_bracket_styles_in_the_number_are_normalised_and_explained(
    typed: str, codes: list[str]
) -> None:
    result = extract_text("\n".join(builders.notice_lines(number=typed)))
    found = result.fields["doc_number"]
    assert found.value == "舞工信〔2022〕25号"
    assert found.extra["original"] == typed
    assert [c["code"] for c in found.extra["corrections"]] == codes
    assert "已更正" in found.note
    assert result.notice_data()["doc_number"] == typed  # the register service corrects it again


@pytest.mark.parametrize("kind", ["txt", "docx", "pdf", "ofd"])
def test_a_title_over_two_lines_is_joined(kind: str) -> None:
    lines = builders.notice_lines(
        title=["舞阳县工业和信息化局关于转发《国务院关于加强", "数字政府建设的指导意见》的通知"]
    )
    name, data = builders.build(kind, lines)
    title = extract_file(name, data, max_bytes=MAX).fields["title"]
    assert title.value == TITLE
    assert len(title.extra["lines"]) == 2
    assert title.confidence == "high"


def test_no_addressees_the_body_follows_the_title() -> None:
    result = extract_text("\n".join(builders.notice_lines(addressees=None)))
    assert "addressees" not in result.fields
    assert result.fields["body"].value.startswith("为加快数字工信建设")
    assert result.complete


def test_several_forwarded_titles_with_their_numbers() -> None:
    lines = builders.notice_lines(
        title=["舞阳县工业和信息化局关于转发《甲文件》《乙办法》的通知"],
        body=[
            "现将《甲文件》（国发〔2022〕14号）和《乙办法》（豫政[2023]3号）转发给你们，请认真学习。"
        ],
    )
    found = extract_text("\n".join(lines)).fields["forwards"]
    assert found.value == ["甲文件", "乙办法"]
    assert found.confidence == "high"


def test_forwarded_numbers_in_the_body_sentence() -> None:
    lines = builders.notice_lines(
        title=["关于学习有关文件的通知"],
        body=[
            "现转发《国务院关于加强数字政府建设的指导意见》（国发〔2022〕14号）、《乙办法》，请学习。"
        ],
    )
    found = extract_text("\n".join(lines)).fields["forwards"]
    assert found.confidence == "medium"
    assert found.extra["items"] == [
        {"title": FORWARDED, "doc_number": "国发〔2022〕14号"},
        {"title": "乙办法", "doc_number": None},
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2022年10月8日", date(2022, 10, 8)),
        ("二〇二二年十月八日", date(2022, 10, 8)),
        ("二〇二二年九月二十九日", date(2022, 9, 29)),
        ("２０２２年１２月３１日", date(2022, 12, 31)),
        ("二○二三年一月三十一日", date(2023, 1, 31)),
    ],
)
def test_the_date_of_issue_under_the_signature(line: str, expected: date) -> None:
    lines = builders.notice_lines(
        body=["请认真学习。", "", "附件：1．国务院关于加强数字政府建设的指导意见", "2．学习要点"],
        closing=["舞阳县工业和信息化局", line, "（此件公开发布）"],
    )
    result = extract_text("\n".join(lines))
    assert result.fields["issued_on"].value == expected
    assert result.fields["issued_on"].confidence == "high"
    assert result.fields["signature"].value == "舞阳县工业和信息化局"
    assert result.fields["attachments"].value == [FORWARDED, "学习要点"]
    assert result.fields["secrecy"].value == "public"
    assert result.fields["secrecy"].confidence == "medium"


def test_an_impossible_date_is_not_taken() -> None:
    lines = builders.notice_lines(closing=["舞阳县工业和信息化局", "二〇二二年二月三十日"])
    assert "issued_on" not in extract_text("\n".join(lines)).fields


def test_a_date_out_of_the_registrable_range_is_reported_not_filled() -> None:
    lines = builders.notice_lines(closing=["舞阳县工业和信息化局", "1900年1月1日"])
    result = extract_text("\n".join(lines))
    assert "issued_on" not in result.fields
    assert [w["field"] for w in result.warnings] == ["issued_on"]


def test_marks_signer_and_letter_format() -> None:
    lines = builders.notice_lines(
        head=["000123", "内部", "特急"],
        issuer_mark="舞阳县人民政府办公室",
        number="舞政办〔2023〕7号        签发人：张三",
    )
    fields = extract_text("\n".join(lines)).fields
    assert fields["secrecy"].value == "internal"
    assert fields["secrecy"].confidence == "high"
    assert fields["urgency"].value == "extra_urgent"
    assert fields["signer"].value == "张三"
    assert fields["doc_number"].value == "舞政办〔2023〕7号"
    assert fields["issuer"].value == "舞阳县人民政府办公室"
    assert fields["issuer"].confidence == "medium"  # an organisation's name, not a 文件 mark


def test_a_classified_mark_is_found_and_flagged() -> None:
    result = extract_text("\n".join(builders.notice_lines(head=["秘密★1年", "加急"])))
    assert result.fields["secrecy"].value == "secret"
    assert result.fields["urgency"].value == "urgent"
    assert [w["code"] for w in result.warnings] == ["classified"]


def test_no_number_and_no_title_is_still_a_draft_saying_what_is_missing() -> None:
    result = extract_text("各位同事：\n请于本周五前提交材料。\n")
    assert not result.complete
    assert {m["field"] for m in result.missing} == {"doc_number", "title", "issuer"}
    assert all(m["message"] and m["message_en"] for m in result.missing)
    assert result.fields["body"].value.startswith("请于本周五前")


def test_issuer_from_the_title_when_there_is_no_mark() -> None:
    lines = builders.notice_lines(issuer_mark=None, number="")
    result = extract_text("\n".join(lines))
    assert result.fields["issuer"].value == "舞阳县工业和信息化局"
    assert result.fields["issuer"].confidence == "medium"
    assert [m["field"] for m in result.missing] == ["doc_number"]


def test_addressees_mapped_to_our_units() -> None:
    lines = builders.notice_lines(addressees="局领导班子、工业股、县中小企业服务中心、县财政局：")
    units = [
        UnitRef("GYG", "工业股", "section"),
        UnitRef("ZXFW", "县中小企业服务中心", "institution"),
    ]
    found = extract_text("\n".join(lines), units=units).fields["addressees"]
    assert found.extra == {
        "unit_kinds": ["leadership"],
        "units": ["GYG", "ZXFW"],
        "unit_names": ["工业股", "县中小企业服务中心"],
        "unmatched": ["县财政局"],
    }


def test_a_number_cited_in_the_title_is_not_the_documents_own() -> None:
    lines = builders.notice_lines(number="", title=["关于转发国发〔2022〕14号文件的通知"])
    result = extract_text("\n".join(lines))
    assert "doc_number" not in result.fields
    assert result.fields["title"].value == "关于转发国发〔2022〕14号文件的通知"


def test_so_notified_as_follows_is_the_body_not_the_addressees() -> None:
    lines = builders.notice_lines(addressees=None, body=["现将有关事项通知如下：", "一、时间"])
    result = extract_text("\n".join(lines))
    assert "addressees" not in result.fields
    assert result.fields["body"].value.startswith("现将有关事项通知如下：")
