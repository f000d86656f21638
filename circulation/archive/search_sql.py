"""The archive search's statements, compiled by Django once per process (issue 12).

A search sends three to six statements whose shape depends only on the caller's records (the
organisation and filters: the same SQL for every search of an archivist, with other values) and
on which of a handful of forms the search needs — ids with a flag, ids, rows of a page, rows by
id, a count. Compiling them through the ORM on every call (cloning the query, resolving each
condition, writing the ``select_related`` columns) cost about half of a search's Python. So
each form is compiled once with markers where the search's own condition (and flag) go —
:class:`Template` — and a call splices its condition into that text (:class:`Sql`: SQL with
``%s`` parameters, bound on the client as before). The statements PostgreSQL receives are the
ones the ORM wrote, with the same conditions, so their plans (enforced with ``SET LOCAL``, see
:mod:`circulation.archive.search_plan`) are the same; they are sent through Django's cursor,
so they are logged and counted like any other. Rows are built as the ORM builds them
(``from_db``, ``select_related`` populators, field converters).

A template is kept for records whose query the key describes in full (:func:`base_key`: the
SQL of their filtered ids, the ``select_related`` and deferred fields), and the caller's values
(the organisation, the 年度 …) are put into it on every call; anything else (an annotated,
prefetching or otherwise unusual queryset) is compiled for the call only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable, get_related_populators  # type: ignore[attr-defined]

MAX_TEMPLATES = 500  # different callers' records (organisations × filters × forms)
_CONDITION, _FLAG, _IDS = "archive_search_where", "archive_search_flag", "archive_search_ids"
_MARK = "\x00archive-search-mark\x00"  # never a value of the caller's records: a parameter
_templates: dict[tuple[Any, ...], Template] = {}


@dataclass(frozen=True)
class Sql:
    """A piece of SQL with ``%s`` parameters (an empty text: no condition)."""

    text: str
    params: tuple[Any, ...] = ()

    def __and__(self, other: Sql) -> Sql:
        if not other.text:
            return self
        if not self.text:
            return other
        return Sql(f"{self.text} AND {other.text}", self.params + other.params)

    def __invert__(self) -> Sql:
        return Sql(f"NOT ({self.text})", self.params)

    def __bool__(self) -> bool:
        return bool(self.text)

    def q(self) -> Q:
        """The same condition for the ORM."""
        return Q(
            RawSQL(  # noqa: S611 - our own SQL; every value is a bound parameter
                self.text, list(self.params), output_field=BooleanField()
            )
        )


NOTHING = Sql("")


class Template:
    """One statement compiled with markers: its text cut at the markers, and how its rows
    become records (for the forms that return records)."""

    def __init__(self, sql: str, params: Sequence[Any], compiler: Any = None) -> None:
        self.pieces: list[str] = []
        self.slots: list[str] = []  # the marker between pieces[i] and pieces[i + 1]
        self.params: list[tuple[Any, ...]] = []  # the caller's parameters of pieces[i]
        rest, rest_params = sql, list(params)
        while True:
            found = [(rest.find(f"{name}(%s)"), name) for name in (_CONDITION, _FLAG, _IDS)]
            found = [(at, name) for at, name in found if at >= 0]
            if not found:
                break
            at, name = min(found)
            before = rest[:at]
            count = _placeholders(before)
            if rest_params[count] != _MARK:
                raise ValueError("marker and parameter out of step")
            self.pieces.append(before)
            self.params.append(tuple(rest_params[:count]))
            self.slots.append(name)
            rest = rest[at + len(name) + len("(%s)") :]
            rest_params = rest_params[count + 1 :]
        if _MARK in rest_params:
            raise ValueError("a marker not found in the statement")
        self.pieces.append(rest)
        self.params.append(tuple(rest_params))
        self.base_params = tuple(p for group in self.params for p in group)
        self.records: Any = None
        if compiler is not None:
            self.records = _RowMaker(compiler)

    def sql(self, fill: dict[str, Sql], tail: str = "", tail_params: Sequence[Any] = ()) -> Sql:
        text: list[str] = []
        params: list[Any] = []
        for piece, own, slot in zip(self.pieces, self.params, [*self.slots, ""], strict=True):
            text.append(piece)
            params.extend(own)
            if slot:
                text.append(f"({fill[slot].text})")
                params.extend(fill[slot].params)
        return Sql("".join(text) + tail, (*params, *tail_params))


def _placeholders(sql: str) -> int:
    return sql.replace("%%", "").count("%s")


class _RowMaker:
    """Records from rows, as :class:`django.db.models.query.ModelIterable` makes them."""

    def __init__(self, compiler: Any) -> None:
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.db = compiler.using
        self.populators = get_related_populators(klass_info, select, self.db)
        expressions = [s[0] for s in select[0 : compiler.col_count]]
        self.converters = list(compiler.get_converters(expressions).items())
        self.annotations = list(compiler.annotation_col_map.items())

    def make(self, rows: list[Any]) -> list[Any]:
        made = []
        for raw in rows:
            row = list(raw)
            for position, (converters, expression) in self.converters:
                value = row[position]
                for convert in converters:
                    value = convert(value, expression, connection)
                row[position] = value
            record = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, record)
            for name, position in self.annotations:
                setattr(record, name, row[position])
            made.append(record)
        return made


def base_key(records: QuerySet[Any]) -> tuple[tuple[Any, ...] | None, str, tuple[Any, ...]]:
    """What identifies the records' statements (None: not to be kept), and the SQL and
    parameters of their filtered ids (the key of the planner's estimate too)."""
    ids = records.order_by().values_list("pk")
    sql, params = ids.query.sql_with_params()
    query = records.query
    state: Any = records  # the queryset's own attributes, which the stubs do not list
    plain = (
        records._iterable_class is ModelIterable
        and not state._prefetch_related_lookups
        and not state._known_related_objects
        and not query.annotations
        and not query.extra
        and not query.distinct
        and not query.select_for_update
        and not query.combinator
    )
    if not plain:
        return None, sql, tuple(params)
    shape = (records.model, repr(query.select_related), repr(query.deferred_loading))
    return (connection.alias, sql, *shape), sql, tuple(params)


def _compiled(queryset: QuerySet[Any], rows: bool) -> Template:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return Template(sql, params, compiler if rows else None)


def _build(records: QuerySet[Any], form: str) -> Template:
    where = Q(
        RawSQL(f"{_CONDITION}(%s)", [_MARK], output_field=BooleanField())  # noqa: S611
    )
    ordered = form.endswith("_ordered")
    if form.startswith("by_ids"):  # the records whose ids an array (or a statement) gives
        pk = records.model._meta.pk.column
        table = records.model._meta.db_table
        matching = records.filter(
            RawSQL(  # noqa: S611 - our table and column names
                f'"{table}"."{pk}" = ANY({_IDS}(%s))', [_MARK], output_field=BooleanField()
            )
        )
        return _compiled(matching.order_by("-pk") if ordered else matching.order_by(), rows=True)
    chosen = records.filter(where)
    chosen = chosen.order_by("-pk") if ordered else chosen.order_by()
    if form.startswith("ids"):
        return _compiled(chosen.values_list("pk", flat=True), rows=False)
    flag = ExpressionWrapper(
        RawSQL(f"{_FLAG}(%s)", [_MARK], output_field=BooleanField()),  # noqa: S611
        output_field=BooleanField(),
    )
    return _compiled(chosen.annotate(_flag=flag).values_list("pk", "_flag"), rows=False)


class Statements:
    """The statements of one search over ``records``."""

    def __init__(self, records: QuerySet[Any]) -> None:
        self.records = records
        self.key, self.ids_sql, self.ids_params = base_key(records)

    def _template(self, form: str) -> Template:
        key = None if self.key is None else (form, *self.key)
        if key is not None:
            hit = _templates.get(key)
            if hit is not None:
                return _rebound(hit, self.ids_params)
        built = _build(self.records, form)
        if key is not None and built.base_params == self.ids_params:
            if len(_templates) >= MAX_TEMPLATES:
                _templates.clear()
            _templates[key] = built
        return built

    def _run(self, statement: Sql) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(statement.text, list(statement.params))
            return cursor.fetchall()

    def rows(self, condition: Sql, *, offset: int = 0, limit: int | None = None) -> list[Any]:
        """The records matching ``condition``, newest first, sliced. Their ids are chosen
        first (``id = ANY(ARRAY(…))``, an InitPlan) and only those rows are fetched and
        joined to the ``select_related`` tables: selected with the rows, a page that sorts
        its candidates (the 994 title matches of 教〔2015〕) joined every one of them first."""
        ids = self._template("ids_ordered")
        tail, values = _slice(offset, limit)
        chosen = ids.sql({_CONDITION: condition}, tail, values)
        template = self._template("by_ids_ordered")
        fill = {_IDS: Sql(f"ARRAY({chosen.text})", chosen.params)}
        return self._made(template, self._run(template.sql(fill)))

    def _made(self, template: Template, rows: list[Any]) -> list[Any]:
        made = template.records.make(rows)
        lookups = getattr(self.records, "_prefetch_related_lookups", ())
        if lookups:
            prefetch_related_objects(made, *lookups)
        return made

    def ids(
        self, condition: Sql, *, ordered: bool, limit: int, flag: Sql | None = None
    ) -> list[Any]:
        """Their ids (or, with ``flag``, (id, whether ``flag`` holds) pairs), at most
        ``limit``, newest first when ``ordered``."""
        suffix = "_ordered" if ordered else ""
        tail, values = _slice(0, limit)
        if flag is None:
            template = self._template("ids" + suffix)
            found = self._run(template.sql({_CONDITION: condition}, tail, values))
            return [row[0] for row in found]
        template = self._template("flagged" + suffix)
        fill = {_CONDITION: condition, _FLAG: flag}
        return [(pk, bool(on)) for pk, on in self._run(template.sql(fill, tail, values))]

    def count(self, condition: Sql) -> int:
        template = self._template("ids")
        inner = template.sql({_CONDITION: condition})
        counting = f"SELECT COUNT(*) FROM ({inner.text}) matching"  # noqa: S608 - compiled SQL
        found = self._run(Sql(counting, inner.params))
        return int(found[0][0])

    def by_ids(self, ids: list[int]) -> list[Any]:
        """The records with these ids (in no particular order)."""
        template = self._template("by_ids")
        return self._made(template, self._run(template.sql({_IDS: Sql("%s", (ids,))})))


def _slice(offset: int, limit: int | None) -> tuple[str, tuple[int, ...]]:
    if limit is None:
        return (" OFFSET %s", (offset,)) if offset else ("", ())
    return (" LIMIT %s OFFSET %s", (limit, offset)) if offset else (" LIMIT %s", (limit,))


def _rebound(template: Template, params: tuple[Any, ...]) -> Template:
    """The kept template with this call's parameters of the records (the same SQL: only the
    values differ, in the same order)."""
    if params == template.base_params:
        return template
    copy = object.__new__(Template)
    copy.__dict__.update(template.__dict__)
    regrouped: list[tuple[Any, ...]] = []
    at = 0
    for group in template.params:
        regrouped.append(params[at : at + len(group)])
        at += len(group)
    copy.params = regrouped
    copy.base_params = params
    return copy
