"""Archive search: two- and four-character Chinese terms, 文号 fragments, ranking, filters,
permissions."""

from typing import Any

import pytest

from circulation.archive import search_plan
from circulation.archive.search import normalise, query_terms, tsquery_for
from circulation.archive.search_plan import Plan
from circulation.records.roles import ADMIN, CLERK, STAFF
from tests.archive.conftest import direct_record
from tests.conftest import Bureau
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
