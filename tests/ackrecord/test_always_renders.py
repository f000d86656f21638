"""Whatever the API accepted is recordable: emoji, CJK Extension B+, control characters in old
data. Real WeasyPrint output read back with pypdf/pdfplumber; then the notice archives."""

import json
from typing import Any

import pytest

from circulation.ackrecord.fonts import missing_characters, substitute
from circulation.ackrecord.renditions import current_record
from circulation.records.actors import Actor
from circulation.records.models import Notice
from tests.ackrecord.builders import (
    confirm,
    embedded_files,
    font_names,
    fonts_without_file,
    forward,
    pdf_text,
    pdfa_identification,
    register_sample,
    squeeze,
)
from tests.builders import Bureau
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db

EXT_B = "\U00020000"  # 𠀀 CJK Extension B
EXT_G = "\U00030000"  # CJK Extension G: no installed font has it
THUMBS = "已学习👍"


def _done(bureau: Bureau, comments: list[str]) -> Notice:
    notice = register_sample(bureau)
    forward(bureau, notice, units=("GYG",))
    acks = list(notice.acknowledgements.select_related("person").order_by("pk"))
    for minute, ack in enumerate(acks, start=10):
        confirm(ack, minute, comment=comments[(minute - 10) % len(comments)])
    notice.refresh_from_db()
    assert notice.state == "completed"
    return notice


def test_fonts_cover_emoji_and_extension_b_and_substitute_the_rest() -> None:
    assert missing_characters([THUMBS, f"姓{EXT_B}", "❤️"]) == []
    assert missing_characters([f"响铃\x07{EXT_G}\ue000"]) == ["\x07", "\ue000", EXT_G]
    shown = substitute(f"标题\x07{EXT_G}", frozenset({"\x07", EXT_G}))
    assert shown == "标题[U+0007][U+30000]"


def test_emoji_extension_b_and_a_control_character_render_and_archive(bureau: Bureau) -> None:
    notice = _done(bureau, [THUMBS, f"学习了{EXT_B}字", f"新字{EXT_G}"])
    title = "关于加强数字政府建设的指导意见\x07（转发）"
    Notice.objects.filter(pk=notice.pk).update(title=title)  # old data, from before validation

    rendition = current_record(notice)
    pdf = rendition.file.read()
    text = squeeze(pdf_text(pdf))
    # The glyphs are drawn, from the embedded fallback faces.
    assert THUMBS in text
    assert f"学习了{EXT_B}字" in text
    fonts = " ".join(font_names(pdf))
    assert "Symbola" in fonts
    assert "HanaMinB" in fonts
    assert fonts_without_file(pdf) == []
    assert pdfa_identification(pdf) == ("3", "B")
    # What no font has: a visible substitute, and the code points listed with their names.
    assert "关于加强数字政府建设的指导意见[U+0007]（转发）" in text
    assert "新字[U+30000]" in text
    assert "字符说明" in text
    assert "U+0007控制字符controlcharacter" in text
    assert "U+30000CJKUNIFIEDIDEOGRAPH-30000" in text
    # The machine-readable record keeps the original text.
    record = json.loads(embedded_files(pdf)["record.json"])["record"]
    assert record["notice"]["title"] == title
    assert {r["comment"] for u in record["units"] for r in u["recipients"]} >= {THUMBS}

    archived = archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    assert archived.checks_report["ok"] is True


def test_the_record_pdf_answers_200_for_such_a_record(bureau: Bureau, api: Any) -> None:
    notice = _done(bureau, [THUMBS])
    Notice.objects.filter(pk=notice.pk).update(instruction="请学习😀\x1b")
    response = api(bureau.clerk).get(f"/api/v1/notices/{notice.pk}/record.pdf")
    assert response.status_code == 200
    text = squeeze(pdf_text(b"".join(response.streaming_content)))
    assert "请学习😀[U+001B]" in text
