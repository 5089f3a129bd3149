"""Metadata headers of plain-text articles: ``---`` front matter, ``key: value`` lines, an inline date.

Dutch keys are mapped to English ones (``titel`` -> ``title``, ``bron`` -> ``source``), so metadata reads the
same whatever the source; the header lines never reach the translator.
"""

from __future__ import annotations

import re

from beknopt.cleaning.textpatterns import OPENING_QUOTES

__all__ = ["headline_of", "parse_header"]

_KEY_ALIASES = {
    "title": "title", "titel": "title", "kop": "title", "headline": "title",
    "subtitle": "subtitle", "ondertitel": "subtitle", "subkop": "subtitle",
    "date": "date", "datum": "date", "published": "date", "gepubliceerd": "date", "publicatiedatum": "date",
    "author": "author", "authors": "author", "auteur": "author", "auteurs": "author", "schrijver": "author",
    "source": "source", "bron": "source", "publisher": "source", "uitgever": "source",
    "url": "url", "link": "url",
    "category": "category", "categorie": "category", "rubriek": "category", "section": "category",
    "sectie": "category",
    "tags": "tags", "trefwoorden": "tags", "keywords": "tags",
    "language": "language", "lang": "language", "taal": "language",
    "description": "description", "beschrijving": "description", "samenvatting": "description",
    "summary": "description",
    "location": "location", "plaats": "location", "locatie": "location",
    "id": "id",
}  # fmt: skip
_DATE = r"\d{4}(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"
_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z ]{0,29}?)\s*:\s*(\S.*)")
# "date 2020-09 De Verenigde Staten ..." : a date field with the body glued on (no colon needed).
_INLINE_DATE = re.compile(rf"(date|datum)\s*:?\s+({_DATE})(?:\s+(.*))?", re.I)
_FRONT_KEY = re.compile(r"([A-Za-z_][\w -]{0,39}?)\s*:\s*(.*)")


def _looks_like_body(rest: str | None) -> bool:
    """Text after an inline date is the article itself if it starts capitalised and has a few words."""
    if not rest:
        return False
    first = rest.lstrip(OPENING_QUOTES + "(")
    return bool(first) and first[0].isupper() and len(rest.split()) >= 3


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _parse_front_matter(lines: list[str], start: int) -> tuple[dict[str, str], int, list[str]] | None:
    """A ``---`` ... ``---`` block of ``key: value`` lines; None if the block is not closed."""
    end = next((i for i in range(start + 1, len(lines)) if lines[i] in ("---", "...")), None)
    if end is None:
        return None
    metadata: dict[str, str] = {}
    warnings: list[str] = []
    key: str | None = None
    for lineno in range(start + 1, end):
        line = lines[lineno]
        if not line or line.startswith("#"):
            continue
        item = re.fullmatch(r"-\s+(.*)", line)
        if item and key is not None:  # YAML list under the previous key
            value = _unquote(item.group(1))
            metadata[key] = f"{metadata[key]}, {value}" if metadata.get(key) else value
            continue
        match = _FRONT_KEY.fullmatch(line)
        if not match:
            warnings.append(f"ignored front-matter line {lineno + 1}: {line[:60]!r}")
            continue
        raw_key = match.group(1).strip().lower()
        key = _KEY_ALIASES.get(raw_key, raw_key.replace(" ", "_"))
        metadata[key] = _unquote(match.group(2))
    return {k: v for k, v in metadata.items() if v}, end + 1, warnings


def parse_header(text: str) -> tuple[str, dict[str, str], list[str]]:
    """Split a leading metadata header off the text; returns ``(body, metadata, warnings)``.

    Recognised, in this order: a ``---`` front-matter block; then ``key: value`` lines with a known key
    (Dutch or English, see ``_KEY_ALIASES``) up to the first blank or non-header line; then, if the first
    remaining line is ``date <date> <body...>``, the date goes to metadata and the body keeps the rest.
    """
    lines = text.split("\n")
    bare = [line.strip() for line in lines]  # matching ignores indentation; the body keeps it
    i = 0
    while i < len(bare) and not bare[i]:
        i += 1
    metadata: dict[str, str] = {}
    warnings: list[str] = []

    if i < len(bare) and bare[i] == "---":
        parsed = _parse_front_matter(bare, i)
        if parsed is not None:
            front, i, warnings = parsed
            metadata.update(front)
            while i < len(bare) and not bare[i]:
                i += 1

    while i < len(bare):
        inline = _INLINE_DATE.fullmatch(bare[i])
        if inline and _looks_like_body(inline.group(3)):
            metadata["date"] = inline.group(2)
            lines[i] = inline.group(3)
            break
        match = _HEADER_LINE.fullmatch(bare[i])
        if match and match.group(1).strip().lower() in _KEY_ALIASES:
            metadata[_KEY_ALIASES[match.group(1).strip().lower()]] = match.group(2).strip()
            i += 1
            continue
        if inline and inline.group(3) is None:  # "date 2020-09" alone on its line
            metadata["date"] = inline.group(2)
            i += 1
        break
    return "\n".join(lines[i:]), metadata, warnings


_HEADLINE_MAX_WORDS = 20
_HEADLINE_MAX_CHARS = 160
_SENTENCE_END = (".", ",", ";", ":", "…")


def headline_of(paragraphs: list[str]) -> str | None:
    """The article's headline when its first line looks like one, else ``None``.

    A headline is short (at most 20 words), does not end like a sentence (a full stop, comma, colon...; a
    question or exclamation mark is fine), starts with a capital, a digit or a quote, and has a body after it
    (a blank line and more paragraphs, or more lines). A Markdown ``#`` is not part of it.
    """
    if not paragraphs:
        return None
    first, _, rest = paragraphs[0].partition("\n")
    line = first.lstrip("#").strip()
    if not line or (not rest.strip() and len(paragraphs) < 2):
        return None
    if len(line) > _HEADLINE_MAX_CHARS or len(line.split()) > _HEADLINE_MAX_WORDS or line.endswith(_SENTENCE_END):
        return None
    if not (line[0].isupper() or line[0].isdigit() or line[0] in OPENING_QUOTES):
        return None
    return line
