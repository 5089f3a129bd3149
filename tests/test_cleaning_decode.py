"""Decoding (beknopt.cleaning.decode): byte-order marks, UTF-8, the cp1252 fallback, binary files refused."""

from __future__ import annotations

import codecs

import pytest

from beknopt.cleaning import clean
from beknopt.cleaning.decode import decode_bytes
from beknopt.document import InputError


def test_utf8_is_decoded_without_warnings() -> None:
    assert decode_bytes("coördinatie „x”".encode()) == ("coördinatie „x”", [])


def test_utf8_with_bom_drops_the_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + "coördinatie".encode()) == ("coördinatie", [])


@pytest.mark.parametrize(
    ("bom", "encoding"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_with_bom(bom: bytes, encoding: str) -> None:
    text = "De coördinatie met „Irak” – 5200 militairen."
    assert decode_bytes(bom + text.encode(encoding)) == (text, [])
    assert clean(bom + text.encode(encoding)).text == text


def test_utf16_without_bom_is_recognised_from_nul_bytes() -> None:
    text, warnings = decode_bytes("Een artikel over Irak.".encode("utf-16-le"))
    assert text == "Een artikel over Irak."
    assert warnings == ["decoded as UTF-16-LE without a byte-order mark (guessed from NUL bytes)"]


def test_cp1252_fallback_warns() -> None:
    text, warnings = decode_bytes("coördinatie en €5".encode("cp1252"), "oud.txt")
    assert text == "coördinatie en €5"
    assert warnings == ["not valid UTF-8 (invalid start byte at byte 2); decoded as Windows-1252 (cp1252)"]
    cleaned = clean("coördinatie en €5".encode("cp1252"), source_name="oud.txt")
    assert cleaned.text == "coördinatie en €5"
    assert cleaned.warnings == warnings


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF document"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive; .docx, .xlsx and .odt files are ZIP archives too"),
        (b"tekst\x00\x00\x17\x03binair", "contains NUL bytes"),
        (b"\x01\x02\x03\x04\x05\x06 abc", "60% control characters"),
    ],
)
def test_binary_input_is_refused(data: bytes, what: str) -> None:
    message = f"foto.png: looks like a binary file ({what}), not text"
    with pytest.raises(InputError) as excinfo:
        clean(data, source_name="foto.png")
    assert str(excinfo.value) == message


def test_png_message_exactly() -> None:
    with pytest.raises(InputError, match=r"^foto\.png: looks like a binary file \(PNG image\), not text$"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "foto.png")


def test_undecodable_input_names_the_reason() -> None:
    # 0x81 is undefined in cp1252 and an invalid start byte in UTF-8.
    with pytest.raises(InputError) as excinfo:
        clean(b"De \x81\x8d tekst", source_name="kapot.txt")
    assert str(excinfo.value) == (
        "kapot.txt: cannot decode: not valid UTF-8 (invalid start byte at byte 3) "
        "nor Windows-1252 (character maps to <undefined> at byte 3)"
    )


def test_invalid_data_after_a_bom_is_an_error_not_a_fallback() -> None:
    with pytest.raises(InputError, match="starts with a UTF-8 byte-order mark but is not valid utf-8"):
        decode_bytes(codecs.BOM_UTF8 + b"co\xf6rdinatie")
