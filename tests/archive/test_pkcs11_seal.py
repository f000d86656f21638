"""The seal on a PKCS#11 token (hardware key): a SoftHSM2 token holding the test PKI's seal key and
certificate (and its root), configured by SEAL_PKCS11_*; archiving signs through the token and the
signature validates against the trust roots exactly like the PKCS#12 one."""

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.pdf_utils.reader import PdfFileReader

from circulation.archive.checkpoint import CheckpointRefused, verify_checkpoint, write_checkpoint
from circulation.archive.models import ArchivedRecord
from circulation.archive.seal import load_seal
from circulation.archive.verification import verify_record
from circulation.records.actors import Actor
from circulation.records.models import Notice
from tests.builders import Bureau
from workflows.services.archiving import SealUnavailable, archive_notice

pytestmark = pytest.mark.django_db

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "seal"
PIN = "1234"


@pytest.fixture(scope="module")
def token(tmp_path_factory: Any, pki: Any) -> Iterator[Any]:
    """A SoftHSM2 token in its own SOFTHSM2_CONF directory with the seal key, its certificate
    and the root certificate (the chain, as a CA's token would carry it)."""
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    assert shutil.which("softhsm2-util"), "softhsm2 (Debian package) is installed by bootstrap"
    subprocess.run(
        [
            *("softhsm2-util", "--init-token", "--free", "--label", TOKEN),
            *("--pin", PIN, "--so-pin", "5678"),
        ],
        check=True,
        capture_output=True,
    )
    key_pem = (pki.directory / "keys" / "seal.pem").read_bytes()
    key_der = serialization.load_pem_private_key(key_pem, None).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    lib = pkcs11.lib(MODULE)
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        attrs = decode_rsa_private_key(key_der)
        attrs.update(
            {
                pkcs11.Attribute.TOKEN: True,
                pkcs11.Attribute.LABEL: "seal-key",
                pkcs11.Attribute.ID: b"\x01",
                pkcs11.Attribute.SIGN: True,
                pkcs11.Attribute.PRIVATE: True,
                pkcs11.Attribute.SENSITIVE: True,
            }
        )
        session.create_object(attrs)
        for label, name, ident in (("seal-cert", "seal", b"\x01"), ("root-cert", "root", b"\x02")):
            cert = decode_x509_certificate(pki.arch.get_cert(name).dump())
            cert.update(
                {
                    pkcs11.Attribute.TOKEN: True,
                    pkcs11.Attribute.LABEL: label,
                    pkcs11.Attribute.ID: ident,
                }
            )
            session.create_object(cert)
    yield pki
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def on_token(settings: Any, token: Any) -> Any:
    settings.SEAL_PKCS11_MODULE = MODULE
    settings.SEAL_PKCS11_TOKEN_LABEL = TOKEN
    settings.SEAL_PKCS11_PIN = PIN
    settings.SEAL_PKCS11_KEY_LABEL = "seal-key"
    settings.SEAL_PKCS11_CERT_LABEL = "seal-cert"
    settings.SEAL_PKCS12_PATH = ""  # the token wins even if a PKCS#12 were set
    settings.SEAL_TRUST_ROOTS = [str(token.root_pem())]
    settings.TSA_URL = ""
    return token


def _archive(bureau: Bureau, notice: Notice) -> ArchivedRecord:
    return archive_notice(Actor(bureau.archivist), notice.pk, retention="D30")


def test_archiving_signs_through_the_token_and_the_signature_validates(
    bureau: Bureau, sample_completed: Notice, on_token: Any
) -> None:
    record = _archive(bureau, sample_completed)
    assert record.signature["signer"] == "测试县测试局电子印章"
    assert record.signature["demo"] is False
    with record.file.open("rb") as handle:
        data = handle.read()
    reader = PdfFileReader(io.BytesIO(data))
    signature = reader.embedded_regular_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    # The seal and the root pulled from the token are in the CMS; validation data in the DSS.
    assert len(signature.signed_data["certificates"]) >= 2
    assert "/DSS" in reader.root
    assert signature.signer_cert.dump() == on_token.arch.get_cert("seal").dump()

    result = verify_record(ArchivedRecord.objects.get(pk=record.pk))
    assert result.ok, result.problems
    lines = {c.code: c for c in result.checks}
    for code in ("signature_intact", "signature_covers_file", "signature_trusted"):
        assert lines[code].ok, code

    # The audit checkpoint (detached CMS) is signed through the token too and verifies.
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    assert verify_checkpoint().ok


def test_a_key_missing_on_the_token_refuses_archiving_naming_it(
    bureau: Bureau, sample_completed: Notice, on_token: Any, settings: Any
) -> None:
    settings.SEAL_PKCS11_KEY_LABEL = "no-such-key"
    settings.SEAL_PKCS11_CERT_LABEL = "no-such-cert"
    with pytest.raises(SealUnavailable) as caught:
        _archive(bureau, sample_completed)
    assert caught.value.status == 503
    assert "PKCS#11" in caught.value.message_en
    assert "no-such-key" in caught.value.message_en
    assert "UserAlreadyLoggedIn" not in caught.value.message_en  # the session is reused
    assert not ArchivedRecord.objects.exists()
    sample_completed.refresh_from_db()
    assert sample_completed.state == "completed"


def test_a_missing_module_refuses_archiving(
    bureau: Bureau, sample_completed: Notice, on_token: Any, settings: Any, tmp_path: Path
) -> None:
    settings.SEAL_PKCS11_MODULE = str(tmp_path / "missing.so")
    with pytest.raises(SealUnavailable) as caught:
        _archive(bureau, sample_completed)
    assert "SEAL_PKCS11_MODULE" in caught.value.message_en
    assert not ArchivedRecord.objects.exists()


def test_a_token_that_fails_while_signing_refuses_archiving_and_is_opened_again(
    bureau: Bureau, sample_completed: Notice, on_token: Any
) -> None:
    """The token's session dies between loading the seal and signing (the key pulled out, the
    device reset): the archivist gets a 503 naming the token with nothing written, and the next
    attempt opens the token again and archives."""
    seal = load_seal()
    assert seal is not None
    assert seal.source.startswith("pkcs11:")
    seal.signer.pkcs11_session.close()  # type: ignore[attr-defined]

    with pytest.raises(SealUnavailable) as caught:
        _archive(bureau, sample_completed)
    assert caught.value.status == 503
    assert caught.value.code == "signing_failed"
    assert "PKCS#11 token" in caught.value.message_en
    assert "电子签章失败" in caught.value.message
    assert not ArchivedRecord.objects.exists()
    sample_completed.refresh_from_db()
    assert sample_completed.state == "completed"

    record = _archive(bureau, sample_completed)  # the token is opened again
    assert record.signature["signer"] == "测试县测试局电子印章"
    assert verify_record(ArchivedRecord.objects.get(pk=record.pk)).ok
    assert load_seal() is not seal


def test_an_audit_checkpoint_through_a_failed_token_is_refused_and_the_next_one_signs(
    bureau: Bureau, sample_completed: Notice, on_token: Any
) -> None:
    seal = load_seal()
    assert seal is not None
    seal.signer.pkcs11_session.close()  # type: ignore[attr-defined]
    with pytest.raises(CheckpointRefused, match="PKCS#11"):
        write_checkpoint()
    assert write_checkpoint() is not None
    assert verify_checkpoint().ok
