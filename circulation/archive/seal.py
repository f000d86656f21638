"""The organisation's seal certificate (电子印章证书): the signer, its chain, the trust roots.

One function, :func:`load_seal`, answers "who signs": a key on a PKCS#11 token (hardware key)
configured by ``SEAL_PKCS11_MODULE`` (+ token label, PIN, key/cert labels), else a PKCS#12 file
configured by ``SEAL_PKCS12_PATH`` (+ ``SEAL_PKCS12_PASSPHRASE``), else the demo seal that
``manage.py seal_certificate --create-demo`` made under ``MEDIA_ROOT/seal/demo/`` — never the demo
when a real one is configured — else ``None``. Archiving signs records with it, and other parts
(the audit checkpoint, the archive package) are meant to reuse it. :func:`trust_roots` gives the
roots a signature must chain to: ``SEAL_TRUST_ROOTS`` (PEM files), else the demo root when the
demo seal is the one in use.

The token's session is opened once per process (keyed by pid, so a forked worker opens its own)
and kept; the private key never leaves the token (pyHanko's ``PKCS11Signer``, python-pkcs11).
"""

import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from django.conf import settings
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

DEMO_DIR = ("seal", "demo")
DEMO_PKCS12 = "demo-seal.p12"
DEMO_ROOT = "demo-root.pem"
DEMO_MARK = "演示 DEMO"


class _SealSigner(signers.SimpleSigner):
    """``SimpleSigner`` that parses its private key once (pyHanko parses it on every signature:
    half a second for an RSA-3072 key, as ``cryptography`` checks the key each time)."""

    _key: Any = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism not in ("rsassa_pkcs1v15", "ecdsa"):
            return bytes(super().sign_raw(data, digest_algorithm))
        if self._key is None:
            self._key = serialization.load_der_private_key(self.signing_key.dump(), None)
        algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa":
            return bytes(self._key.sign(data, ECDSA(algorithm)))
        return bytes(self._key.sign(data, PKCS1v15(), algorithm))


class SealConfigurationError(Exception):
    """The configured seal certificate cannot be loaded (message in zh-hans / English)."""


@dataclass(frozen=True)
class Seal:
    signer: signers.Signer
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # the certificates above the seal's, from the PKCS#12
    demo: bool
    source: str

    @property
    def name(self) -> str:
        """The seal's holder as people read it: the subject's O (or CN)."""
        return subject_name(self.certificate)

    @property
    def certificate_sha256(self) -> str:
        return hashlib.sha256(self.certificate.dump()).hexdigest()


def subject_name(certificate: x509.Certificate) -> str:
    native = certificate.subject.native
    return str(native.get("common_name") or native.get("organization_name") or "?")


def demo_dir() -> Path:
    return Path(settings.MEDIA_ROOT).joinpath(*DEMO_DIR)


def pkcs11_configured() -> bool:
    return bool(settings.SEAL_PKCS11_MODULE)


def real_seal_configured() -> bool:
    return pkcs11_configured() or bool(settings.SEAL_PKCS12_PATH)


_lock = threading.Lock()
_token_lock = threading.Lock()  # one signature at a time through a PKCS#11 session
_cache: dict[tuple[object, ...], Seal] = {}
_sessions: dict[tuple[object, ...], Any] = {}  # PKCS#11 sessions by (pid, module, token label)


def _stamp(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


def _load_pkcs12(path: Path, passphrase: bytes | None, *, demo: bool) -> Seal:
    key = ("p12", *_stamp(path), passphrase, demo)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        signer = _SealSigner.load_pkcs12(str(path), passphrase=passphrase)
    except (OSError, ValueError) as exc:
        raise SealConfigurationError(
            f"印章证书无法读取 / The seal certificate cannot be read: {exc}"
        ) from exc
    if signer is None or signer.signing_cert is None:
        raise SealConfigurationError(
            f"印章证书无法读取（口令错误或文件无效） / The seal PKCS#12 cannot be read "
            f"(wrong passphrase or not a PKCS#12 file): {path}"
        )
    own: x509.Certificate = signer.signing_cert
    signer = _SealSigner(
        signing_key=signer.signing_key,
        signing_cert=own,
        cert_registry=signer.cert_registry,
        signature_mechanism=signer.signature_mechanism,
    )
    chain = tuple(c for c in signer.cert_registry if c.dump() != own.dump())
    seal = Seal(signer, own, chain, demo, f"{'demo' if demo else 'pkcs12'}:{path}")
    with _lock:
        _cache[key] = seal
    return seal


def _load_pkcs11() -> Seal:
    module = str(settings.SEAL_PKCS11_MODULE)
    token = str(settings.SEAL_PKCS11_TOKEN_LABEL)
    key_label = str(settings.SEAL_PKCS11_KEY_LABEL)
    cert_label = str(settings.SEAL_PKCS11_CERT_LABEL or key_label)
    key = ("p11", os.getpid(), module, token, key_label, cert_label, settings.SEAL_PKCS11_PIN)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    if not Path(module).is_file():
        raise SealConfigurationError(
            f"SEAL_PKCS11_MODULE 指向的文件不存在 / SEAL_PKCS11_MODULE does not exist: {module}"
        )
    if not token or not key_label:
        raise SealConfigurationError(
            "SEAL_PKCS11_TOKEN_LABEL 和 SEAL_PKCS11_KEY_LABEL 必须设置 / "
            "SEAL_PKCS11_TOKEN_LABEL and SEAL_PKCS11_KEY_LABEL must be set"
        )
    try:
        from pkcs11.exceptions import PKCS11Error
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
    except ImportError as exc:
        raise SealConfigurationError(
            "未安装 python-pkcs11（pip install '.[pkcs11]'） / python-pkcs11 is not installed "
            f"(pip install '.[pkcs11]'): {exc}"
        ) from exc
    try:
        # One logged-in session per process and token: PKCS#11 login is per application, so a
        # second session (e.g. another key label) must not log in again (UserAlreadyLoggedIn).
        session_key = (os.getpid(), module, token)
        with _lock:
            session = _sessions.get(session_key)
        if session is None:
            session = open_pkcs11_session(
                module,
                token_criteria=TokenCriteria(label=token),
                user_pin=settings.SEAL_PKCS11_PIN or None,
            )
            with _lock:
                _sessions[session_key] = session
        # other_certs_to_pull=None: every certificate on the token (the chain, if stored there).
        signer = PKCS11Signer(
            session, key_label=key_label, cert_label=cert_label, other_certs_to_pull=None
        )
        own = signer.signing_cert
        chain = tuple(c for c in signer.cert_registry if c.dump() != own.dump())
    except (PKCS11Error, SigningError, OSError, ValueError) as exc:
        raise SealConfigurationError(
            f"PKCS#11 令牌中的印章无法使用（令牌“{token}”，密钥“{key_label}”） / The seal on the "
            f"PKCS#11 token cannot be used (token {token!r}, key {key_label!r}): "
            f"{type(exc).__name__} {exc}"
        ) from exc
    seal = Seal(signer, own, chain, False, f"pkcs11:{token}/{key_label}")
    with _lock:
        _cache[key] = seal
    return seal


def token_errors() -> tuple[type[Exception], ...]:
    """What a PKCS#11 token raises when it fails while in use (pulled out, session lost, device
    error): python-pkcs11's ``PKCS11Error``; nothing when python-pkcs11 is not installed."""
    try:
        from pkcs11.exceptions import PKCS11Error
    except ImportError:
        return ()
    return (PKCS11Error,)


def token_guard(seal: Seal) -> Any:
    """Serialise the use of a PKCS#11 seal between the threads of a process (a python-pkcs11
    session is not thread-safe); a PKCS#12 seal needs no guard."""
    return _token_lock if seal.source.startswith("pkcs11:") else contextlib.nullcontext()


def forget_token(seal: Seal) -> None:
    """Drop a PKCS#11 seal that failed while signing, with its session: the next signature opens
    the token again (e.g. after it is plugged back in) instead of reusing a dead session."""
    if not seal.source.startswith("pkcs11:"):
        return
    session = getattr(seal.signer, "pkcs11_session", None)
    with _lock:
        for key in [k for k, cached in _cache.items() if cached is seal]:
            del _cache[key]
        for key in [k for k, open_session in _sessions.items() if open_session is session]:
            del _sessions[key]
    if session is not None:
        # already closed or the device is gone: nothing is left to release
        with contextlib.suppress(Exception):
            session.close()


def load_seal() -> Seal | None:
    """The seal that signs: the configured PKCS#11 token, else the configured PKCS#12, else the
    demo seal, else None.

    Raises :class:`SealConfigurationError` when a configured token or file is missing or
    unreadable (a configured seal that fails is never silently replaced by the demo).
    """
    if pkcs11_configured():
        return _load_pkcs11()
    if real_seal_configured():
        path = Path(settings.SEAL_PKCS12_PATH)
        if not path.is_file():
            raise SealConfigurationError(
                f"SEAL_PKCS12_PATH 指向的文件不存在 / SEAL_PKCS12_PATH does not exist: {path}"
            )
        passphrase = settings.SEAL_PKCS12_PASSPHRASE
        return _load_pkcs12(path, passphrase.encode() if passphrase else None, demo=False)
    path = demo_dir() / DEMO_PKCS12
    if path.is_file():
        return _load_pkcs12(path, None, demo=True)
    return None


def _read_pem_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SealConfigurationError(
            f"SEAL_TRUST_ROOTS 中的文件无法读取 / A SEAL_TRUST_ROOTS file cannot be read: {exc}"
        ) from exc
    if pem.detect(data):
        return [x509.Certificate.load(der) for _t, _h, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def trust_roots() -> list[x509.Certificate]:
    """``SEAL_TRUST_ROOTS`` (PEM or DER files), else the demo root when the demo seal is used."""
    configured = settings.SEAL_TRUST_ROOTS
    if configured:
        roots: list[x509.Certificate] = []
        for name in configured:
            roots.extend(_read_pem_certificates(Path(name)))
        return roots
    if real_seal_configured():
        return []
    demo_root = demo_dir() / DEMO_ROOT
    return _read_pem_certificates(demo_root) if demo_root.is_file() else []
