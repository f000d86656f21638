"""The sweep's array parameters (:mod:`workflows.reminders.sql`): literals built in Python that
PostgreSQL reads back exactly, whatever the text holds."""

import pytest
from django.db import connection

from workflows.reminders import sql

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "values",
    [
        ['a "quoted" b', "back\\slash", "{brace},comma", "", "NULL", "line\nnew\ttab"],
        ["中文《标题》（gyg_1）", "it's", '\\"', " spaced "],
        [],
    ],
)
def test_text_arrays_round_trip(values: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::bigint[]",
            [sql.text_array(values), sql.ids_array([1, None, 2**40])],
        )
        texts, ids = cursor.fetchone()
    assert texts == values
    assert ids == [1, None, 2**40]
