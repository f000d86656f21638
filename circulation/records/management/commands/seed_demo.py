"""manage.py seed_demo [--password P] [--sample PATH]: the demo organisation, users and notice."""

from argparse import ArgumentParser
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from circulation.records import roles
from circulation.records.errors import DomainError
from circulation.records.management import demo
from circulation.records.models import Person
from workflows import calendar


class Command(BaseCommand):
    help = (
        "创建演示数据：舞阳县工业和信息化局、机构、演示账号和示例收文（可重复运行）。"
        " / Create the demo organisation, units, accounts and sample notice (idempotent)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password",
            help="演示账号密码（默认取 DEMO_PASSWORD）/ the demo accounts' password "
            "(default: DEMO_PASSWORD); set only when an account is created",
        )
        parser.add_argument(
            "--sample",
            type=Path,
            help=f"示例收文文本 / the sample notice text (default: {demo.SAMPLE_FILE} in "
            + ", ".join(str(d) for d in demo.SAMPLE_DIRS)
            + ", else a built-in excerpt)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options.get("password") or settings.DEMO_PASSWORD
        if not password:
            raise CommandError(
                "请用 --password 或环境变量 DEMO_PASSWORD 指定演示账号的密码"
                " / Give the demo accounts' password with --password or DEMO_PASSWORD"
            )
        try:
            text, source = demo.load_sample(options.get("sample"))
        except OSError as exc:
            raise CommandError(f"无法读取示例收文 / Cannot read the sample: {exc}") from exc
        sample = demo.parse_sample(text)

        seed = demo.seed_organisation(password)  # one transaction
        clerk = Person.objects.get(username="clerk")
        try:
            notice_seed = demo.seed_sample_notice(clerk, sample)  # the services' own transactions
        except DomainError as exc:
            raise CommandError(f"{exc.message} / {exc.message_en}") from exc
        self._report(seed, notice_seed, password, source)
        # The demo seal that signs archived records (never used once SEAL_PKCS12_PATH is set).
        call_command(
            "seal_certificate",
            create_demo=True,
            organisation=seed.organisation.name,
            stdout=self.stdout,
        )

    def _report_calendar(self) -> None:
        """The years after the official holiday data: their derived (暂定) statutory holidays."""
        derived = calendar.derived_calendar(timezone.localdate())
        first = min(derived)
        self.stdout.write(
            f"工作日历 Calendar: 官方节假日数据至{first - 1}年；{first}年起法定节假日按"
            "《全国年节及纪念日放假办法》推算（暂定），调休上班日请在管理后台“节假日/调休”录入"
            f" / official holiday data up to {first - 1}; from {first} statutory holidays are "
            "derived (provisional), enter the announced 调休 days in the admin"
        )
        for year, days in derived.items():
            provisional = tuple(day.holiday for day in days if day.override is None)
            entered = len(days) - len(provisional)
            zh, _ = calendar.describe_holidays(provisional)
            suffix = f"（另有 {entered} 天已由管理员录入 entered by an admin）" if entered else ""
            self.stdout.write(f"  {year}: {zh or '—'}{suffix}")

    def _report(
        self,
        seed: demo.OrganisationSeed,
        notice_seed: demo.NoticeSeed,
        password: str,
        source: str,
    ) -> None:
        org = seed.organisation
        out = self.stdout.write
        out(
            f"机关 Organisation: {org.name}（{org.short_name}，全宗号 {org.fonds_code}）"
            + (" 新建 created" if seed.organisation_created else " 已存在 exists")
        )
        out(
            f"机构 Units: {len(demo.UNITS)}（新建 created {len(seed.units_created)}），"
            f"归档机构 filing unit {demo.FILING_UNIT}"
        )
        specs = demo.account_specs()
        by_role: dict[str, list[str]] = defaultdict(list)
        for spec in specs:
            by_role[spec.role].append(spec.username)
        out(f"账号 Accounts: {len(specs)}（新建 created {len(seed.users_created)}）")
        width = max(len(role) for role in by_role)
        for role, usernames in by_role.items():
            label = roles.ROLE_LABELS.get(role, role)
            out(f"  {role:<{width}}  {label}  {', '.join(usernames)}")
        out(f"  邮箱 email: <username>@{demo.EMAIL_DOMAIN}")
        notice = notice_seed.notice
        out(
            f"示例收文 Sample notice: {notice.doc_number} {notice.title}"
            f"（{notice.get_state_display()} {notice.state}）"
            + (" 新登记 registered" if notice_seed.registered else " 已存在 exists")
            + (f"，传阅 {notice_seed.recipients_added} 人" if notice_seed.recipients_added else "")
            + f" — from {source}"
        )
        self._report_calendar()
        out(self.style.SUCCESS(f"密码 Password: {password}"))
        kept = len(specs) - len(seed.users_created)
        if kept:
            out(
                self.style.WARNING(
                    f"密码只在新建账号时设置：{kept} 个已存在账号的密码未改动"
                    f" / passwords are set only when an account is created: {kept} existing"
                    " accounts kept theirs"
                )
            )
