"""The 阅知确认单 says "X 代 Y" for an answer a delegate gave; a record without delegation keeps
the data (and so the hash) it had before delegation existed."""

from typing import Any

import pytest

from circulation.ackrecord.data import collect_record_data
from circulation.ackrecord.renditions import current_record
from circulation.records.actors import Actor
from tests.ackrecord.builders import pdf_text
from tests.builders import Bureau
from tests.delegation.builders import appoint
from tests.helpers import ack_of
from tests.web.test_inbox import notice_to
from workflows.services.acknowledging import confirm_acknowledgement, open_acknowledgement

pytestmark = pytest.mark.django_db


def test_the_record_says_who_confirmed_for_whom(bureau: Bureau, media: Any) -> None:
    principal, delegate = bureau.person("gyg_1"), bureau.person("gyg_2")
    notice = notice_to(bureau, 1)
    before = collect_record_data(notice.pk)
    assert "delegated" not in before
    assert all("acted_by" not in r for u in before["units"] for r in u["recipients"])

    appoint(principal, delegate, reason="外出培训")
    ack = ack_of(notice, "gyg_1")
    open_acknowledgement(Actor(delegate), ack.pk)
    confirm_acknowledgement(Actor(delegate), ack.pk, comment="已代为学习")

    data = collect_record_data(notice.pk)
    assert data["delegated"] == [
        {
            "by": {"username": "gyg_2", "name": delegate.name},
            "principal": {"username": "gyg_1", "name": principal.name},
            "unit": "工业股",
            "state_label": "已确认",
            "at": data["delegated"][0]["at"],
        }
    ]
    row = next(
        r for u in data["units"] for r in u["recipients"] if r["person"]["username"] == "gyg_1"
    )
    assert row["acted_by"] == {"username": "gyg_2", "name": delegate.name}

    rendition = current_record(notice, actor=Actor(bureau.clerk))
    with rendition.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "代理办理" in text
    assert f"{delegate.name} 代 {principal.name}" in text
