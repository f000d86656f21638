"""SM3 (GB/T 32905-2016), the national hash that DA/T 97-2023 cites, beside SHA-256.

``hashlib.new("sm3")`` is OpenSSL's implementation where OpenSSL has it (Debian's does); otherwise
a small pure-Python implementation of the standard is used (checked against the standard's two
examples in ``tests/archive/test_sm3.py``). Both give the same lowercase hex digest.
"""

import hashlib
import struct
from collections.abc import Iterable
from typing import Protocol

_IV = (
    0x7380166F,
    0x4914B2B9,
    0x172442D7,
    0xDA8A0600,
    0xA96F30BC,
    0x163138AA,
    0xE38DEE4D,
    0xB0FB0E4E,
)
_MASK = 0xFFFFFFFF


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


_T = [_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def _compress(v: list[int], block: bytes) -> list[int]:
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    w1 = [w[j] ^ w[j + 4] for j in range(64)]
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = _rotl(a, 12)
        ss1 = _rotl((a12 + e + _T[j]) & _MASK, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff, gg = a ^ b ^ c, e ^ f ^ g
        else:
            ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + w1[j]) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        a, b, c, d = tt1, a, _rotl(b, 9), c
        e, f, g, h = _p0(tt2), e, _rotl(f, 19), g
    return [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True)]


class PureSm3:
    """SM3 in Python (about 1 MB/s: a fallback, not the usual path)."""

    name = "sm3"

    def __init__(self, data: bytes = b"") -> None:
        self._v = list(_IV)
        self._buffer = b""
        self._length = 0
        self.update(data)

    def update(self, data: bytes, /) -> None:
        self._length += len(data)
        buffer = self._buffer + bytes(data)
        whole = len(buffer) - len(buffer) % 64
        for start in range(0, whole, 64):
            self._v = _compress(self._v, buffer[start : start + 64])
        self._buffer = buffer[whole:]

    def hexdigest(self) -> str:
        bits = self._length * 8
        pad = b"\x80" + b"\x00" * ((55 - self._length) % 64) + struct.pack(">Q", bits)
        v = list(self._v)
        tail = self._buffer + pad
        for start in range(0, len(tail), 64):
            v = _compress(v, tail[start : start + 64])
        return "".join(f"{x:08x}" for x in v)


def openssl_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


_NATIVE = openssl_has_sm3()


def new(data: bytes = b"", *, pure: bool = False) -> Hasher:
    """A new SM3 hasher: OpenSSL's when it has one (unless ``pure``), else :class:`PureSm3`."""
    if _NATIVE and not pure:
        return hashlib.new("sm3", data)
    return PureSm3(data)


def sm3_hex(data: bytes) -> str:
    return new(data).hexdigest()


def stream_sm3(chunks: Iterable[bytes]) -> str:
    hasher = new()
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.hexdigest()
