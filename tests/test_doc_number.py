"""Unit tests for 发文字号 parsing (GB/T 9704-2012 §7.2.5). Pure Python: no database."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from circulation.records.doc_number import (
    MAX_INPUT_LENGTH,
    MAX_ISSUER_LENGTH,
    MAX_SERIAL,
    MAX_YEAR,
    MIN_YEAR,
    Correction,
    DocNumberError,
    ParsedDocNumber,
    format_doc_number,
    parse_doc_number,
)

CANONICAL = "舞工信〔2022〕25号"
CANONICAL_SHAPE = re.compile(r"^[^\d〔〕]+〔\d{4}〕[1-9]\d*号$")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _codes(parsed: ParsedDocNumber) -> set[str]:
    """The set of correction codes reported for ``parsed``."""
    return {correction.code for correction in parsed.corrections}


def _assert_explained(error: DocNumberError) -> None:
    """A rejection carries a code and a message in Chinese and in English."""
    assert error.code
    assert error.message
    assert error.message_en
    assert str(error) == error.message


# --- accepted variants -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "issuer", "year", "serial", "codes"),
    [
        ("舞工信〔2022〕25号", CANONICAL, "舞工信", 2022, 25, set()),
        ("国发〔2024〕1号", "国发〔2024〕1号", "国发", 2024, 1, set()),
        ("豫政办〔2023〕108号", "豫政办〔2023〕108号", "豫政办", 2023, 108, set()),
        ("舞工信[2022]25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信（2022）25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信(2022)25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信﹝2022﹞25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信［2022］25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信{2022}25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信[2022〕25号", CANONICAL, "舞工信", 2022, 25, {"brackets"}),
        ("舞工信【2022】025号", CANONICAL, "舞工信", 2022, 25, {"brackets", "leading_zeros"}),
        ("舞工信〔2022〕第25号", CANONICAL, "舞工信", 2022, 25, {"di"}),
        ("舞工信〔2022〕25", CANONICAL, "舞工信", 2022, 25, {"missing_hao"}),
        ("舞工信〔２０２２〕25号", CANONICAL, "舞工信", 2022, 25, {"fullwidth_digits"}),
        ("舞工信〔2022〕２５号", CANONICAL, "舞工信", 2022, 25, {"fullwidth_digits"}),
        (
            "舞工信〔２０２２〕０２５号",
            CANONICAL,
            "舞工信",
            2022,
            25,
            {"fullwidth_digits", "leading_zeros"},
        ),
        ("  舞工信〔2022〕25号 ", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("\t舞工信〔2022〕25号\n", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("舞工信 〔2022〕 25 号", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("舞 工 信〔20 22〕2 5号", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("舞工信\u3000〔2022〕25号", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("\u3000舞工信〔2022〕25号\u3000", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("\ufeff舞工信〔2022〕25\u200b号", CANONICAL, "舞工信", 2022, 25, {"whitespace"}),
        ("舞工信〔2022〕007号", "舞工信〔2022〕7号", "舞工信", 2022, 7, {"leading_zeros"}),
        ("舞工信〔2022〕100号", "舞工信〔2022〕100号", "舞工信", 2022, 100, set()),
        ("A舞工信〔2022〕25号", "A舞工信〔2022〕25号", "A舞工信", 2022, 25, set()),
        ("舞Ａ〔2022〕25号", "舞A〔2022〕25号", "舞A", 2022, 25, {"fullwidth_letters"}),
        ("舞工信〔1949〕1号", "舞工信〔1949〕1号", "舞工信", 1949, 1, set()),
        ("舞工信〔2100〕1号", "舞工信〔2100〕1号", "舞工信", 2100, 1, set()),
        (
            " 舞工信 [２０２２] 第０25 ",
            CANONICAL,
            "舞工信",
            2022,
            25,
            {"whitespace", "fullwidth_digits", "brackets", "di", "leading_zeros", "missing_hao"},
        ),
        (
            "舞工信（2022）第025",
            CANONICAL,
            "舞工信",
            2022,
            25,
            {"brackets", "di", "leading_zeros", "missing_hao"},
        ),
    ],
)
def test_accepts_and_normalises_variants(
    text: str, canonical: str, issuer: str, year: int, serial: int, codes: set[str]
) -> None:
    parsed = parse_doc_number(text)
    assert parsed.canonical == canonical
    assert parsed.issuer_code == issuer
    assert parsed.year == year
    assert parsed.serial == serial
    assert parsed.original == text
    assert _codes(parsed) == codes
    assert len(parsed.corrections) == len(codes)


def test_canonical_input_has_no_corrections() -> None:
    parsed = parse_doc_number(CANONICAL)
    assert parsed == ParsedDocNumber(
        original=CANONICAL,
        canonical=CANONICAL,
        issuer_code="舞工信",
        year=2022,
        serial=25,
        corrections=(),
    )


def test_brackets_message_names_what_was_typed() -> None:
    (correction,) = parse_doc_number("舞工信[2022]25号").corrections
    assert correction == Correction(
        "brackets",
        '将"[2022]"中的括号改为六角括号"〔〕"',
        'Changed the brackets in "[2022]" to the tortoise-shell brackets "〔〕"',
    )


def test_leading_zeros_message_names_old_and_new_serial() -> None:
    (correction,) = parse_doc_number("舞工信〔2022〕025号").corrections
    assert correction.code == "leading_zeros"
    assert '"025"' in correction.message
    assert '"25"' in correction.message
    assert "前导零" in correction.message
    assert '"025"' in correction.message_en
    assert "leading zeros" in correction.message_en


def test_fullwidth_digits_in_year_and_serial_are_one_correction() -> None:
    parsed = parse_doc_number("舞工信〔２０２２〕２５号")
    (correction,) = parsed.corrections
    assert correction.code == "fullwidth_digits"
    assert "２０２２" in correction.message
    assert "２５" in correction.message


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("  舞工信〔2022〕25号  ", "首尾", "around"),
        ("舞工信 〔2022〕25号", "中间", "inside"),
        (" 舞工信 〔2022〕25号", "首尾和中间", "around and inside"),
    ],
)
def test_whitespace_message_says_where(text: str, zh: str, en: str) -> None:
    (correction,) = parse_doc_number(text).corrections
    assert correction.code == "whitespace"
    assert zh in correction.message
    assert en in correction.message_en


def test_corrections_are_reported_in_a_stable_order() -> None:
    parsed = parse_doc_number(" 舞工信 [２０２２] 第025 ")
    assert [c.code for c in parsed.corrections] == [
        "whitespace",
        "fullwidth_digits",
        "brackets",
        "di",
        "leading_zeros",
        "missing_hao",
    ]


def test_format_doc_number() -> None:
    assert format_doc_number("舞工信", 2022, 25) == CANONICAL


def test_input_at_the_length_limit_is_accepted() -> None:
    text = CANONICAL.ljust(MAX_INPUT_LENGTH)
    assert parse_doc_number(text).canonical == CANONICAL


def test_longest_issuer_code_is_accepted() -> None:
    issuer = "舞" * MAX_ISSUER_LENGTH
    assert parse_doc_number(f"{issuer}〔2022〕1号").issuer_code == issuer


def test_largest_serial_is_accepted() -> None:
    assert parse_doc_number(f"舞工信〔2022〕{MAX_SERIAL}号").serial == MAX_SERIAL


# --- rejected input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u3000\t\n", "empty"),
        ("\u200b", "empty"),
        ("舞" * (MAX_INPUT_LENGTH + 1), "too_long"),
        (CANONICAL.ljust(MAX_INPUT_LENGTH + 1), "too_long"),
        ("舞工信202225号", "missing_brackets"),
        ("舞工信2022年25号", "missing_brackets"),
        ("舞工信[2022 25号", "missing_brackets"),
        ("舞工信2022]25号", "missing_brackets"),
        ("舞工信[22]25号", "year_format"),
        ("舞工信〔022〕25号", "year_format"),
        ("舞工信〔20222〕25号", "year_format"),
        ("舞工信〔〕25号", "year_format"),
        ("舞工信〔二〇二二〕25号", "year_format"),
        ("舞工信〔2022年〕25号", "year_format"),
        ("舞工信〔١٢٣٤〕25号", "year_format"),
        ("舞工信〔1948〕25号", "year_range"),
        ("舞工信〔2101〕25号", "year_range"),
        ("舞工信〔0000〕25号", "year_range"),
        ("舞工信〔2022〕", "serial_missing"),
        ("舞工信〔2022〕号", "serial_missing"),
        ("舞工信〔2022〕第号", "serial_missing"),
        ("舞工信〔2022〕0号", "serial_zero"),
        ("舞工信〔2022〕000号", "serial_zero"),
        ("舞工信〔2022〕０号", "serial_zero"),
        ("舞工信〔2022〕二十五号", "serial_invalid"),
        ("舞工信〔2022〕25a号", "serial_invalid"),
        ("舞工信〔2022〕-25号", "serial_invalid"),
        ("舞工信〔2022〕2.5号", "serial_invalid"),
        ("舞工信〔2022〕25号文", "serial_invalid"),
        ("舞工信〔2022〕25号号", "serial_invalid"),
        ("舞工信〔2022〕〔2023〕25号", "serial_invalid"),
        ("舞工信〔2022〕²号", "serial_invalid"),
        (f"舞工信〔2022〕{MAX_SERIAL + 1}号", "serial_too_large"),
        ("舞工信〔2022〕" + "9" * 40 + "号", "serial_too_large"),
        ("〔2022〕25号", "issuer_missing"),
        ("[2022]25", "issuer_missing"),
        ("ABC〔2022〕25号", "issuer_invalid"),
        ("舞工信2〔2022〕25号", "issuer_invalid"),
        ("舞工信２〔2022〕25号", "issuer_invalid"),
        ("舞(工)信〔2022〕25号", "issuer_invalid"),
        ("舞工信]〔2022〕25号", "issuer_invalid"),
        ("舞工-信〔2022〕25号", "issuer_invalid"),
        ("舞\x00工信〔2022〕25号", "issuer_invalid"),
        ("舞工信·〔2022〕25号", "issuer_invalid"),
        ("舞" * (MAX_ISSUER_LENGTH + 1) + "〔2022〕1号", "issuer_too_long"),
    ],
)
def test_rejects_with_reason(text: str, code: str) -> None:
    with pytest.raises(DocNumberError) as excinfo:
        parse_doc_number(text)
    assert excinfo.value.code == code
    _assert_explained(excinfo.value)


def test_none_is_rejected_as_empty() -> None:
    with pytest.raises(DocNumberError) as excinfo:
        parse_doc_number(None)  # type: ignore[arg-type]
    assert excinfo.value.code == "empty"


def test_error_is_a_value_error_with_messages() -> None:
    error = DocNumberError("year_format", "年份有误", "Bad year")
    assert isinstance(error, ValueError)
    assert (error.code, error.message, error.message_en) == ("year_format", "年份有误", "Bad year")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("舞工信[22]25号", '"22"'),
        ("舞工信〔1900〕25号", "1900"),
        ("舞工信〔2022〕25a号", '"25a"'),
        ("舞工信2〔2022〕25号", '"2"'),
        ("舞\x00工信〔2022〕25号", "U+0000"),
    ],
)
def test_error_messages_name_the_offending_part(text: str, fragment: str) -> None:
    with pytest.raises(DocNumberError) as excinfo:
        parse_doc_number(text)
    assert fragment in excinfo.value.message
    assert fragment in excinfo.value.message_en


# --- properties --------------------------------------------------------------------------------

BRACKET_PAIRS = [
    ("〔", "〕"),
    ("[", "]"),
    ("（", "）"),
    ("(", ")"),
    ("【", "】"),
    ("﹝", "﹞"),
    ("［", "］"),
    ("{", "}"),
]
SPACES = [" ", "\u3000", "\t", "\n", "\u00a0"]
cjk_chars = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@st.composite
def issuer_codes(draw: st.DrawFn) -> str:
    """机关代字: CJK characters, possibly with Latin letters, at least one CJK character."""
    chars = draw(st.lists(cjk_chars | st.sampled_from(string.ascii_letters), max_size=8))
    chars.insert(draw(st.integers(0, len(chars))), draw(cjk_chars))
    return "".join(chars)


@dataclass(frozen=True)
class Variant:
    """A 发文字号 written in some accepted variant, with what parsing it should give."""

    text: str
    issuer: str
    year: int
    serial: int
    codes: frozenset[str]


@st.composite
def variants(draw: st.DrawFn) -> Variant:
    """Format generated parts with random brackets, zeros, 第, 号, full-width digits and spaces."""
    issuer = draw(issuer_codes())
    year = draw(st.integers(MIN_YEAR, MAX_YEAR))
    serial = draw(st.integers(1, MAX_SERIAL))
    open_bracket, close_bracket = draw(st.sampled_from(BRACKET_PAIRS))
    zeros = draw(st.integers(0, 3))
    di, hao = draw(st.booleans()), draw(st.booleans())
    year_text, serial_text = str(year), "0" * zeros + str(serial)
    fullwidth_year, fullwidth_serial = draw(st.booleans()), draw(st.booleans())
    if fullwidth_year:
        year_text = year_text.translate(FULLWIDTH)
    if fullwidth_serial:
        serial_text = serial_text.translate(FULLWIDTH)
    text = "".join(
        [
            issuer,
            open_bracket,
            year_text,
            close_bracket,
            "第" if di else "",
            serial_text,
            "号" if hao else "",
        ]
    )
    spaces = draw(st.lists(st.tuples(st.integers(0, len(text)), st.sampled_from(SPACES))))
    for position, space in spaces:
        text = text[:position] + space + text[position:]
    expected = {
        "whitespace": bool(spaces),
        "fullwidth_digits": fullwidth_year or fullwidth_serial,
        "brackets": (open_bracket, close_bracket) != ("〔", "〕"),
        "di": di,
        "leading_zeros": zeros > 0,
        "missing_hao": not hao,
    }
    return Variant(
        text, issuer, year, serial, frozenset(code for code, made in expected.items() if made)
    )


@given(variants())
def test_round_trip_recovers_the_parts(variant: Variant) -> None:
    parsed = parse_doc_number(variant.text)
    assert (parsed.issuer_code, parsed.year, parsed.serial) == (
        variant.issuer,
        variant.year,
        variant.serial,
    )
    assert parsed.canonical == f"{variant.issuer}〔{variant.year}〕{variant.serial}号"
    assert _codes(parsed) == variant.codes
    assert len(parsed.corrections) == len(variant.codes)


@given(variants())
def test_normalisation_is_idempotent(variant: Variant) -> None:
    parsed = parse_doc_number(variant.text)
    again = parse_doc_number(parsed.canonical)
    assert again.canonical == parsed.canonical
    assert again.corrections == ()
    assert (again.issuer_code, again.year, again.serial) == (
        parsed.issuer_code,
        parsed.year,
        parsed.serial,
    )


def _check_parses_or_rejects(text: str) -> None:
    """Parsing either succeeds with a sane, idempotent result or raises DocNumberError."""
    try:
        parsed = parse_doc_number(text)
    except DocNumberError as error:
        _assert_explained(error)
        return
    assert CANONICAL_SHAPE.match(parsed.canonical)
    codes = [correction.code for correction in parsed.corrections]
    assert len(codes) == len(set(codes))
    assert (parsed.canonical == text) == (not codes)
    assert parse_doc_number(parsed.canonical).corrections == ()


@given(st.text())
@example("\x00")
@example("\ud7ff" * 500)
@example("舞工信〔2022〕" + "0" * 90 + "1号")
def test_parse_never_raises_anything_but_doc_number_error(text: str) -> None:
    _check_parses_or_rejects(text)


near_misses = st.text(
    alphabet=st.sampled_from(
        list("舞工信国发A01289０２５〔〕[]()（）【】﹝﹞［］{}第号年-. \u3000\t\x00\u200b²")
    ),
    max_size=30,
)


@given(near_misses)
@example("舞工信〔2022〕25号")
def test_near_miss_input_parses_or_is_rejected_cleanly(text: str) -> None:
    _check_parses_or_rejects(text)
