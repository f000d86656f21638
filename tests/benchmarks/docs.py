"""Write the benchmark results into docs/benchmarks.md.

Each benchmark owns one section between ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->``; a run replaces only the sections of the benchmarks it ran and keeps
everything else in the file (hand-written analysis included).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.benchmarks.common import REPO

DOCS = REPO / "docs" / "benchmarks.md"

HEADER = """# Benchmarks (性能基准)

Two benchmarks keep the two hot paths of a circulation honest: **传阅** (forwarding a notice to a
whole organisation) and **阅知确认** (thousands of recipients confirming the same notice at
once). They are plain scripts under `tests/benchmarks/`, run against their own PostgreSQL
database (`circulation_bench`, created and migrated when missing, its records tables emptied at
the start of every run):

```sh
DATABASE_URL=postgres://postgres@127.0.0.1:5432/circulation_bench \\
    .venv/bin/python -m tests.benchmarks.run [--size small|full] [--only forward|confirm] \\
    [--write-docs] [--profile] [--workers N --threads N] [--json results.json]
```

`--write-docs` rewrites the result sections below (between the `bench:…` markers) with the
numbers of that run. `tests/test_benchmarks_smoke.py` runs `--size small` in CI (own database
`circulation_bench_smoke_<pid>`, about 20 s) so that the scripts do not rot; it checks that they
run and count correctly, not the timings. The machine matters: the numbers below are from one
small virtual machine where the load generator, gunicorn and PostgreSQL share two cores.

"""


def _yes(met: bool) -> str:
    return "**met** ✅" if met else "**missed** ❌"


def _machine(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; PostgreSQL "
        f"{m['postgresql']} on loopback; Python {m['python']} ({m['platform']})",
        f"- Date: {m['date']}",
        f"- Command: `{results['command']}`",
    ]
    cal = results.get("calibration")
    if cal:
        after = results.get("calibration_after") or {}
        lines.append(
            f"- Calibration (`tests/benchmarks/common.py: calibrate()`, best of {cal['runs']}, "
            f"same run): pure-Python workload **{cal['python_ms']:.1f} ms**, PostgreSQL workload "
            f"**{cal['postgres_ms']:.1f} ms** before measuring"
            + (
                f"; {after['python_ms']:.1f} ms / {after['postgres_ms']:.1f} ms after"
                if after
                else ""
            )
        )
    return "\n".join(lines)


def calibrated(seconds: float, results: dict[str, Any]) -> str:
    """A time as multiples of the run's calibration workloads: "7.2× Python, 1.4× PostgreSQL"."""
    cal = results.get("calibration")
    if not cal:
        return ""
    return (
        f"{seconds * 1000 / cal['python_ms']:.1f}× the Python workload, "
        f"{seconds * 1000 / cal['postgres_ms']:.2f}× the PostgreSQL workload"
    )


def forward_section(results: dict[str, Any]) -> str:
    r = results["forward"]
    lines = [
        f"## Forwarding (传阅): `forward_notice` to {r['recipients']:,} people\n",
        "Script: `tests/benchmarks/bench_forward.py`, run by `tests/benchmarks/run.py` with the "
        "confirm benchmark below (`--only forward` for this one alone); "
        "`tests/test_benchmarks_smoke.py` runs both at `--size small` in CI.\n",
        f"Goal (issue): forward in under {r['goal_seconds']} s and within "
        f"{r['goal_ratio']:.0f}× a raw `INSERT … SELECT` of the same rows. "
        f"Result: time {_yes(r['met_seconds'])}, ratio {_yes(r['met_ratio'])}. "
        + (
            f"On another machine: {r['goal_seconds']} s is "
            f"{calibrated(r['goal_seconds'], results)} of this run's calibration; "
            f"the forward took {calibrated(r['forward_median'], results)}; the ratio goal is "
            "already relative (both measured in the same run).\n"
            if results.get("calibration")
            else "\n"
        ),
        _machine(results),
        "",
        "| measure | value |",
        "|---|---|",
        f"| recipients | {r['units']} units (股室) × {(r['recipients'] - 1) // r['units']:,} "
        f"members + 1 person named outside them = {r['recipients']:,} |",
        f"| `forward_notice` wall time, median of {r['runs']} | **{r['forward_median']:.3f} s** "
        f"(runs: {', '.join(f'{t:.3f}' for t in r['forward_seconds'])}; spread "
        f"{min(r['forward_seconds']):.3f}–{max(r['forward_seconds']):.3f}) |",
        f"| queries per forward | **{r['queries']}** — the number `tests/test_forward_scale.py` "
        "asserts (the run fails on any other); BEGIN and COMMIT included, the clerk's "
        f"permissions already read ({r['queries_seconds']:.3f} s of them in the database; "
        f"{r['captured_forward_seconds']:.3f} s wall with query capture on) |",
        f"| raw `INSERT … SELECT`, median of {r['runs']} | **{r['raw_median']:.3f} s** "
        f"(runs: {', '.join(f'{t:.3f}' for t in r['raw_seconds'])}; spread "
        f"{min(r['raw_seconds']):.3f}–{max(r['raw_seconds']):.3f}) |",
        f"| ratio forward / raw, of the medians | **{r['ratio']:.2f}×** "
        f"(goal ≤ {r['goal_ratio']:.0f}×) |",
        "| ratio per pair (forward *i* / raw *i*) | "
        + ", ".join(f"{x:.2f}" for x in r.get("pair_ratios", []))
        + (
            f" — spread {min(r['pair_ratios']):.2f}–{max(r['pair_ratios']):.2f}× |"
            if r.get("pair_ratios")
            else " |"
        ),
        f"| CPU during the timed runs | machine {r['cpu_busy_pct']:.0f} % busy (of all cores), "
        f"other processes {r['cpu_other_pct']:.0f} %; load average before {r['load_before']} |",
        "",
        "Method: every timed forward runs on a freshly registered notice (登记 via "
        "`register_notice`, untimed) as a clerk (收发员) loaded fresh from the database, with "
        f"`ForwardRequest(unit_codes=<all {r['units']} units>, usernames=[<one person of a unit "
        "not named>], instruction=…, due_working_days=5)` — the shape of the request "
        "`tests/test_forward_scale.py` counts; the time covers the whole service call and its "
        "commit (permission check, row lock, recipient resolution, the round, the "
        "acknowledgements, the 传阅通知 — digests, in-app notifications, outbox —, the state "
        "change and the audit event). The query count comes from one more forward under "
        "`CaptureQueriesContext`, so that recording SQL does not slow the timed runs; like the "
        "test it counts the service's statements with the clerk's permissions already read (a "
        "request that loads the clerk afresh reads them with 2 more). The raw insert writes the "
        "same `(person, unit)` rows (checked) for another fresh notice and a pre-made round, in "
        "its own transaction including the commit, and fills every NOT NULL column of "
        "`records_acknowledgement` (checked against `information_schema` before the run). "
        f"Forward and raw runs alternate ({r['runs']} pairs), so that a change of the machine's "
        "speed during the run shows in the per-pair ratios instead of biasing one side. People "
        "are `bulk_create`d with an unusable password (no hashing).",
        "",
    ]
    if len(r.get("attempts", [])) > 1 or r.get("disturbed"):
        tried = "; ".join(
            f"median {a['median_s']:.3f} s / raw {a['raw_median_s']:.3f} s with other processes "
            f"at {a['other_pct']:.0f} % CPU"
            for a in r["attempts"]
        )
        lines += [
            f"Runs disturbed by other work on the machine were redone (kept: the least "
            f"disturbed): {tried}."
            + (" **The kept runs are still disturbed.**" if r.get("disturbed") else ""),
            "",
        ]
    if r.get("slowest_queries"):
        lines += ["Slowest queries of the captured forward:", "", "| s | SQL |", "|---|---|"]
        for q in r["slowest_queries"][:5]:
            sql = q["sql"].replace("|", "\\|")
            lines.append(f"| {q['seconds']:.3f} | `{sql}…` |")
        lines.append("")
    if r.get("profile"):
        lines += [
            "<details><summary>cProfile of one forward</summary>",
            "",
            "```",
            r["profile"].strip(),
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)


def confirm_section(results: dict[str, Any]) -> str:
    r = results["confirm"]
    c, t = r["confirm"], r["trivial"]
    exhausted = (
        " The confirm run ended when every pair had been used, before the time was up."
        if c["threads_exhausted"]
        else ""
    )
    lines = [
        "## Confirm throughput (阅知确认) over HTTP\n",
        "Script: `tests/benchmarks/bench_confirm.py` with `tests/benchmarks/walk.lua`, run by "
        "`tests/benchmarks/run.py` (`--only confirm` for this one alone).\n",
        f"Goals: first confirms at ≥ {r['goal_ratio']:.0%} of a trivial authenticated "
        f"endpoint's throughput at {r['connections']} concurrent clients (closed loop) — "
        f"{_yes(r['met_ratio'])}; and (issue 12, open loop, replacing the closed-loop p99 goal, "
        "which was ill-posed on 2 cores) at "
        f"{r.get('open_goal_fraction', 0.5):.0%} of the measured confirm capacity, confirm p99 "
        f"< {r.get('open_goal_p99_ms', 100):.0f} ms — {_yes(r.get('met_open_p99', False))} — "
        f"and within {r.get('open_goal_ratio', 2):.0f}× the minimal endpoint's p99 at the same "
        f"rate — {_yes(r.get('met_open_ratio', False))}."
        + (
            f" On another machine: {r.get('open_goal_p99_ms', 100):.0f} ms is "
            f"{calibrated(r.get('open_goal_p99_ms', 100) / 1000, results)} of this run's "
            "calibration; the other two goals are ratios measured in the same run."
            if results.get("calibration")
            else ""
        )
        + "\n",
        _machine(results),
        f"- Server: `gunicorn circulation.wsgi:application {r['gunicorn']}` "
        "(`circulation.settings_test`, `DEBUG=false`, token auth, PostgreSQL); load: "
        f"`wrk -t{r['wrk_threads']} -c{r['connections']} --latency` with "
        "`tests/benchmarks/walk.lua`",
        "",
        "| endpoint | requests | window | req/s | p50 | p90 | p99 | max | CPU: gunicorn / "
        "postgres / wrk / other |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, run in (
        ('`POST /api/v1/acknowledgements/<id>/confirm/` `{"comment":"已学习"}`', c),
        ("`GET /api/v1/acknowledgements/<id>/` (trivial)", t),
    ):
        lines.append(
            f"| {label} | {run['responded']:,} | {run['window_s']:.2f} s | "
            f"**{run['rps']:,.1f}** | {run['p50_ms']:.1f} ms | {run['p90_ms']:.1f} ms | "
            f"**{run['p99_ms']:.1f} ms** | {run['max_ms']:.1f} ms | "
            + " / ".join(
                f"{run['cpu_shares'].get(k, 0):.0f} %"
                for k in ("gunicorn", "postgres", "wrk", "other")
            )
            + f" (busy {run['cpu_busy_pct']:.0f} %) |"
        )
    lines += [
        "",
        f"- confirm / trivial throughput: **{r['ratio']:.2f}** (goal ≥ {r['goal_ratio']}); "
        f"confirm p99 **{c['p99_ms']:.1f} ms** (goal < {r['goal_p99_ms']:.0f} ms)",
        f"- checks: {c['bad'] + t['bad']} non-2xx responses, "
        f"{c['socket_errors'] + t['socket_errors']} socket errors; "
        f"{r['confirmed_in_db']:,} acknowledgements confirmed in the database = "
        f"{c['responded'] - c['bad']:,} successful confirm responses; "
        f"{r['audit_confirm_events']:,} `ack.confirmed` audit events; audit chain "
        f"{'verifies' if r['audit_chain_ok'] else 'BROKEN'} ({r['audit_events_checked']:,} "
        f"events); server-side rate from `confirmed_at` {r['db_rate']:,.1f}/s"
        + ("; **failed: " + "; ".join(r["checks"]) + "**" if r["checks"] else ""),
        "",
        f"Method: {r['recipients']:,} recipients of one circulating notice (forwarded with "
        "`forward_notice`), every acknowledgement set to 已阅 with one ORM update, one DRF token "
        "each. The Lua script gives each wrk thread its share of the (acknowledgement, token) "
        "pairs (every n-th of n threads; one thread by default, so that all its connections stop "
        "issuing at the same moment) and sends each pair once, so every request is a "
        "recipient's first confirm (a repeat would be "
        "a cheap no-op). A thread stops issuing after the duration (or when its pairs run out), "
        "waits for its requests in flight and stops; the rate is answered requests over the "
        "window from the first request to the last response, and every request issued is "
        "counted. A warm-up GET run precedes the measurements; the trivial run uses the same "
        f"tokens, connections and duration.{exhausted} CPU shares are % of the whole "
        "machine (all cores) over the run, from /proc; `other` is busy time no process of the "
        "benchmark accounts for (other work on the machine, PostgreSQL's background processes).",
        "",
    ]
    if len(r.get("attempts", [])) > 2 or r.get("disturbed"):
        tried = "; ".join(
            f"{a['run']} {a['rps']:.1f} req/s, p99 {a['p99_ms']:.1f} ms (other "
            f"{a['other_pct']:.0f} %)"
            for a in r["attempts"]
        )
        lines += [
            "Runs disturbed by other work on the machine were redone, a confirm run on a fresh "
            f"notice (kept: the least disturbed of each): {tried}."
            + (" **A kept run is still disturbed.**" if r.get("disturbed") else ""),
            "",
        ]
    for label, activity in (("confirm", r["confirm_activity"]), ("trivial", r["trivial_activity"])):
        if not activity:
            continue
        spent = ", ".join(f"{k} {v}" for k, v in activity["average_connections"].items())
        lines.append(
            f"- `pg_stat_activity` during the {label} run ({activity['samples']} samples, "
            f"average connections per state): {spent}"
        )
        for query, count in activity["lock_waits_by_query"].items():
            lines.append(f"  - waiting for a row lock in `{query}`: {count}")
    lines.append("")
    lines += _open_lines(r)
    if r.get("profile"):
        p = r["profile"]
        lines += [
            f"In-process profile, one request at a time (no concurrency, Django test client, "
            f"{p['requests']} requests each): confirm median **{p['confirm_median_ms']} ms** "
            f"with **{len(p['confirm_queries'])} queries**, GET median "
            f"**{p['get_median_ms']} ms** with **{p['get_queries']} queries**. Cumulative time "
            "per request under cProfile (which inflates Python time):",
            "",
            "| request | part | ms |",
            "|---|---|---:|",
        ]
        for row in p["breakdown"]:
            lines.append(f"| {row['request']} | {row['part'].strip()} | {row['ms']:.2f} |")
        lines += ["", "Queries of one confirm, in order:", "", "```"]
        lines += list(p["confirm_queries"])
        lines += ["```", ""]
    return "\n".join(lines)


def _open_lines(r: dict[str, Any]) -> list[str]:
    runs = r.get("open_runs") or []
    if not runs:
        return []
    lines = [
        f"### Open loop: fixed offered rates (capacity {r['open_capacity']:.1f} confirms/s, the "
        "closed-loop rate above)",
        "",
        "| offered rate | endpoint | answered | p50 | p90 | **p99** | p99.9 | max | p99 from "
        "send | connections | generator CPU (of one core) | CPU: gunicorn / postgres / generator "
        "/ other |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for o in runs:
        endpoint = (
            "`POST …/confirm/`" if o["endpoint"] == "confirm" else "`GET /api/v1/auth/tokens/`"
        )
        shares = " / ".join(
            f"{o['cpu_shares'].get(k, 0):.0f} %"
            for k in ("gunicorn", "postgres", "generator", "other")
        )
        lines.append(
            f"| {o['fraction']:.0%} = {o['rate']:.1f}/s | {endpoint} | {o['answered']:,} | "
            f"{o['p50_ms']:.1f} ms | {o['p90_ms']:.1f} ms | **{o['p99_ms']:.1f} ms** | "
            f"{o['p999_ms']:.1f} ms | {o['max_ms']:.1f} ms | {o['service_p99_ms']:.1f} ms | "
            f"{o['connections_opened']} | {o['generator_core_pct']:.1f} % | {shares} "
            f"(busy {o['cpu_busy_pct']:.0f} %, load before {o['load_before']}) |"
        )
    errors = sum(o["errors"] + o["non_2xx"] for o in runs)
    confirms = [o for o in runs if o["endpoint"] == "confirm"]
    lines += [
        "",
        f"- at {r.get('open_goal_fraction', 0.5):.0%}: confirm p99 / minimal p99 = "
        f"**{r.get('open_ratio', 0):.2f}** (goal ≤ {r.get('open_goal_ratio', 2):.0f}); "
        f"{errors} failed or non-2xx requests in all; confirmed in the database = successful "
        "confirm answers in every phase ("
        + ", ".join(f"{o['confirmed_in_db']:,}" for o in confirms)
        + ")",
        "",
        "Method (open loop): `tests/benchmarks/openloop.py`, a separate process (asyncio, no "
        "Django), schedules request *i* at start + *i* / rate whatever happened to the earlier "
        "ones, and counts its latency from that scheduled moment to the last byte of the answer "
        "— no coordinated omission: a stall is charged to every request that should have been "
        "sent during it. Each confirm phase uses fresh (acknowledgement, token) pairs of notices "
        "circulated for it (a first confirm every time); the minimal endpoint, "
        "`GET /api/v1/auth/tokens/` (the caller's own live tokens: the token lookup plus one "
        "query, ~150 bytes), follows at the same rate with the same tokens. Connections are kept "
        "alive and reused most-recently-used first; a request finding none free opens one (its "
        'connect time counted). "p99 from send" is the same answers\' p99 counted from the '
        "moment each was written, what a closed-loop client would report. Tokens are created "
        "with an expiry an hour beyond their lifetime, so none is renewed (one more UPDATE) "
        "during the run. The generator's CPU is its own process time over the phase.",
        "",
    ]
    return lines


SECTIONS = {"forward": forward_section, "confirm": confirm_section}


def _block(name: str, body: str) -> str:
    return f"<!-- bench:{name}:start -->\n{body.rstrip()}\n<!-- bench:{name}:end -->"


def replace_section(text: str, name: str, body: str, *, after: str | None = None) -> str:
    """``text`` with the section ``name`` (between its ``bench:`` markers) set to ``body``; a new
    section goes right after the line ``after`` when given and present, else at the end."""
    block = _block(name, body)
    pattern = re.compile(rf"<!-- bench:{name}:start -->.*?<!-- bench:{name}:end -->", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _match: block, text)
    if after and after in text:
        return text.replace(after, f"{after}\n\n{block}", 1)
    return text.rstrip() + "\n\n" + block + "\n"


def write_docs(results: dict[str, Any], path: Path = DOCS) -> Path:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.strip():
        placeholder = "_Not run yet: `python -m tests.benchmarks.run --write-docs`._"
        text = HEADER + "\n\n".join(_block(name, placeholder) for name in SECTIONS) + "\n"
    for name, render in SECTIONS.items():
        if name not in results:
            continue
        text = replace_section(text, name, render(results))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
