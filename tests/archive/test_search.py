"""Archive search: two- and four-character Chinese terms, 文号 fragments, ranking, filters,
permissions, and the plan choice (a rare phrase of common bigrams, a frequent one)."""

from datetime import date
from typing import Any

import pytest

from circulation.archive import search_plan
from circulation.archive.search import normalise, query_terms, tsquery_for
from circulation.archive.search_plan import Plan, choose  # choose: before any test forces it
from circulation.records.roles import ADMIN, CLERK, STAFF
from tests.archive.builders import direct_record
from tests.builders import Bureau
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


FORCED = {
    "walk": Plan("walk"),
    "index": Plan("index"),
    "narrow": Plan("narrow"),
    "window": Plan("walk", window=1),  # the newest row walked, the older ones from the index
}


@pytest.fixture(autouse=True, params=["chosen", *FORCED])
def search_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every way of running a search (see search_plan) gives the same results."""
    search_plan._cache.clear()  # statistics, row count and ids of this test's table
    if request.param != "chosen":
        forced = FORCED[request.param]
        monkeypatch.setattr(search_plan, "choose", lambda *a, **k: forced)
    return str(request.param)


@pytest.fixture
def records(bureau: Bureau) -> dict[str, Any]:
    make = direct_record
    return {
        "digital_gov": make(
            bureau,
            "舞工信〔2022〕25号",
            "关于转发《国务院关于加强数字政府建设的指导意见》的通知",
            issuer="舞阳县工业和信息化局",
            item_no=1,
        ),
        "digital_economy": make(
            bureau,
            "豫政〔2022〕7号",
            "河南省人民政府关于印发数字经济发展规划的通知",
            issuer="河南省人民政府",
            item_no=2,
        ),
        "body_only": make(
            bureau,
            "漯工信〔2022〕31号",
            "关于开展安全生产大检查的通知",
            issuer="漯河市工业和信息化局",
            body="各县区：为推进数字政府建设，现将有关事项通知如下。",
            item_no=3,
        ),
        "apart": make(
            bureau,
            "舞政办〔2021〕12号",
            "关于做好数字化转型和政府信息公开工作的通知",
            issuer="舞阳县人民政府办公室",
            year=2021,
            retention="Y",
            unit="GYG",
            item_no=1,
        ),
        "other": make(
            bureau,
            "舞工信〔2022〕26号",
            "关于报送工业企业统计数据的通知",
            issuer="舞阳县工业和信息化局",
            retention="D10",
            item_no=1,
        ),
    }


def _codes(api: Any, user: Any, **params: Any) -> list[str]:
    response = api(user).get("/api/v1/archive/", params)
    assert response.status_code == 200, response.json()
    return [row["doc_number"] for row in response.json()["results"]]


def test_normalisation_and_query() -> None:
    assert normalise("舞工信〔2022〕25号") == "舞工信 2022 25号"
    assert normalise("舞工信[2022]25号") == normalise("舞工信（２０２２）25号")
    assert query_terms("  数字政府   工信〔2022〕 数字政府 ") == ["数字政府", "工信 2022"]
    assert tsquery_for(["数字政府"]) == "'数字' & '字政' & '政府'"
    assert tsquery_for(["府"]) == "'府':*"
    # a run followed by a blank ends a run of the text: its last character is a lexeme
    assert tsquery_for(["工信 2022 25号"]) == (
        "'信' & '工信' & '2' & '20' & '02' & '22' & '25' & '5号'"
    )


def test_two_character_terms(bureau: Bureau, records: dict[str, Any], api: Any) -> None:
    found = _codes(api, bureau.archivist, q="数字")
    assert set(found) == {
        "舞工信〔2022〕25号",
        "豫政〔2022〕7号",
        "漯工信〔2022〕31号",
        "舞政办〔2021〕12号",
    }
    assert set(_codes(api, bureau.archivist, q="政府")) == set(found)


def test_four_character_term_is_a_phrase(bureau: Bureau, records: dict[str, Any], api: Any) -> None:
    # 数字 and 政府 apart (舞政办〔2021〕12号) does not match 数字政府
    found = _codes(api, bureau.archivist, q="数字政府")
    assert found == ["舞工信〔2022〕25号", "漯工信〔2022〕31号"]  # title match ranks first


def test_doc_number_fragments(bureau: Bureau, records: dict[str, Any], api: Any) -> None:
    assert set(_codes(api, bureau.archivist, q="工信〔2022〕")) == {
        "舞工信〔2022〕25号",
        "舞工信〔2022〕26号",
        "漯工信〔2022〕31号",
    }
    assert set(_codes(api, bureau.archivist, q="工信[2022]")) == set(
        _codes(api, bureau.archivist, q="工信〔2022〕")
    )
    assert _codes(api, bureau.archivist, q="25号") == ["舞工信〔2022〕25号"]
    assert _codes(api, bureau.archivist, q="舞工信〔2022〕26号") == ["舞工信〔2022〕26号"]
    # one character of the 机关代字: a run of the text ends with it (the index's lexeme 信, not
    # the prefix 信:*, which would OR every bigram starting with 信), then 2022
    assert set(_codes(api, bureau.archivist, q="信〔2022〕")) == {
        "舞工信〔2022〕25号",
        "舞工信〔2022〕26号",
        "漯工信〔2022〕31号",
    }
    plan = search_plan.plan_terms(["信 2022"], "archive_archivedrecord", "search_vector")
    assert plan.tsquery == "'信' & '20' & '02' & '22'"  # 信 ends a run: its own lexeme


def test_issuer_and_several_terms(bureau: Bureau, records: dict[str, Any], api: Any) -> None:
    assert _codes(api, bureau.archivist, q="漯河市") == ["漯工信〔2022〕31号"]
    assert _codes(api, bureau.archivist, q="数字 河南") == ["豫政〔2022〕7号"]
    assert _codes(api, bureau.archivist, q="区块链") == []


def test_ranking_puts_title_matches_first_and_pages_through_both_groups(
    bureau: Bureau, records: dict[str, Any], api: Any
) -> None:
    ranked = _codes(api, bureau.archivist, q="数字")
    assert ranked[-1] == "漯工信〔2022〕31号"  # body only, although the newest of them
    paged = []
    for page in range(1, 6):
        response = api(bureau.archivist).get(
            "/api/v1/archive/", {"q": "数字", "page_size": 1, "page": page}
        )
        body = response.json()
        assert body["count"] == 4
        assert body["count_capped"] is False
        paged += [row["doc_number"] for row in body["results"]]
        assert (body["next"] is None) == (page >= 4)
    assert paged == ranked


def test_filters(bureau: Bureau, records: dict[str, Any], api: Any) -> None:
    user = bureau.archivist
    assert _codes(api, user, q="数字", year=2021) == ["舞政办〔2021〕12号"]
    assert _codes(api, user, retention="D10") == ["舞工信〔2022〕26号"]
    assert _codes(api, user, retention="定期10年") == ["舞工信〔2022〕26号"]
    assert set(_codes(api, user, issuer="舞阳县工业和信息化局")) == {
        "舞工信〔2022〕25号",
        "舞工信〔2022〕26号",
    }
    assert _codes(api, user, unit="gyg") == ["舞政办〔2021〕12号"]
    assert _codes(api, user, q="数字", unit="BGS", year=2022, retention="D30") == [
        "豫政〔2022〕7号",  # title matches, newest first
        "舞工信〔2022〕25号",
        "漯工信〔2022〕31号",  # then the body-only match
    ]
    bad = api(user).get("/api/v1/archive/", {"retention": "D20"})
    assert bad.status_code == 400
    assert api(user).get("/api/v1/archive/", {"year": "abc"}).status_code == 400


def test_only_archivists_and_admins_search(
    bureau: Bureau, records: dict[str, Any], api: Any
) -> None:
    staff = PersonFactory(username="staff_only", organisation=bureau.org, roles=[STAFF])
    clerk = PersonFactory(username="clerk_only", organisation=bureau.org, roles=[CLERK])
    admin = PersonFactory(username="admin_role", organisation=bureau.org, roles=[ADMIN])
    code = records["digital_gov"].archival_code
    for user in (staff, clerk, bureau.person("gyg_head")):
        for url in (
            "/api/v1/archive/",
            f"/api/v1/archive/{code}/",
            f"/api/v1/archive/{code}/verify/",
            "/api/v1/archive/catalogue.csv",
        ):
            assert api(user).get(url, {"q": "数字"}).status_code == 403, (user, url)
    assert api(None).get("/api/v1/archive/").status_code in (401, 403)
    assert len(_codes(api, admin, q="数字")) == 4


def test_a_search_leaves_the_planner_settings_as_they_were(
    bureau: Bureau, records: dict[str, Any], search_mode: str
) -> None:
    from django.db import connection

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_archive

    assert connection.in_atomic_block  # the test's transaction goes on after the search
    search_archive(ArchivedRecord.objects.all(), "数字政府")
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        seqscan = cursor.fetchone()[0]
        cursor.execute("SHOW enable_bitmapscan")
        bitmapscan = cursor.fetchone()[0]
    assert (seqscan, bitmapscan) == ("on", "on")


# --- the plan choice: a phrase whose bigrams are common but which is rare ------------------------


def _bulk_records(bureau: Bureau, rows: list[tuple[str, str]], year: int = 2023) -> list[Any]:
    """Archive rows (title, body) written in bulk, oldest first; the table analysed after."""
    from datetime import datetime, time

    from django.db import connection
    from django.utils import timezone

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_fields
    from circulation.records.models import Notice

    tz = timezone.get_current_timezone()
    notices = Notice.objects.bulk_create(
        Notice(
            organisation=bureau.org,
            state="archived",
            doc_number=f"舞计〔{year}〕{n}号",
            doc_number_original=f"舞计〔{year}〕{n}号",
            issuer_code="舞计",
            year=year,
            serial=n,
            title=title,
            issuer="舞阳县统计局",
            doc_type="通知",
            issued_on=date(year, 1, 1),
            secrecy="public",
            body=body,
            received_at=datetime.combine(date(year, 1, 2), time(9), tz),
            received_by=bureau.clerk,
        )
        for n, (title, body) in enumerate(rows, start=1)
    )
    records = ArchivedRecord.objects.bulk_create(
        ArchivedRecord(
            notice=notice,
            organisation=bureau.org,
            archival_code=f"Z109-WS·{year}-D10-BGS-{n:04d}",
            fonds_code="Z109",
            year=year,
            retention="D10",
            unit=bureau.units["BGS"],
            unit_code="BGS",
            item_no=n,
            doc_number=notice.doc_number,
            title=notice.title,
            issuer=notice.issuer,
            issued_on=notice.issued_on,
            secrecy="public",
            file=f"archive/Z109/{year}/{n}.pdf",
            page_count=1,
            record_sha256="0" * 64,
            record_size=1,
            rendition_sha256="0" * 64,
            row_sha256="0" * 64,
            archived_at=timezone.now(),
            archived_by=bureau.archivist,
            **search_fields(
                title=notice.title,
                doc_number=notice.doc_number,
                issuer=notice.issuer,
                body=notice.body,
            ),
        )
        for n, notice in enumerate(notices, start=1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE archive_archivedrecord")
    search_plan._cache.clear()
    return records


@pytest.fixture
def common_bigrams(bureau: Bureau) -> dict[str, list[int]]:
    """400 records: 保障 and 的意 in nearly all of them, the phrase 保障的意 in 25 titles and 29
    other bodies (with 数字政府 in every fifth record's body for a frequent phrase)."""
    rows: list[tuple[str, str]] = []
    for n in range(400):
        if n % 16 == 3 and n < 400:
            title, body = f"关于加强电力保障的意见（{n}）", "请认真贯彻落实。"
        elif n % 13 == 5:
            title, body = f"关于做好防汛工作的意见（{n}）", "各单位要做好电力保障的意见征集。"
        else:
            title, body = f"关于电力保障工作的意见（{n}）", "请结合实际，认真抓好落实。"
        if n % 5 == 0:
            body += "推进数字政府建设。"
        rows.append((title, body))
    records = _bulk_records(bureau, rows)
    ids = [r.pk for r in records]
    in_title = [pk for pk, (title, _) in zip(ids, rows, strict=True) if "保障的意" in title]
    in_body = [
        pk
        for pk, (title, body) in zip(ids, rows, strict=True)
        if "保障的意" in body and "保障的意" not in title
    ]
    return {"title": in_title[::-1], "body": in_body[::-1]}


def test_a_rare_phrase_of_common_bigrams_pages_title_matches_first(
    bureau: Bureau,
    common_bigrams: dict[str, list[int]],
    api: Any,
    django_assert_max_num_queries: Any,
    search_mode: str,
) -> None:
    from circulation.archive.models import ArchivedRecord

    codes = dict(ArchivedRecord.objects.values_list("pk", "archival_code"))
    ranked = common_bigrams["title"] + common_bigrams["body"]  # newest first in each group
    expected = [codes[pk] for pk in ranked]
    assert len(common_bigrams["title"]) == 25
    assert len(common_bigrams["body"]) == 29
    seen: list[int] = []
    for page in (1, 2, 3):
        # auth, the search (≤ 7, with the SET LOCALs; a walk that ends in the index: 2 more each)
        with django_assert_max_num_queries(22 if search_mode == "window" else 16):
            response = api(bureau.archivist).get(
                "/api/v1/archive/", {"q": "保障的意", "page_size": 20, "page": page}
            )
        body = response.json()
        assert response.status_code == 200, body
        assert (body["count"], body["count_capped"]) == (54, False)
        assert (body["next"] is None) == (page == 3)
        seen += [row["archival_code"] for row in body["results"]]
    assert seen == expected


def test_search_queries_are_few(
    bureau: Bureau,
    common_bigrams: dict[str, list[int]],
    django_assert_max_num_queries: Any,
    search_mode: str,
) -> None:
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_archive

    base = ArchivedRecord.objects.filter(organisation=bureau.org)
    search_archive(base, "保障的意")  # statistics, row count and ids now cached
    # EXPLAIN of the filters, the count, the title page, the other matches' page, each way set
    # once (SET LOCAL); a walk of a window that ends in the index adds that query
    most = 16 if search_mode == "window" else 10
    with django_assert_max_num_queries(most):
        page = search_archive(base, "保障的意")
    assert [r.pk for r in page.results] == common_bigrams["title"][:20]
    with django_assert_max_num_queries(most):
        page = search_archive(base, "保障的意", offset=20)
    assert [r.pk for r in page.results] == common_bigrams["title"][20:] + common_bigrams["body"][
        :15
    ]


def test_a_frequent_phrase_is_capped_and_newest_first(
    bureau: Bureau, common_bigrams: dict[str, list[int]]
) -> None:
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_archive

    base = ArchivedRecord.objects.filter(organisation=bureau.org)
    page = search_archive(base, "电力保障", limit=20, cap=50)
    assert (page.count, page.count_capped) == (50, True)
    newest = list(base.filter(search_title__contains="电力保障").order_by("-id")[:20])
    assert page.results == newest
    phrase = search_archive(base, "数字政府", limit=5)
    assert (phrase.count, phrase.count_capped) == (80, False)
    assert phrase.results == list(base.filter(search_text__contains="数字政府").order_by("-id")[:5])


def test_the_search_page_highlights_a_phrase_of_common_bigrams(
    bureau: Bureau, common_bigrams: dict[str, list[int]], client: Any
) -> None:
    client.force_login(bureau.archivist)
    response = client.get("/archive/search/", {"q": "保障的意"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("关于加强电力<mark>保障的意</mark>见") == 20  # the title matches come first
    assert "关于电力保障工作的意见" not in html  # 保障 and 的意 apart: no match


def test_choose_walks_a_bounded_window_and_the_index_after_a_small_count() -> None:
    # 保障的意 over 300,000 rows: its rarest bigram is in 2.6 % of them (an upper bound only)
    plan = choose(201, 0.026, 300_000, 300_000, ordered=False)
    assert plan.mode == "index"  # the count reads the index and stops at 201 candidates
    walk = choose(21, 0.05, 300_000, 300_000, ordered=True)
    assert walk.mode == "walk"
    assert walk.window == round(21 / 0.05 * search_plan.WINDOW_FACTOR)  # a few times 420 rows
    # a rare term after its count: the index, whatever the statistics said
    learnt = choose(20, 436 / 300_000, 300_000, 300_000, ordered=True)
    assert learnt.mode == "index"


def test_a_count_under_the_cap_gives_every_page_without_searching_again(
    bureau: Bureau,
    common_bigrams: dict[str, list[int]],
    django_assert_num_queries: Any,
    search_mode: str,
) -> None:
    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import search_archive

    base = ArchivedRecord.objects.filter(organisation=bureau.org)
    search_archive(base, "保障的意")  # statistics, row count and ids now cached
    ranked = common_bigrams["title"] + common_bigrams["body"]
    # savepoint, SET LOCAL, the count (its 54 matches with whether each is in 题名/文号), the
    # page's rows by id, the planner reset, release (the filters' EXPLAIN is cached with the
    # statistics); a walk of a window that ends in the index: its second query and SET LOCAL
    queries = 6 + (2 if search_mode == "window" else 0)
    for offset in (0, 20, 40):
        with django_assert_num_queries(queries):
            page = search_archive(base, "保障的意", offset=offset)
        assert [r.pk for r in page.results] == ranked[offset : offset + 20]
        assert (page.count, page.count_capped) == (54, False)
    with django_assert_num_queries(queries - 1):  # past the last match: nothing to fetch
        assert search_archive(base, "保障的意", offset=60).results == []


def test_a_two_character_term_needs_no_like_through_the_index(
    bureau: Bureau, records: dict[str, Any], search_mode: str
) -> None:
    """The index alone is exact for a term of two characters: the count reads no 正文 (each
    candidate's text would be detoasted only to agree)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.archive.models import ArchivedRecord
    from circulation.archive.search import index_is_exact, search_archive

    assert index_is_exact(["数字", "政府"])
    assert not index_is_exact(["数字政府"])
    assert not index_is_exact(["工信 2022"])
    assert not index_is_exact(["数"])
    with CaptureQueriesContext(connection) as captured:
        page = search_archive(ArchivedRecord.objects.all(), "数字 政府")
    assert {r.doc_number for r in page.results} == {
        "舞工信〔2022〕25号",
        "豫政〔2022〕7号",
        "漯工信〔2022〕31号",
        "舞政办〔2021〕12号",
    }
    assert page.count == 4
    if search_mode == "index":
        searches = [q["sql"] for q in captured.captured_queries if "search_vector" in q["sql"]]
        assert searches
        assert not any(
            '"search_text" ||' in sql or '"search_text"::text LIKE' in sql for sql in searches
        )
