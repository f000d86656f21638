"""The English interface is complete: every message of ours has an English translation."""

from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated_and_none_is_a_guess() -> None:
    catalogue = polib.pofile(str(PO))
    assert not catalogue.metadata_is_fuzzy
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    guessed = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == []
    assert guessed == []
    assert len(catalogue.translated_entries()) > 400
