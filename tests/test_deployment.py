"""Deployment files: docker-compose.yml, Dockerfile, Procfile, CI and scripts, the configuration
docs, and Django's deploy checks with production settings.

No Docker here: the files are parsed as text/YAML, and what can run without containers runs —
the healthchecks against this machine's PostgreSQL and Redis and against the app serving
/healthz, the image's gunicorn command loading the app with production settings, Django's deploy
checks; the settings are started in subprocesses with a clean environment.
"""

from __future__ import annotations

import graphlib
import http.client
import json
import os
import re
import secrets
import shlex
import socket
import string
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
BACKENDS = ("postgres", "redis")
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/circulation"

# env("X"), env.str("X", ...), env.db_url(\n "X"), os.environ["X"], os.environ.get("X"), getenv("X")
SETTINGS_VAR_RE = re.compile(
    r"""\b(?:env(?:\.\w+)?|environ(?:\.get|\.setdefault)?|getenv)\s*[(\[]\s*["']([A-Za-z_]\w*)["']"""
)
DOC_ROW_RE = re.compile(r"^\|\s*`([A-Za-z_]\w*)`\s*\|", re.MULTILINE)


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (volume name or host path)."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            parts = volume.split(":")
            if len(parts) >= 2:
                mounts[parts[1]] = parts[0]
        else:
            mounts[volume["target"]] = volume.get("source", "")
    return mounts


def _runs_beat(service: dict[str, Any]) -> bool:
    words = _command(service)
    text = " ".join(words)
    if "celery" not in text:
        return False
    return "beat" in words or "-B" in words or "--beat" in words


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comment lines dropped and continuations joined."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        current = ""
    return instructions


def _settings_variables() -> set[str]:
    text = (ROOT / "circulation" / "settings.py").read_text(encoding="utf-8")
    return set(SETTINGS_VAR_RE.findall(text))


def _clean_env(**overrides: str) -> dict[str, str]:
    """The current environment without any variable the settings read (the test settings set
    some of them in os.environ), plus ``overrides``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _settings_variables() and key != "DJANGO_SETTINGS_MODULE"
    }
    env["DJANGO_SETTINGS_MODULE"] = "circulation.settings"
    env.update(overrides)
    return env


# --- docker-compose.yml ------------------------------------------------------------------------


def test_compose_has_the_services(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "redis", "web", "worker", "beat", "flower"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_app_services_share_one_definition(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    app = compose["x-app"]
    assert app.get("build")
    assert app.get("image")
    for name in (*APP_SERVICES, "flower"):
        assert services[name].get("build") == app["build"], name
        assert services[name].get("image") == app["image"], name


@pytest.mark.parametrize("name", [*BACKENDS, "web"])
def test_service_has_a_healthcheck(services: dict[str, dict[str, Any]], name: str) -> None:
    healthcheck = services[name].get("healthcheck") or {}
    assert not healthcheck.get("disable")
    test = healthcheck.get("test")
    assert test
    assert test not in (["NONE"], "NONE")


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(words: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        words, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


@pytest.mark.django_db(transaction=True)
def test_web_healthcheck_is_healthy_while_the_app_serves_and_not_when_it_does_not(
    services: dict[str, dict[str, Any]], live_server: Any
) -> None:
    """The web healthcheck, run as compose runs it, against our app serving /healthz (pytest's
    live server standing in for gunicorn on :8000), and against a port where nothing answers."""
    words = [str(word) for word in services["web"]["healthcheck"]["test"]]
    assert words[0] == "CMD"
    command = words[1:]
    assert "localhost" in _environment(services["web"])["ALLOWED_HOSTS"]  # the probe's Host

    # one request first, with time to spare: the first one of a busy machine may be slow, and
    # the healthcheck itself allows 5 s
    with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=60) as warm:  # noqa: S310
        assert warm.status == 200
    serving = [word.replace("http://localhost:8000", live_server.url) for word in command]
    assert serving != command, "the healthcheck no longer asks http://localhost:8000"
    result = _run([sys.executable if word == "python" else word for word in serving])
    assert result.returncode == 0, result.stderr

    down = [word.replace("localhost:8000", f"127.0.0.1:{_closed_port()}") for word in command]
    result = _run([sys.executable if word == "python" else word for word in down])
    assert result.returncode != 0


def _local(url: str, default_port: int) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", str(parts.port or default_port)


def test_backend_healthchecks_tell_a_running_server_from_a_stopped_one(
    services: dict[str, dict[str, Any]],
) -> None:
    """pg_isready and redis-cli as the compose healthchecks call them, pointed at this machine's
    servers (what the test suite runs on) and at a closed port."""
    pg_host, pg_port = _local(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), 5432)
    redis_host, redis_port = _local(
        os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), 6379
    )
    postgres = services["postgres"]["healthcheck"]["test"]
    assert postgres[0] == "CMD-SHELL"
    postgres_words = shlex.split(postgres[1])
    redis = services["redis"]["healthcheck"]["test"]
    assert redis[0] == "CMD"
    redis_words = [str(word) for word in redis[1:]]
    closed = str(_closed_port())

    assert _run([*postgres_words, "-h", pg_host, "-p", pg_port]).returncode == 0
    assert _run([*postgres_words, "-h", "127.0.0.1", "-p", closed]).returncode != 0
    assert _run([redis_words[0], "-h", redis_host, "-p", redis_port, *redis_words[1:]]).stdout == (
        "PONG\n"
    )
    assert _run([redis_words[0], "-h", "127.0.0.1", "-p", closed, *redis_words[1:]]).returncode


def test_services_start_in_order(services: dict[str, dict[str, Any]]) -> None:
    """The order compose starts them in: the databases healthy first, then web (which applies
    the migrations), then the worker once web is healthy; every awaited service has a
    healthcheck (compose refuses to wait on one without)."""
    graph = {name: set(_depends_on(service)) for name, service in services.items()}
    order = list(graphlib.TopologicalSorter(graph).static_order())
    position = {name: index for index, name in enumerate(order)}
    for name in APP_SERVICES:
        for backend in BACKENDS:
            assert position[backend] < position[name], (backend, name)
    assert position["web"] < position["worker"]
    assert "migrate" in " ".join(_command(services["web"]))
    for name, service in services.items():
        for dependency, condition in _depends_on(service).items():
            if condition == "service_healthy":
                assert services[dependency].get("healthcheck"), (name, dependency)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_backends(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends_on = _depends_on(services[name])
    for backend in BACKENDS:
        assert depends_on.get(backend) == "service_healthy", (name, backend)


@pytest.mark.parametrize("name", [*APP_SERVICES, "flower"])
def test_app_service_environment(services: dict[str, dict[str, Any]], name: str) -> None:
    env = _environment(services[name])
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    # Only from the caller's environment: ${SECRET_KEY}, ${SECRET_KEY?msg} or ${SECRET_KEY:?msg},
    # never a literal key nor a ${SECRET_KEY:-default}.
    assert re.fullmatch(r"\$\{SECRET_KEY(?::?\?[^}]*)?\}", env["SECRET_KEY"]), env["SECRET_KEY"]
    assert env["DEBUG"].lower() == "false"
    for key in ("ALLOWED_HOSTS", "MEDIA_ROOT", "FONDS_CODE", "EMAIL_URL", "USE_X_FORWARDED_PROTO"):
        assert key in env, key
    assert env["SECURE_SSL_REDIRECT"].startswith("${SECURE_SSL_REDIRECT")


def test_postgres_data_is_on_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    source = _mounts(services["postgres"]).get("/var/lib/postgresql/data")
    assert source in (compose.get("volumes") or {})


@pytest.mark.parametrize("name", ["web", "worker"])
def test_media_is_on_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], name: str
) -> None:
    media_root = _environment(services[name])["MEDIA_ROOT"]
    source = _mounts(services[name]).get(media_root)
    assert source in (compose.get("volumes") or {}), (name, media_root)


def test_flower_only_in_its_profile(services: dict[str, dict[str, Any]]) -> None:
    assert "flower" in (services["flower"].get("profiles") or [])
    assert "flower" in _command(services["flower"])
    for name, service in services.items():
        if name != "flower":
            assert not service.get("profiles"), name
            assert "flower" not in _command(service), name


def test_exactly_one_beat(services: dict[str, dict[str, Any]]) -> None:
    beats = [name for name, service in services.items() if _runs_beat(service)]
    assert beats == ["beat"]
    beat = services["beat"]
    assert (beat.get("deploy") or {}).get("replicas", 1) == 1
    assert beat.get("scale", 1) == 1


def test_procfile_runs_web_worker_and_one_beat() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    processes = dict(
        line.split(":", 1) for line in lines if re.match(r"^[A-Za-z0-9_-]+:", line.strip())
    )
    assert set(processes) == {"web", "worker", "beat"}
    assert "celery -A circulation worker" in processes["worker"]
    assert "celery -A circulation beat" in processes["beat"]
    assert sum(" beat" in command for command in processes.values()) == 1


# --- Dockerfile --------------------------------------------------------------------------------


def test_dockerfile_base_image() -> None:
    froms = [args for keyword, args in _dockerfile() if keyword == "FROM"]
    assert froms == ["python:3.11-slim-bookworm"]


def test_dockerfile_installs_fonts_and_pango() -> None:
    runs = [args for keyword, args in _dockerfile() if keyword == "RUN"]
    apt = " ".join(run for run in runs if "apt-get install" in run)
    for package in ("fonts-noto-cjk", "fontconfig", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in apt.split(), package
    assert any("fc-cache" in run for run in runs)


def test_dockerfile_installs_the_project_and_flower_and_collects_static() -> None:
    runs = [args for keyword, args in _dockerfile() if keyword == "RUN"]
    project = [
        match
        for run in runs
        if (match := re.search(r'pip install[^&]* "?\.(\[[\w,]+\])?"?(\s|$)', run))
    ]
    assert project, "the image does not pip install the project"
    # a seal on a PKCS#11 token (SEAL_PKCS11_MODULE) must work in the image as well
    assert "pkcs11" in (project[0].group(1) or ""), project[0].group(0)
    assert any("pip install" in run and "flower" in run for run in runs)
    assert any("collectstatic" in run and "SECRET_KEY=" in run for run in runs)


def test_dockerfile_does_not_run_as_root() -> None:
    instructions = _dockerfile()
    users = [
        (index, args) for index, (keyword, args) in enumerate(instructions) if keyword == "USER"
    ]
    assert users, "no USER instruction: the container would run as root"
    index, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    cmd_index = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "CMD")
    assert index < cmd_index


def _gunicorn_check(words: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """``words`` (a gunicorn command line) with ``--check-config``: loads the WSGI application
    with production settings, as the container would, and exits."""
    assert words[0] == "gunicorn", words
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    production = _clean_env(
        DEBUG="false",
        ALLOWED_HOSTS="example.gov.cn",
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_TEST_DATABASE_URL),
        **env,
    )
    return _run([gunicorn, *words[1:], "--check-config"], env=production)


def test_the_image_command_loads_the_app(compose: dict[str, Any]) -> None:
    """The Dockerfile's CMD and compose's web command start gunicorn on our WSGI application:
    with production settings it loads; without a SECRET_KEY it refuses to."""
    cmds = [args for keyword, args in _dockerfile() if keyword == "CMD"]
    assert cmds
    image = json.loads(cmds[-1]) if cmds[-1].startswith("[") else shlex.split(cmds[-1])
    web = _command(compose["services"]["web"])[-1]  # sh -c "… migrate … && exec gunicorn …"
    compose_web = shlex.split(web.split("exec gunicorn", 1)[1])
    key = "k" * 60
    for words in (image, ["gunicorn", *compose_web]):
        loaded = _gunicorn_check(words, SECRET_KEY=key)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    refused = _gunicorn_check(image, SECRET_KEY="")
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stdout + refused.stderr


def _image_command() -> list[str]:
    cmds = [args for keyword, args in _dockerfile() if keyword == "CMD"]
    assert cmds
    return json.loads(cmds[-1]) if cmds[-1].startswith("[") else shlex.split(cmds[-1])


def _get(port: int, path: str) -> int:
    """One request on its own connection (a sync worker answers and closes); its status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        return connection.getresponse().status
    finally:
        connection.close()


def _freeze_lines(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if "gc.freeze()" in line]


def test_web_workers_freeze_their_heap_once_after_the_warm_up(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """The image's and compose's gunicorn run circulation/gunicorn_conf.py. Served with it (the
    image's command, one worker), the worker collects and freezes its heap (gc.freeze()) once,
    after its N-th request — not before, not again — so that later full collections no longer
    walk the application's objects on the request path (docs/benchmarks.md, confirm latency)."""
    image = _image_command()
    web = _command(compose["services"]["web"])[-1]
    compose_web = shlex.split(web.split("exec gunicorn", 1)[1])
    for words in (image[1:], compose_web):
        assert words[words.index("-c") + 1] == "circulation/gunicorn_conf.py", words
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    served = list(image)
    served[served.index("--bind") + 1] = f"127.0.0.1:{port}"
    served += ["--workers", "1"]
    env = _clean_env(
        DEBUG="false",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_TEST_DATABASE_URL),
        GC_FREEZE_AFTER_REQUESTS="3",
    )
    log = tmp_path / "gunicorn.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as out:
        server = subprocess.Popen(
            [gunicorn, *served[1:]], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:  # the first answer is the worker's first request
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                _get(port, "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
        _get(port, "/healthz")
        assert _freeze_lines(log) == []  # two requests: not yet
        _get(port, "/healthz")  # the third
        deadline = time.monotonic() + 30
        while not _freeze_lines(log) and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(3):
            _get(port, "/healthz")
        lines = _freeze_lines(log)
        assert len(lines) == 1, log.read_text(errors="replace")
        assert "gc.freeze() after 3 requests" in lines[0]
        frozen = int(re.search(r": (\d+) objects frozen", lines[0]).group(1))  # type: ignore[union-attr]
        assert frozen > 100_000  # Django, DRF, Celery and the warm caches
    finally:
        server.terminate()
        server.wait(timeout=30)


def _served_config(**env: str) -> dict[str, str]:
    """The settings gunicorn would serve the image's command with (``--print-config``)."""
    words = _image_command()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    printed = _run(
        [gunicorn, *words[1:], "--print-config"],
        env=_clean_env(DEBUG="false", SECRET_KEY="k" * 60, ALLOWED_HOSTS="example.gov.cn", **env),
    )
    assert printed.returncode == 0, printed.stdout + printed.stderr
    pairs = (line.split("=", 1) for line in printed.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_web_server_runs_sync_workers_two_per_core_plus_one() -> None:
    """A sync worker takes a connection only when idle, so no request waits behind a busy
    worker while another idles (docs/benchmarks.md, confirm open loop); WEB_CONCURRENCY sets
    how many."""
    served = _served_config()
    assert served["worker_class"] == "sync"
    assert int(served["workers"]) == 2 * (os.cpu_count() or 1) + 1
    assert _served_config(WEB_CONCURRENCY="7")["workers"] == "7"


def test_a_bad_worker_count_stops_gunicorn() -> None:
    loaded = _gunicorn_check(_image_command(), SECRET_KEY="k" * 60, WEB_CONCURRENCY="0")
    assert loaded.returncode != 0
    assert "WEB_CONCURRENCY must be a whole number of at least 1" in loaded.stdout + loaded.stderr


def test_a_bad_gc_freeze_setting_stops_gunicorn() -> None:
    loaded = _gunicorn_check(_image_command(), SECRET_KEY="k" * 60, GC_FREEZE_AFTER_REQUESTS="50x")
    assert loaded.returncode != 0
    assert "GC_FREEZE_AFTER_REQUESTS must be a whole number" in loaded.stdout + loaded.stderr


# --- configuration docs ------------------------------------------------------------------------


def test_every_settings_variable_is_documented() -> None:
    variables = _settings_variables()
    # The pattern must keep finding the variables (else this test would pass on nothing).
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= variables
    documented = set(DOC_ROW_RE.findall((ROOT / "docs" / "configuration.md").read_text("utf-8")))
    assert sorted(variables - documented) == []


# --- CI and scripts ----------------------------------------------------------------------------


def _script_lines(path: str) -> list[str]:
    text = (ROOT / path).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]


def test_ci_runs_lint_types_migrations_and_tests() -> None:
    lines = _script_lines(".ci/run")
    code = "\n".join(lines)
    assert "set -euo pipefail" in code
    assert re.search(r"ruff check", code)
    assert re.search(r"ruff format --check", code)
    assert re.search(r"manage\.py makemigrations --check", code)
    assert re.search(r"\bmypy circulation workflows\b", code)
    test_lines = [line for line in lines if "scripts/test" in line]
    assert test_lines
    # pytest's exit status (5 included: no tests collected) must fail the job.
    for line in test_lines:
        assert "||" not in line
        assert "; true" not in line


def test_test_script_hands_pytest_status_through() -> None:
    code = "\n".join(_script_lines("scripts/test"))
    assert re.search(r'^exec \.venv/bin/python -m pytest "\$@"$', code, re.MULTILINE)


@pytest.mark.parametrize("path", ["scripts/bootstrap", "scripts/demo", "scripts/test", ".ci/run"])
def test_script_is_executable_bash(path: str) -> None:
    script = ROOT / path
    assert os.access(script, os.X_OK), f"{path} is not executable (chmod +x)"
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- production settings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "tags",
    [
        pytest.param([], id="all-checks"),
        # The security checks alone, so a warning from another app (say drf-spectacular's schema
        # check) does not hide whether the security settings themselves are clean.
        pytest.param(["--tag", "security"], id="security"),
    ],
)
def test_check_deploy_is_clean_with_production_settings(tags: list[str]) -> None:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = _clean_env(
        DEBUG="false",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        ALLOWED_HOSTS="example.gov.cn",
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_TEST_DATABASE_URL),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", *tags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output, output
    assert "?: (security" not in output, output


def test_missing_secret_key_stops_startup_when_debug_is_off() -> None:
    env = _clean_env(DEBUG="false")
    if (ROOT / ".env").is_file():
        # A developer's .env (written by scripts/demo) may hold a key; values from .env only
        # fill names missing from the environment, so an empty one shadows it.
        env["SECRET_KEY"] = ""
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("command", "starts"),
    [
        pytest.param(["makemigrations", "--check", "--dry-run"], True, id="makemigrations"),
        pytest.param(["check", "--deploy"], False, id="check-deploy"),
        pytest.param(["migrate", "--plan"], False, id="migrate"),
    ],
)
def test_only_code_only_commands_run_without_a_secret_key(command: list[str], starts: bool) -> None:
    """CI and build steps check migrations without a secret; nothing that serves, migrates or
    vouches for production settings does."""
    env = _clean_env(
        DEBUG="false", DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    )
    if (ROOT / ".env").is_file():
        env["SECRET_KEY"] = ""
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    if starts:
        assert result.returncode == 0, output
        assert "No changes detected" in output
    else:
        assert result.returncode != 0, output
        assert "SECRET_KEY must be set" in output
