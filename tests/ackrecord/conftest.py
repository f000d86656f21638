"""Fixtures for the acknowledgement record: media under tmp_path and the sample notice carried
through a real circulation (the builders and the PDF readers are in tests/ackrecord/builders.py)."""

from typing import Any

import pytest

from tests.ackrecord.builders import Circulated, circulate_sample
from tests.builders import Bureau


@pytest.fixture(autouse=True)
def _isolated_media(media: Any) -> Any:
    """Every test here stores files under its own MEDIA_ROOT (the ``media`` fixture)."""
    return media


@pytest.fixture
def circulated(bureau: Bureau) -> Circulated:
    return circulate_sample(bureau)
