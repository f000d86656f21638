"""The 四性 report (DA/T 70-2018): one line per check with a message in zh-hans and English,
grouped by aspect — 真实性, 完整性, 可用性, 安全性 — stored with the archive record as JSON."""

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

ASPECTS = {
    "authenticity": "真实性",
    "integrity": "完整性",
    "usability": "可用性",
    "security": "安全性",
}


@dataclass(frozen=True)
class Check:
    aspect: str
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
class ChecksReport:
    checks: list[Check] = field(default_factory=list)

    def add(self, aspect: str, code: str, ok: bool, message: str, message_en: str) -> None:
        self.checks.append(Check(aspect, code, ok, message, message_en))

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def as_dict(self) -> dict[str, Any]:
        aspects = {}
        for key, label in ASPECTS.items():
            lines = [c.as_dict() for c in self.checks if c.aspect == key]
            aspects[key] = {"label": label, "ok": all(c["ok"] for c in lines), "checks": lines}
        return {
            "standard": "DA/T 70-2018",
            "checked_at": timezone.now().isoformat(timespec="seconds"),
            "ok": self.ok,
            "aspects": aspects,
        }
