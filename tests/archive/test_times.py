"""The archive answers in +08:00 like the rest of the API: ``checked_at`` of the 四性 report in
the archive answer and the detail, and of ``verify/``."""

from typing import Any

import pytest

from circulation.records.models import Notice
from tests.builders import Bureau
from tests.time_walk import assert_all_local

pytestmark = pytest.mark.django_db


def test_checked_at_is_local_in_every_archive_answer(
    bureau: Bureau, sample_completed: Notice, api: Any
) -> None:
    client = api(bureau.archivist)
    created = client.post(
        f"/api/v1/notices/{sample_completed.pk}/archive/", {"retention": "D30"}, format="json"
    )
    assert created.status_code == 201
    assert_all_local(created.json(), "$.checks_report.checked_at", "$.archived_at")
    detail = client.get(created.json()["urls"]["detail"])
    assert_all_local(detail.json(), "$.checks_report.checked_at", "$.archived_at")
    verified = client.get(created.json()["urls"]["verify"])
    assert verified.json()["ok"] is True
    assert_all_local(verified.json(), "$.checked_at")
