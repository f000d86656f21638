"""Write-once storage for sealed records: a name is used once, never overwritten or renamed."""

import os
from typing import IO, Any

from django.core.files.storage import FileSystemStorage


class SealedFileExists(FileExistsError):
    """A sealed file already exists under that name; nothing was written."""


class WriteOnceStorage(FileSystemStorage):
    """``FileSystemStorage`` under ``MEDIA_ROOT`` that refuses a name that exists (no ``_1``
    suffix, no overwrite) and leaves files read-only (0444)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o444)
        kwargs.setdefault("directory_permissions_mode", 0o755)
        super().__init__(**kwargs)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Also asked by FileSystemStorage._save when its O_EXCL open finds the name taken (race).
        if self.exists(name):
            raise SealedFileExists(f"sealed file exists (归档文件已存在): {name}")
        return name

    def delete_unsealed(self, name: str) -> None:
        """Remove a file written by a transaction that did not commit."""
        path = self.path(name)
        if os.path.lexists(path):
            os.unlink(path)

    def open_sealed(self, name: str) -> IO[bytes]:
        return open(self.path(name), "rb")


def sealed_storage() -> WriteOnceStorage:
    """The FileField's storage (a callable, so ``MEDIA_ROOT`` is read at use time)."""
    return WriteOnceStorage()
