"""An open-loop HTTP load generator for ``bench_confirm`` (no coordinated omission).

    python -m tests.benchmarks.openloop URL MODE PAIRS RATE SECONDS OUT_JSON

Request *i* is scheduled at ``start + i / RATE`` whatever happened to the earlier ones, and its
latency is counted from that scheduled moment to the last byte of its answer: a server that stalls
for 200 ms is charged for every request that should have been sent during the stall, not only for
the one it was serving (wrk and every closed-loop client wait for an answer before sending the
next request, and so leave the stall out of the figures).

MODE ``confirm``: request *i* is ``POST /api/v1/acknowledgements/<ack>/confirm/`` with the *i*-th
line's (ack, token) pair of PAIRS, each pair once (a first confirm every time); MODE ``tokens``:
``GET /api/v1/auth/tokens/`` (the caller's own live tokens: token authentication plus one query, a
body of ~150 bytes) cycling through the tokens of PAIRS.

Connections: kept alive and reused most-recently-used first, so that as few are open as the
rate needs; when none is free a new one is opened (its connect time is in that request's
latency, as a client's would be). A connection idle for longer than gunicorn's keep-alive (2 s)
is dropped before it could be reused; a request whose kept-alive connection turns out to be
closed by the server before any byte of the answer is sent again on a new connection (its latency
still from its scheduled moment).

It imports neither Django nor anything heavy: it runs in its own process, whose CPU time it
reports, so that a reader can see that the generator did not starve the server on a small machine.
Plain ``asyncio`` streams; one process, one thread.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

BODY = '{"comment":"已学习"}'.encode()
KEEPALIVE_S = 1.5  # gunicorn closes an idle kept-alive connection after 2 s
TIMEOUT_S = 30.0


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    last_used: float


class Closed(Exception):
    """The server closed a kept-alive connection before answering."""


def _requests(mode: str, host: str, pairs: Path) -> list[bytes]:
    out = []
    for line in pairs.read_text().splitlines():
        ack, token = line.split()
        if mode == "confirm":
            out.append(
                (
                    f"POST /api/v1/acknowledgements/{ack}/confirm/ HTTP/1.1\r\nHost: {host}\r\n"
                    f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(BODY)}\r\n\r\n"
                ).encode()
                + BODY
            )
        else:
            out.append(
                (
                    f"GET /api/v1/auth/tokens/ HTTP/1.1\r\nHost: {host}\r\n"
                    f"Authorization: Token {token}\r\n\r\n"
                ).encode()
            )
    return out


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep the connection) after reading one whole answer."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise Closed from exc
        raise
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()
        return status, False
    return status, headers.get("connection") != "close"


class Generator:
    def __init__(self, url: str, mode: str, pairs: Path, rate: float, seconds: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.mode = mode
        self.items = _requests(mode, f"{self.host}:{self.port}", pairs)
        self.rate = rate
        self.seconds = seconds
        self.idle: list[Conn] = []
        self.opened = 0
        self.reconnects = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.results: list[tuple[float, float, float, int]] = []  # scheduled, sent, done, status
        self.errors: list[str] = []

    async def _connect(self) -> Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened += 1
        return Conn(reader, writer, time.monotonic())

    async def _conn(self) -> Conn:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()  # most recently used first
            if now - conn.last_used < KEEPALIVE_S:
                return conn
            conn.writer.close()
        return await self._connect()

    async def _one(self, request: bytes, scheduled: float) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        sent = time.monotonic()
        try:
            for attempt in (1, 2):
                conn = await self._conn()
                if attempt == 1:
                    sent = time.monotonic()
                try:
                    conn.writer.write(request)
                    await conn.writer.drain()
                    status, keep = await asyncio.wait_for(_read_answer(conn.reader), TIMEOUT_S)
                except (Closed, ConnectionResetError, BrokenPipeError):
                    conn.writer.close()
                    if attempt == 2:
                        raise
                    self.reconnects += 1
                    continue
                done = time.monotonic()
                if keep:
                    conn.last_used = done
                    self.idle.append(conn)
                else:
                    conn.writer.close()
                self.results.append((scheduled, sent, done, status))
                return
        except (OSError, TimeoutError, asyncio.IncompleteReadError, Closed, ValueError) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.in_flight -= 1

    async def run(self) -> dict[str, object]:
        count = int(self.rate * self.seconds)
        exhausted = False
        if self.mode == "confirm" and count > len(self.items):
            count, exhausted = len(self.items), True
        # Open a few connections first: the server's accept, not the client's, is measured.
        for _ in range(min(8, count)):
            self.idle.append(await self._connect())
        tasks = []
        cpu_before = time.process_time()
        start = time.monotonic() + 0.05
        lag_max = 0.0
        for i in range(count):
            scheduled = start + i / self.rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag_max = max(lag_max, -delay)
            request = self.items[i % len(self.items)]
            tasks.append(asyncio.create_task(self._one(request, scheduled)))
        issued_until = time.monotonic()
        await asyncio.gather(*tasks)
        finished = time.monotonic()
        cpu = time.process_time() - cpu_before
        for conn in self.idle:
            conn.writer.close()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "mode": self.mode,
            "rate": self.rate,
            "seconds": self.seconds,
            "scheduled": count,
            "exhausted": exhausted,
            "answered": len(self.results),
            "errors": self.errors[:20],
            "error_count": len(self.errors),
            "non_2xx": sum(1 for r in self.results if not 200 <= r[3] < 300),
            "statuses": sorted({r[3] for r in self.results}),
            "connections_opened": self.opened,
            "reconnects": self.reconnects,
            "max_in_flight": self.max_in_flight,
            "schedule_lag_max_ms": round(lag_max * 1000, 3),
            "issue_window_s": round(issued_until - start, 3),
            "wall_s": round(finished - start, 3),
            "start_monotonic": start,  # CLOCK_MONOTONIC, shared by every process
            "cpu_s": round(cpu, 3),
            "max_rss_kb": usage.ru_maxrss,
            # seconds relative to the first scheduled moment
            "samples": [
                (round(s - start, 6), round(x - start, 6), round(d - start, 6), st)
                for s, x, d, st in self.results
            ],
        }


def main(argv: list[str]) -> int:
    url, mode, pairs, rate, seconds, out = argv
    if mode not in ("confirm", "tokens"):
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    generator = Generator(url, mode, Path(pairs), float(rate), float(seconds))
    result = asyncio.run(generator.run())
    Path(out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
