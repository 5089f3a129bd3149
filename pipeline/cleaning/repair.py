"""Character repairs: line breaks, mojibake and the other ftfy fixes, NFC, control characters, whitespace.

Repairs (``coÃ¶rdinatie``, HTML entities in plain text, ligatures, full-width characters, control
characters) are reported as warnings; routine normalisation is not: CRLF/CR -> LF; tabs, NBSP and the other
Unicode spaces -> one space; zero-width characters and soft hyphens removed; runs of spaces collapsed.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy.chardata import CONTROL_CHARS

__all__ = ["is_blank", "repair"]

_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, remove_control_chars=False, normalization="NFC")
_FTFY_CONFIG_NO_ENTITIES = ftfy.TextFixerConfig(
    uncurl_quotes=False, remove_control_chars=False, normalization="NFC", unescape_html=False
)
_FTFY_MESSAGES = {
    "mojibake": "repaired mojibake (ftfy)",
    "unescape_html": "decoded HTML entities (ftfy)",
    "remove_terminal_escapes": "removed terminal escape sequences (ftfy)",
    "fix_surrogates": "repaired UTF-16 surrogate pairs (ftfy)",
    "fix_latin_ligatures": "expanded typographic ligatures (ftfy)",
    "fix_character_width": "converted full-width characters (ftfy)",
}
_MOJIBAKE_FIXERS = {
    "decode_inconsistent_utf8",
    "replace_lossy_sequences",
    "fix_c1_controls",
    "restore_byte_a0",
}
# Steps ftfy reports that are routine normalisation rather than repairs.
_FTFY_SILENT = {"fix_line_breaks"}


def _fix_text(text: str, *, unescape_html: bool) -> tuple[str, list[str]]:
    """ftfy line by line (so one broken line does not stop the others from being fixed), plus NFC."""
    config = _FTFY_CONFIG if unescape_html else _FTFY_CONFIG_NO_ENTITIES
    fixed: list[str] = []
    found: dict[str, None] = {}
    for line in text.splitlines(keepends=True):
        result = ftfy.fix_and_explain(line, config=config)
        fixed.append(result.text)
        for kind, step in result.explanation or ():
            if kind in ("encode", "decode", "transcode") or step in _MOJIBAKE_FIXERS:
                found["mojibake"] = None
            elif kind == "apply" and step not in _FTFY_SILENT:
                found[step] = None
    text = unicodedata.normalize("NFC", "".join(fixed))
    return text, [_FTFY_MESSAGES.get(step, f"applied ftfy fix {step}") for step in found]


_SPACES = dict.fromkeys(
    map(
        ord,
        "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
    ),
    " ",
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad"), None)  # zero-width space, word joiner, soft hyphen
_BREAKS = {ord("\f"): "\n", ord("\v"): "\n", ord("\u2028"): "\n", ord("\u2029"): "\n\n", ord("\u0085"): "\n"}


def _remove_controls(text: str) -> tuple[str, int]:
    """Drop control and invisible format characters that ftfy lists (keeps tab, newline)."""
    cleaned = text.translate(CONTROL_CHARS)
    cleaned = "".join(ch for ch in cleaned if ch in "\t\n" or unicodedata.category(ch) != "Cc")
    return cleaned, len(text) - len(cleaned)


def _normalise_whitespace(text: str) -> str:
    """One space for any run of spaces; a single leading space survives so indentation still shows."""
    text = text.translate(_SPACES).translate(_INVISIBLE)
    lines = [re.sub(r" {2,}", " ", line).rstrip() for line in text.split("\n")]
    return "\n".join(lines)


def is_blank(text: str) -> bool:
    """True when nothing but whitespace (of any kind, invisible characters included) is left."""
    return not _normalise_whitespace(text.translate(_BREAKS)).strip()


def repair(text: str, *, unescape_html: bool) -> tuple[str, list[str], int]:
    """Repair one document; returns ``(text, warnings, number of control characters removed)``.

    Line breaks come first (so ``\\f``, ``\\v`` and U+2028 are not removed as controls), then ftfy, then the
    controls, then whitespace.  ``unescape_html`` is off for text that came out of an HTML parser, whose
    entities are already decoded: a literal ``&amp;`` there is meant.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BREAKS)
    text, warnings = _fix_text(text, unescape_html=unescape_html)
    text, n_controls = _remove_controls(text)
    return _normalise_whitespace(text), warnings, n_controls
