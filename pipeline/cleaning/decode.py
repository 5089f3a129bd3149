"""Bytes to text: byte-order marks, strict UTF-8, the Windows-1252 fallback, and refusing binary files.

A PNG or a ZIP that reached the repairs would come out as a page of mojibake "text", so binary input is
recognised first (magic numbers, NUL bytes, mostly control characters) and refused with a message that
says what it looks like.
"""

from __future__ import annotations

import codecs
import unicodedata

from beknopt.document import InputError

__all__ = ["decode_bytes"]

# (magic number, what it is); checked before anything else so a PNG never reaches the cp1252 fallback.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive; .docx, .xlsx and .odt files are ZIP archives too"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "ELF executable"),
)
# Text with more than this share of control characters (other than tab/newline/CR/FF) is treated as binary.
_MAX_CONTROL_SHARE = 0.10
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")


def _binary(name: str, what: str) -> InputError:
    return InputError(f"{name}: looks like a binary file ({what}), not text")


def _control_share(text: str) -> float:
    sample = text[:100_000]
    if not sample:
        return 0.0
    n = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS)
    return n / len(sample)


def _check_not_binary_text(text: str, name: str) -> None:
    share = _control_share(text)
    if share > _MAX_CONTROL_SHARE:
        raise _binary(name, f"{share:.0%} control characters")


def _guess_bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit in every other position, as in mostly-Latin UTF-16 text."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:20_000]
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.7 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.7 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _decode_error(err: UnicodeDecodeError) -> str:
    return f"{err.reason} at byte {err.start}"


def decode_bytes(data: bytes, source_name: str = "<bytes>") -> tuple[str, list[str]]:
    """Decode an article file to text, refusing binary files; returns ``(text, warnings)``.

    Order: binary magic numbers; UTF-32/UTF-16/UTF-8 byte-order marks (a BOM is a strong claim, so invalid
    data after one is an error, not a fallback); NUL bytes (BOM-less UTF-16 is recognised, anything else is
    binary); strict UTF-8; Windows-1252 with a warning.  The BOM is not part of the returned text.
    """
    name = source_name
    if not data:
        raise InputError(f"{name}: file is empty")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _binary(name, what)

    warnings: list[str] = []
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    )
    for bom, encoding, label in boms:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as err:
                raise InputError(
                    f"{name}: cannot decode: starts with a {label} byte-order mark but is not valid "
                    f"{encoding} ({_decode_error(err)})"
                ) from err
            _check_not_binary_text(text, name)
            return text, warnings

    if b"\x00" in data:
        encoding = _guess_bomless_utf16(data)
        if encoding is None:
            raise _binary(name, "contains NUL bytes")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            raise _binary(
                name, f"contains NUL bytes and is not valid {encoding}: {_decode_error(err)}"
            ) from err
        _check_not_binary_text(text, name)
        warnings.append(f"decoded as {encoding.upper()} without a byte-order mark (guessed from NUL bytes)")
        return text, warnings

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_err:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as cp_err:
            raise InputError(
                f"{name}: cannot decode: not valid UTF-8 ({_decode_error(utf8_err)}) "
                f"nor Windows-1252 ({_decode_error(cp_err)})"
            ) from cp_err
        _check_not_binary_text(text, name)
        warnings.append(f"not valid UTF-8 ({_decode_error(utf8_err)}); decoded as Windows-1252 (cp1252)")
        return text, warnings
    _check_not_binary_text(text, name)
    return text, warnings
