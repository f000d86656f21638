"""Run renders in a helper process with a wall-clock, CPU and memory limit.

Each process that renders (a Celery worker, a web worker) forks one helper the first time it
needs one; the helper inherits the warm parent (WeasyPrint imported, fontconfig and the fonts'
character maps loaded) and then serves render requests one at a time over a pair of pipes
(length-prefixed pickles of a module-level function and its arguments). A render that loops or
balloons is killed without harming the worker that asked for it; a fresh helper is forked for
the next request.

- Time: the parent waits at most ``timeout`` seconds of wall-clock time for the answer, then
  ``SIGKILL``s the helper; the helper's soft ``RLIMIT_CPU`` is also moved to "CPU used so far +
  timeout" before each request.
- Memory: ``RLIMIT_AS`` of the helper = the address space it inherits + the budget
  (``RECORD_RENDER_MAX_MEMORY_MB``); an allocation beyond it fails inside the helper, which
  answers "memory" and exits.
- The helper closes its copies of the parent's sockets and files, never touches the database,
  leaves with ``os._exit`` (no atexit handlers) and exits when its parent goes away
  (end of file on its pipe), after ``MAX_RENDERS`` requests, or after any failure.

Why a persistent helper rather than a fork per render: a fresh fork pays copy-on-write for the
pages the render touches, about 50 ms per render (a quarter of a one-recipient record).
POSIX only (``os.fork``). Requests from threads of one process are served one after another.
"""

import contextlib
import gc
import os
import pickle
import resource
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FORK_LOCK = threading.Lock()
MAX_RENDERS = 200
_HEADER = struct.Struct("!Q")
_CHUNK = 1 << 20


class SandboxError(RuntimeError):
    """The render failed, was killed, or ran out of time or memory."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "timeout" | "memory" | "crash" | "error"


@dataclass(frozen=True)
class ChildStats:
    seconds: float  # wall clock of the request, as the parent saw it
    cpu_seconds: float  # user + system time the helper spent on it
    max_rss_bytes: int  # the helper's peak RSS during the request (VmHWM, reset per request)
    start_rss_bytes: int  # the helper's RSS when the request started


def _status_kib(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the helper's side -------------------------------------------------------------------------


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, _CHUNK))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:_CHUNK]) :]


def _serve_one(fn: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> tuple[Any, ...]:
    soft = int(_cpu() + timeout) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard < 0 else min(soft, hard), hard))
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")  # reset the peak RSS (VmHWM) for this request
    except OSError:
        pass
    start_rss, cpu = _status_kib("VmRSS") * 1024, _cpu()
    # No cyclic garbage collection during the request: a render allocates hundreds of thousands
    # of boxes and would trigger many full passes; the helper collects after answering.
    gc.disable()
    try:
        result: tuple[Any, ...] = ("ok", fn(*args))
    except MemoryError:
        result = ("memory", "the render ran out of its memory budget")
    except Exception as exc:  # reported to the parent and re-raised there
        result = ("raise", exc)
    finally:
        gc.enable()
    usage = (_cpu() - cpu, max(_status_kib("VmHWM") * 1024, start_rss), start_rss)
    return (*result, usage)


def _close_inherited_fds(keep: set[int]) -> None:
    """Drop the helper's copies of the parent's sockets and files (database, broker, ...).

    A socket stays open while any process holds it: without this, a database connection that
    the worker closes would live on, idle, for as long as the helper does.
    """
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _helper_main(requests: int, answers: int, memory_bytes: int) -> None:
    _close_inherited_fds({requests, answers})
    gc.freeze()  # inherited objects are never collected here: spares copy-on-write
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes > 0:
        limit = _status_kib("VmSize") * 1024 + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for _ in range(MAX_RENDERS):
        header = _read_exact(requests, _HEADER.size)
        if header is None:
            return
        payload = _read_exact(requests, _HEADER.unpack(header)[0])
        if payload is None:
            return
        fn, args, timeout = pickle.loads(payload)  # noqa: S301 - from our own parent process
        answer = _serve_one(fn, args, timeout)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that cannot be pickled
            data = pickle.dumps(("error", f"{type(exc).__name__}: {answer[1]}", answer[2]))
        _write_all(answers, _HEADER.pack(len(data)) + data)
        if answer[0] != "ok" and answer[0] != "raise":
            return
        del fn, args, answer, data, payload
        # WeasyPrint's documents hold the font files (tens of MB) in reference cycles: collect
        # them now, after answering, rather than when the allocation counters say so.
        gc.collect()


# --- the parent's side -------------------------------------------------------------------------


@dataclass
class _Helper:
    pid: int
    requests: int  # parent writes
    answers: int  # parent reads
    owner: int  # the process that forked it
    served: int = 0


_helper: _Helper | None = None
_HELPER_LOCK = threading.Lock()


def _spawn(memory_bytes: int) -> _Helper:
    req_r, req_w = os.pipe()
    ans_r, ans_w = os.pipe()
    with FORK_LOCK:
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the helper (exercised through its answers)
        code = 0
        try:
            os.close(req_w)
            os.close(ans_r)
            _helper_main(req_r, ans_w, memory_bytes)
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(req_r)
    os.close(ans_w)
    return _Helper(pid=pid, requests=req_w, answers=ans_r, owner=os.getpid())


def _discard(helper: _Helper, *, kill: bool) -> int:
    global _helper
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.kill(helper.pid, signal.SIGKILL)
    for fd in (helper.requests, helper.answers):
        with contextlib.suppress(OSError):
            os.close(fd)
    status = 0
    with contextlib.suppress(ChildProcessError):
        _, status = os.waitpid(helper.pid, 0)
    if _helper is helper:
        _helper = None
    return status


def _read_answer(fd: int, deadline: float) -> bytes | None:
    buffer = bytearray()
    needed: int | None = None
    while needed is None or len(buffer) < needed:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return None
        buffer += chunk
        if needed is None and len(buffer) >= _HEADER.size:
            needed = _HEADER.size + _HEADER.unpack_from(buffer)[0]
    return bytes(buffer[_HEADER.size :])


def run_limited(
    fn: Callable[..., Any], *args: Any, timeout: float, memory_bytes: int
) -> tuple[Any, ChildStats]:
    """``fn(*args)`` in the helper (``fn`` and ``args`` must pickle: a module-level function).

    Returns its result and the request's usage. An exception raised by ``fn`` is re-raised
    here; a timeout, an exhausted memory budget or a crash raise :class:`SandboxError`.
    """
    global _helper
    payload = pickle.dumps((fn, args, timeout), protocol=pickle.HIGHEST_PROTOCOL)
    with _HELPER_LOCK:
        helper = _helper
        if helper is None or helper.owner != os.getpid() or helper.served >= MAX_RENDERS:
            if helper is not None and helper.owner == os.getpid():
                _discard(helper, kill=True)
            helper = _helper = _spawn(memory_bytes)
        started = time.monotonic()
        try:
            try:
                _write_all(helper.requests, _HEADER.pack(len(payload)) + payload)
            except BrokenPipeError:  # the idle helper was gone (killed): one more, fresh
                _discard(helper, kill=True)
                helper = _helper = _spawn(memory_bytes)
                _write_all(helper.requests, _HEADER.pack(len(payload)) + payload)
            helper.served += 1
            data = _read_answer(helper.answers, started + timeout)
        except TimeoutError:
            _discard(helper, kill=True)
            message = f"the render took longer than {timeout:g} s"
            raise SandboxError(message, reason="timeout") from None
        except BrokenPipeError:
            data = None
        seconds = time.monotonic() - started
        if data is None:
            status = _discard(helper, kill=True)
            signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            reason = "timeout" if signum == signal.SIGXCPU else "crash"
            raise SandboxError(f"the render process died (signal {signum})", reason=reason)
        kind, value, (cpu, peak, start_rss) = pickle.loads(data)  # noqa: S301 - our helper
        if kind not in ("ok", "raise"):
            _discard(helper, kill=False)
    stats = ChildStats(seconds, cpu, peak, start_rss)
    if kind == "ok":
        return value, stats
    if kind == "raise":
        raise value
    raise SandboxError(str(value), reason="memory" if kind == "memory" else "error")
