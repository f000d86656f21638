"""Schemathesis over every operation of the live OpenAPI schema, through the WSGI app: valid
and invalid data (positive and negative modes), as a clerk who is also an archivist, against a
small bureau with a registered and a circulating notice. Whatever is sent, no answer is a 5xx.

Bounded for CI: schemathesis' coverage phase (boundary and wrong-type values for every
parameter and field) plus :data:`MAX_EXAMPLES` fuzzed examples per operation and mode,
derandomised (the same examples every run, so a failure reproduces): about 1,500 requests,
under two minutes on two cores. Known hostile inputs (NUL bytes, huge numbers, deep nesting)
have their own tests in ``tests/test_limits.py``: this bounded run does not reliably draw them.
"""

import random
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from circulation.records.models import Acknowledgement, Notice, Unit
from circulation.records.roles import ARCHIVIST
from circulation.wsgi import application
from tests.builders import build_bureau
from tests.helpers import circulating_notice, registered_notice
from workflows.models import Notification

MAX_EXAMPLES = 10
# The record PDF renders in a helper process (seconds): fuzz it with ids that do not exist.
NO_REAL_IDS = ("record.pdf",)


class World:
    """What the fuzzed requests act on: real ids to put into the generated paths."""

    def __init__(self) -> None:
        bureau = build_bureau()
        self.user = bureau.clerk
        self.user.groups.add(Group.objects.get(name=ARCHIVIST))
        registered = registered_notice(bureau.clerk, "舞工信〔2022〕26号")
        circulating = circulating_notice(bureau.clerk, units=("GYG",), people=("clerk",))
        self.ids: dict[str, list[int]] = {
            "notices": [registered.pk, circulating.pk],
            "acknowledgements": list(
                Acknowledgement.objects.filter(person=self.user).values_list("pk", flat=True)
            ),
            "notifications": list(
                Notification.objects.filter(person=self.user).values_list("pk", flat=True)
            ),
            "units": list(Unit.objects.values_list("pk", flat=True)),
        }
        assert Notice.objects.count() == 2

    def real_id(self, path: str, generated: Any) -> Any:
        """Half the generated whole numbers become the id of an existing object."""
        text = str(generated)
        if not text.isascii() or not text.isdigit() or int(text) % 2 or path.endswith(NO_REAL_IDS):
            return generated
        collection = path.removeprefix("/api/v1/").split("/", 1)[0]
        choices = self.ids.get(collection)
        return random.Random(int(text)).choice(choices) if choices else generated

    def fresh_token(self) -> str:
        """A token per request: some operations revoke the caller's tokens."""
        return AuthToken.objects.create(user=self.user)[1]


@pytest.fixture
def world(db: Any, media: Any) -> World:
    return World()


@pytest.fixture
def api_schema(db: Any) -> Iterator[Any]:
    # As Django's test client does: the WSGI app must not close the test's connection (and
    # with it the transaction the test runs in) when a request ends.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
        schema.config.generation.update(
            modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES
        )
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_a_server_error(case: Any, world: World) -> None:
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = world.real_id(case.operation.path, value)
    case.call_and_validate(
        headers={"Authorization": f"Token {world.fresh_token()}"}, checks=[not_a_server_error]
    )
