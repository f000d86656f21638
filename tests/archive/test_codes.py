"""档号 (DA/T 22-2015): formatting and parsing."""

import pytest

from circulation.archive.codes import (
    ArchivalCode,
    ArchivalCodeError,
    format_code,
    normalise_code,
    parse_code,
    parse_retention,
)


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        (("Z109", 2022, "D30", "BGS", 25), "Z109-WS·2022-D30-BGS-0025"),
        (("Z109", 2022, "D30", "BGS", 1), "Z109-WS·2022-D30-BGS-0001"),
        (("Z109", 2023, "Y", "GYG", 9999), "Z109-WS·2023-Y-GYG-9999"),
        (("J001", 1998, "D10", "ZXFW", 130), "J001-WS·1998-D10-ZXFW-0130"),
    ],
)
def test_format_and_parse_round_trip(parts: tuple, text: str) -> None:
    code = ArchivalCode(*parts)
    assert format_code(code) == str(code) == text
    assert parse_code(text) == code
    assert code.item_text == f"{parts[4]:04d}"


@pytest.mark.parametrize(
    "variant",
    [
        "z109-ws·2022-d30-bgs-0025",
        " Z109-WS・2022-D30-BGS-0025 ",
        "Z109-WS.2022-D30-BGS-0025",
        "Z109-WS•2022-D30-BGS-0025",
    ],
)
def test_parse_tolerates_case_blanks_and_look_alike_dots(variant: str) -> None:
    assert normalise_code(variant) == "Z109-WS·2022-D30-BGS-0025"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "Z109-WS-2022-D30-BGS-0025",  # no dot
        "Z109-WS·2022-D20-BGS-0025",  # unknown retention
        "Z109-WS·2022-D30-BGS-25",  # 件号 not four digits
        "Z109-WS·2022-D30-BGS-00025",
        "Z109-WS·2022-D30-BGS-0000",  # 件号 starts at 1
        "Z109-WS·22-D30-BGS-0025",
        "Z1 09-WS·2022-D30-BGS-0025",
    ],
)
def test_parse_refuses_what_is_not_a_code(bad: str) -> None:
    with pytest.raises(ArchivalCodeError) as caught:
        parse_code(bad)
    assert caught.value.message
    assert caught.value.message_en


def test_item_number_range() -> None:
    with pytest.raises(ArchivalCodeError):
        ArchivalCode("Z109", 2022, "D30", "BGS", 10000)
    with pytest.raises(ArchivalCodeError):
        ArchivalCode("Z109", 2022, "D30", "bgs", 1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Y", "Y"),
        ("d30", "D30"),
        ("D10", "D10"),
        ("永久", "Y"),
        ("定期30年", "D30"),
        ("定期10年", "D10"),
        ("D20", None),
        ("", None),
    ],
)
def test_retention_codes_and_labels(text: str, code: str | None) -> None:
    assert parse_retention(text) == code
