"""The audit log anchored (审计日志锚定): the chain head signed by the seal, kept outside the DB.

The audit chain's hashes are unkeyed, so a database superuser could rewrite events and recompute
every hash and the head. A checkpoint closes that: the head (``seq``, ``hash``, the event's time)
as canonical JSON in ``MEDIA_ROOT/audit-checkpoints/<seq>.json`` plus a detached CMS signature
made with the organisation's seal (``<seq>.json.p7s``, DER; ``openssl cms -verify -binary
-inform DER -content <seq>.json -CAfile root.pem`` checks it). A checkpoint is written by beat
(``circulation.archive.tasks.anchor_audit_log``, every ``AUDIT_CHECKPOINT_SECONDS``), after every
archiving commits, and copied into every export. Before signing, the events since the previous
checkpoint are re-linked to it, so a rewrite made in between is refused rather than anchored.

:func:`verify_checkpoint` checks the chain against the latest checkpoint: its signature valid and
chaining to the trust roots, the chain at least as long, the event at its ``seq`` with its hash.
"""

import asyncio
import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms
from django.conf import settings
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from circulation.archive.seal import (
    Seal,
    forget_token,
    load_seal,
    subject_name,
    token_errors,
    token_guard,
    trust_roots,
)
from circulation.queueing import task
from circulation.records.audit import GENESIS_HASH, ChainReport, Scope, event_hash, verify_chain
from circulation.records.models import AuditChainHead, AuditEvent

logger = logging.getLogger(__name__)

FOLDER = "audit-checkpoints"
FORMAT = "circulation-audit-checkpoint/1"
SIGNATURE_SUFFIX = ".p7s"


def checkpoint_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / FOLDER


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint file: its payload, and where it and its signature are."""

    seq: int
    hash: str
    payload: dict[str, Any]
    path: Path

    @property
    def signature_path(self) -> Path:
        return self.path.with_name(self.path.name + SIGNATURE_SUFFIX)


class CheckpointRefused(Exception):
    """The chain since the previous checkpoint does not link to it: nothing is signed."""


def _file_name(seq: int) -> str:
    return f"{seq:012d}.json"


def latest_checkpoint(directory: Path | None = None) -> Checkpoint | None:
    """The checkpoint with the highest seq (by its file name), or None. Unparsable → payload {}."""
    directory = directory or checkpoint_dir()
    if not directory.is_dir():
        return None
    names = sorted(p for p in directory.glob("*.json") if p.stem.isdigit())
    if not names:
        return None
    path = names[-1]
    try:
        payload = json.loads(path.read_bytes())
        return Checkpoint(int(payload["seq"]), str(payload["hash"]), payload, path)
    except (ValueError, KeyError, TypeError):
        return Checkpoint(int(path.stem), "", {}, path)


def sign_detached(data: bytes, seal: Seal) -> bytes:
    """A detached CMS SignedData (DER) over ``data``, with the seal's certificate chain.

    Raises :class:`CheckpointRefused` when a PKCS#11 token fails while signing (the seal and its
    session are dropped, so the next checkpoint opens the token again)."""
    try:
        with token_guard(seal):
            signed = asyncio.run(seal.signer.async_sign_general_data(data, "sha256", detached=True))
    except token_errors() as exc:
        forget_token(seal)
        raise CheckpointRefused(
            f"PKCS#11 令牌签名失败 / the PKCS#11 token failed while signing: "
            f"{type(exc).__name__} {exc}"
        ) from exc
    return bytes(signed.dump())


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _check_segment(previous: Checkpoint | None, head_seq: int, head_hash: str) -> None:
    """Re-link the events from the previous checkpoint (or the start) up to the head."""
    start = previous.seq if previous else 0
    expected_prev, expected_seq = (previous.hash if previous else GENESIS_HASH), start + 1
    if previous is not None:
        at_checkpoint = AuditEvent.objects.filter(seq=previous.seq).values_list("hash", flat=True)
        if list(at_checkpoint) != [previous.hash]:
            raise CheckpointRefused(
                f"事件 #{previous.seq} 与上一检查点不符 / event #{previous.seq} differs from the "
                "previous checkpoint"
            )
    events = AuditEvent.objects.filter(seq__gt=start, seq__lte=head_seq).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq or event.prev_hash != expected_prev:
            raise CheckpointRefused(f"事件 #{event.seq} 链接断裂 / event #{event.seq}: broken link")
        if event_hash(event) != event.hash:
            raise CheckpointRefused(
                f"事件 #{event.seq} 内容被修改 / event #{event.seq}: content altered"
            )
        expected_prev, expected_seq = event.hash, expected_seq + 1
    if expected_seq != head_seq + 1 or expected_prev != head_hash:
        raise CheckpointRefused("链头与事件不符 / the chain head disagrees with the events")


def write_checkpoint(*, seal: Seal | None = None, now: datetime | None = None) -> Checkpoint | None:
    """Sign the current chain head into a new checkpoint; the latest one when the head has not
    moved; None when there is no seal or no event. Raises :class:`CheckpointRefused`.

    One writer at a time (an exclusive ``flock`` on ``.lock`` in the folder): beat and an
    archiving's after-commit call may meet, and a JSON of one with the signature of the other
    would read as a forged checkpoint."""
    seal = seal or load_seal()
    if seal is None:
        logger.warning("audit checkpoint skipped: no seal certificate is configured")
        return None
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _write_locked(seal, directory, now)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_locked(seal: Seal, directory: Path, now: datetime | None) -> Checkpoint | None:
    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    if head is None or head[0] == 0:
        return None
    seq, head_hash = head
    previous = latest_checkpoint(directory)
    if previous is not None and previous.seq == seq and previous.hash == head_hash:
        return previous
    if previous is not None and previous.seq > seq:
        raise CheckpointRefused(
            f"审计链比检查点 #{previous.seq} 短 / the chain is shorter than checkpoint "
            f"#{previous.seq}"
        )
    _check_segment(previous, seq, head_hash)
    event_at = AuditEvent.objects.filter(seq=seq).values_list("at", flat=True).first()
    payload = {
        "format": FORMAT,
        "seq": seq,
        "hash": head_hash,
        "event_at": event_at.astimezone(UTC).isoformat(timespec="microseconds")
        if event_at
        else None,
        "made_at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        "signer": seal.name,
        "certificate_sha256": seal.certificate_sha256,
        "demo": seal.demo,
    }
    data = (json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    checkpoint = Checkpoint(seq, head_hash, payload, directory / _file_name(seq))
    _write_atomically(checkpoint.signature_path, sign_detached(data, seal))
    _write_atomically(checkpoint.path, data)
    return checkpoint


# Archiving re-links at most this many events since the previous checkpoint in its own
# after-commit call; a longer segment, or the first checkpoint (the whole chain), is left to the
# beat task, queued then: a web request never walks the whole audit log.
INLINE_SEGMENT_MAX = 5000


def anchor_after_commit() -> None:
    """For ``transaction.on_commit`` (archiving): write a checkpoint, log instead of raising.

    Only the events since the previous checkpoint are re-linked here; with no checkpoint yet, or
    more than :data:`INLINE_SEGMENT_MAX` events since it, the beat task is queued instead."""
    try:
        previous = latest_checkpoint()
        head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first()
        if previous is None or (head or 0) - previous.seq > INLINE_SEGMENT_MAX:
            # by name: the tasks module imports this one (circulation/queueing.py)
            task("circulation.archive.tasks.anchor_audit_log").delay()
            return
        write_checkpoint()
    except Exception:
        logger.exception("audit checkpoint after archiving failed")


@dataclass
class CheckpointReport:
    """The chain checked against the latest checkpoint (``present`` False: none written yet)."""

    ok: bool = True
    present: bool = False
    seq: int | None = None
    made_at: str | None = None
    signer: str = ""
    reasons: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.ok = False
        self.reasons.append(reason)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok, "present": self.present}
        if self.present:
            body |= {"seq": self.seq, "made_at": self.made_at, "signer": self.signer}
        if not self.ok:
            body["reason"] = self.reason
        return body


def verify_signature(data: bytes, signature: bytes, *, moment: datetime | None = None) -> str:
    """'' when ``signature`` is a valid detached CMS over ``data`` by a certificate chaining to
    the trust roots, else the reason (zh / en)."""
    try:
        content = cms.ContentInfo.load(signature)
        signed_data = content["content"]
        kwargs: dict[str, Any] = {
            "trust_roots": trust_roots(),
            "allow_fetching": False,
            "revocation_mode": "soft-fail",
            "retroactive_revinfo": True,
        }
        if moment is not None:
            kwargs["moment"] = moment
        status = asyncio.run(
            async_validate_detached_cms(
                data, signed_data, signer_validation_context=ValidationContext(**kwargs)
            )
        )
    except Exception as exc:  # a damaged signature: asn1crypto and pyHanko raise several kinds
        return f"检查点签名无法读取 / the checkpoint's signature cannot be read: {str(exc)[:200]}"
    if not status.intact or not status.valid:
        return "检查点签名无效（内容被修改） / the checkpoint's signature is invalid (changed)"
    if not status.trusted:
        signer = subject_name(status.signing_cert) if status.signing_cert else "?"
        return (
            f"检查点签名证书不可信（{signer}） / the checkpoint's signer is not trusted ({signer})"
        )
    return ""


def verify_checkpoint(directory: Path | None = None) -> CheckpointReport:
    """Check the chain in the database against the latest checkpoint (its signature, its seq and
    hash). The chain itself is verified by ``circulation.records.audit.verify_chain``."""
    report = CheckpointReport()
    checkpoint = latest_checkpoint(directory)
    if checkpoint is None:
        return report
    report.present, report.seq = True, checkpoint.seq
    report.made_at = str(checkpoint.payload.get("made_at") or "")
    report.signer = str(checkpoint.payload.get("signer") or "")
    data = checkpoint.path.read_bytes()
    try:
        signature = checkpoint.signature_path.read_bytes()
    except OSError:
        report.fail(
            f"检查点 #{checkpoint.seq} 缺少签名 / checkpoint #{checkpoint.seq} has no signature"
        )
        return report
    try:
        moment = datetime.fromisoformat(report.made_at) if report.made_at else None
    except ValueError:
        moment = None
    problem = verify_signature(data, signature, moment=moment)
    if problem:
        report.fail(f"检查点 #{checkpoint.seq}：{problem}")
        return report
    if not checkpoint.hash or int(checkpoint.path.stem) != checkpoint.seq:
        report.fail(f"检查点文件 {checkpoint.path.name} 内容不符 / checkpoint file malformed")
        return report
    stored = AuditEvent.objects.filter(seq=checkpoint.seq).values_list("hash", flat=True).first()
    if stored is None:
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        report.fail(
            f"审计链（{last} 条）短于检查点 #{checkpoint.seq} / the chain ({last} events) is "
            f"shorter than checkpoint #{checkpoint.seq}"
        )
    elif stored != checkpoint.hash:
        report.fail(
            f"事件 #{checkpoint.seq} 的哈希与已签名检查点不符（审计链被重写） / event "
            f"#{checkpoint.seq} has a different hash than the signed checkpoint (chain rewritten)"
        )
    return report


@dataclass(frozen=True)
class AuditVerdict:
    """The audit log verified: the hash chain (``verify_chain``) and the chain against the latest
    signed checkpoint — what ``verify_audit``, ``verify_archive`` and the admin's action report."""

    chain: ChainReport
    checkpoint: CheckpointReport

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.checkpoint.ok

    @property
    def message(self) -> str:
        """One line, Chinese / English: what was checked and what failed."""
        chain = self.chain
        if not chain.ok:
            at_zh = f"事件 #{chain.first_bad_event}：" if chain.first_bad_event else ""
            at_en = f" at event #{chain.first_bad_event}" if chain.first_bad_event else ""
            return (
                f"审计链校验失败：{at_zh}{chain.reason}（已校验 {chain.events_checked} 条）"
                f" / Audit chain broken{at_en}: {chain.reason}"
                f" ({chain.events_checked} events checked)"
            )
        anchored = self.checkpoint
        if not anchored.ok:
            return (
                "审计链与已签名检查点不符 / Audit chain fails its signed checkpoint: "
                f"{anchored.reason}"
            )
        if anchored.present:
            anchor = (
                f"；与检查点 #{anchored.seq}（{anchored.made_at}，{anchored.signer}）相符"
                f" / matches checkpoint #{anchored.seq} ({anchored.made_at}, {anchored.signer})"
            )
        else:
            anchor = "；尚无已签名检查点 / no signed checkpoint yet"
        return (
            f"审计链完整：已校验 {chain.events_checked} 条事件"
            f" / Audit chain OK: {chain.events_checked} events checked{anchor}"
        )


def verify_audit_log(scope: Scope | None = None) -> AuditVerdict:
    """The whole hash chain, then the chain against the latest signed checkpoint."""
    return AuditVerdict(verify_chain(scope=scope), verify_checkpoint())
