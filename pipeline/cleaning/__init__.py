"""Cleaning stage: raw article (text or HTML, ``str`` or ``bytes``) -> clean paragraphs plus metadata.

Everything downstream (sentence splitting, MarianMT, the summariser) is sensitive to junk, so this stage is
strict about what it lets through and records every repair it makes as a plain-language warning.  Each step
is a module of this package; :func:`clean` runs them in this order:

1. **Decode** bytes (:mod:`.decode`): byte-order marks, strict UTF-8, Windows-1252 with a warning; binary
   files are refused.
2. **HTML** (:mod:`.html`, ``format="html"`` or auto-detected): the article body and its title/date/author,
   via trafilatura; a first paragraph that repeats the title is dropped because the title is in ``metadata``.
3. **Repair** (:mod:`.repair`): mojibake and the other ftfy fixes, NFC, control characters, whitespace.
4. **Metadata header** (:mod:`.header`, plain text only): front matter, ``key: value`` lines, an inline date.
5. **Paragraphs** (:mod:`.paragraphs`): soft wraps joined, headings and list items kept on their own lines.
6. **Quotes and dashes** (:mod:`.punctuation`): one convention per document.
7. **Boilerplate** (:mod:`.boilerplate`, :data:`DEFAULT_BOILERPLATE`) and exact duplicate paragraphs are
   dropped.

Warnings are recorded for repairs (encoding fallback, mojibake, control characters, entities, removed
boilerplate and duplicates), not for routine typographic normalisation (whitespace, quotes, dashes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from beknopt.cleaning.boilerplate import DEFAULT_BOILERPLATE, compile_patterns, remove_boilerplate, remove_duplicates
from beknopt.cleaning.decode import decode_bytes
from beknopt.cleaning.header import headline_of, parse_header
from beknopt.cleaning.html import extract_html, looks_like_html
from beknopt.cleaning.paragraphs import reflow_paragraphs
from beknopt.cleaning.punctuation import normalise_punctuation
from beknopt.cleaning.repair import is_blank, repair
from beknopt.document import InputError

__all__ = ["DEFAULT_BOILERPLATE", "Cleaned", "clean", "decode_bytes", "looks_like_html", "normalise_punctuation"]

FORMATS = ("auto", "text", "html")


@dataclass
class Cleaned:
    """What the cleaning stage hands on: clean paragraphs, the header metadata, and what was repaired."""

    text: str  # paragraphs joined by "\n\n"
    paragraphs: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # plain messages, e.g. "repaired mojibake (ftfy)"
    format: str = "text"  # what the input was read as: "text" or "html" (``auto`` resolved)


def clean(
    raw: str | bytes,
    *,
    format: str = "auto",
    boilerplate: Sequence[str] | None = None,
    extra_boilerplate: Sequence[str] = (),
    source_name: str = "<text>",
) -> Cleaned:
    """Turn one raw article into clean paragraphs, metadata and a list of the repairs made.

    ``format`` is ``"auto"`` (HTML if it starts like a page or has several tags), ``"text"`` or ``"html"``.
    ``boilerplate`` replaces :data:`DEFAULT_BOILERPLATE`; ``extra_boilerplate`` adds to it.  Raises
    :class:`~beknopt.document.InputError` (message starts with ``source_name``) for empty, binary or
    undecodable input and when nothing is left after cleaning; ``ValueError`` for a bad ``format`` or pattern.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, not {format!r}")
    if not isinstance(raw, str | bytes):
        raise TypeError(f"clean() takes str or bytes, not {type(raw).__name__}")
    patterns = compile_patterns(boilerplate, extra_boilerplate)
    name = source_name
    text, warnings = _text(raw, name)

    is_html = format == "html" or (format == "auto" and looks_like_html(text))
    metadata: dict[str, str] = {}
    if is_html:
        html_paragraphs, metadata, html_warnings = extract_html(text, name)
        warnings += html_warnings
        text = "\n\n".join(html_paragraphs)
    text, repair_warnings, n_controls = repair(text, unescape_html=not is_html)
    warnings += repair_warnings
    if n_controls:
        warnings.append(f"removed {_plural(n_controls, 'control character')}")
    if not is_html:
        text, header, header_warnings = parse_header(text)
        metadata.update(header)
        warnings += header_warnings

    paragraphs = [normalise_punctuation(p) for p in reflow_paragraphs(text, from_html=is_html)]
    n_before = len(paragraphs)
    paragraphs, removed_paragraphs, removed_lines = remove_boilerplate(paragraphs, patterns)
    if removed_paragraphs:
        warnings.append(_removal_warning(removed_paragraphs, "boilerplate paragraph"))
    if removed_lines:
        warnings.append(_removal_warning(removed_lines, "boilerplate line"))
    paragraphs, n_duplicates = remove_duplicates(paragraphs)
    if n_duplicates:
        warnings.append(f"removed {_plural(n_duplicates, 'duplicate paragraph')}")

    if not paragraphs:
        if n_before == 0:
            reason = "the input holds only a metadata header" if metadata else "only control characters"
        else:
            reason = (
                f"{_plural(len(removed_paragraphs), 'paragraph')} removed as boilerplate, "
                f"{n_duplicates} as duplicates"
            )
        raise InputError(f"{name}: no text left after cleaning ({reason})")
    if not is_html and "title" not in metadata and (headline := headline_of(paragraphs)):
        metadata["title"] = headline
    return Cleaned(text="\n\n".join(paragraphs), paragraphs=paragraphs, metadata=metadata, warnings=warnings,
                   format="html" if is_html else "text")


def _text(raw: str | bytes, name: str) -> tuple[str, list[str]]:
    """The article as text (decoded, without a byte-order mark) and the decoding warnings; refuses empty input."""
    if isinstance(raw, bytes):
        text, warnings = decode_bytes(raw, name)
    else:
        text, warnings = raw.removeprefix("\ufeff"), []
    what = "file" if isinstance(raw, bytes) else "text"  # bytes come from a file; a str from JSON or a caller
    if not text:
        raise InputError(f"{name}: {what} is empty")
    if is_blank(text):
        raise InputError(f"{name}: {what} is empty (contains only whitespace)")
    return text, warnings


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _removal_warning(labels: list[str], what: str) -> str:
    distinct = ", ".join(dict.fromkeys(labels))
    return f"removed {_plural(len(labels), what)} ({distinct})"
