"""The board reads the acknowledgements of the notices on its page only (benchmark of issue 10).

With 200,000 acknowledgements the board's page query joined and grouped the acknowledgements of
every open notice before the page was cut (docs/benchmarks.md, "Web pages"); the counts now come
from the per-unit query of the page's notices, and the 逾期 filter is an EXISTS.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Notice
from tests.builders import Bureau
from tests.helpers import registered_notice
from workflows.services.forwarding import ForwardRequest, forward_notice

pytestmark = pytest.mark.django_db


def forwarded(bureau: Bureau, number: str, unit: str) -> Notice:
    notice = registered_notice(bureau.clerk, number)
    forward_notice(Actor(bureau.clerk), notice.pk, ForwardRequest(unit_codes=(unit,)))
    return notice


def board_statements(client: Client, path: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)
    assert answer.status_code == 200
    return answer.content.decode(), [q["sql"] for q in captured.captured_queries]


def test_the_board_counts_only_the_acknowledgements_of_its_page(bureau: Bureau) -> None:
    late = forwarded(bureau, "舞工信〔2022〕40号", "GYG")
    on_time = forwarded(bureau, "舞工信〔2022〕41号", "ZXFW")
    Acknowledgement.objects.filter(notice=late).update(due_at=timezone.now() - timedelta(days=1))
    Acknowledgement.objects.filter(notice=on_time).update(due_at=timezone.now() + timedelta(days=1))
    client = Client()
    client.force_login(bureau.clerk)

    for path in ("/board/", "/board/?overdue=on"):
        html, statements = board_statements(client, path)
        reading_acks = [sql for sql in statements if '"records_acknowledgement"' in sql]
        # The page's notices are chosen without touching the acknowledgements …
        page_query = next(
            sql for sql in statements if sql.startswith('SELECT "records_notice"."id"')
        )
        assert 'JOIN "records_acknowledgement"' not in page_query, page_query
        assert 'GROUP BY "records_notice"."id"' not in page_query, page_query
        # … and then only theirs are counted.
        assert any('"notice_id" IN (' in sql for sql in reading_acks), reading_acks
        assert " LIMIT " in page_query  # the page is cut in the database

    html, _ = board_statements(client, "/board/")
    assert "已确认 0/4" in html
    assert html.count("逾期 4 人") >= 1  # the late notice's 4 recipients, in words
    html, _ = board_statements(client, "/board/?overdue=on")
    assert late.doc_number in html
    assert on_time.doc_number not in html
