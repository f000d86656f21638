"""The 四性 report (DA/T 70-2018): one line per check with a message in zh-hans and English,
grouped by aspect — 真实性, 完整性, 可用性, 安全性 — stored with the archive record as JSON.

A failed line blocks archiving, except a line marked ``review``: it is a failure an archivist
must review (e.g. an attachment with JavaScript — the document received is what it is, and it is
archived as received), shown as ``ok: false, review: true``; the report then says
``needs_review: true`` and its aspect is not ok, while ``ok`` (nothing blocked) stays true.
"""

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
    review: bool = False

    def as_dict(self) -> dict[str, Any]:
        body = {
            "code": self.code,
            "ok": self.ok,
            "message": self.message,
            "message_en": self.message_en,
        }
        if self.review and not self.ok:
            body["review"] = True
        return body


@dataclass
class ChecksReport:
    checks: list[Check] = field(default_factory=list)

    def add(
        self,
        aspect: str,
        code: str,
        ok: bool,
        message: str,
        message_en: str,
        *,
        review: bool = False,
    ) -> None:
        """``review``: when not ok, the line needs an archivist's review but does not block."""
        self.checks.append(Check(aspect, code, ok, message, message_en, review))

    @property
    def ok(self) -> bool:
        """Nothing blocks archiving (lines needing review may have failed)."""
        return not self.failures()

    def failures(self) -> list[Check]:
        """The failed lines that block archiving."""
        return [check for check in self.checks if not check.ok and not check.review]

    def needing_review(self) -> list[Check]:
        return [check for check in self.checks if not check.ok and check.review]

    def as_dict(self) -> dict[str, Any]:
        aspects = {}
        for key, label in ASPECTS.items():
            lines = [c.as_dict() for c in self.checks if c.aspect == key]
            aspects[key] = {"label": label, "ok": all(c["ok"] for c in lines), "checks": lines}
        return {
            "standard": "DA/T 70-2018",
            "checked_at": timezone.now().isoformat(timespec="seconds"),
            "ok": self.ok,
            "needs_review": bool(self.needing_review()),
            "aspects": aspects,
        }
