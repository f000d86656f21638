"""One client address for the API, the admin, the sign-in limits and the audit log."""

from typing import Any

import pytest
from django.test import RequestFactory

from circulation.client_ip import client_ip
from circulation.records.models import AuditEvent
from tests.builders import Bureau
from tests.helpers import ack_of, circulating_notice


def request(xff: str | None, remote: str = "10.0.0.9") -> Any:
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        # no proxy: whatever the client writes in the header is ignored
        (0, "6.6.6.6", "10.0.0.9"),
        (0, None, "10.0.0.9"),
        # one proxy appended the real client after the client's own (spoofed) entries
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6,7.7.7.7,203.0.113.7", "203.0.113.7"),
        (1, "203.0.113.7", "203.0.113.7"),
        # two proxies: the outer one added the client, the inner one added the outer one
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        # fewer hops than proxies: all were added by ours, the left-most is the client
        (2, "203.0.113.7", "203.0.113.7"),
        # reached the app around the proxy: the connection's address
        (1, None, "10.0.0.9"),
        (1, "", "10.0.0.9"),
        # junk where the client should be never reaches the audit log's inet column
        (1, "6.6.6.6, not-an-address", "10.0.0.9"),
        (1, "6.6.6.6, 2001:DB8::0001", "2001:db8::1"),
    ],
)
def test_client_ip_takes_the_hop_our_proxies_added(
    settings: Any, proxies: int, xff: str | None, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(xff)) == expected


def test_the_audit_log_records_the_proxied_client_not_the_spoofed_one(
    bureau: Bureau, api: Any, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    notice = circulating_notice(bureau.clerk)
    ack = ack_of(notice, "gyg_1")
    answer = api(ack.person).post(
        f"/api/v1/acknowledgements/{ack.pk}/read/",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert answer.status_code == 200
    assert AuditEvent.objects.get(action="ack.read").ip == "203.0.113.7"
