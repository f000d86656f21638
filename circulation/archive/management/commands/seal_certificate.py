"""manage.py seal_certificate: show which seal certificate signs archived records, or
``--create-demo`` a demo root CA and seal for the demo organisation (idempotent; never used while a
real ``SEAL_PKCS12_PATH`` is configured)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from circulation.archive.demo_seal import create_demo_seal
from circulation.archive.seal import (
    SealConfigurationError,
    load_seal,
    real_seal_configured,
    subject_name,
    trust_roots,
)
from circulation.records.models import Organisation


class Command(BaseCommand):
    help = (
        "显示签署归档文件的电子印章证书；--create-demo 生成演示根证书与演示印章。"
        " / Show the seal certificate that signs archived records; --create-demo makes a demo"
        " root CA and seal certificate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--create-demo", action="store_true", help="make the demo seal")
        parser.add_argument(
            "--organisation", help="name in the demo certificate (default: the first organisation)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["create_demo"]:
            name = options.get("organisation") or (
                Organisation.objects.order_by("pk").values_list("name", flat=True).first()
            )
            if not name:
                raise CommandError("没有机关，请先运行 seed_demo / No organisation: run seed_demo")
            demo = create_demo_seal(name)
            verb = "已生成" if demo.created else "已存在"
            self.stdout.write(
                f"演示印章{verb}：{demo.subject}（{demo.directory}）"
                f" / Demo seal {'created' if demo.created else 'present'}: {demo.directory}"
            )
            if real_seal_configured():
                self.stdout.write(
                    "已配置正式印章 SEAL_PKCS12_PATH，演示印章不会被使用"
                    " / A real seal is configured (SEAL_PKCS12_PATH): the demo seal is not used"
                )
            return
        try:
            seal = load_seal()
            roots = trust_roots()
        except SealConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        if seal is None:
            raise CommandError(
                "未配置电子印章证书（SEAL_PKCS12_PATH），也没有演示印章"
                " / No seal certificate is configured (SEAL_PKCS12_PATH) and there is no demo seal"
            )
        cert = seal.certificate
        self.stdout.write(f"印章 seal: {seal.name}{'（演示 DEMO）' if seal.demo else ''}")
        self.stdout.write(f"来源 source: {seal.source}")
        self.stdout.write(f"签发者 issuer: {cert.issuer.human_friendly}")
        start, end = cert.not_valid_before.isoformat(), cert.not_valid_after.isoformat()
        self.stdout.write(f"有效期 valid: {start} – {end}")
        self.stdout.write(f"SHA-256: {seal.certificate_sha256}")
        names = ", ".join(subject_name(r) for r in roots) or "—（未配置 none configured）"
        self.stdout.write(f"信任根 trust roots: {names}")
