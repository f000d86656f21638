"""The seal is loaded once per process (parsing a PKCS#12 and its key costs tens of milliseconds
a signature otherwise), and loaded again when its file or its settings change."""

import os
import shutil
from typing import Any

import pytest

from circulation.archive.seal import SealConfigurationError, load_seal


@pytest.fixture
def pki_seal(sealed_with: Any, settings: Any, tmp_path: Any) -> Any:
    """The test PKI's seal, configured from a copy of its PKCS#12 that the test may replace."""
    pki = sealed_with()
    path = tmp_path / "seal.p12"
    shutil.copy(pki.pkcs12("seal"), path)
    settings.SEAL_PKCS12_PATH = str(path)
    return pki, path


def test_the_seal_is_loaded_once_per_process(pki_seal: Any) -> None:
    first = load_seal()
    assert first is not None
    assert load_seal() is first


def test_a_replaced_file_is_loaded_again(pki_seal: Any) -> None:
    pki, path = pki_seal
    first = load_seal()
    assert first is not None
    shutil.copy(pki.pkcs12("seal-expired"), path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later mtime
    again = load_seal()
    assert again is not None
    assert again is not first
    assert again.certificate_sha256 != first.certificate_sha256


def test_changed_settings_load_another_seal(pki_seal: Any, settings: Any) -> None:
    pki, _path = pki_seal
    first = load_seal()
    assert first is not None
    settings.SEAL_PKCS12_PATH = str(pki.pkcs12("seal-foreign"))
    other = load_seal()
    assert other is not None
    assert other.certificate_sha256 != first.certificate_sha256
    settings.SEAL_PKCS12_PASSPHRASE = "wrong"
    with pytest.raises(SealConfigurationError):
        load_seal()
