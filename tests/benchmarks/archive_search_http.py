"""The archive search through HTTP: ``GET /api/v1/archive/?q=`` served by gunicorn (one sync
worker, ``circulation.settings_test`` with DEBUG off) in its own process, called one request at
a time over a kept-alive connection with an archivist's API token (knox). The time counted is
the client's, from sending the request to having read the whole JSON answer."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def archivist_token(org: Any) -> str:
    """An API token of an archivist of ``org`` (the bench archivist, given the role)."""
    from django.contrib.auth.models import Group
    from knox.models import AuthToken

    from circulation.records.models import Person
    from circulation.records.roles import ARCHIVIST, ensure_roles

    ensure_roles()
    person = Person.objects.filter(organisation=org).order_by("pk").first()
    if person is None:
        raise SystemExit("the bench organisation has no person")
    person.groups.add(Group.objects.get(name=ARCHIVIST))
    _instance, token = AuthToken.objects.create(person)
    return str(token)


@contextmanager
def gunicorn(database_url: str, redis_url: str, log: Path) -> Iterator[tuple[str, int]]:
    """A gunicorn serving the project on a free port; yields (host, port)."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="circulation.settings_test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="bench-only-" + "s" * 60,
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    executable = Path(sys.executable).with_name("gunicorn")
    command = [
        str(executable) if executable.exists() else (shutil.which("gunicorn") or "gunicorn"),
        "circulation.wsgi:application",
        *("-b", f"127.0.0.1:{port}", "-w", "1", "-k", "sync", "--timeout", "60"),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status in (200, 503):
                    conn.close()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 60 s") from None
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()  # the gunicorn master we started, by its pid
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Client:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    def search(self, q: str, year: int | None = None) -> tuple[float, dict[str, Any]]:
        params: dict[str, Any] = {"q": q}
        if year:
            params["year"] = year
        started = time.perf_counter()
        self.conn.request("GET", "/api/v1/archive/?" + urlencode(params), headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(
                f"GET /api/v1/archive/?q={q} answered {response.status}: {body[:500]!r}"
            )
        return elapsed, json.loads(body)

    def close(self) -> None:
        self.conn.close()
