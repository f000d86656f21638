"""The organisation's digital seal on the archived record: a PAdES signature (pyHanko).

After the 归档章 is stamped, :func:`sign_record` signs the PDF/A-3b record in an incremental update:
PAdES (``ETSI.CAdES.detached``), the seal's certificate chain embedded in the CMS, validation data
(the chain, and any CRL/OCSP its certificates point to) in the document security store (DSS) so the
signature can be validated later offline, a signature time-stamp plus a document time-stamp
(PAdES-LTA) when ``TSA_URL`` is configured. The visible appearance is the one the stamping step
drew into the empty field under the 归档章 (``stamp.SealMark``: WeasyPrint, CJK font embedded);
pyHanko signs that field and leaves the look alone. pyHanko keeps the XMP metadata (it updates only
the modification date), so the PDF/A identification stays.
"""

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.stamp import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext

from circulation.archive.seal import Seal, forget_token, token_errors, token_guard, trust_roots
from circulation.archive.stamp import SIG_FIELD, SealMark

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class SignatureFacts:
    """What archiving stores about the signature it made (``ArchivedRecord.signature``)."""

    signer: str
    certificate_sha256: str
    signed_at: datetime
    timestamped: bool
    demo: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "signer": self.signer,
            "certificate_sha256": self.certificate_sha256,
            "signed_at": self.signed_at.isoformat(timespec="seconds"),
            "timestamped": self.timestamped,
            "demo": self.demo,
            "field": SIG_FIELD,
        }


def seal_mark(seal: Seal, archival_code: str, when: datetime) -> SealMark:
    day = when.astimezone(SHANGHAI).date().isoformat()
    return SealMark(seal.name, archival_code, day, seal.demo)


def _validation_context(seal: Seal) -> ValidationContext:
    """For collecting validation data at signing time: the configured roots plus the PKCS#12's
    own self-signed root (whether to *trust* it is decided when verifying, not here)."""
    own_roots = [c for c in seal.chain if c.self_signed == "maybe" or c.self_signed == "yes"]
    return ValidationContext(
        trust_roots=[*trust_roots(), *own_roots],
        other_certs=list(seal.chain),
        allow_fetching=True,
        revocation_mode="soft-fail",
    )


def timestamper() -> timestamps.TimeStamper | None:
    if not settings.TSA_URL:
        return None
    return timestamps.HTTPTimeStamper(settings.TSA_URL, timeout=settings.TSA_TIMEOUT)


def _reserved_bytes(seal: Seal, timestamped: bool) -> int:
    """Room for the CMS (so pyHanko need not sign twice to measure it): the certificates, the
    signature, the signed attributes, a time-stamp token with its own chain, and slack."""
    certificates = len(seal.certificate.dump()) + sum(len(c.dump()) for c in seal.chain)
    return 4096 + 2 * certificates + (12288 if timestamped else 0)


class SigningFailed(Exception):
    """pyHanko could not sign (e.g. the certificate does not allow signing)."""


class TimestampUnavailable(SigningFailed):
    """The time-stamping authority (``TSA_URL``) did not answer or refused."""


def sign_record(pdf: bytes, seal: Seal, *, use_tsa: bool = True) -> tuple[bytes, SignatureFacts]:
    """Sign the stamped record's empty signature field (``stamp.apply_stamp(…, mark)``) with
    ``seal`` in an incremental update; its appearance stays as stamped."""
    try:
        with token_guard(seal):
            return _sign(pdf, seal, timestamper() if use_tsa else None)
    except TimestampRequestError as exc:
        raise TimestampUnavailable(str(exc)[:300]) from exc
    except (SigningError, ValueError) as exc:
        raise SigningFailed(str(exc)[:300]) from exc
    except token_errors() as exc:  # the token failed while signing: open it again next time
        forget_token(seal)
        raise SigningFailed(f"PKCS#11 token: {type(exc).__name__} {exc}"[:300]) from exc


def _sign(
    pdf: bytes, seal: Seal, tsa: timestamps.TimeStamper | None
) -> tuple[bytes, SignatureFacts]:
    meta = signers.PdfSignatureMetadata(
        field_name=SIG_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="归档 / Archived record sealed by the organisation",
        location=seal.name,
        embed_validation_info=True,
        use_pades_lta=tsa is not None,
        validation_context=_validation_context(seal),
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
            if tsa is None
            else SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS,
            include_vri=False,  # VRI is optional (ETSI EN 319 142-1) and needs a later revision
        ),
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=seal.signer, timestamper=tsa, stamp_style=NoOpStampStyle()
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # pyHanko takes the CMS signing-time when its session starts, just after this (reading it
    # back from the signed file would cost a fifth of the signing).
    started = datetime.now(UTC)
    out = pdf_signer.sign_pdf(
        writer, existing_fields_only=True, bytes_reserved=_reserved_bytes(seal, tsa is not None)
    )
    signed = out.getvalue() if isinstance(out, io.BytesIO) else bytes(out.read())
    facts = SignatureFacts(
        signer=seal.name,
        certificate_sha256=seal.certificate_sha256,
        signed_at=started,
        timestamped=tsa is not None,
        demo=seal.demo,
    )
    return signed, facts
