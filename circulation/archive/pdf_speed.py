"""A faster reader of PDF hex strings for pyHanko, and parsed certificates kept per process.

pyHanko reads a hex string (``<…>``) one byte per Python call. A signature's ``/Contents`` is such
a string of 10–20 KB (the CMS, with its reserved room), so reading a signed record's signature
dictionary spent about half of the signature validation's CPU there (measured: 177,822 calls for
18 validations). :func:`read_hex_string` reads up to the closing ``>`` in one call, drops the
whitespace and decodes; anything it does not expect (a ``%``, a character that is not a hex digit
or whitespace, no ``>``) goes back to pyHanko's own reader from the same position, so errors and
their messages stay pyHanko's. :func:`install` puts it in place (idempotent); ``signature_check``
calls it on import.

:func:`certificate` parses a DER certificate once per process (by its bytes): every record carries
the same seal chain in its DSS, and a certificate object that was seen before has its names already
prepared (asn1crypto's LDAP string preparation was a fifth of the validation's CPU).
"""

import binascii
from functools import lru_cache
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils import generic

HEX_DIGITS = b"0123456789abcdefABCDEF"
PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_CHUNK = 1 << 16

_original = generic.read_hex_string_from_stream


def read_hex_string(stream: Any) -> Any:
    """``generic.read_hex_string_from_stream``, reading the string in chunks."""
    start = stream.tell()
    stream.read(1)  # "<"
    parts: list[bytes] = []
    consumed = 1
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            stream.seek(start)
            return _original(stream)
        end = chunk.find(b">")
        if end >= 0:
            parts.append(chunk[:end])
            consumed += end + 1
            break
        parts.append(chunk)
        consumed += len(chunk)
    digits = b"".join(parts).translate(None, PDF_WHITESPACE)
    if digits.translate(None, HEX_DIGITS):  # a comment or a stray character: pyHanko decides
        stream.seek(start)
        return _original(stream)
    stream.seek(start + consumed)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    generic.read_hex_string_from_stream = read_hex_string


@lru_cache(maxsize=512)
def certificate(der: bytes) -> x509.Certificate:
    """The parsed certificate of ``der``, the same object for the same bytes."""
    return x509.Certificate.load(der)
