"""The demo bureau's 局领导班子 are leaders a 拟办意见 can be sent to."""

import pytest

from circulation.records.management import demo
from circulation.records.models import Person
from circulation.records.roles import LEADER
from workflows.services.handling_common import is_leader, leaders_among

pytestmark = pytest.mark.django_db


def test_the_demo_leadership_are_leaders() -> None:
    seed = demo.seed_organisation("demo-pass-2022")
    head = Person.objects.get(username="ldbz_head")
    assert head.groups.filter(name=LEADER).exists()
    assert is_leader(head)
    assert not is_leader(Person.objects.get(username="gyg_head"))
    names = [p.username for p in leaders_among(seed.organisation.pk, ["ldbz_head", "ldbz_1"])]
    assert names == ["ldbz_1", "ldbz_head"]
