"""The one error intake raises: bilingual, with a machine code and the field it concerns."""

from __future__ import annotations


class IntakeError(ValueError):
    """The file (or text) cannot be read; ``code`` says why, the messages say it to a clerk."""

    def __init__(self, code: str, message: str, message_en: str, *, field: str = "file") -> None:
        super().__init__(f"{message} / {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en
        self.field = field

    def __reduce__(self) -> tuple[type[IntakeError], tuple[str, str, str]]:
        return (type(self), (self.code, self.message, self.message_en))
