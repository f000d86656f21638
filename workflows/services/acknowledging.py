"""阅知确认: open (已阅), confirm (已确认) and return (退回) one's own acknowledgement.

Only the recipient acts on an acknowledgement, or their delegate while a delegation (代理) is in
force (:mod:`workflows.services.delegation`): the answer then keeps who acted (``acted_by``) and
its audit event names the recipient (``on_behalf_of``); anyone else gets "not found". Repeating an
action that already happened returns the acknowledgement unchanged and records nothing.
"""

import hashlib
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Expression, Field, ForeignKey, Model
from django.utils import timezone

from circulation.records import prepared
from circulation.records.actors import Actor
from circulation.records.audit import append_event
from circulation.records.errors import Conflict, InvalidInput
from circulation.records.models import Acknowledgement, AuditAction, ConfirmMethod
from circulation.records.permissions import not_found
from circulation.records.validation import COMMENT, clean_reason, clean_text
from workflows.machines import AckState
from workflows.reminders.announcements import announce_return
from workflows.services.completion import complete_after_answer
from workflows.services.delegation import Acting, handled_by, resolve_actor
from workflows.services.signin import verify_password


def answerable(actor: Actor) -> Expression:
    """The acknowledgements the caller may answer now: their own, and those of the people they
    are the delegate of (a subquery: no statement of its own)."""
    return handled_by(actor.user)


# Read along with the acknowledgement, in its locking statement: what the answers show of it
# (the API's serializer, the web's reading page) and what its audit event names.
READ_ALONG = ("notice", "round", "unit", "person", "acted_by")
# (the relation, its model, the attribute names of its columns in the row), after the
# acknowledgement's own columns
_Related = tuple[tuple[ForeignKey, type[Model], tuple[str, ...]], ...]


@cache
def _lock_statement() -> tuple[str, tuple[str, ...], _Related]:
    """``SELECT <acknowledgement>, <notice>, <round>, … WHERE id = %s FOR UPDATE OF`` the
    acknowledgement alone, and the row's layout: the columns and joins of
    ``select_related(*READ_ALONG)``, written once from the models' metadata. The ORM compiled
    the statement anew for every answer: with the delegation filter that
    ``_locked_own_ack`` now checks in Python, half of a confirm's Python time."""
    meta = Acknowledgement._meta
    qn = connection.ops.quote_name
    own = tuple(f.attname for f in meta.concrete_fields)
    columns = [f"t0.{qn(f.column)}" for f in meta.concrete_fields]
    joins: list[str] = []
    related: list[tuple[ForeignKey, type[Model], tuple[str, ...]]] = []
    for index, name in enumerate(READ_ALONG, start=1):
        field = meta.get_field(name)
        if not isinstance(field, ForeignKey):
            raise TypeError(f"{name} is not a foreign key of the acknowledgement")
        model: type[Model] = field.related_model  # type: ignore[assignment]
        if model._meta.parents:  # its columns would not all be in its own table
            raise TypeError(f"{model.__name__} inherits from a concrete model")
        joins.append(
            f"{'LEFT JOIN' if field.null else 'JOIN'} {qn(model._meta.db_table)} t{index} "
            f"ON t{index}.{qn(model._meta.pk.column)} = t0.{qn(field.column)}"
        )
        columns += [f"t{index}.{qn(f.column)}" for f in model._meta.concrete_fields]
        related.append((field, model, tuple(f.attname for f in model._meta.concrete_fields)))
    # Every name comes from the models' metadata, quoted; the id is the one parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(meta.db_table)} t0 {' '.join(joins)} "  # noqa: S608
        f"WHERE t0.{qn(meta.pk.column)} = %s FOR UPDATE OF t0"
    )
    return sql, own, tuple(related)


def _lock_ack(ack_id: int) -> Acknowledgement | None:
    """The acknowledgement ``ack_id``, locked, with its notice, round, unit, person and delegate
    loaded as ``select_related`` would (one statement), or None."""
    sql, own, related = _lock_statement()
    with connection.cursor() as cursor:
        prepared.execute(cursor, "circulation_ack_lock", sql, [ack_id])
        row = cursor.fetchone()
    if row is None:
        return None
    ack = Acknowledgement.from_db(connection.alias, list(own), row[: len(own)])
    start = len(own)
    for field, model, attnames in related:
        values = row[start : start + len(attnames)]
        start += len(attnames)
        loaded = None if values[0] is None else model.from_db(connection.alias, attnames, values)
        field.set_cached_value(ack, loaded)
    return ack


@cache
def _update_statement(fields: tuple[str, ...]) -> tuple[str, tuple["Field[Any, Any]", ...]]:
    """``UPDATE <acknowledgement> SET <fields> WHERE id = %s``, written once per set of fields
    from the model's metadata, and the fields in the order of its parameters."""
    meta = Acknowledgement._meta
    qn = connection.ops.quote_name
    columns = tuple(meta.get_field(name) for name in fields)
    concrete = tuple(field for field in columns if isinstance(field, Field) and field.concrete)
    if len(concrete) != len(fields):
        raise TypeError(f"not all of {fields} are columns of the acknowledgement")
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in concrete)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    return sql, concrete


@cache
def _write_name(fields: tuple[str, ...]) -> str:
    """The prepared statement's name for this set of fields (a digest: names end at 63 bytes)."""
    return "circulation_ack_write_" + hashlib.sha256(",".join(fields).encode()).hexdigest()[:16]


def _write(ack: Acknowledgement, *fields: str) -> None:
    """Store ``fields`` of the locked acknowledgement after its transition: what
    ``ack.save(update_fields=fields)`` writes, from a statement written once instead of one
    compiled on every answer (a seventh of a confirm's Python time). No signal is connected to
    the acknowledgement's saves, so none is missed."""
    sql, concrete = _update_statement(fields)
    values = [field.get_db_prep_save(getattr(ack, field.attname), connection) for field in concrete]
    with connection.cursor() as cursor:
        prepared.execute(cursor, _write_name(fields), sql, [*values, ack.pk])


def _locked_own_ack(actor: Actor, ack_id: int) -> tuple[Acknowledgement, Acting]:
    """The caller's own acknowledgement (or their principal's), locked, with what the caller
    shows of it loaded, and who acts on it (the delegation row locked too: a cancellation
    committed first wins). Anyone else's is "not found".

    Only the acknowledgement row is locked: recipients of one notice answer in parallel.
    Withdrawing the notice locks the notice and then its open acknowledgements, so it waits for
    an answer in progress and skips it once it is no longer open; completion is decided after
    the commit (:mod:`workflows.services.completion`). Lock order everywhere: notice, then
    acknowledgement, then the audit chain head.

    The row is taken by its id; whose it is is decided here, by :func:`resolve_actor` (the
    recipient, or their delegate in force, whose delegation it locks). A stranger's request
    holds the row for that check and gets "not found", as before.
    """
    ack = _lock_ack(ack_id)
    if ack is None:
        raise not_found()
    return ack, resolve_actor(actor.user, ack.person_id, lock=True)


def open_acknowledgement(actor: Actor, ack_id: int) -> Acknowledgement:
    """已阅: the recipient opened the notice. Only the first opening is recorded."""
    with transaction.atomic(durable=True):
        ack, acting = _locked_own_ack(actor, ack_id)
        if ack.state != AckState.PENDING:
            return ack
        ack.mark_read()
        ack.opened_at = timezone.now()
        ack.acted_by = acting.acted_by
        _write(ack, "state", "opened_at", "acted_by")
        append_event(
            actor,
            AuditAction.ACK_READ,
            ack,
            notice_id=ack.notice_id,
            from_state=AckState.PENDING,
            to_state=AckState.READ,
            data=acting.audit_data(),
        )
    return ack


def confirm_acknowledgement(
    actor: Actor, ack_id: int, *, comment: str = "", password: str | None = None
) -> Acknowledgement:
    """已确认 (read and studied), with an optional 学习体会 and password re-entry."""
    comment = clean_text(comment, COMMENT)
    method = _confirm_method(actor, ack_id, password)
    with transaction.atomic(durable=True):
        ack, acting = _locked_own_ack(actor, ack_id)
        if ack.state == AckState.CONFIRMED:
            return ack
        if ack.state == AckState.PENDING:
            raise Conflict(
                "请先打开并阅读通知，再确认已阅知",
                "Open and read the notice before confirming",
                code="not_opened",
                extra={"state": ack.state},
            )
        if ack.state != AckState.READ:
            raise Conflict(
                f"该阅知记录已{ack.get_state_display()}，不能确认",
                f"This acknowledgement is {ack.state} and cannot be confirmed",
                code="invalid_state",
                extra={"state": ack.state},
            )
        ack.confirm()
        ack.confirmed_at = timezone.now()
        ack.comment = comment
        ack.confirm_method = method
        ack.confirm_ip = actor.ip
        ack.acted_by = acting.acted_by
        _write(ack, "state", "confirmed_at", "comment", "confirm_method", "confirm_ip", "acted_by")
        append_event(
            actor,
            AuditAction.ACK_CONFIRMED,
            ack,
            notice_id=ack.notice_id,
            from_state=AckState.READ,
            to_state=AckState.CONFIRMED,
            data={"method": method, "comment": comment, **acting.audit_data()},
        )
    complete_after_answer(actor, ack.notice_id)
    return ack


def _confirm_method(actor: Actor, ack_id: int, password: str | None) -> str:
    """How the confirmation is made; checks a re-entered password.

    The acknowledgement is looked up first, so that anyone but its recipient gets "not found"
    before any password is checked; a password is then checked like a sign-in (a wrong one
    counts towards the account's lock-out, a locked account is refused with 429).
    """
    organisation = actor.user.organisation
    required = organisation is not None and organisation.require_password_on_confirm
    if not password and not required:
        return actor.method  # the locked lookup in the transaction answers "not found"
    if not Acknowledgement.objects.filter(answerable(actor), pk=ack_id).exists():
        raise not_found()
    if not password:
        raise InvalidInput(
            "本机关要求确认时重新输入登录密码",
            "Your organisation requires you to re-enter your password to confirm",
            code="password_required",
            field="password",
        )
    verify_password(actor, password, path=f"/acknowledgements/{ack_id}/confirm/")
    return ConfirmMethod.PASSWORD


def return_acknowledgement(actor: Actor, ack_id: int, reason: str) -> Acknowledgement:
    """退回 (e.g. 误发: sent to the wrong person), with a reason."""
    reason = clean_reason(reason, "退回原因")
    with transaction.atomic(durable=True):
        ack, acting = _locked_own_ack(actor, ack_id)
        if ack.state == AckState.RETURNED:
            return ack
        if ack.state not in (AckState.PENDING, AckState.READ):
            raise Conflict(
                f"该阅知记录已{ack.get_state_display()}，不能退回",
                f"This acknowledgement is {ack.state} and cannot be returned",
                code="invalid_state",
                extra={"state": ack.state},
            )
        from_state = ack.state
        ack.return_notice()
        ack.returned_at = timezone.now()
        ack.return_reason = reason
        ack.acted_by = acting.acted_by
        _write(ack, "state", "returned_at", "return_reason", "acted_by")
        # 退回通知 to the clerk who forwarded it, at once (sent after commit).
        announce_return(ack, actor.user, ack.returned_at)
        append_event(
            actor,
            AuditAction.ACK_RETURNED,
            ack,
            notice_id=ack.notice_id,
            from_state=from_state,
            to_state=AckState.RETURNED,
            data={"reason": reason, **acting.audit_data()},
        )
    complete_after_answer(actor, ack.notice_id)
    return ack
