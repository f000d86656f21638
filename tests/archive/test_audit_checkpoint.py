"""The audit log anchored: the chain head signed with the seal into a checkpoint file outside the
database, and ``verify_audit`` / ``audit/verify/`` checking the chain against the latest one. A
database superuser who rewrites events and recomputes the whole chain (and the head) passes the
hash-chain check but fails the checkpoint, with the reason."""

import json
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from circulation.archive.checkpoint import (
    CheckpointRefused,
    checkpoint_dir,
    verify_checkpoint,
    write_checkpoint,
)
from circulation.archive.tasks import anchor_audit_log
from circulation.records.actors import Actor
from circulation.records.audit import GENESIS_HASH, event_hash, verify_chain
from circulation.records.models import AuditChainHead, AuditEvent, Notice
from tests.archive.builders import completed_notice, registered
from tests.builders import Bureau
from tests.helpers import circulating_notice, write_around_audit_trigger
from workflows.schedules import DEFAULT_SCHEDULES
from workflows.services.archiving import archive_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(bureau: Bureau, sealed_with: Any) -> Notice:
    sealed_with()
    return circulating_notice(bureau.clerk)  # 3 events


def _rewrite_chain(seq: int, data: dict[str, Any]) -> None:
    """What a database superuser can do: change an event, then recompute every later hash and
    the head, around the append-only trigger. The hash chain alone then verifies."""
    prev = AuditEvent.objects.filter(seq=seq - 1).values_list("hash", flat=True).first()
    prev = prev or GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.seq == seq:
            event.data = data
        event.prev_hash = prev
        event.hash = prev = event_hash(event)
        write_around_audit_trigger(
            "UPDATE records_auditevent SET data = %s::jsonb, prev_hash = %s, hash = %s"
            " WHERE id = %s",
            [json.dumps(event.data, ensure_ascii=False), event.prev_hash, event.hash, event.pk],
        )
    write_around_audit_trigger("UPDATE records_auditchainhead SET last_hash = %s", [prev])


def _verify_audit() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_a_checkpoint_is_a_signed_file_that_openssl_verifies(
    notice: Notice, pki: Any, django_assert_num_queries: Any
) -> None:
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    head = AuditChainHead.objects.get()
    assert head.last_seq == 3
    assert (checkpoint.seq, checkpoint.hash) == (head.last_seq, head.last_hash)
    assert checkpoint.path == checkpoint_dir() / "000000000003.json"
    payload = json.loads(checkpoint.path.read_text())
    assert (payload["seq"], payload["hash"]) == (3, head.last_hash)
    assert payload["event_at"]
    result = subprocess.run(
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(checkpoint.signature_path), "-content", str(checkpoint.path),
            "-CAfile", str(pki.root_pem()), "-purpose", "any", "-out", "/dev/null",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    with django_assert_num_queries(1):  # the hash at the checkpoint's seq
        assert verify_checkpoint().ok
    output = _verify_audit()
    assert "Audit chain OK: 3 events checked" in output
    assert "matches checkpoint #3" in output


def test_an_unmoved_head_writes_no_second_checkpoint(notice: Notice) -> None:
    first = write_checkpoint()
    again = write_checkpoint()
    assert first is not None
    assert again == first
    assert sorted(p.name for p in checkpoint_dir().glob("0*")) == [
        "000000000003.json",
        "000000000003.json.p7s",
    ]


def test_a_recomputed_chain_fails_against_the_checkpoint(notice: Notice) -> None:
    write_checkpoint()
    _rewrite_chain(2, {"forged": True})
    assert verify_chain().ok  # the unkeyed chain alone cannot tell
    with pytest.raises(CommandError, match=r"event #3 has a different hash.*chain rewritten"):
        _verify_audit()
    report = verify_checkpoint()
    assert (report.ok, report.seq) == (False, 3)


def test_the_api_reports_the_checkpoint_failure(notice: Notice, bureau: Bureau, api: Any) -> None:
    write_checkpoint()
    body = api(bureau.archivist).get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["checkpoint"]["ok"], body["checkpoint"]["seq"]) == (True, True, 3)
    _rewrite_chain(1, {"forged": True})
    body = api(bureau.archivist).get("/api/v1/audit/verify/").json()
    assert body["ok"] is False
    assert "different hash than the signed checkpoint" in body["reason"]
    assert body["checkpoint"] == {
        "ok": False,
        "present": True,
        "seq": 3,
        "made_at": body["checkpoint"]["made_at"],
        "signer": body["checkpoint"]["signer"],
        "reason": body["reason"],
    }


def test_a_chain_shorter_than_the_checkpoint_fails(notice: Notice) -> None:
    write_checkpoint()
    last = AuditEvent.objects.get(seq=3)
    write_around_audit_trigger("DELETE FROM records_auditevent WHERE id = %s", [last.pk])
    write_around_audit_trigger(
        "UPDATE records_auditchainhead SET last_seq = 2, last_hash = %s", [last.prev_hash]
    )
    assert verify_chain().ok
    with pytest.raises(CommandError, match=r"chain \(2 events\) is shorter than checkpoint #3"):
        _verify_audit()


def test_a_changed_checkpoint_fails_its_signature(notice: Notice, bureau: Bureau) -> None:
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    _rewrite_chain(2, {"forged": True})
    forged = AuditChainHead.objects.get().last_hash
    text = checkpoint.path.read_text().replace(checkpoint.hash, forged)
    checkpoint.path.write_text(text)  # the forger edits the file to match the new chain
    with pytest.raises(CommandError, match="signature is invalid"):
        _verify_audit()


def test_a_checkpoint_signed_by_another_certificate_is_not_trusted(
    notice: Notice, sealed_with: Any
) -> None:
    sealed_with(cert="seal-foreign")  # a certificate of another root
    write_checkpoint()
    sealed_with()  # the trust roots are the organisation's again
    with pytest.raises(CommandError, match="signer is not trusted"):
        _verify_audit()


def test_a_missing_signature_fails(notice: Notice) -> None:
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    checkpoint.signature_path.unlink()
    with pytest.raises(CommandError, match="checkpoint #3 has no signature"):
        _verify_audit()


def test_a_rewrite_since_the_last_checkpoint_is_refused_not_anchored(
    notice: Notice, bureau: Bureau
) -> None:
    write_checkpoint()
    registered(bureau.clerk, "舞工信〔2022〕2号")
    _rewrite_chain(2, {"forged": True})
    with pytest.raises(CheckpointRefused, match="event #3 differs from the previous checkpoint"):
        write_checkpoint()
    assert anchor_audit_log() is None  # beat logs it and writes nothing
    assert len(list(checkpoint_dir().glob("*.json"))) == 1


def test_export_refuses_to_anchor_a_rewritten_chain(notice: Notice, tmp_path: Path) -> None:
    write_checkpoint()
    _rewrite_chain(2, {"forged": True})
    with pytest.raises(CommandError, match="audit chain changed since its last checkpoint"):
        call_command("export_archive", "--year", "2022", "--out", str(tmp_path / "out"))
    assert len(list(checkpoint_dir().glob("*.json"))) == 1


def test_without_a_checkpoint_verification_says_so(bureau: Bureau) -> None:
    circulating_notice(bureau.clerk)
    assert "no signed checkpoint yet" in _verify_audit()


def test_beat_schedule_and_archiving_write_checkpoints(
    bureau: Bureau, sealed_with: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert any(s.task == "circulation.archive.tasks.anchor_audit_log" for s in DEFAULT_SCHEDULES)
    sealed_with()
    notice = completed_notice(bureau)
    assert anchor_audit_log() == AuditChainHead.objects.get().last_seq
    with django_capture_on_commit_callbacks(execute=True):
        archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")
    head = AuditChainHead.objects.get()
    archived = AuditEvent.objects.get(seq=head.last_seq)
    assert archived.action == "notice.archived"
    latest = sorted(Path(checkpoint_dir()).glob("*.json"))[-1]
    assert json.loads(latest.read_text())["seq"] == head.last_seq
    assert "matches checkpoint #" + str(head.last_seq) in _verify_audit()


def test_verify_archive_checks_the_chain_against_the_checkpoint(notice: Notice) -> None:
    write_checkpoint()
    out = StringIO()
    call_command("verify_archive", "--audit-only", stdout=out)
    assert "matches checkpoint #3" in out.getvalue()
    _rewrite_chain(2, {"forged": True})
    assert verify_chain().ok
    for args in (["--audit-only"], []):
        with pytest.raises(CommandError, match=r"event #3 has a different hash.*chain rewritten"):
            call_command("verify_archive", *args, stdout=StringIO(), stderr=StringIO())


def test_the_admin_action_checks_the_chain_against_the_checkpoint(
    notice: Notice, bureau: Bureau
) -> None:
    from django.contrib.messages import get_messages
    from django.test import Client
    from django.urls import reverse

    from circulation.records.models import Person

    root = Person.objects.create(
        username="root", is_superuser=True, is_staff=True, organisation=bureau.org
    )
    client = Client()
    client.force_login(root)
    write_checkpoint()

    def verify() -> str:
        response = client.post(reverse("admin:records_auditevent_verify"))
        return [str(m) for m in get_messages(response.wsgi_request)][-1]

    assert "matches checkpoint #3" in verify()
    _rewrite_chain(2, {"forged": True})
    message = verify()
    assert "Audit chain fails its signed checkpoint" in message
    assert "审计链与已签名检查点不符" in message


def test_the_first_checkpoint_is_left_to_the_beat_task(
    bureau: Bureau,
    sealed_with: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """Archiving's after-commit call never walks the whole chain: with no checkpoint yet it
    queues the beat task; with one, it re-links only the events since then."""
    queued: list[int] = []
    monkeypatch.setattr(anchor_audit_log, "delay", lambda: queued.append(1))
    sealed_with()
    first = completed_notice(bureau)
    with django_capture_on_commit_callbacks(execute=True):
        archive_notice(Actor(bureau.archivist), first.pk, retention="D30")
    assert queued == [1]
    assert not list(checkpoint_dir().glob("*.json"))
    assert anchor_audit_log() == AuditChainHead.objects.get().last_seq  # what beat then does
    second = completed_notice(bureau, "舞工信〔2022〕61号")
    with django_capture_on_commit_callbacks() as callbacks:
        archive_notice(Actor(bureau.archivist), second.pk, retention="D30")
    with django_assert_max_num_queries(6):  # head, previous event, the segment, the head's time
        for callback in callbacks:
            callback()
    assert queued == [1]
    head = AuditChainHead.objects.get()
    latest = sorted(checkpoint_dir().glob("*.json"))[-1]
    assert json.loads(latest.read_text())["seq"] == head.last_seq
