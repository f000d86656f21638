"""SM3 (GB/T 32905-2016): OpenSSL's through hashlib, and the pure-Python fallback, give the
standard's example digests and agree on any input."""

import hashlib
import os

import pytest

from circulation.archive import sm3

# GB/T 32905-2016, Appendix A: "abc" and "abcd" × 16.
VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


@pytest.mark.parametrize(("data", "digest"), VECTORS)
def test_both_implementations_give_the_standards_examples(data: bytes, digest: str) -> None:
    assert sm3.PureSm3(data).hexdigest() == digest
    assert sm3.sm3_hex(data) == digest


def test_openssl_has_sm3_here_and_the_fallback_agrees_chunked_on_every_padding_length() -> None:
    assert sm3.openssl_has_sm3()  # Debian's OpenSSL: the usual path
    for size in (0, 1, 55, 56, 63, 64, 65, 119, 1000):
        data = os.urandom(size)
        pure = sm3.new(pure=True)
        for start in range(0, size, 7):
            pure.update(data[start : start + 7])
        assert pure.hexdigest() == hashlib.new("sm3", data).hexdigest(), size
    assert sm3.stream_sm3([b"ab", b"c"]) == VECTORS[0][1]
