"""Archive search through the trigram indexes (migration 0009): a term of three characters or
more is found by its trigrams, which hold its characters in order, so a phrase whose bigrams are
everywhere but apart costs only its own records; answers stay exact whichever way a search runs
and whichever terms are mixed."""

import json
from typing import Any

import pytest

from circulation.archive import search_plan
from circulation.archive.search import search_archive, trigram_served
from circulation.archive.search_plan import Plan
from tests.archive.test_search import _bulk_records, common_bigrams  # noqa: F401 - a fixture
from tests.builders import Bureau

pytestmark = pytest.mark.django_db


def test_the_migrations_build_the_trigram_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'archive_archivedrecord'"
            " AND indexdef LIKE '%%gin_trgm_ops%%' ORDER BY indexname"
        )
        found = dict(cursor.fetchall())
    assert set(found) == {"archive_search_text_year_trgm", "archive_search_title_trgm"}
    assert "(year, search_text gin_trgm_ops)" in found["archive_search_text_year_trgm"]
    assert "(search_title gin_trgm_ops)" in found["archive_search_title_trgm"]


def test_which_terms_the_trigram_index_serves() -> None:
    assert trigram_served("保障的意")
    assert trigram_served("全县农")
    assert trigram_served("工信 2022")  # 工信〔2022〕: the run 2022
    assert trigram_served("25号")
    assert not trigram_served("数字")  # two characters: the bigram index, exact alone
    assert not trigram_served("信 20")
    assert not trigram_served("教 2015")  # 教〔2015〕: 教 gives no trigram, the bigram index has it
    assert not trigram_served("2022 5")  # a lone character at the end
    assert trigram_served("2022 5 号码")  # inside, padded on both sides


def _bitmap_scans(sql: str) -> list[dict[str, Any]]:
    from django.db import connection

    with connection.cursor() as cursor:
        search_plan.plan_as("index")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        search_plan.reset_plan()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, found = [plan[0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        nodes += node.get("Plans", [])
        if node["Node Type"].startswith("Bitmap"):
            found.append(node)
    return found


def test_through_the_index_a_phrase_reads_only_its_own_records(
    common_bigrams: dict[str, list[int]],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The count of 保障的意 (54 of 400 records) reads the trigram index, and its candidates are
    exactly the 54 matches: no record is fetched only to fail the recheck."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.archive.models import ArchivedRecord

    monkeypatch.setattr(search_plan, "choose", lambda *a, **k: Plan("index"))
    with CaptureQueriesContext(connection) as captured:
        page = search_archive(ArchivedRecord.objects.all(), "保障的意")
    assert (page.count, page.count_capped) == (54, False)
    count_sql = next(q["sql"] for q in captured.captured_queries if "_flag" in q["sql"])
    assert "search_vector" not in count_sql  # no bigram condition for this term
    scans = _bitmap_scans(count_sql)
    assert [n["Index Name"] for n in scans if n["Node Type"] == "Bitmap Index Scan"] == [
        "archive_search_text_year_trgm"
    ]
    heap = next(n for n in scans if n["Node Type"] == "Bitmap Heap Scan")
    assert heap["Actual Rows"] == 54
    assert heap.get("Rows Removed by Index Recheck", 0) == 0


@pytest.mark.parametrize("way", ["chosen", "walk", "index", "narrow"])
def test_trigram_and_bigram_terms_together_stay_exact(
    bureau: Bureau,
    common_bigrams: dict[str, list[int]],  # noqa: F811 - the fixture
    way: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A term of the trigram index with a two-character term (bigram index, exact) or a
    one-character one (bigram prefix, then LIKE): the same records whichever way it runs."""
    from circulation.archive.models import ArchivedRecord

    if way != "chosen":
        monkeypatch.setattr(search_plan, "choose", lambda *a, **k: Plan(way))
    base = ArchivedRecord.objects.filter(organisation=bureau.org)
    both = list(  # 政府 is in no title: all are 正文 matches, newest first
        base.filter(search_text__contains="保障的意")
        .filter(search_text__contains="数字政府")
        .order_by("-id")
        .values_list("pk", flat=True)
    )
    assert 0 < len(both) < 54
    for query in ("保障的意 政府", "保障的意 府", "府 保障的意 数字"):
        page = search_archive(base, query, limit=100)
        assert [r.pk for r in page.results] == both, query
        assert page.count == len(both)
    page = search_archive(base, "电力保障的意见征集", limit=100)
    assert [r.pk for r in page.results] == [
        pk for pk in common_bigrams["body"] if pk in set(base.values_list("pk", flat=True))
    ]
    assert search_archive(base, "保障的意见征集防汛").results == []
    title = search_archive(base, "加强电力保障", limit=100)  # in 题名 only
    assert [r.pk for r in title.results] == common_bigrams["title"]


def test_a_phrase_whose_bigrams_are_only_apart_is_not_found_nor_fetched(
    bureau: Bureau, monkeypatch: pytest.MonkeyPatch
) -> None:
    """合力, 力的 and 的通 in every record, never as 合力的通: every record holds all the bigrams
    of the phrase (a candidate of the bigram index), none its trigrams."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import _indexed

    body = "要形成合力，努力的方向明确，目的通过验收。"
    rows = [(f"关于加强协作的意见（{n}）", body) for n in range(60)]
    rows[7] = ("关于形成合力的通知", "各单位要把握合力的通盘要求。")
    records = _bulk_records(bureau, rows)
    base = ArchivedRecord.objects.all()
    bigrams = base.filter(_indexed(None, ["合力的通"], "search_vector"))
    assert bigrams.count() == 60  # all of them hold the three bigrams
    for way in ("chosen", "walk", "index", "narrow"):
        with monkeypatch.context() as patch:
            if way != "chosen":
                patch.setattr(search_plan, "choose", lambda *a, way=way, **k: Plan(way))
            page = search_archive(base, "合力的通")
            assert [r.pk for r in page.results] == [records[7].pk], way
            assert search_archive(base, "合力的通知").results == [records[7]], way
    monkeypatch.setattr(search_plan, "choose", lambda *a, **k: Plan("index"))
    with CaptureQueriesContext(connection) as captured:
        assert search_archive(base, "合力的通").count == 1
    count_sql = next(q["sql"] for q in captured.captured_queries if "_flag" in q["sql"])
    heap = next(n for n in _bitmap_scans(count_sql) if n["Node Type"] == "Bitmap Heap Scan")
    assert heap["Actual Rows"] == 1
    assert heap.get("Rows Removed by Index Recheck", 0) == 0  # the 59 others never fetched


@pytest.mark.parametrize("way", ["chosen", "walk", "index", "narrow"])
def test_a_year_and_a_trigram_term_stay_exact(
    bureau: Bureau,
    common_bigrams: dict[str, list[int]],  # noqa: F811 - the fixture: 54 matches of 2023
    way: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """保障的意 in 54 records of 2023 and 2 of the 300 of 2021: with 年度 2021 (the trigram index
    holds the year, migration 0010) exactly those 2, title match first, whichever way."""
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import ArchiveFilters

    rows = [(f"关于电力保障工作的意见（{n}）", "请认真抓好落实。") for n in range(300)]
    rows[100] = ("关于落实意见的通知", "做好电力保障的意见反馈。")
    rows[200] = ("关于电力保障的意见", "请认真抓好落实。")
    older = _bulk_records(bureau, rows, year=2021)
    if way != "chosen":
        monkeypatch.setattr(search_plan, "choose", lambda *a, **k: Plan(way))
    base = ArchivedRecord.objects.all()
    page = search_archive(base, "保障的意", ArchiveFilters(year=2021))
    assert [r.pk for r in page.results] == [older[200].pk, older[100].pk]
    assert (page.count, page.count_capped) == (2, False)
    assert search_archive(base, "保障的意", ArchiveFilters(year=2023)).count == 54
    assert search_archive(base, "保障的意").count == 56
