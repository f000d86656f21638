"""A bureau with a 领导班子 (two leaders) beside the three units of the shared bureau (the
builders are in tests/delegation/builders.py).

``leaders`` here is the two leaders of 局领导班子 (LDBZ); for this package it overrides the
``leaders`` of tests/conftest.py (the bureau with the 批办 tests' leaders)."""

import pytest

from circulation.records.models import Person
from tests.builders import Bureau
from tests.delegation.builders import add_leadership


@pytest.fixture
def leaders(bureau: Bureau) -> tuple[Person, Person]:
    return add_leadership(bureau)
