"""Hot statements prepared once per connection (circulation/records/prepared.py): answered like
the plain statement, still counted, kept across a rollback, prepared again on a new connection."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from circulation.records import prepared

SQL = "SELECT %s::int + 1, '100%%'"


def _run(value: int) -> tuple[int, str]:
    with connection.cursor() as cursor:
        prepared.execute(cursor, "circulation_test_plus_one", SQL, [value])
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


def _run_and_roll_back(value: int) -> None:
    with transaction.atomic():
        assert _run(value) == (value + 1, "100%")
        raise RuntimeError("roll back")


def _prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = 'circulation_test_plus_one'"
        )
        return [statement for (statement,) in cursor.fetchall()]


def test_placeholders_are_numbered_and_percent_signs_kept() -> None:
    assert prepared.numbered("a = %s AND b = ANY(%s) AND c LIKE '5%%'") == (
        "a = $1 AND b = ANY($2) AND c LIKE '5%'"
    )


@pytest.mark.django_db
def test_a_bad_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a statement name"), connection.cursor() as cursor:
        prepared.execute(cursor, "x; DROP TABLE t", SQL, [1])


@pytest.mark.django_db(transaction=True)
def test_prepared_once_counted_every_time_and_kept_across_a_rollback() -> None:
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        assert _run(1) == (2, "100%")
        assert _run(41) == (42, "100%")
    assert [q["sql"] for q in captured.captured_queries] == [
        "EXECUTE circulation_test_plus_one(1)",
        "EXECUTE circulation_test_plus_one(41)",
    ]
    assert _prepared_here() == ["PREPARE circulation_test_plus_one AS SELECT $1::int + 1, '100%'"]

    with pytest.raises(RuntimeError, match="roll back"):
        _run_and_roll_back(2)
    assert _run(3) == (4, "100%")  # the statement outlived the rollback

    connection.close()  # a new connection has nothing prepared: it prepares again
    assert _prepared_here() == []
    assert _run(5) == (6, "100%")
    assert len(_prepared_here()) == 1
