"""Flate (zlib) level 6 instead of 9 for the record's PDF streams (the render helper only).

pydyf compresses every stream of the PDF with ``zlib.compressobj(level=9)``. For the record
that is mostly the two embedded CJK font subsets (a 1,000-recipient record: about 0.8 MB of
desubroutinized CFF for the serif face alone): level 9 took about 70 ms of CPU a render there,
level 6 (zlib's default) about 37 ms, for a file 1.6 % larger (424 → 431 KB); a one-recipient
record is 335 KB either way (within 0.2 %). Flate is lossless: the content, the look and PDF/A-3b
are unchanged. :func:`install` points pydyf's ``zlib`` at a proxy whose ``compressobj`` uses
:data:`LEVEL`.
"""

from __future__ import annotations

import zlib
from typing import Any

LEVEL = 6


class _Zlib:
    """The zlib module, with ``compressobj`` at :data:`LEVEL` whatever level is asked for."""

    def compressobj(self, level: int = LEVEL, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(LEVEL, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def install() -> None:
    """In this process, pydyf compresses its streams at :data:`LEVEL` (call it in the helper)."""
    import pydyf

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Zlib()
