"""The archive search's statements compiled once per process (circulation.archive.search_sql):
a search after the first compiles only its filtered ids (the key), and the kept statements give
the same records as the ORM for every caller's values — another organisation's records never."""

from typing import Any

import pytest
from django.db.models import Value

from circulation.archive import search_plan, search_sql
from circulation.archive.search import ArchiveFilters, search_archive
from tests.archive.test_search import records  # noqa: F401 - a fixture (pytestmark)
from tests.builders import Bureau

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("records")]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    search_plan._cache.clear()
    search_sql._templates.clear()


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from django.db.models.sql.compiler import SQLCompiler

    seen: list[str] = []
    original = SQLCompiler.as_sql

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        sql, params = original(self, *args, **kwargs)
        seen.append(sql)
        return sql, params

    monkeypatch.setattr(SQLCompiler, "as_sql", spy)
    return seen


def test_a_search_compiles_its_statements_once(
    bureau: Bureau, monkeypatch: pytest.MonkeyPatch
) -> None:
    from circulation.archive.models import ArchivedRecord

    base = ArchivedRecord.objects.filter(organisation=bureau.org).select_related("archived_by")
    first = search_archive(base, "数字", ArchiveFilters(year=2022))
    compiled = _compiles(monkeypatch)
    again = search_archive(base, "数字", ArchiveFilters(year=2022))
    assert [r.pk for r in again.results] == [r.pk for r in first.results]
    assert len(compiled) == 1  # the filtered ids: the key of the kept statements
    assert 'SELECT "archive_archivedrecord"."id"' in compiled[0]
    other_year = search_archive(base, "数字政府 工信", ArchiveFilters(year=2021))
    assert other_year.results == []
    # other values, the same statements: the ids again, and their EXPLAIN for the new 年度 (the
    # planner's estimate of the rows it keeps, cached from then on)
    assert len(compiled) == 3
    assert all('SELECT "archive_archivedrecord"."id"' in sql for sql in compiled)


def test_kept_statements_take_each_callers_values(bureau: Bureau) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.archive.models import ArchivedRecord

    mine = ArchivedRecord.objects.filter(organisation=bureau.org).select_related("archived_by")
    found = search_archive(mine, "数字")
    assert found.count == 4
    with CaptureQueriesContext(connection) as captured:
        codes = [r.doc_number for r in found.results]
        people = [r.archived_by.username for r in found.results]  # select_related, as before
    assert len(captured) == 0
    assert len(codes) == len(people) == 4
    # the same statements for another organisation: its own records (none), not these
    theirs = ArchivedRecord.objects.filter(organisation_id=bureau.org.pk + 1000).select_related(
        "archived_by"
    )
    assert search_archive(theirs, "数字").count == 0
    assert search_archive(theirs, "数字", limit=1, offset=1).results == []
    by_year = search_archive(mine, "数字", ArchiveFilters(year=2021))
    assert [r.doc_number for r in by_year.results] == ["舞政办〔2021〕12号"]


def test_rows_are_the_orms_rows(bureau: Bureau) -> None:
    """Fields converted from the database (JSON, dates) and related rows as the ORM has them."""
    from circulation.archive.models import ArchivedRecord

    base = ArchivedRecord.objects.filter(organisation=bureau.org).select_related("archived_by")
    statements = search_sql.Statements(base)
    condition = search_sql.Sql(
        '("archive_archivedrecord"."search_text" || \'\') LIKE %s', ("%数字%",)
    )
    ours = statements.rows(condition, limit=10)
    theirs = list(base.filter(condition.q()).order_by("-id")[:10])
    assert [r.pk for r in ours] == [r.pk for r in theirs]
    for mine, orm in zip(ours, theirs, strict=True):
        assert {
            f.attname: getattr(mine, f.attname) for f in ArchivedRecord._meta.concrete_fields
        } == {f.attname: getattr(orm, f.attname) for f in ArchivedRecord._meta.concrete_fields}
        assert mine.archived_by == orm.archived_by
    assert statements.count(condition) == 4
    assert statements.ids(condition, ordered=True, limit=2) == [r.pk for r in theirs[:2]]
    assert {r.pk for r in statements.by_ids([theirs[1].pk])} == {theirs[1].pk}


def test_an_unusual_queryset_is_searched_as_it_is(bureau: Bureau) -> None:
    from circulation.archive.models import ArchivedRecord

    annotated = ArchivedRecord.objects.filter(organisation=bureau.org).annotate(marked=Value(7))
    found = search_archive(annotated, "数字")
    assert found.count == 4
    assert {r.marked for r in found.results} == {7}
    assert not search_sql._templates  # not kept: its key would not describe it
    prefetching = ArchivedRecord.objects.filter(organisation=bureau.org).prefetch_related("unit")
    page = search_archive(prefetching, "数字政府")
    assert [r.doc_number for r in page.results] == ["舞工信〔2022〕25号", "漯工信〔2022〕31号"]
    assert all("unit" in r._state.fields_cache for r in page.results)


def test_a_phrase_of_frequent_bigrams_is_counted_by_a_walk_probe(bureau: Bureau) -> None:
    """Template sentences (确保数据真实 in 15 % of the benchmark's records) are about as frequent
    as their rarest bigram: the count walks the newest rows. Not with digits (853号: 85 and 53
    are in many numbers, the phrase in few), nor when the bound says the probe would be short."""
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import _Group, _Search
    from circulation.archive.search_sql import NOTHING

    search = _Search(ArchivedRecord.objects.filter(organisation=bureau.org))
    search.kept = search.total = 300_000.0

    def probes(text: str, share: float) -> bool:
        search.terms_text = text
        return search._worth_probing(_Group(NOTHING, NOTHING, share), 201)

    assert probes("确保数据真实", 0.15)
    assert not probes("853号", 0.15)
    assert not probes("确保数据真实", 0.05)  # 201 matches would take 4,000 rows
    search.kept = 30_000.0  # a 年度 filter keeps a tenth: the walk meets a tenth of the rows
    assert not probes("确保数据真实", 0.15)


def test_a_doc_number_fragment_is_found_by_its_pieces_and_tested_whole(bureau: Bureau) -> None:
    """The trigram index is asked for each run of 工信〔2022〕25号 apart (so the padded
    trigrams of 2022, in nearly every record, are not decoded); a record holding every piece but
    not the 文号 is a candidate only, never a match."""
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import trigram_pieces
    from tests.archive.builders import direct_record

    assert trigram_pieces("工信 2022 25号") == ["工信 ", "2022 ", "25号"]
    assert trigram_pieces("舞政办 2017") == ["舞政办 ", "2017"]
    assert trigram_pieces("2022 5 号码") == ["2022 ", " 5 ", " 号码"]  # short: padded
    assert trigram_pieces("保障的意") == ["保障的意"]
    direct_record(
        bureau, "舞工信〔2021〕9号", "关于转发有关文件的通知", body="依据〔2022〕25号文件办理。"
    )
    base = ArchivedRecord.objects.filter(organisation=bureau.org)
    for text in ("工信〔2022〕25号", "舞工信〔2022〕25号"):
        found = search_archive(base, text)
        assert [r.doc_number for r in found.results] == ["舞工信〔2022〕25号"], text
    assert search_archive(base, "〔2022〕25号").count == 2  # the body cites it: a match


def test_bigrams_in_most_records_are_left_to_like(monkeypatch: pytest.MonkeyPatch) -> None:
    """教〔2015〕 through the bigram index: '20' is in every record, so its posting list (decoded
    whole) narrows nothing; LIKE tests the candidates anyway. A term exact in the index alone
    (数字) keeps its bigrams."""
    freqs = {"20": 1.0, "01": 0.55, "15": 0.27, "教": 0.03, "数字": 0.9}
    monkeypatch.setattr(search_plan, "_frequencies", lambda table, column: freqs)
    plan = search_plan.plan_terms(["教 2015"], "archive_archivedrecord", "search_vector")
    assert plan.tsquery == "'教' & '20' & '01' & '15'"
    assert plan.lean_tsquery == "'教' & '01' & '15'"
    only_common = search_plan.plan_terms(["数字"], "archive_archivedrecord", "search_vector")
    assert only_common.lean_tsquery == "'数字'"  # the rarest stays: something to look up
    from circulation.archive.search import _index_condition

    condition, recheck = _index_condition(["教 2015"], plan, "search_text", "search_vector")
    assert condition.params == ("'教' & '01' & '15'",)
    assert recheck is None  # the whole term's LIKE
    exact, none = _index_condition(["数字"], only_common, "search_text", "search_vector")
    assert exact.params == ("'数字'",)
    assert none == search_sql.NOTHING
