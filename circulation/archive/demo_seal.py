"""The demo seal (演示电子印章): a demo root CA and a seal certificate for the demo organisation,
made with ``cryptography`` by ``manage.py seal_certificate --create-demo`` (``seed_demo`` calls it).

Both subjects say 演示 / DEMO; they are written under ``MEDIA_ROOT/seal/demo/`` (never committed:
the media root is not in git), the key readable by the owner only. :func:`circulation.archive.seal.
load_seal` uses them only while no real seal (``SEAL_PKCS12_PATH``) is configured.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from circulation.archive.seal import DEMO_MARK, DEMO_PKCS12, DEMO_ROOT, demo_dir

ROOT_YEARS = 30
SEAL_YEARS = 10
KEY_BITS = 3072
DEMO_UNIT = "演示用，不具法律效力 / DEMO ONLY"


@dataclass(frozen=True)
class DemoSeal:
    directory: Path
    created: bool
    subject: str


def _fit(text: str, suffix: str) -> str:
    """``text`` + ``suffix`` within X.520's 64 (the library counts UTF-8 bytes)."""
    while len((text + suffix).encode("utf-8")) > 64:
        text = text[:-1]
    return text + suffix


def _name(organisation: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation, f"（{DEMO_MARK}）")),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEMO_UNIT),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def create_demo_seal(organisation: str, *, now: datetime | None = None) -> DemoSeal:
    """Make the demo root and seal for ``organisation`` unless they exist (idempotent)."""
    directory = demo_dir()
    seal_path, root_path = directory / DEMO_PKCS12, directory / DEMO_ROOT
    common_name = _fit(organisation, f"电子印章（{DEMO_MARK}）")
    if seal_path.is_file() and root_path.is_file():
        return DemoSeal(directory, False, common_name)
    directory.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    root_name = _name(organisation, _fit(organisation, "演示根证书 DEMO ROOT CA"))
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    seal = (
        x509.CertificateBuilder()
        .subject_name(_name(organisation, common_name))
        .issuer_name(root_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * SEAL_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        name=common_name.encode("utf-8"),
        key=seal_key,
        cert=seal,
        cas=[root],
        encryption_algorithm=serialization.NoEncryption(),
    )
    _write(root_path, root.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(seal_path, p12, 0o600)
    return DemoSeal(directory, True, common_name)
