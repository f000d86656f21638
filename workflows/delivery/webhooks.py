"""Group-robot webhooks (群机器人): 企业微信 and 钉钉 markdown messages.

- 企业微信: ``POST {url}`` with ``{"msgtype": "markdown", "markdown": {"content": …}}``; the
  content may hold at most 4096 bytes of UTF-8.
- 钉钉: ``POST {url}`` with ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``; with a
  加签 secret the URL gets ``&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of
  "timestamp\\nsecret" keyed with the secret>``.

Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other status, an answer that is
not JSON, or an ``errcode`` other than 0 is a failed attempt with that reason.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings

from workflows.delivery.errors import DeliveryError, PermanentDeliveryError
from workflows.models import Message, WebhookChannel, WebhookKind

WECOM_MAX_CONTENT_BYTES = 4096
MAX_REASON = 300


def markdown_text(title: str, body: str) -> str:
    return f"## {title}\n\n{body}".strip()


def truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def wecom_payload(title: str, body: str) -> dict[str, Any]:
    content = truncate_utf8(markdown_text(title, body), WECOM_MAX_CONTENT_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_payload(title: str, body: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown_text(title, body)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"


def payload_for(channel: WebhookChannel, title: str, body: str) -> tuple[str, dict[str, Any]]:
    """The URL to POST to and the JSON body, by the robot's kind."""
    if channel.kind == WebhookKind.WECOM:
        return channel.url, wecom_payload(title, body)
    if channel.kind == WebhookKind.DINGTALK:
        return signed_url(channel.url, channel.secret), dingtalk_payload(title, body)
    raise PermanentDeliveryError(f"未知的群机器人类型 unknown robot kind: {channel.kind!r}")


def post_json(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST ``payload``; raise :class:`DeliveryError` unless the robot answers errcode 0."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise PermanentDeliveryError(f"webhook URL must be http(s): {url[:80]!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        detail = exc.read(MAX_REASON).decode("utf-8", "replace")
        raise DeliveryError(f"HTTP {exc.code}: {detail}".strip()[:MAX_REASON]) from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, timed out, DNS, TLS
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"webhook unreachable: {reason}"[:MAX_REASON]) from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        text = raw[:100].decode("utf-8", "replace")
        raise DeliveryError(f"HTTP {status}, answer is not JSON: {text!r}") from exc
    errcode = answer.get("errcode", 0) if isinstance(answer, dict) else None
    if errcode != 0:
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else answer
        raise DeliveryError(f"errcode {errcode}: {errmsg}"[:MAX_REASON])


def send_webhook(message: Message) -> None:
    """Post one outbox message to its group robot."""
    channel = message.webhook
    if channel is None:
        raise PermanentDeliveryError("消息未关联群机器人 no robot on this message")
    if not channel.is_active:
        raise PermanentDeliveryError(f"群机器人已停用 robot disabled: {channel.name}")
    url, payload = payload_for(channel, message.subject, message.body)
    post_json(url, payload, timeout=float(settings.WEBHOOK_TIMEOUT))
