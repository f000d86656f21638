"""Real peers on loopback for the delivery tests: an SMTP server (aiosmtpd) and an HTTP server
for the group-robot webhooks, plus Redis broker helpers and a bounded wait."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis
from celery import Celery


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.1) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


# --- SMTP --------------------------------------------------------------------------------------


@dataclass
class MailCollector:
    """aiosmtpd handler: keeps every accepted message.

    ``refuse``: answer every DATA with this (e.g. ``"554 refused"``).
    ``block_first``: hold the first message until ``release`` is set (``arrived`` tells the test
    it is there). A message whose client hung up meanwhile is not accepted, as with a real MTA:
    aiosmtpd cancels the handler when the connection is lost.
    """

    port: int = 0
    refuse: str | None = None
    block_first: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    messages: list[EmailMessage] = field(default_factory=list)
    _blocked: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        if self.block_first and not self._blocked:
            self._blocked = True
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
            if server.transport is None or server.transport.is_closing():
                return "451 client gone"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append(parsed)
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(m["Message-ID"]) for m in self.messages]


# --- HTTP (webhooks) ---------------------------------------------------------------------------


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class WebhookServer:
    """Records every POST; answers with the queued (status, body) pairs, then 200 errcode 0."""

    hits: list[Hit] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/robot/send?access_token=t0ken") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self) -> tuple[int, str]:
        with self._lock:
            if self.answers:
                return self.answers.pop(0)
        return 200, json.dumps({"errcode": 0, "errmsg": "ok"})

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)


def webhook_handler(server_state: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            server_state.record(Hit(path=parts.path, query=query, body=json.loads(raw)))
            status, body = server_state.answer()
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def start_webhook_server() -> tuple[WebhookServer, ThreadingHTTPServer, threading.Thread]:
    state = WebhookServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), webhook_handler(state))
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return state, httpd, thread


# --- Celery broker -----------------------------------------------------------------------------

BROKER_SETTINGS = ("broker_url", "broker_transport_options", "task_default_queue")


def bounded_options() -> dict[str, Any]:
    """The connect and answer timeouts settings give the Redis transport."""
    from django.conf import settings

    return {
        "socket_connect_timeout": settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": settings.CELERY_BROKER_SOCKET_TIMEOUT,
    }


def use_broker(app: Celery, url: str, queue: str, options: dict[str, Any] | None = None) -> None:
    """Point ``app`` at another broker and default queue, dropping its cached pools/queues.
    The transport keeps the connect and answer timeouts of the settings."""
    app.conf.broker_url = url
    app.conf.broker_transport_options = {**bounded_options(), **(options or {})}
    app.conf.task_default_queue = queue
    app.amqp.__dict__.pop("queues", None)
    app.amqp.__dict__.pop("default_queue", None)
    app._pool = None
    app.amqp._producer_pool = None


def purge_redis_queue(url: str, queue: str) -> None:
    """Remove a test queue, its bindings and its unacknowledged messages from Redis."""
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)
        for tag, raw in client.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError):
                continue
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


class HungBroker:
    """A "broker" on loopback that accepts every connection and never answers (a hung Redis, a
    half-open connection behind a firewall). After ``hold_seconds`` it drops the connections, so
    that code without timeouts fails a test instead of hanging it forever."""

    def __init__(self, hold_seconds: float = 30.0) -> None:
        self.hold_seconds = hold_seconds
        self.accepted = 0
        self._stop = threading.Event()
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.1)
        self.port = int(self._server.getsockname()[1])
        self._held: list[tuple[float, socket.socket]] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/15"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                pass
            else:
                self.accepted += 1
                self._held.append((time.monotonic(), conn))
            now = time.monotonic()
            for since, conn in [h for h in self._held if now - h[0] > self.hold_seconds]:
                conn.close()
                self._held.remove((since, conn))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        for _, conn in self._held:
            conn.close()
        self._server.close()
