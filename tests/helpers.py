"""Helpers that drive the services directly (for setup), as the clerk would through the API."""

from collections.abc import Callable
from typing import Any

from circulation.records.actors import Actor
from circulation.records.models import Acknowledgement, Notice, Person
from tests.builders import SAMPLE
from workflows.services.acknowledging import open_acknowledgement
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice


def registered_notice(clerk: Person, doc_number: str = SAMPLE["doc_number"]) -> Notice:
    fields = {k: v for k, v in SAMPLE.items() if k not in {"issued_on", "doc_number"}}
    return register_notice(Actor(clerk), NoticeInput(doc_number=doc_number, **fields)).notice


def circulating_notice(
    clerk: Person, units: tuple[str, ...] = ("GYG",), people: tuple[str, ...] = ()
) -> Notice:
    notice = registered_notice(clerk)
    forward_notice(Actor(clerk), notice.pk, ForwardRequest(unit_codes=units, usernames=people))
    notice.refresh_from_db()
    return notice


def ack_of(notice: Notice, username: str) -> Acknowledgement:
    return Acknowledgement.objects.get(notice=notice, person__username=username)


def opened_ack(notice: Notice, username: str) -> Acknowledgement:
    ack = ack_of(notice, username)
    return open_acknowledgement(Actor(ack.person), ack.pk)


def write_around_audit_trigger(sql: str, params: list[object]) -> None:
    """What an attacker with database superuser rights does: skip the append-only trigger."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("RESET session_replication_role")


def race(calls: list[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Run the calls in threads released together; each thread has its own DB connection.

    An exception is returned in the call's place, for the test to assert on.
    """
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except Exception as exc:  # recorded, asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


def small_pdf(text: str = "附件") -> bytes:
    """A real one-page PDF (pikepdf), titled ``text``, for attachments in tests."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
