"""Domain errors with a message in zh-hans and English; the API maps them to 4xx responses."""

from typing import Any


class DomainError(Exception):
    """Base: ``field`` (or None), a machine ``code``, messages in Chinese and English."""

    status = 400

    def __init__(
        self,
        message: str,
        message_en: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en
        self.code = code
        self.field = field
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The error as the API's JSON body (``{"code", "detail", "detail_en", "errors"}`` and
        the ``extra`` keys): the API's error handler and the request-size middleware answer it."""
        error = {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
        }
        body: dict[str, Any] = {
            "code": self.code,
            "detail": self.message,
            "detail_en": self.message_en,
            "errors": [error],
        }
        body.update(self.extra)
        return body


class InvalidInput(DomainError):
    """400: the input is wrong; nothing was written."""

    status = 400


class Conflict(DomainError):
    """409: the object's state does not allow this, or it already exists."""

    status = 409


class NotVisible(DomainError):
    """404: the object does not exist or the caller may not see it."""

    status = 404


class Forbidden(DomainError):
    """403: the caller can see the object but lacks the role for this action."""

    status = 403


class RateLimited(DomainError):
    """429: repeated too soon."""

    status = 429
