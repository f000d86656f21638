"""Validation of the organisation's PAdES signature in a sealed record (pyHanko), offline.

:func:`validate_signature` reads the file's signature and its document security store (DSS), and
validates with no network: the certificates and revocation data embedded at signing time, the trust
roots configured now (``seal.trust_roots``), at the time of signing — the time-stamp's when there is
one, else the time the signer states (which the hash-chained audit log's ``notice.archived``
corroborates: ``signing_time``) — so a record stays verifiable after its seal certificate expired.

Each check is a line of its own (code, ok, 中文, English): present, intact (the signed bytes are
unchanged and the signature value is valid), nothing appended after signing except validation
data, trusted (chains to a configured root, valid at the time of signing), signing time, time-stamp,
and — against what was recorded when archiving — the same certificate.
"""

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from circulation.archive import pdf_speed
from circulation.archive.seal import subject_name

pdf_speed.install()

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The time the signer states may differ this much from the archiving time of the audit log.
CLOCK_TOLERANCE = timedelta(minutes=10)

# pyHanko's AdES sub-indications, in words.
_TRUST_REASONS = {
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "签名证书不能链接到已配置的信任根",
        "the signer's certificate does not chain to a configured trust root",
    ),
    "OUT_OF_BOUNDS_NO_POE": (
        "签名时证书不在有效期内",
        "the certificate was not valid when signing",
    ),
    "OUT_OF_BOUNDS_NOT_REVOKED": (
        "签名时证书不在有效期内",
        "the certificate was not valid when signing",
    ),
    "EXPIRED": ("签名证书已过期", "the certificate had expired"),
    "NOT_YET_VALID": ("签名证书尚未生效", "the certificate was not yet valid"),
    "REVOKED": ("签名证书已被吊销", "the certificate was revoked"),
    "REVOKED_NO_POE": ("签名证书已被吊销", "the certificate was revoked"),
    "CHAIN_CONSTRAINTS_FAILURE": ("证书链约束不满足", "a chain constraint failed"),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": (
        "签名算法强度不足",
        "the signature's algorithms are no longer accepted",
    ),
    "TRY_LATER": ("无法确认证书吊销状态", "the certificate's revocation status is unknown"),
}


@dataclass(frozen=True)
class CheckLine:
    """One check, passed or not (``VerifyResult.checks`` and the signature's own lines)."""

    code: str
    ok: bool
    message: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "ok": self.ok,
            "message": self.message,
            "message_en": self.message_en,
        }


@dataclass
class SignatureReport:
    present: bool = False
    signer: str | None = None
    certificate_sha256: str | None = None
    signed_at: datetime | None = None
    timestamped: bool = False
    timestamp_at: datetime | None = None
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.present and all(line.ok for line in self.lines)

    def add(self, code: str, ok: bool, message: str, message_en: str) -> None:
        self.lines.append(CheckLine(code, ok, message, message_en))

    def summary(self) -> dict[str, Any]:
        """``signature`` in ``…/verify/``: {ok, signer, signed_at, timestamped} and a sentence."""
        failed = [line for line in self.lines if not line.ok]
        if not self.present:
            message, message_en = "归档文件无电子签章", "The sealed file carries no signature"
        elif failed:
            message = "电子签章校验未通过：" + "；".join(line.message for line in failed)
            message_en = "Signature check failed: " + "; ".join(line.message_en for line in failed)
        else:
            message = f"电子签章有效：{self.signer}，签署于 {_local(self.signed_at)}" + (
                "，有时间戳" if self.timestamped else "，无时间戳"
            )
            message_en = f"Signature valid: {self.signer}, signed {_local(self.signed_at)}" + (
                ", time-stamped" if self.timestamped else ", no time-stamp"
            )
        return {
            "ok": self.ok,
            "signer": self.signer,
            "signed_at": self.signed_at.astimezone(SHANGHAI).isoformat()
            if self.signed_at
            else None,
            "timestamped": self.timestamped,
            "message": message,
            "message_en": message_en,
        }


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else "?"


def _dss_material(reader: PdfFileReader) -> dict[str, list[Any]]:
    """The certificates, OCSP responses and CRLs of the file's DSS (empty without one); the
    certificates parsed once per process (``pdf_speed.certificate``)."""
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return {"other_certs": [], "ocsps": [], "crls": []}
    return {
        "other_certs": [
            pdf_speed.certificate(ref.get_object().data) for ref in dss.get("/Certs", ())
        ],
        "ocsps": [asn1_ocsp.OCSPResponse.load(r.get_object().data) for r in dss.get("/OCSPs", ())],
        "crls": [asn1_crl.CertificateList.load(r.get_object().data) for r in dss.get("/CRLs", ())],
    }


def _validation_context(
    reader: PdfFileReader, roots: list[x509.Certificate], moment: datetime | None
) -> ValidationContext:
    kwargs: dict[str, Any] = {
        "trust_roots": roots,
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
        "retroactive_revinfo": True,
        **_dss_material(reader),
    }
    if moment is not None:
        kwargs["moment"] = moment
    return ValidationContext(**kwargs)


def _trust_reason(status: Any) -> tuple[str, str]:
    indication = getattr(status, "trust_problem_indic", None)
    name = getattr(indication, "name", str(indication or ""))
    zh, en = _TRUST_REASONS.get(name, ("签名证书不可信", "the signer's certificate is not trusted"))
    return f"{zh}（{name}）" if name else zh, f"{en} ({name})" if name else en


def validate_signature(
    data: bytes,
    roots: list[x509.Certificate],
    *,
    expected: dict[str, Any] | None = None,
    archived_at: datetime | None = None,
) -> SignatureReport:
    """Validate the record's signature; ``expected`` is ``ArchivedRecord.signature``."""
    report = SignatureReport()
    expected = expected or {}
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # a damaged file: pyHanko raises several kinds
        report.add(
            "signature_unreadable",
            False,
            f"无法读取签名：{str(exc)[:200]}",
            f"The signature cannot be read: {str(exc)[:200]}",
        )
        return report
    if not signatures:
        report.add("signature_present", False, "归档文件无电子签章", "No signature in the file")
        return report
    report.present = True
    sig = signatures[0]
    if len(signatures) > 1:
        report.add(
            "signature_count",
            False,
            f"文件中有 {len(signatures)} 个签名（归档时只签一次）",
            f"The file has {len(signatures)} signatures (archiving signs once)",
        )
    try:
        certificate = sig.signer_cert
        report.signer = subject_name(certificate)
        report.certificate_sha256 = hashlib.sha256(certificate.dump()).hexdigest()
        report.signed_at = sig.self_reported_timestamp
        context = _validation_context(reader, roots, report.signed_at)
        status = validate_pdf_signature(
            sig, signer_validation_context=context, ts_validation_context=context
        )
    except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        report.add(
            "signature_intact",
            False,
            f"签名无法校验（文件或签名已损坏）：{str(exc)[:200]}",
            f"The signature cannot be validated (file or signature damaged): {str(exc)[:200]}",
        )
        return report
    ts = status.timestamp_validity
    if ts is not None:
        report.timestamped = True
        report.timestamp_at = ts.timestamp
        report.signed_at = ts.timestamp
    _report_status(report, status)
    _report_expected(report, expected, archived_at)
    return report


def _report_status(report: SignatureReport, status: Any) -> None:
    intact = bool(status.intact and status.valid)
    report.add(
        "signature_intact",
        intact,
        "签名完好：签名后所签内容未被改动" if intact else "签名无效：所签内容已被改动或签名值不符",
        "Intact: the signed content is unchanged since signing"
        if intact
        else "Invalid: the signed content was changed or the signature value does not match",
    )
    coverage = status.coverage
    level = status.modification_level
    appended_ok = coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.LTA_UPDATES
        and status.docmdp_ok is not False
    )
    level_name = getattr(level, "name", str(level))
    report.add(
        "signature_covers_file",
        appended_ok,
        "签名覆盖整个文件（其后仅有验证数据或时间戳）"
        if appended_ok
        else f"签名后文件被追加了增量更新，改动了内容（{level_name}）",
        "The signature covers the whole file (only validation data or time-stamps after it)"
        if appended_ok
        else f"An incremental update was appended after signing and changes the content "
        f"({level_name})",
    )
    trusted = bool(status.trusted)
    zh, en = ("", "") if trusted else _trust_reason(status)
    if not intact and not trusted:
        zh, en = "签名无效，未评估证书", "the signature is invalid; certificate not evaluated"
    report.add(
        "signature_trusted",
        trusted,
        f"签名证书“{report.signer}”可链接到已配置的信任根，签名时有效"
        if trusted
        else f"签名证书“{report.signer}”不可信：{zh}",
        f"The certificate of {report.signer} chains to a configured trust root and was valid"
        if trusted
        else f"The certificate of {report.signer} is not trusted: {en}",
    )
    ts = status.timestamp_validity
    if ts is None:
        report.add(
            "timestamp",
            True,
            "无时间戳：签名时间为签名者自述（由审计日志中的归档事件佐证）",
            "No time-stamp: the signing time is the signer's own (the archiving audit event "
            "corroborates it)",
        )
    else:
        ts_ok = bool(ts.intact and ts.valid and ts.trusted)
        report.add(
            "timestamp",
            ts_ok,
            f"时间戳有效：{_local(ts.timestamp)}" if ts_ok else "时间戳无效或时间戳服务证书不可信",
            f"Time-stamp valid: {_local(ts.timestamp)}"
            if ts_ok
            else "The time-stamp is invalid or its authority is not trusted",
        )


def _report_expected(
    report: SignatureReport, expected: dict[str, Any], archived_at: datetime | None
) -> None:
    signed_at = report.signed_at
    when_ok = signed_at is not None and (
        archived_at is None or abs(signed_at - archived_at) <= CLOCK_TOLERANCE
    )
    report.add(
        "signing_time",
        when_ok,
        f"签名时间 {_local(signed_at)}（+08:00）"
        if when_ok
        else f"签名时间 {_local(signed_at)} 与归档时间 {_local(archived_at)} 不符",
        f"Signed at {_local(signed_at)} (+08:00)"
        if when_ok
        else f"Signing time {_local(signed_at)} differs from the archiving time "
        f"{_local(archived_at)}",
    )
    if expected.get("certificate_sha256"):
        same = expected["certificate_sha256"] == report.certificate_sha256
        report.add(
            "signature_certificate",
            same,
            "签名证书与归档时记录的一致"
            if same
            else "签名证书与归档时记录的不同（文件被重新签名）",
            "The signing certificate is the one recorded when archiving"
            if same
            else "The signing certificate differs from the one recorded when archiving "
            "(the file was re-signed)",
        )
    if expected.get("timestamped") and not report.timestamped:
        report.add(
            "timestamp_missing",
            False,
            "归档时有时间戳，现在文件中没有",
            "The record was time-stamped when archived; the file has none now",
        )
