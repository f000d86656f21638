"""Hypothesis over the parsers: any text or bytes gives fields or an IntakeError, quickly."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circulation.intake.errors import IntakeError
from circulation.intake.extraction import extract_file, extract_text
from circulation.intake.layout import extract_fields
from circulation.intake.text import decode_text
from tests.intake import builders

# The characters the layout rules look at, so the examples hit the rules, not just noise.
PIECES = list(
    "舞工信〔〕[]（）()【】第号年月日〇一二三十文件关于转发《》〈〉的通知：:、，。附件签发人秘密★特急内部"
    "0123456789０１２ \u3000\t"
)
LINE = st.text(alphabet=st.sampled_from(PIECES) | st.characters(), max_size=120)
DOC = st.lists(LINE, max_size=40)


def outcome(call: Callable[[], Any]) -> tuple[Any, IntakeError | None]:
    """The call's result, or the IntakeError it raised (anything else fails the test)."""
    try:
        return call(), None
    except IntakeError as error:
        return None, error


def assert_clear(error: IntakeError | None) -> None:
    if error is not None:
        assert error.message
        assert error.message_en


FAST = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(DOC)
def test_layout_never_crashes(lines: list[str]) -> None:
    fields = extract_fields(lines)
    for found in fields.values():
        assert found.confidence in {"high", "medium", "low"}
        assert found.line is None or 1 <= found.line <= len(lines)


@FAST
@given(st.text(max_size=3000))
def test_pasted_text_gives_fields_or_a_clear_error(text: str) -> None:
    result, error = outcome(lambda: extract_text(text))
    assert_clear(error)
    if result is not None:
        result.as_dict()


@FAST
@given(st.binary(max_size=4000))
def test_decoding_bytes_gives_text_or_a_clear_error(data: bytes) -> None:
    _result, error = outcome(lambda: decode_text(data))
    assert error is None or error.code in {"not_text", "mixed_encodings", "unknown_encoding"}


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["a.txt", "a.pdf", "a.docx", "a.ofd"]), st.binary(max_size=3000))
def test_any_bytes_under_any_name(name: str, data: bytes) -> None:
    assert_clear(outcome(lambda: extract_file(name, data, max_bytes=1 << 20))[1])


@settings(max_examples=60, deadline=5000)
@given(st.integers(min_value=0, max_value=30), st.binary(min_size=1, max_size=40))
def test_mutated_ofd_and_docx(position: int, patch: bytes) -> None:
    for kind in ("ofd", "docx"):
        name, data = builders.build(kind, builders.notice_lines())
        offset = (position * 997) % len(data)
        broken = data[:offset] + patch + data[offset + len(patch) :]
        assert_clear(outcome(partial(extract_file, name, broken, max_bytes=1 << 22))[1])


def test_slow_paths_stay_fast() -> None:
    """Long lines built to make backtracking regexes crawl are read in well under a second."""
    nasty = [
        "转发" + "《" * 5000,
        "转发" + "《a》 " * 2000 + "x",
        "舞" * 20 + "〔" * 3000,
        "将" + "《a》（" * 1500,
        "二" * 4000 + "年",
        " " * 10000 + "：",
        "附件：" + "1．" * 3000,
        "签发人：" + " " * 5000 + "x",
    ]
    for line in nasty:
        started = time.perf_counter()
        extract_text("\n".join([line] * 20))
        assert time.perf_counter() - started < 1.0, line[:20]


def test_the_longest_pasted_text_is_read_in_linear_time() -> None:
    """A body at the 200,000-character limit (the sample repeated): every rule that looks past
    the head is one pass, so this stays far from the request timeouts even on a busy machine."""
    text = builders.sample_text()
    big = (text * (200_000 // len(text) + 1))[:200_000]
    started = time.perf_counter()
    result = extract_text(big)
    elapsed = time.perf_counter() - started
    assert result.fields["doc_number"].value == "舞工信〔2022〕25号"
    assert elapsed < 3.0
