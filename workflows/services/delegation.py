"""代理 (delegation): appoint a delegate for a period, cancel it, and decide who acts for whom.

A person away (the principal) names a delegate in the same organisation for a period
``[starts_at, ends_at)``; while it is in force the delegate acts in the principal's inbox: they
see the principal's open items and answer them, and every such answer records who actually acted
(``acted_by``) and for whom (``on_behalf_of`` in the audit event's data). Delegation is not
transitive: a delegate's own delegate does not act for the first principal.

The one checker the services of every path call, with the item's row already locked::

    acting = resolve_actor(actor.user, item.person_id, lock=True)            # 阅知
    acting = resolve_actor(actor.user, leader_id, lock=True, leader_only=True)  # 批示

It answers "not found" (as for anyone's else item today) when the user is neither the person nor
their delegate right now, and 403 when ``leader_only`` and the delegate is no longer a leader;
``lock`` takes ``FOR NO KEY UPDATE`` on the delegation row, so a cancellation that commits first
wins and one that comes later waits for the answer to commit (a delegate's answers for one
principal queue on that row for the few milliseconds each takes).

Leader rule (issue 16): a leader's 批示 cannot be delegated below the leadership unit, so a
leader's delegate must be a leader too (role ``leader`` or a member of a 领导班子 unit); checked
when the delegation is appointed and again by ``leader_only`` when it is used.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, BooleanField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from circulation.records import roles
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, Forbidden, InvalidInput
from circulation.records.models import AuditAction, Person
from circulation.records.permissions import not_found
from circulation.records.selectors import is_leader
from circulation.records.validation import TextRule, clean_text
from workflows.models import Delegation

REASON = TextRule("reason", "事由", "reason", 200)
# A period typed in a form starts "now" a little before it is submitted.
START_SLACK = timedelta(minutes=10)
LONGEST = timedelta(days=366)


@dataclass(frozen=True)
class DelegationInput:
    delegate: str  # username
    ends_at: datetime
    starts_at: datetime | None = None  # now
    reason: str = ""
    principal: str | None = None  # username; only an administrator appoints for someone else


@dataclass(frozen=True)
class Acting:
    """Who acts on an item that belongs to ``person_id``: themselves, or their delegate."""

    person_id: int
    acted_by: Person | None = None  # the delegate; None when the person acts themselves
    principal: Person | None = None
    delegation_id: int | None = None

    @property
    def on_behalf(self) -> bool:
        return self.acted_by is not None

    def audit_data(self) -> dict[str, Any]:
        """What the audit event adds, or {}: the principal (``on_behalf_of``, their username, and
        ``on_behalf_of_name``, so that a history can say "X 代 Y" without another query) and the
        delegation's id."""
        if self.principal is None:
            return {}
        return {
            "on_behalf_of": self.principal.username,
            "on_behalf_of_name": self.principal.name,
            "delegation": self.delegation_id,
        }


def in_force(at: datetime | None = None) -> Q:
    """Delegations in force at ``at`` (now): not cancelled, ``starts_at <= at < ends_at``."""
    at = at or timezone.now()
    return Q(cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at)


def principal_ids(delegate: Person, at: datetime | None = None) -> QuerySet[Delegation, int]:
    """A subquery of the people ``delegate`` acts for at ``at``: use it inside a filter
    (``person_id__in=...``) so that it costs no statement of its own."""
    return (
        Delegation.objects.filter(in_force(at), delegate=delegate)
        .order_by()  # a set: no sort in the subquery
        .values_list("principal_id", flat=True)
    )


class _EqualsAny(Func):
    """``<column> = ANY(<array>)``, a boolean for ``filter()``."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def handled_by(user: Person, field: str = "person_id", at: datetime | None = None) -> _EqualsAny:
    """A filter for the items whose ``field`` (a person's id) is ``user`` or someone ``user`` is
    the delegate of at ``at`` (now): ``Acknowledgement.objects.filter(handled_by(user))``.

    It is ``person_id = ANY(array_append(ARRAY(<principals in force>), <user>))``: the array is
    computed once inside the same statement (no query of its own), and the planner sees a short
    list of ids, so the items' ``(person, state)`` index serves the lookup as for ``person=user``
    (an ``IN (subquery)`` or an ``OR`` would leave it guessing and walk a whole state's rows).
    """
    ids = Func(
        ArraySubquery(principal_ids(user, at)),
        Value(user.pk),
        function="array_append",
        output_field=ArrayField(BigIntegerField()),
    )
    return _EqualsAny(F(field), ids)


def inbox_people(user: Person, at: datetime | None = None) -> QuerySet[Person, int]:
    """A subquery of whose items ``user`` handles at ``at`` (now), for ``field__in=``; prefer
    :func:`handled_by` in lists over many items (this one leaves the planner guessing)."""
    return Person.objects.filter(Q(pk=user.pk) | Q(pk__in=principal_ids(user, at))).values_list(
        "pk", flat=True
    )


def principals_for(delegate: Person, at: datetime | None = None) -> list[Person]:
    """The people ``delegate`` acts for at ``at`` (now), by name; one query."""
    return list(
        Person.objects.filter(pk__in=principal_ids(delegate, at))
        .only("id", "username", "display_name", "first_name", "last_name")
        .order_by("username")
    )


def delegates_for(principal_ids_: list[int], at: datetime | None = None) -> dict[int, list[int]]:
    """principal id → the ids of their delegates in force at ``at``; one query (reminders)."""
    found: dict[int, list[int]] = {}
    rows = Delegation.objects.filter(in_force(at), principal_id__in=principal_ids_).values_list(
        "principal_id", "delegate_id"
    )
    for principal_id, delegate_id in rows:
        found.setdefault(principal_id, []).append(delegate_id)
    return found


def delegation_for(
    user: Person, person_id: int, at: datetime | None = None, *, lock: bool = False
) -> Delegation | None:
    """The delegation by which ``user`` acts for ``person_id`` at ``at``, or None."""
    query = Delegation.objects.filter(in_force(at), delegate=user, principal_id=person_id)
    if lock:
        # A cancellation (FOR UPDATE) waits for the answer in progress, or wins before it.
        query = query.select_for_update(no_key=True, of=("self",))
    return query.select_related("principal").order_by().first()


def acting_for(user: Person, person_id: int, at: datetime | None = None) -> bool:
    """Whether ``user`` may act for ``person_id`` at ``at``: themselves or their delegate."""
    return person_id == user.pk or delegation_for(user, person_id, at) is not None


def resolve_actor(
    user: Person,
    person_id: int,
    *,
    at: datetime | None = None,
    lock: bool = True,
    leader_only: bool = False,
) -> Acting:
    """Who acts on ``person_id``'s item: the person, or their delegate now (see the module)."""
    if person_id == user.pk:
        return Acting(person_id=person_id)
    delegation = delegation_for(user, person_id, at, lock=lock)
    if delegation is None:
        raise not_found()
    if leader_only and not is_leader(user):
        raise Forbidden(
            "领导的批示只能由领导班子成员代理",
            "A leader's instruction can only be given by a delegate who is a leader",
            code="delegate_not_leader",
        )
    return Acting(
        person_id=person_id,
        acted_by=user,
        principal=delegation.principal,
        delegation_id=delegation.pk,
    )


def _is_admin(user: Person) -> bool:
    return user.is_superuser or user.groups.filter(name=roles.ADMIN).exists()


def _person(username: str, organisation_id: int | None, field: str) -> Person:
    person = (
        Person.objects.filter(username=username, organisation_id=organisation_id or 0)
        .filter(is_active=True)
        .only("id", "username", "display_name", "first_name", "last_name", "organisation_id")
        .first()
    )
    if person is None or organisation_id is None:
        name_zh = "代理人" if field == "delegate" else "被代理人"
        raise InvalidInput(
            f"{name_zh}“{username}”不是本机关的在职人员",
            f"{field} '{username}' is not an active person of your organisation",
            code="unknown_person",
            field=field,
        )
    return person


def _clean_period(
    starts_at: datetime | None, ends_at: datetime, now: datetime
) -> tuple[datetime, datetime]:
    starts_at = starts_at or now
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidInput(
            "代理时间须带时区", "The period's times need a time zone", code="naive", field="ends_at"
        )
    if starts_at < now - START_SLACK:
        raise InvalidInput(
            "代理开始时间不能早于当前时间",
            "The delegation cannot start in the past",
            code="in_the_past",
            field="starts_at",
        )
    if ends_at <= starts_at:
        raise InvalidInput(
            "代理结束时间须晚于开始时间",
            "The delegation must end after it starts",
            code="ends_before_start",
            field="ends_at",
        )
    if ends_at - starts_at > LONGEST:
        raise InvalidInput(
            "代理期限不能超过一年",
            "A delegation may last at most one year",
            code="out_of_range",
            field="ends_at",
        )
    return starts_at, ends_at


def _overlap_conflict(existing: Delegation | None) -> Conflict:
    extra: dict[str, Any] = {}
    period_zh = ""
    if existing is not None:
        start = timezone.localtime(existing.starts_at)
        end = timezone.localtime(existing.ends_at)
        period_zh = f"（{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}）"
        extra = {"existing": existing.pk}
    return Conflict(
        f"该时段已设置了代理{period_zh}，请先取消原代理",
        "A delegation already covers part of this period; cancel it first",
        code="overlapping",
        field="ends_at",
        extra=extra,
    )


def appoint_delegate(actor: Actor, data: DelegationInput) -> Delegation:
    """Appoint ``data.delegate`` to act for the principal (the actor, or for an administrator
    anyone of the organisation) over the period; audited as ``delegation.appointed``."""
    user = actor.user
    now = timezone.now()
    starts_at, ends_at = _clean_period(data.starts_at, data.ends_at, now)
    reason = clean_text(data.reason, REASON)
    if data.principal and data.principal != user.username and not _is_admin(user):
        raise Forbidden(
            "只能为自己设置代理", "You can only appoint your own delegate", code="permission_denied"
        )
    principal = _person(data.principal or user.username, user.organisation_id, "principal")
    delegate = _person(data.delegate, user.organisation_id, "delegate")
    if delegate.pk == principal.pk:
        raise InvalidInput(
            "不能指定本人为代理人",
            "You cannot appoint yourself as your delegate",
            code="self",
            field="delegate",
        )
    if is_leader(principal) and not is_leader(delegate):
        raise InvalidInput(
            "领导的代理人须为领导班子成员",
            "A leader's delegate must be a member of the leadership",
            code="delegate_not_leader",
            field="delegate",
        )
    try:
        with transaction.atomic(durable=True):
            # One appointment per principal at a time; the exclusion constraint is the backstop.
            Person.objects.select_for_update(no_key=True).filter(pk=principal.pk).first()
            existing = (
                Delegation.objects.filter(
                    principal=principal,
                    cancelled_at__isnull=True,
                    starts_at__lt=ends_at,
                    ends_at__gt=starts_at,
                )
                .order_by("starts_at")
                .first()
            )
            if existing is not None:
                raise _overlap_conflict(existing)
            delegation = Delegation.objects.create(
                principal=principal,
                delegate=delegate,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                created_by=user,
            )
            append_event(
                actor,
                AuditAction.DELEGATION_APPOINTED,
                delegation,
                data={
                    "principal": principal.username,
                    "delegate": delegate.username,
                    "starts_at": timezone.localtime(starts_at).isoformat(),
                    "ends_at": timezone.localtime(ends_at).isoformat(),
                    "reason": reason,
                },
            )
    except IntegrityError as exc:  # lost a race the lock did not see (another way in)
        raise _overlap_conflict(None) from exc
    delegation.principal = principal
    delegation.delegate = delegate
    return delegation


def cancel_delegation(actor: Actor, delegation_id: int) -> Delegation:
    """Cancel (the principal, whoever appointed it, or an administrator); a delegation that
    has already ended stays as it was (409); cancelling twice changes nothing."""
    user = actor.user
    with transaction.atomic(durable=True):
        delegation = (
            Delegation.objects.select_for_update(of=("self",))
            .select_related("principal", "delegate")
            .filter(pk=delegation_id, principal__organisation_id=user.organisation_id or 0)
            .first()
        )
        if delegation is None or not (
            user.pk in (delegation.principal_id, delegation.created_by_id) or _is_admin(user)
        ):
            raise not_found()
        if delegation.cancelled_at is not None:
            return delegation
        now = timezone.now()
        if delegation.ends_at <= now:
            raise Conflict(
                "该代理已结束，无需取消",
                "This delegation has already ended",
                code="ended",
            )
        delegation.cancelled_at = now
        delegation.save(update_fields=["cancelled_at"])
        append_event(
            actor,
            AuditAction.DELEGATION_CANCELLED,
            delegation,
            data={"principal": delegation.principal.username},
        )
    return delegation


def delegations_of(user: Person) -> QuerySet[Delegation]:
    """The delegations a person gave or took (newest first), with both people loaded."""
    return (
        Delegation.objects.filter(Q(principal=user) | Q(delegate=user))
        .select_related("principal", "delegate")
        .order_by("-starts_at", "-id")
    )
