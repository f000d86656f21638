"""A test PKI made with certomancer, its CRL repository and time-stamping authority served by
certomancer's ``Animator`` (a WSGI app) on 127.0.0.1 in a thread.

Certificates: ``root`` (the trust root), ``seal`` (the organisation's seal, CRL distribution point
on loopback), ``seal-expired`` (same subject, valid only in 2020), ``tsa`` (time-stamping),
``other-root`` and ``seal-foreign`` (a seal from a PKI nobody configured). Keys are RSA-2048, made
fresh for the test session.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import pem
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

ARCH = "testing-ca"
KEYS = ("root", "other-root", "seal", "tsa")
FOREVER = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2100-01-01T00:00:00+0000"}


def _ca(issuer: str) -> dict[str, Any]:
    return {
        "subject": issuer,
        "subject-key": issuer,
        "issuer": issuer,
        "authority-key": issuer,
        "validity": FOREVER,
        "extensions": [
            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {
                    "schema": "key-usage",
                    "params": ["digital_signature", "key_cert_sign", "crl_sign"],
                },
            },
        ],
    }


SEAL_EXTENSIONS = [
    {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]},
    },
    {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}},
    },
]


def config(key_dir: Path, url: str) -> dict[str, Any]:
    return {
        "external-url-prefix": url,
        "keysets": {
            ARCH: {"path-prefix": str(key_dir), "keys": {k: {"path": f"{k}.pem"} for k in KEYS}}
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "CN", "organization-name": "测试县测试局"},
                "entities": {
                    "root": {"common-name": "测试根证书 Test Root CA"},
                    "other-root": {"common-name": "别处的根证书 Other Root CA"},
                    "seal": {"common-name": "测试县测试局电子印章"},
                    "tsa": {"common-name": "测试时间戳服务 Test TSA"},
                },
                "certs": {
                    "root": _ca("root"),
                    "other-root": _ca("other-root"),
                    "seal": {
                        "issuer": "root",
                        "validity": FOREVER,
                        "extensions": SEAL_EXTENSIONS,
                    },
                    "seal-expired": {
                        "subject": "seal",
                        "subject-key": "seal",
                        "issuer": "root",
                        "validity": {
                            "valid-from": "2020-01-01T00:00:00+0000",
                            "valid-to": "2021-01-01T00:00:00+0000",
                        },
                        "extensions": SEAL_EXTENSIONS,
                    },
                    "seal-foreign": {
                        "subject": "seal",
                        "subject-key": "seal",
                        "issuer": "other-root",
                        "validity": FOREVER,
                        "extensions": SEAL_EXTENSIONS[:1],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": FOREVER,
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                        ],
                    },
                },
                "services": {
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        }
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


@dataclass
class TestPki:
    directory: Path
    url: str
    arch: Any

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    def pkcs12(self, cert: str = "seal", passphrase: bytes | None = b"seal-pass") -> Path:
        path = self.directory / f"{cert}.p12"
        path.write_bytes(self.arch.package_pkcs12(cert, password=passphrase))
        return path

    def root_pem(self, cert: str = "root") -> Path:
        path = self.directory / f"{cert}.pem"
        path.write_bytes(pem.armor("CERTIFICATE", self.arch.get_cert(cert).dump()))
        return path


class _LateApp:
    """The WSGI app, set once the server's port (part of every URL in the PKI) is known."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


def serve_pki(directory: Path) -> Iterator[TestPki]:
    key_dir = directory / "keys"
    key_dir.mkdir(parents=True)
    for name in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (key_dir / f"{name}.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    cfg = CertomancerConfig(config(key_dir, url), key_search_dir=str(key_dir))
    arch = cfg.get_pki_arch(ARCH)
    late.app = Animator(AnimatorArchStore({ARCH: arch}), with_web_ui=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TestPki(directory, url, arch)
    finally:
        server.shutdown()
        thread.join(timeout=5)
