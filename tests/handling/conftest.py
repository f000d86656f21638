"""The 批办 notice of the handling tests (the builders are in tests/handling/builders.py; the
``leaders`` fixture, the small bureau plus two leaders and the 办公室主任, is in tests/conftest.py,
as the reminder and record tests use it too)."""

import pytest

from circulation.records.models import Notice
from tests.builders import Bureau
from tests.handling.builders import action_notice


@pytest.fixture
def notice(leaders: Bureau) -> Notice:
    return action_notice(leaders)
