"""The reminder sweep (催办扫描): derived purely from the database, safe to run twice or at once.

``run_reminder_sweep`` is what the periodic beat task calls. On a working day within an
organisation's office hours it

1. claims the open acknowledgements of circulating notices that are due soon or overdue, in
   batches of ``CLAIM_BATCH`` by id with ``SELECT … FOR UPDATE SKIP LOCKED`` (one transaction per
   batch; a concurrent sweep takes the next rows instead of waiting), and inserts the reminders
   due now — the unique (acknowledgement, kind, window) key makes a repeat insert nothing;
2. turns every undigested reminder into one digest per person for this window
   (:mod:`workflows.reminders.digests`), with its outbox messages.

Each phase runs on ``REMINDER_SWEEP_WORKERS`` database connections at once, each thread on its
own share of the notices' acknowledgements (phase 1) or of the people (phase 2), by id modulo
the number of workers (:mod:`workflows.reminders.parallel`); every claim finishes before any
digest starts. The advisory locks of :mod:`workflows.reminders.locks` are held by the calling
thread's connection around each phase, for all its threads. Outside working days or office hours
it decides nothing; every run is logged as a ``SweepRun``.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from circulation.records.models import Organisation
from workflows.calendar import add_working_days, is_working_day, office_hours
from workflows.models import Digest, Reminder, ReminderPolicy, SweepRun
from workflows.reminders import claims, locks, parallel, sql
from workflows.reminders.decide import Clock
from workflows.reminders.digests import (
    DigestStats,
    digest_pending,
    waiting,
    waiting_assignments,
)
from workflows.reminders.parallel import Partition
from workflows.reminders.policy import digest_window, in_office_hours, local_zone, policy_for
from workflows.services import sweep_batch as batch
from workflows.services import sweep_handling
from workflows.services.completion import complete_finished_notices

logger = logging.getLogger(__name__)

SWEEP_KIND = "reminders"
CLAIM_BATCH = 1000
# Refresh the reminders' statistics before digesting when a sweep decided at least this many.
ANALYZE_AFTER = 10_000


@dataclass
class SweepResult:
    as_of: datetime
    dry_run: bool = False
    skipped_reason: str = ""
    claimed: int = 0
    batches: int = 0
    reminders: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    digests: int = 0
    messages: int = 0
    deferred_people: int = 0
    run_id: int | None = None
    # 承办 (assignments): claimed and reminders inserted (also counted in ``reminders``).
    assignments: sweep_handling.HandlingStats = field(default_factory=sweep_handling.HandlingStats)

    def add_claims(self, other: "SweepResult") -> None:
        self.claimed += other.claimed
        self.batches += other.batches
        self.reminders += other.reminders
        self.by_kind.update(other.by_kind)

    def add_digests(self, stats: DigestStats) -> None:
        self.digests += stats.digests
        self.messages += stats.messages
        self.deferred_people += stats.deferred_people


@dataclass(frozen=True)
class _Plan:
    organisation: Organisation
    policy: ReminderPolicy
    clock: Clock

    @property
    def horizon(self) -> datetime:
        """Acknowledgements due before this moment may need a reminder now."""
        days = self.policy.due_soon_working_days
        last = add_working_days(self.clock.as_of, days).due_at.date() if days else self.clock.today
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=local_zone())

    @property
    def window(self) -> str:
        return digest_window(self.policy, self.clock.local)


def _plans(as_of: datetime, result: SweepResult) -> list[_Plan]:
    """The organisations to sweep now; sets ``result.skipped_reason`` when there is none."""
    local = timezone.localtime(as_of, local_zone())
    if not is_working_day(local.date()):
        result.skipped_reason = f"非工作日 / not a working day ({local.date().isoformat()})"
        return []
    plans: list[_Plan] = []
    reasons: list[str] = []
    for organisation in Organisation.objects.select_related("reminder_policy").order_by("pk"):
        policy = policy_for(organisation)
        if not policy.enabled:
            reasons.append("自动催办已停用 / reminders disabled")
        elif not in_office_hours(local):
            hours = office_hours()
            reasons.append(
                f"非办公时间 / outside office hours ({hours.opens:%H:%M}–"
                f"{hours.closes:%H:%M}, now {local:%H:%M})"
            )
        else:
            plans.append(_Plan(organisation, policy, Clock(as_of, policy)))
    if not plans:
        result.skipped_reason = "; ".join(dict.fromkeys(reasons)) or "无机关 / no organisation"
    return plans


def _claim_and_decide(plan: _Plan, result: SweepResult, share: Partition) -> None:
    after = 0
    horizon = plan.horizon
    while not share.stopping():
        with transaction.atomic(durable=True):
            acks = claims.claimed_rows(
                claims.candidates(plan.organisation.pk, horizon, after, share).select_for_update(
                    skip_locked=True, of=("self",)
                )[:CLAIM_BATCH]
            )
            if acks:
                after = acks[-1].pk
                created = batch.insert_reminders(
                    batch.decide_batch(acks, plan.clock), timezone.now()
                )
                batch.bump_counters(created)
                batch.audit_batch(acks, created)
                result.batches += 1
                result.claimed += len(acks)
                result.reminders += len(created)
                result.by_kind.update(row.kind for row in created)
        if len(acks) < CLAIM_BATCH:
            return


def _claim_phase(plans: list[_Plan], result: SweepResult, workers: int) -> None:
    """Phase 1 on ``workers`` connections, each on its share of the acknowledgements; what every
    share committed is counted in ``result`` even when one of them failed."""
    parts = [SweepResult(as_of=result.as_of) for _ in range(workers)]

    def claim_share(share: Partition) -> None:
        for plan in plans:
            _claim_and_decide(plan, parts[share.index], share)

    try:
        parallel.run_partitioned(workers, claim_share)
    finally:
        for part in parts:
            result.add_claims(part)


def _digest_phase(plans: list[_Plan], result: SweepResult, workers: int) -> None:
    """Phase 2 on ``workers`` connections, each on its share of the people."""
    parts = [DigestStats() for _ in range(workers)]

    def digest_share(share: Partition) -> None:
        for plan in plans:
            stats = digest_pending(plan.organisation.pk, plan.window, timezone.now(), share)
            parts[share.index].add(stats)

    try:
        parallel.run_partitioned(workers, digest_share)
    finally:
        for stats in parts:
            result.add_digests(stats)


def run_reminder_sweep(as_of: datetime | None = None) -> SweepResult:
    """Decide and digest the reminders due at ``as_of`` (default: now). See the module doc.

    Must not run inside a transaction: every batch commits on its own.
    """
    started = timezone.now()
    as_of = as_of or started
    result = SweepResult(as_of=as_of)
    run = SweepRun.objects.create(kind=SWEEP_KIND, started_at=started, as_of=as_of)
    result.run_id = run.pk
    try:
        # A notice whose last answer's process died before its completion check: 办结 it now,
        # so that nobody is reminded of it (one query when there is none).
        complete_finished_notices()
        plans = _plans(as_of, result)
        if plans:
            workers = parallel.configured_workers()
            with locks.claiming():
                _claim_phase(plans, result, workers)
                for plan in plans:  # 承办 deadlines: few rows, on this connection
                    sweep_handling.claim_and_decide(
                        plan.organisation.pk, plan.horizon, plan.clock, result.assignments
                    )
                result.reminders += result.assignments.reminders
            if result.reminders >= ANALYZE_AFTER:
                sql.analyze(Reminder._meta.db_table)
            with locks.digesting():
                _digest_phase(plans, result, workers)
    except Exception as exc:
        logger.exception("reminder sweep as of %s failed", as_of.isoformat())
        _finish(run, result, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run, result)
    return result


def _finish(run: SweepRun, result: SweepResult, error: str = "") -> None:
    run.finished_at = timezone.now()
    run.skipped_reason = result.skipped_reason[:100]
    run.claimed = result.claimed
    run.reminders = result.reminders
    run.digests = result.digests
    run.error = error
    run.save(
        update_fields=["finished_at", "skipped_reason", "claimed", "reminders", "digests", "error"]
    )


def preview_reminder_sweep(as_of: datetime | None = None) -> SweepResult:
    """What ``run_reminder_sweep`` would decide at ``as_of``, without locking or writing.

    ``digests`` counts the people who would get one (messages are not counted).
    """
    as_of = as_of or timezone.now()
    result = SweepResult(as_of=as_of, dry_run=True)
    for plan in _plans(as_of, result):
        people: set[int] = set()
        after = 0
        horizon = plan.horizon
        while True:
            acks = claims.claimed_rows(
                claims.candidates(plan.organisation.pk, horizon, after)[:CLAIM_BATCH]
            )
            if not acks:
                break
            after = acks[-1].pk
            decisions = batch.decide_batch(acks, plan.clock)
            existing = set(
                Reminder.objects.filter(
                    acknowledgement_id__in=[ack.pk for ack in acks],
                    window_key__in={d.window_key for d in decisions},
                ).values_list("acknowledgement_id", "kind", "window_key")
            )
            new = [d for d in decisions if (d.ack_id, d.kind, d.window_key) not in existing]
            result.batches += 1
            result.claimed += len(acks)
            result.reminders += len(new)
            result.by_kind.update(d.kind for d in new)
            people |= {d.recipient_id for d in new}
        people |= sweep_handling.preview(
            plan.organisation.pk, horizon, plan.clock, result.assignments
        )
        people |= set(waiting(plan.organisation.pk).values_list("recipient_id", flat=True))
        people |= set(
            waiting_assignments(plan.organisation.pk).values_list("recipient_id", flat=True)
        )
        done = Digest.objects.filter(recipient_id__in=people, window_key=plan.window)
        result.digests += len(people - set(done.values_list("recipient_id", flat=True)))
    result.reminders += result.assignments.reminders
    return result
