"""Set-based statements for the sweep: each column travels as one array parameter.

A batch of 1,000 acknowledgements or 500 people would otherwise send statements with thousands
of placeholders (``IN (%s, %s, …)``, multi-row ``VALUES``, a ``CASE`` branch per person), which
cost more to build, bind and plan than to run; as arrays (``= ANY(%s)``, ``unnest(%s, …)``) a
statement has a handful of parameters whatever the batch.
"""

import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup
from django.db.models.sql.compiler import SQLCompiler

# Array types of the columns unnest() reads, by a short name used below.
ARRAY = {"id": "bigint[]", "int": "integer[]", "text": "text[]"}


class _AnyOf(Lookup):
    """``column = ANY(%s::bigint[])``: one parameter for any number of ids."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return ids_array(self.rhs)

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]


def ids_in(field: str, ids: Collection[int]) -> Any:
    """A filter for ``field IN ids`` as ``field = ANY(array)``: one parameter."""
    return _AnyOf(F(field), list(ids))


def ids_array(values: Iterable[int | None]) -> str:
    """An array literal of ids (``{1,2,NULL}``) for a ``%s::bigint[]`` parameter.

    Built here rather than by the driver, which checks every element for quoting in Python.
    """
    items = list(values)
    if None in items:
        return "{" + ",".join("NULL" if v is None else str(int(v)) for v in items) + "}"
    return "{" + ",".join(map(str, map(int, items))) + "}"  # type: ignore[arg-type]


def text_array(values: Iterable[str]) -> str:
    """An array literal of strings for a ``%s::text[]`` parameter: every element quoted."""
    return "{" + ",".join(map(_quoted, values)) + "}"


def _quoted(value: str) -> str:
    # Most elements (kinds, window keys, titles) need no escaping: skip the regex for them.
    if '"' in value or "\\" in value:
        value = _ESCAPE.sub(r"\\\g<0>", value)
    return '"' + value + '"'


_ESCAPE = re.compile(r'["\\]')


def unnest(types: Sequence[str]) -> str:
    """``unnest(%s::bigint[], %s::text[], …)`` for columns of these ``ARRAY`` names."""
    return "unnest(" + ", ".join(f"%s::{ARRAY[t]}" for t in types) + ")"


def execute(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one statement; the rows it returns (``RETURNING``), else ``[]``."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def qn(name: str) -> str:
    return str(connection.ops.quote_name(name))


def analyze(table: str) -> None:
    """Refresh the planner's statistics of ``table``.

    Right after a sweep has inserted many rows, the statistics still describe the table before
    them, and the next statements would be planned for a near-empty table (scanning every new
    row for each batch). Autovacuum catches up only a minute or so later.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {qn(table)}")
