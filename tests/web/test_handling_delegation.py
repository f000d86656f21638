"""批办 pages with 代理 (delegation): a leader away names another leader; the delegate sees the
leader's 待批示 in their 批办 inbox marked "代 <name>", gives the 批示 on the leader's behalf
(recorded as acted by the delegate), and the period's end takes it away again."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from circulation.records.actors import Actor
from circulation.records.models import Instruction, InstructionKind, Person
from tests.builders import Bureau
from tests.web.test_handling_pages import add_leaders, instruction_of, proposed
from workflows.machines import InstructionState
from workflows.services.delegation import DelegationInput, appoint_delegate

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_delegate_gives_the_instruction_on_the_leaders_behalf(bureau: Bureau) -> None:
    add_leaders(bureau)
    notice = proposed(bureau, leaders=["leader_1"])
    mine: Instruction = instruction_of(notice, "leader_1")
    appoint_delegate(
        Actor(bureau.person("leader_1")),
        DelegationInput(delegate="leader_2", ends_at=timezone.now() + timedelta(days=3)),
    )
    delegate = signed_in(bureau.person("leader_2"))
    inbox = delegate.get("/handling/").content.decode()
    assert f'href="/handling/instructions/{mine.pk}/"' in inbox
    assert "代 赵局长" in inbox
    page = delegate.get(f"/handling/instructions/{mine.pk}/").content.decode()
    assert "您作为代理人代 赵局长 批示" in page
    landing = delegate.get(f"/notices/{notice.pk}/")  # a notification's link
    assert landing.status_code == 302
    assert landing["Location"] == f"/handling/instructions/{mine.pk}/"
    answer = delegate.post(f"/handling/instructions/{mine.pk}/", {"kind": "agree"})
    assert answer.status_code == 303
    mine.refresh_from_db()
    assert mine.state == InstructionState.GIVEN
    assert mine.kind == InstructionKind.AGREE
    assert mine.acted_by == bureau.person("leader_2")


def test_after_the_period_the_delegate_gets_404(bureau: Bureau) -> None:
    add_leaders(bureau)
    notice = proposed(bureau, leaders=["leader_1"])
    mine = instruction_of(notice, "leader_1")
    appoint_delegate(
        Actor(bureau.person("leader_1")),
        DelegationInput(delegate="leader_2", ends_at=timezone.now() + timedelta(days=1)),
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        delegate = signed_in(bureau.person("leader_2"))
        assert (
            f"/handling/instructions/{mine.pk}/" not in delegate.get("/handling/").content.decode()
        )
        assert delegate.get(f"/handling/instructions/{mine.pk}/").status_code == 404
        assert (
            delegate.post(f"/handling/instructions/{mine.pk}/", {"kind": "agree"}).status_code
            == 404
        )
    mine.refresh_from_db()
    assert mine.state == InstructionState.PENDING
