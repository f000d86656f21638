"""The leader's 批办 inbox (/handling/) lists the 待批示 oldest first — in the order the 拟办意见
were sent — for the leader and for their delegate (代理) mixing their own items with the
leader's, shows the 50 oldest with the "more" note, and costs the same statements for any
number of items, with or without a delegation (the list is one statement walking the
``instruction_pending_order`` index; a column the page reads left out of its ``only()`` would
cost a statement per row)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Instruction
from circulation.web.views.handling import INBOX_SHOWN
from tests.builders import Bureau
from tests.web.test_handling_pages import add_leaders, html, proposed, signed_in
from workflows.services.delegation import DelegationInput, appoint_delegate

pytestmark = pytest.mark.django_db

ITEM = re.compile(r'href="/handling/instructions/(\d+)/"')


def shown(page: str) -> list[int]:
    return [int(pk) for pk in ITEM.findall(page)]


def statements_of(username: str, bureau: Bureau) -> tuple[str, int]:
    client = signed_in(bureau.person(username))
    client.get("/handling/")  # the session, warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/handling/")
    assert response.status_code == 200
    return html(response), len(captured.captured_queries)


def test_a_delegate_sees_their_own_and_the_leaders_items_in_the_order_sent(
    bureau: Bureau,
) -> None:
    office = add_leaders(bureau)
    for number, leaders in enumerate(
        (["leader_2"], ["leader_1"], ["leader_1", "leader_2"], ["leader_2"], ["leader_1"]),
        start=100,
    ):
        proposed(office, number, leaders=leaders, co_units=[], readers=[])
    own_page, own_statements = statements_of("leader_2", office)
    own = list(
        Instruction.objects.filter(leader__username="leader_2")
        .order_by("case__proposed_at")
        .values_list("pk", flat=True)
    )
    assert shown(own_page) == own

    appoint_delegate(
        Actor(office.person("leader_1")),
        DelegationInput(delegate="leader_2", ends_at=timezone.now() + timedelta(days=3)),
    )
    page, statements = statements_of("leader_2", office)
    sent = Instruction.objects.order_by("case__proposed_at", "pk")
    both = list(sent.values_list("pk", flat=True))
    assert shown(page) == both  # own and 赵局长's, interleaved as they were sent
    assert page.count("代 赵局长") == 3
    assert statements == own_statements  # the delegation costs no statement of its own


def test_more_than_a_page_shows_the_oldest_in_the_same_statements(bureau: Bureau) -> None:
    office = add_leaders(bureau)
    for number in range(100, 103):
        proposed(office, number, leaders=["leader_1"], co_units=[], readers=[])
    few_page, few_statements = statements_of("leader_1", office)
    assert len(shown(few_page)) == 3
    assert "只显示最早的" not in few_page

    for number in range(103, 100 + INBOX_SHOWN + 2):
        proposed(office, number, leaders=["leader_1"], co_units=[], readers=[])
    page, statements = statements_of("leader_1", office)
    oldest = list(Instruction.objects.order_by("case__proposed_at").values_list("pk", flat=True))[
        :INBOX_SHOWN
    ]
    assert shown(page) == oldest
    assert f"只显示最早的 {INBOX_SHOWN} 件" in page
    assert statements == few_statements
