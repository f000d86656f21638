"""The recipient listing drawn straight onto the page (circulation/ackrecord/drawn.py) looks and
reads exactly like the same listing laid out as text by WeasyPrint, and a record that the direct
drawing cannot take is rendered with the listing as text."""

import io
import logging
from datetime import datetime
from typing import Any

import pytest
from pypdf import PdfReader

from circulation.ackrecord import drawn
from circulation.ackrecord.render import build_page, render_html, render_record
from tests.ackrecord.builders import SHANGHAI, pdf_text, pdfa_identification, squeeze
from tests.ackrecord.test_render_units import minimal_data, recipient

RENDITION = "5f0c1e2a-0000-4000-8000-000000000001"
GENERATED = datetime(2022, 10, 11, 9, 0, tzinfo=SHANGHAI)
LONG_COMMENT = "认真学习了指导意见，" * 12 + "将抓好落实。"


def _data(extra_name: str = "李四") -> dict[str, Any]:
    data = minimal_data()
    data["units"][0]["recipients"] = [
        recipient("张三", comment=LONG_COMMENT),
        recipient("Li Lei", comment="read and understood"),
        recipient(extra_name, state="returned"),
        *[recipient(f"王{i}") for i in range(60)],  # a second page
    ]
    return data


def _placed_text(pdf: bytes) -> list[tuple[int, float, float, str]]:
    """Every piece of text with its page and position, as pypdf reads it."""
    placed: list[tuple[int, float, float, str]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):

        def visit(text: str, cm: Any, tm: Any, _font: Any, _size: Any, page: int = number) -> None:
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                placed.append((page, round(x, 1), round(y, 1), text.strip()))

        page.extract_text(visitor_text=visit)
    return placed


def _render(data: dict[str, Any], *, drawn_listing: bool) -> bytes:
    html, cache = build_page(
        data,
        rendition_id=RENDITION,
        generated_at=GENERATED,
        content_hash="0" * 64,
        drawn=drawn_listing,
    )
    assert bool(cache) is drawn_listing
    return render_html(html, drawn=cache).pdf


def _units_over_pages() -> dict[str, Any]:
    """Three units whose page breaks fall at different places: one- to four-line recipients,
    returned ones (another colour) and one that the monospaced face cannot draw."""
    comments = ["已阅", LONG_COMMENT, "", "认真学习，" * 20, "read and understood"]
    data = minimal_data()
    data["units"] = [
        {
            "code": f"U{u}",
            "name": f"第{u}股室",
            "recipients": [
                recipient(
                    "\U00020000某" if (u, i) == (2, 30) else f"王{u}{i}",
                    state="returned" if i % 13 == 5 else "confirmed",
                    comment=comments[(i * (u + 2)) % len(comments)],
                )
                for i in range(size)
            ],
            "totals": {"total": size, "confirmed": size, "returned": 0},
        }
        for u, size in ((1, 37), (2, 81), (3, 45))
    ]
    return data


def _drawn_render(data: dict[str, Any], monkeypatch: pytest.MonkeyPatch, *, together: bool) -> Any:
    original = drawn.drawn_records
    monkeypatch.setattr(
        "circulation.ackrecord.render.drawn_records",
        lambda listing, columns: original(listing, columns, together=together),
    )
    html, cache = build_page(
        data, rendition_id=RENDITION, generated_at=GENERATED, content_hash="0" * 64
    )
    return len(cache), render_html(html, drawn=cache).pdf


def test_the_drawn_listing_puts_every_character_where_weasyprint_would() -> None:
    data = _data()
    as_text, as_drawn = _render(data, drawn_listing=False), _render(data, drawn_listing=True)

    # The same pieces of text at the same places (painted in another order: the page's text
    # first, then the listing).
    assert sorted(_placed_text(as_drawn)) == sorted(_placed_text(as_text))
    assert len(PdfReader(io.BytesIO(as_drawn)).pages) == 2
    text = squeeze(pdf_text(as_drawn))
    assert squeeze(LONG_COMMENT) in text  # wrapped under its column, nothing lost
    assert "LiLei" in text
    assert "退回原因：误发" in text
    assert pdfa_identification(as_drawn) == ("3", "B")


def test_runs_of_recipients_split_at_page_breaks_exactly_like_one_box_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run of recipients drawn as one box is split by the layout where a page is full: every
    character on the same page and at the same place as with one box per recipient, and as
    WeasyPrint lays the listing out as text."""
    data = _units_over_pages()
    boxes, together = _drawn_render(data, monkeypatch, together=True)
    each, separate = _drawn_render(data, monkeypatch, together=False)
    as_text = _render(data, drawn_listing=False)

    assert each == 37 + 80 + 45  # one per drawable recipient
    assert boxes < 40  # runs broken only by a colour change or the text-laid recipient
    pages = len(PdfReader(io.BytesIO(together)).pages)
    assert pages >= 6
    assert pages == len(PdfReader(io.BytesIO(separate)).pages)
    placed = _placed_text(together)
    assert placed == _placed_text(separate)  # same pieces, places and order
    assert sorted(placed) == sorted(_placed_text(as_text))
    for number, page in enumerate(PdfReader(io.BytesIO(together)).pages, start=1):
        footer = squeeze(page.extract_text())
        assert f"第{number}页共{pages}页" in footer  # page styles shared, numbers per page
        assert "舞工信〔2022〕25号收文阅知确认单" in footer  # the running head on every page
    text = squeeze(pdf_text(together))
    assert squeeze("认真学习，" * 20) in text
    assert "\U00020000某" in text
    assert pdfa_identification(together) == ("3", "B")


def test_a_recipient_taller_than_a_page_goes_on_on_the_next_page() -> None:
    """A comment may have 2,000 characters and as many line breaks: a recipient whose lines do not
    fit on a whole page is cut between two lines and goes on on the next page, as WeasyPrint
    breaks it as text — not drawn over the page's foot and off the paper."""
    data = minimal_data()
    tall = "".join(f"第{i}条体会：认真学习，抓好落实。\n" for i in range(1, 120))
    data["units"][0]["recipients"] = [
        *[recipient(f"王{i}") for i in range(30)],
        recipient("张三", comment=tall),
        *[recipient(f"李{i}") for i in range(5)],
    ]
    as_text, as_drawn = _render(data, drawn_listing=False), _render(data, drawn_listing=True)

    pages = PdfReader(io.BytesIO(as_drawn)).pages
    assert len(pages) == len(PdfReader(io.BytesIO(as_text)).pages) == 5
    assert sorted(_placed_text(as_drawn)) == sorted(_placed_text(as_text))
    page_height = float(pages[0].mediabox.height)
    lowest = min(y for page, _, y, text in _placed_text(as_drawn) if "条体会" in text)
    assert lowest > 18 / 25.4 * 72  # above the bottom margin (18 mm), where the foot is
    assert all(
        y < page_height for _, _, y, _ in _placed_text(as_drawn)
    )  # nothing above the paper either
    assert "第119条体会" in squeeze(pdf_text(as_drawn))


def test_a_listing_that_pango_draws_otherwise_is_rendered_as_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The character check is wrong on purpose (𠀀 is HanaMinB's, not the monospaced face's):
    the helper notices at paint time and the record is rendered again with the listing as text."""
    monkeypatch.setattr(drawn, "drawable", lambda text: True)
    data = _data(extra_name="\U00020000某")

    with caplog.at_level(logging.WARNING, logger="circulation.ackrecord.render"):
        rendered = render_record(
            data, rendition_id=RENDITION, generated_at=GENERATED, content_hash="0" * 64
        )

    assert "listing laid out as text" in caplog.text
    assert "\U00020000某" in squeeze(pdf_text(rendered.pdf))
    assert 'class="rec' in rendered.html  # the listing as <p class="rec"> text
    assert pdfa_identification(rendered.pdf) == ("3", "B")
