"""Archive fixtures: media under tmp_path, a completed sample notice, the test PKI and its seal
(the builders they use are in tests/archive/builders.py)."""

from typing import Any

import pytest

from circulation.records.models import Notice
from tests.archive.builders import completed_notice
from tests.builders import Bureau


@pytest.fixture(autouse=True)
def _isolated_media(media: Any) -> Any:
    """Every test here stores files under its own MEDIA_ROOT (the ``media`` fixture)."""
    return media


@pytest.fixture
def sample_completed(bureau: Bureau) -> Notice:
    return completed_notice(bureau)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: Any) -> Any:
    """A certomancer PKI with its CRL repository and time-stamping authority on 127.0.0.1."""
    from tests.archive.pki import serve_pki

    yield from serve_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def sealed_with(settings: Any, pki: Any) -> Any:
    """Configure the test PKI's seal (PKCS#12 with a passphrase), its root and (``tsa=True``)
    its time-stamping authority; returns the PKI."""

    def configure(*, tsa: bool = False, cert: str = "seal") -> Any:
        settings.SEAL_PKCS12_PATH = str(pki.pkcs12(cert))
        settings.SEAL_PKCS12_PASSPHRASE = "seal-pass"
        settings.SEAL_TRUST_ROOTS = [str(pki.root_pem())]
        settings.TSA_URL = pki.tsa_url if tsa else ""
        return pki

    return configure
