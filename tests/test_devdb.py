"""The demo's embedded PostgreSQL (circulation/devdb.py), with a real server in a temporary
directory: it starts, a second start finds it running, the last holder's release stops it, a
stale pid file after a crash is recovered, and the demo runs on it (migrate, seed_demo, /healthz).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from circulation import devdb

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Iterator[Path]:
    # Not under pytest's tmp_path: run as root, the server runs as another user, who must reach
    # the directory, and every pytest session makes /tmp/pytest-of-root private again.
    base = Path(tempfile.mkdtemp(prefix="circ-devdb-"))
    path = base / "postgres"
    yield path
    devdb.stop(path)
    shutil.rmtree(base)


def _holder() -> subprocess.Popen[bytes]:
    """A live process to stand for a demo that holds the server."""
    return subprocess.Popen(["sleep", "60"])


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _wait_gone(pid: int) -> None:
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still running")


def test_start_serves_postgres_with_contrib_on_a_socket_only(root: Path) -> None:
    url = devdb.start(root)

    assert url == devdb.Server(root).url() == devdb.default_url(root.parent)
    assert devdb.Server(root).running()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("circulation",)
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)  # no TCP port
        conn.execute("CREATE EXTENSION pg_trgm")  # archive search needs contrib
        assert conn.execute("SELECT similarity('舞工信', '舞工信〔2022〕')").fetchone()[0] > 0
        assert conn.execute("SHOW server_version_num").fetchone()[0] >= "180000"
    assert (root / "data" / f".s.PGSQL.{devdb.PORT}").is_socket()


def test_second_start_shares_the_server_and_the_last_release_stops_it(root: Path) -> None:
    first, second = _holder(), _holder()
    try:
        url = devdb.start(root, holder=first.pid)
        pid = devdb.Server(root).postmaster_pid()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")

        assert devdb.start(root, holder=second.pid) == url
        assert devdb.Server(root).postmaster_pid() == pid  # found running, not restarted
        assert (root / "holders").read_text().split() == [str(first.pid), str(second.pid)]

        assert devdb.release(root, first.pid) is False  # the second demo still uses it
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)

        assert devdb.release(root, second.pid) is True
        assert not devdb.Server(root).running()
        assert not (root / "data" / "postmaster.pid").exists()  # a clean shutdown
        assert pid is not None
        _wait_gone(pid)
    finally:
        first.kill()
        second.kill()


def test_a_holder_that_died_does_not_keep_the_server(root: Path) -> None:
    crashed = _dead_pid()  # a demo killed with -9 never released
    devdb.start(root, holder=crashed)
    other = _holder()
    try:
        devdb.start(root, holder=other.pid)
        assert (root / "holders").read_text().split() == [str(other.pid)]
        assert devdb.release(root, other.pid) is True
    finally:
        other.kill()


def test_stale_pid_file_after_a_crash_is_recovered(root: Path) -> None:
    url = devdb.start(root)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE survivor (n int)")
        conn.execute("INSERT INTO survivor VALUES (25)")
    server = devdb.Server(root)
    pid = server.postmaster_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the machine's power cut, as the server sees it
    _wait_gone(pid)
    time.sleep(0.5)  # its backends notice the postmaster's death and exit
    # After a reboot the recorded pid often belongs to another live process: PostgreSQL alone
    # would refuse to start ("is another postmaster running?").
    pid_file = root / "data" / "postmaster.pid"
    lines = pid_file.read_text().split("\n")
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]))
    assert not server.running()

    assert devdb.start(root) == url
    assert server.running()
    assert server.postmaster_pid() != os.getpid()
    with psycopg.connect(url) as conn:  # crash recovery kept the committed row
        assert conn.execute("SELECT n FROM survivor").fetchone() == (25,)


def test_command_line_start_status_release(root: Path) -> None:
    def devdb_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "circulation.devdb", *args, "--root", str(root)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    assert devdb_cli("status").returncode == 3
    started = devdb_cli("start", "--holder", str(os.getpid()))
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == devdb.Server(root).url()
    status = devdb_cli("status")
    assert (status.returncode, status.stdout.startswith("running (pid ")) == (0, True)
    released = devdb_cli("release", "--holder", str(os.getpid()))
    assert "stopped" in released.stderr
    assert devdb_cli("status").stdout.strip() == "stopped"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_runs_on_the_embedded_server(root: Path) -> None:
    """migrate and seed_demo on the embedded server, then /healthz; the production triggers hold."""
    devdb.start(root)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL"}
    }
    # No DATABASE_URL: the settings find the embedded server under VAR_DIR (the test settings
    # only for their fast password hasher; DATABASE_URL comes from circulation.settings).
    env.update(
        VAR_DIR=str(root.parent),
        MEDIA_ROOT=str(root.parent / "media"),
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="circulation.settings_test",
        DEMO_PASSWORD="demo-test-pass-1",
    )
    env.pop("DATABASE_URL", None)
    settings_url = subprocess.run(
        [sys.executable, "-c", _PRINT_DATABASE_HOST],
        env={**env, "DJANGO_SETTINGS_MODULE": "circulation.settings"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    assert settings_url == str(root / "data")
    env["DATABASE_URL"] = devdb.Server(root).url()  # settings_test would default to loopback

    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        result = subprocess.run(
            [*manage, *command], env=env, capture_output=True, text=True, check=False, cwd=ROOT
        )
        assert result.returncode == 0, result.stderr[-3000:]
    assert "舞工信〔2022〕25号" in result.stdout

    port = _free_port()
    web = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = _get_when_up(f"http://127.0.0.1:{port}/healthz")
    finally:
        web.terminate()
        web.wait(10)
    assert '"database": "ok"' in body
    assert '"broker": "ok"' in body  # kombu's filesystem transport under VAR_DIR

    with psycopg.connect(devdb.Server(root).url()) as conn:
        assert conn.execute("SELECT count(*) FROM records_auditevent").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.Error, match="append-only"):
            conn.execute("UPDATE records_auditevent SET action = 'forged'")


_PRINT_DATABASE_HOST = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['OPTIONS']['host'])"
)


def _get_when_up(url: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
