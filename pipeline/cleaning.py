"""Cleaning stage: raw article (text or HTML, ``str`` or ``bytes``) -> clean paragraphs plus metadata.

Everything downstream (sentence splitting, MarianMT, the summariser) is sensitive to junk, so this stage is
strict about what it lets through and records every repair it makes as a plain-language warning.

Steps, in order:

1. **Decode** bytes (:func:`decode_bytes`): UTF-32/UTF-16/UTF-8 byte-order marks, then strict UTF-8, then
   Windows-1252 with a warning.  Binary files (magic numbers, NUL bytes, mostly control characters) are
   refused.
2. **HTML** (``format="html"`` or auto-detected): the article body is extracted with ``trafilatura``, which
   drops scripts, styles, navigation and cookie banners; title/date/author come from its metadata.  Tables and
   images are left out (they do not translate as sentences).  A first paragraph that repeats the title is
   dropped because the title is in ``metadata``.  libxml2 stops parsing HTML nested deeper than 256
   elements and drops the rest, which made such pages "no article text found"; they are flattened with the
   standard library's parser (which has no depth limit) and extracted again, with a warning that names the
   depth.  If still no text comes out, the reason names the nesting.
3. **Repair** with ``ftfy`` (mojibake such as ``coÃ¶rdinatie``, HTML entities in plain text, ligatures,
   full-width characters) and NFC normalisation; control characters are removed.
4. **Whitespace**: CRLF/CR -> LF; tabs, NBSP and the other Unicode spaces -> one space; zero-width characters
   and soft hyphens removed; runs of spaces collapsed.
5. **Metadata header** (plain text only): a ``---`` front-matter block, ``key: value`` header lines (Dutch
   keys mapped to English), or an inline ``date 2020-09 <body...>`` first line.
6. **Paragraphs**: blank lines separate paragraphs.  Inside a paragraph, a line break is kept (as ``\\n``)
   when the next line is a list item, or the line is a heading, or a list ends there; every other break is a
   soft wrap and becomes a space (a wrapped ``woord-`` / ``deel`` pair is joined without the space).  See
   :func:`_reflow`.
7. **Quotes and dashes** (:func:`normalise_punctuation`).
8. **Boilerplate** (:data:`DEFAULT_BOILERPLATE`) and exact duplicate paragraphs are dropped.

Quote convention (Dutch newspaper style, one form per document):

- double quotes: Dutch low-high ``„…”`` are kept; straight ``"…"``, English ``“…”`` and typewriter ``,,…''``
  are converted to ``„…”`` (opening/closing decided from the surrounding characters);
- apostrophes (``auto's``, ``zo'n``, ``'s avonds``, ``'t``, ``jaren '80``) become the ASCII ``'``;
- single quotation marks ``'…'``, ``‘…’`` and ``‚…’`` become ``‘…’``; a ``‚`` (U+201A) that stands where a
  comma belongs (``5‚5``, ``ja‚ nee``) becomes a comma.

Dash convention: ``‒ — ―`` become the en dash ``–``; a dash used as an aside (``woord - woord``,
``woord -- woord``, ``woord—woord``) becomes a spaced ``" – "``; hyphens inside words
(``Tornado-vliegtuigen``, ``in- en uitvoer``) and between digits (``2020-09``, phone numbers) are left alone;
Unicode hyphens U+2010/U+2011 become ``-``; the minus sign U+2212 is kept.

Warnings are recorded for repairs (encoding fallback, mojibake, control characters, entities, removed
boilerplate and duplicates), not for routine typographic normalisation (whitespace, quotes, dashes).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape as html_escape
from html.parser import HTMLParser as StdlibHTMLParser
from typing import TYPE_CHECKING

import ftfy
from ftfy.chardata import CONTROL_CHARS
from lxml import etree

from .document import InputError

if TYPE_CHECKING:
    from lxml.html import HtmlElement, HTMLParser

__all__ = ["DEFAULT_BOILERPLATE", "Cleaned", "clean", "decode_bytes", "normalise_punctuation"]

FORMATS = ("auto", "text", "html")

# ----------------------------------------------------------------------------------------------------
# Result


@dataclass
class Cleaned:
    """What the cleaning stage hands on: clean paragraphs, the header metadata, and what was repaired."""

    text: str  # paragraphs joined by "\n\n"
    paragraphs: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # plain messages, e.g. "repaired mojibake (ftfy)"


# ----------------------------------------------------------------------------------------------------
# Decoding

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


# ----------------------------------------------------------------------------------------------------
# HTML

_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|p|div|span|a|br|hr|h[1-6]|article|section|main|nav|header|footer|aside|script|style"
    r"|ul|ol|li|em|strong|b|i|img|figure|figcaption|table|tr|td|th|meta|link|title|blockquote|form|button)"
    r"(?:\s[^<>]*)?/?>",
    re.I,
)
_MIN_HTML_TAGS = 4


def looks_like_html(text: str) -> bool:
    """True for a document that starts like an HTML page or contains several HTML tags."""
    if _HTML_START.match(text):
        return True
    tags = _HTML_TAG.finditer(text)
    return sum(1 for _ in zip(range(_MIN_HTML_TAGS), tags, strict=False)) >= _MIN_HTML_TAGS


def _element_text(el: etree._Element) -> str:
    """Text of a trafilatura output element, with <lb/> as a line break and other markup flattened."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)


def _html_paragraphs(body: etree._Element) -> list[str]:
    """One paragraph per block of trafilatura's output; a list becomes one paragraph of ``- item`` lines."""
    paragraphs: list[str] = []
    for el in body:
        if el.tag == "list":
            items = [_element_text(item).replace("\n", " ") for item in el.iter("item")]
            text = "\n".join(f"- {item}" for item in items if item)
        else:
            text = _element_text(el)
        if text:
            paragraphs.append(text)
    return paragraphs


# libxml2 (under lxml and so trafilatura) stops parsing at this element depth, dropping the rest of the page;
# with ``huge_tree`` the limit is 2,048.  Pages generated by some editors nest far deeper.
_LIBXML_MAX_DEPTH = 256
_HUGE_MAX_DEPTH = 2048
# Past this depth the fallback unwraps elements (keeping their text), well under the limit, except those below:
# paragraph structure, and containers whose content trafilatura must see in order to drop it.
_FLATTEN_DEPTH = 128
_KEEP_WHEN_DEEP = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "pre", "table", "thead", "tbody",
    "tfoot", "tr", "td", "th", "caption", "head", "title", "script", "style", "noscript", "template", "nav",
    "header", "footer", "aside", "form", "button", "select", "textarea", "iframe", "object", "svg", "math",
})  # fmt: skip
_VOID_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
})  # fmt: skip
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option"})  # a second <p> ends the first


def _html_parser(*, huge: bool) -> HTMLParser:
    """trafilatura's own parser settings, optionally with libxml2's depth limit raised (``huge_tree``)."""
    from lxml import html as lxml_html

    return lxml_html.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True,
        huge_tree=huge,
    )


def _parse_html(html: str, *, huge: bool) -> tuple[HtmlElement, bool]:
    """Parse as trafilatura does; returns ``(tree, whether libxml2 hit its depth limit and dropped content)``.

    Raises ``ValueError`` or ``lxml.etree.LxmlError`` when lxml cannot parse the page at all.
    """
    from lxml import html as lxml_html

    parser = _html_parser(huge=huge)
    tree = lxml_html.fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
    too_deep = any(
        err.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in err.message.lower()
        for err in parser.error_log
    )
    return tree, too_deep


class _Flattener(StdlibHTMLParser):
    """Re-serialise HTML with wrappers below ``_FLATTEN_DEPTH`` unwrapped, and measure the nesting.

    The standard library's parser builds no tree, so it has no depth limit.  Wrappers (``div``, ``span``,
    custom elements, inline markup) are unwrapped and their text kept; paragraphs, headings, lists and
    boilerplate containers such as ``nav`` or ``script`` stay, so trafilatura still sees the article's structure.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, kept in the output)
        self.kept_depth = 0
        self.max_depth = 0

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], *, void: bool) -> None:
        if tag in _SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1][0] == tag:
            self.handle_endtag(tag)
        keep = tag in _KEEP_WHEN_DEEP or self.kept_depth < _FLATTEN_DEPTH
        if keep:
            rendered = "".join(
                f" {k}" if v is None else f' {k}="{html_escape(v, quote=True)}"' for k, v in attrs
            )
            self.out.append(f"<{tag}{rendered}{' /' if void else ''}>")
        if not void:
            self.stack.append((tag, keep))
            self.kept_depth += keep
            self.max_depth = max(self.max_depth, len(self.stack))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, void=tag in _VOID_TAGS)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, void=True)

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return  # a stray end tag: libxml2 ignores it too
        while self.stack:
            open_tag, kept = self.stack.pop()
            self.kept_depth -= kept
            if kept:
                self.out.append(f"</{open_tag}>")
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html_escape(data, quote=False))

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def _flatten_html(html: str) -> tuple[str, int]:
    """``(html with deep layout wrappers unwrapped, the deepest element nesting found)``."""
    flattener = _Flattener()
    flattener.feed(html)
    flattener.close()
    return "".join(flattener.out), flattener.max_depth


def _extract_html(html: str, name: str) -> tuple[list[str], dict[str, str], list[str]]:
    """Article paragraphs, metadata and warnings from an HTML page via trafilatura.

    libxml2 silently drops everything nested deeper than 256 elements, which used to end as "no article text
    found" for pages that have text; such pages are flattened (:class:`_Flattener`) and parsed again with the
    limit raised, with a warning, and if still nothing comes out the reason names the nesting.
    """
    import trafilatura  # imported here: it costs some 40 MB of memory that plain-text and JSON runs never need

    if not re.search(r"<(?:html|body)[\s>]", html, re.I):
        html = f"<html><body>{html}</body></html>"  # trafilatura is more reliable on whole documents
    warnings: list[str] = []
    source: str | HtmlElement = html
    depth = 0
    too_deep = still_too_deep = False
    check_failed = ""
    try:
        _, too_deep = _parse_html(html, huge=False)
    except (ValueError, etree.LxmlError) as err:
        check_failed = f" (lxml could not parse it: {err})"  # trafilatura may still cope; named if it does not
    if too_deep:
        flat, depth = _flatten_html(html)
        try:
            source, still_too_deep = _parse_html(flat, huge=True)
        except (ValueError, etree.LxmlError) as err:
            raise InputError(
                f"{name}: the HTML is nested more than {_LIBXML_MAX_DEPTH} levels deep ({depth} levels) and "
                f"could not be parsed after flattening ({err})"
            ) from err
    try:
        doc = trafilatura.bare_extraction(
            source,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
        )
    except (ValueError, etree.LxmlError) as err:
        raise InputError(f"{name}: could not parse the HTML ({err})") from err
    body = getattr(doc, "body", None) if doc is not None else None
    paragraphs = _html_paragraphs(body) if body is not None else []
    if too_deep:
        nesting = f"HTML nested {depth} levels deep, more than lxml's limit of {_LIBXML_MAX_DEPTH}"
        if not paragraphs:
            why = (f"and more than {_HUGE_MAX_DEPTH} even after flattening" if still_too_deep
                   else "and the fallback parser found none either")
            raise InputError(f"{name}: no article text found in the {nesting}, {why}")
        warnings.append(f"{nesting}: extracted with the fallback parser (deep wrappers flattened)")
        if still_too_deep:
            warnings.append(f"HTML nested more than {_HUGE_MAX_DEPTH} levels deep even after flattening: the "
                            "parser stopped there and the text after that point is missing")
    if not paragraphs:
        raise InputError(f"{name}: no article text found in the HTML{check_failed}")
    metadata: dict[str, str] = {}
    for attr, key in (
        ("title", "title"),
        ("author", "author"),
        ("date", "date"),
        ("url", "url"),
        ("sitename", "source"),
        ("description", "description"),
    ):
        value = getattr(doc, attr, None)
        if isinstance(value, str) and value.strip():
            metadata[key] = " ".join(value.split())
    title = metadata.get("title")
    if title and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]  # the headline is in metadata; do not translate/summarise it twice
        if not paragraphs:
            raise InputError(f"{name}: no article text found in the HTML (only a title)")
    return paragraphs, metadata, warnings


# ----------------------------------------------------------------------------------------------------
# Repairs and whitespace

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


def _repair(text: str, *, unescape_html: bool) -> tuple[str, list[str]]:
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


# ----------------------------------------------------------------------------------------------------
# Metadata header

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
    first = rest.lstrip("„“\"'‘‚(")
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


def _parse_header(text: str) -> tuple[str, dict[str, str], list[str]]:
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


# ----------------------------------------------------------------------------------------------------
# Paragraphs and line breaks

_LIST_ITEM = re.compile(r"(?:[-*•‣◦–]|\d{1,3}[.)])\s+\S")
_SENTENCE_END = re.compile(r"[.!?:;…,][\"'”’»)\]]*$")
_MAX_HEADING = 80
_MAX_WRAP = 100
_OPENERS = "„“\"'‘‚(«["


def _is_list_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


def _starts_capitalised(line: str) -> bool:
    first = line.lstrip(_OPENERS)
    return bool(first) and first[0].isupper()


def _reflow(block: str, *, lines_are_paragraphs: bool = False) -> list[str]:
    """Join soft-wrapped lines with spaces, keep the line breaks that carry structure; returns paragraphs.

    A break before line ``b`` (after the logical line ``a`` so far) is kept as a newline when

    - ``b`` is a list item (starts with ``-``, ``*``, ``•``, ``–``, ``1.`` or ``1)`` and a space); or
    - ``a`` is a heading: at most 80 characters, not ending in sentence punctuation (``. ! ? : ; … ,``,
      optionally followed by a closing quote/bracket), and ``b`` starts with a capital letter; or
    - ``a`` is a list item and ``b`` starts capitalised without indentation (the list has ended);

    and, for the last two, the break was deliberate (:func:`_deliberate`, :func:`_wrap_width`).  When
    ``lines_are_paragraphs`` (the text uses no blank lines at all), a deliberate break after sentence
    punctuation before a capitalised line starts a new paragraph.  Every other break becomes a space;
    ``woord-`` + ``deel`` is joined without one (the hyphen is kept: it may be part of a compound).  An
    indented line after a list item continues that item.
    """
    raw = [line for line in block.split("\n") if line.strip()]
    if len(raw) <= 1:
        return [block.strip()] if block.strip() else []
    width = _wrap_width(raw)
    paragraphs: list[list[str]] = [[raw[0].strip()]]
    in_list = _is_list_item(raw[0].strip())
    last_physical = raw[0].strip()
    for line in raw[1:]:
        logical = paragraphs[-1]
        nxt, cur = line.strip(), logical[-1]
        indented = line[:1].isspace()
        deliberate = _deliberate(last_physical, nxt, width)
        capitalised = _starts_capitalised(nxt)
        ends_sentence = bool(_SENTENCE_END.search(cur))
        heading = len(cur) <= _MAX_HEADING and not ends_sentence and capitalised and deliberate
        list_end = in_list and not indented and capitalised and deliberate
        hyphenated = bool(re.search(r"[^\W\d_]-$", cur)) and nxt[:1].isalpha()
        continues_item = in_list and indented  # an indented line after a list item belongs to it
        if _is_list_item(nxt) or ((heading or list_end) and not hyphenated and not continues_item):
            logical.append(nxt)
            in_list = _is_list_item(nxt)
        elif lines_are_paragraphs and ends_sentence and capitalised and deliberate:
            paragraphs.append([nxt])
            in_list = False
        elif hyphenated:
            logical[-1] = cur + nxt  # hyphenated wrap (Noord-/Holland): keep the hyphen, drop the break
        else:
            logical[-1] = f"{cur} {nxt}"
        last_physical = nxt
    return ["\n".join(lines) for lines in paragraphs]


def _wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapper broke these lines at, or None if they do not look hard-wrapped.

    Hard-wrapped lines (all but the last) cluster just under the wrap width; a block whose lines are longer
    than any usual wrap width (100 characters) or vary widely in length was not wrapped by a tool.
    """
    body = [len(line.rstrip()) for line in lines[:-1]]
    width = max(body, default=0)
    if len(body) < 2 or width > _MAX_WRAP:
        return None
    near = sum(1 for n in body if n >= 0.75 * width)
    return width if near >= 0.6 * len(body) else None


def _deliberate(line: str, nxt: str, width: int | None) -> bool:
    """Was the break after ``line`` chosen by the author rather than by a hard-wrapper?

    In text that is not hard-wrapped every break is deliberate.  In hard-wrapped text a greedy wrapper never
    breaks a line where the next word would still have fitted, so such room means the break is deliberate;
    this keeps wrapped prose whose next line starts with a name from being mistaken for a heading.
    """
    return width is None or len(line) + 1 + len(nxt.split()[0]) <= width


# ----------------------------------------------------------------------------------------------------
# Quotes and dashes

_DOUBLE = '"“”„'
_SINGLE = "'‘’‚"


def _normalise_quotes(s: str) -> str:
    s = re.sub(r"(?:^|(?<=[\s(\[])),,(?=\S)", "„", s, flags=re.M)  # typewriter ,,Dutch quote''
    s = re.sub(r"(?<=\S)''(?=[\s.,;:!?)\]]|$)", "”", s, flags=re.M)
    out: list[str] = []
    double_open = single_open = False
    n = len(s)
    for i, ch in enumerate(s):
        prev = s[i - 1] if i else ""
        nxt = s[i + 1] if i + 1 < n else ""
        opening_ctx = (not prev or prev.isspace() or prev in "([{–—-/" + _DOUBLE + _SINGLE) and bool(
            nxt and not nxt.isspace()
        )
        closing_ctx = bool(prev and not prev.isspace()) and (
            not nxt or nxt.isspace() or nxt in ".,;:!?)]}…-–"
        )
        if ch in _DOUBLE:
            if ch == "„" or (opening_ctx and not closing_ctx):
                out.append("„")
                double_open = True
            elif closing_ctx or double_open:
                out.append("”")
                double_open = False
            else:
                out.append("„")
                double_open = True
        elif ch in _SINGLE:
            after = s[i + 1 : i + 4]
            if prev.isalpha() and nxt.isalpha():
                out.append("'")  # auto's, zo'n
            elif (not prev or prev.isspace()) and re.match(r"[stn](?![^\W\d_])|\d\d(?!\d)", after, re.I):
                out.append("'")  # 's avonds, 't, 'n, jaren '80
            elif ch == "‚" and prev.isalnum() and (nxt.isspace() or nxt.isdigit() or not nxt):
                out.append(",")  # U+201A used as a comma
            elif opening_ctx and not closing_ctx:
                out.append("‘")
                single_open = True
            elif closing_ctx and single_open:
                out.append("’")
                single_open = False
            else:
                out.append("'")  # possessive (Jezus') or stray mark
        else:
            out.append(ch)
    return "".join(out)


def _normalise_dashes(s: str) -> str:
    s = s.translate({0x2010: "-", 0x2011: "-"})
    s = re.sub(r"(?<=[^\W\d_])(?:[—―]|--)(?=[^\W\d_])", " – ", s)  # unspaced em dash as an aside
    s = re.sub(r"[‒—―]", "–", s)
    s = re.sub(r"(?<=\S) +(?:--?|–) +(?=\S)", " – ", s)
    return s


def normalise_punctuation(text: str) -> str:
    """Apply the module's quote and dash conventions (see the module docstring) to one paragraph."""
    return _normalise_dashes(_normalise_quotes(text))


# ----------------------------------------------------------------------------------------------------
# Boilerplate

_AGENCY = (
    r"(?:anp|afp|ap|reuters|dpa|belga|epa|bloomberg|getty(?: images)?|hollandse hoogte|hh|novum|nu\.nl|nos)"
)
_NAME = r"(?-i:[A-Z][\w'.-]+)"
_PARTICLE = r"(?:van|de|der|den|het|ter|ten|te|in|'t)"
_PERSON = rf"{_NAME}(?:\s+{_PARTICLE}){{0,3}}(?:\s+{_NAME}){{1,3}}"

DEFAULT_BOILERPLATE: tuple[str, ...] = (
    # links to other articles
    r"(?:lees|bekijk) (?:ook|meer|verder|hier)\b.{0,200}",
    r"bekijk (?:de|het) (?:video|foto'?s|beelden)\b.{0,200}",
    r"meer (?:over dit onderwerp|nieuws|lezen)\s*:?.{0,200}",
    r"gerelateerde? (?:artikelen|berichten|nieuws)\s*:?.{0,200}",
    # image and agency credits
    r"(?:foto|foto's|beeld|video|illustratie|afbeelding|archieffoto)\s*:.{0,150}",
    rf"(?:[©(\[]\s*)?{_AGENCY}(?:\s*[/,&]\s*{_AGENCY})*\s*[)\]]?",
    r"©.{0,100}",
    # sharing
    r"deel (?:dit|het) (?:artikel|bericht|verhaal)\b.{0,100}",
    r"(?:delen|deel|share)(?: via| op)?\s*:?(?:[\s,|/]*(?:facebook|twitter|x|whatsapp|linkedin|e-?mail|mail"
    r"|messenger|pinterest|reddit|kopieer (?:de )?link|link kopi[eë]ren))*",
    # cookies and ads
    r".{0,100}\b(?:wij|we) gebruik(?:en|t)? cookies\b.{0,300}",
    r"(?:alle )?cookies? (?:accepteren|weigeren|instellingen|toestaan)\b.{0,100}",
    r"(?:accepteer|accepteren|akkoord met) (?:alle )?cookies\b.{0,100}",
    r"cookie-?instellingen|cookiebeleid|privacyverklaring",
    r"advertentie|advertorial|gesponsord|adv\.?|sponsored",
    # newsletters
    r"(?=.{0,250}$)(?=.*\b(?:schrijf|meld|abonneer|ontvang|aanmelden|inschrijven)\b).*\bnieuwsbrief\b.*",
    # bylines
    rf"door\s*:?\s+(?:onze?\s+(?:eigen\s+)?(?:redacteur|correspondent|verslaggever|redactie)\w*(?:\s+\S+){{0,4}}"
    rf"|{_PERSON}(?:\s*(?:,|en|&)\s*{_PERSON})*(?:\s*[,|–-]\s*.{{0,40}})?)",
    r"van onze (?:eigen\s+)?(?:redacteur|correspondent|verslaggever|redactie)\w*.{0,80}",
    # comments and separators
    r"reacties?\s*\(?\d*\)?|plaats een reactie.{0,40}",
    r"[-*=_~#•·.]{3,}",
)
"""Regex patterns (``re.fullmatch``, case-insensitive) for whole stripped paragraphs or lines to drop.

Extend with ``clean(..., extra_boilerplate=[...])`` or replace with ``clean(..., boilerplate=[...])``.  The
``.{0,N}`` limits keep a pattern from swallowing a real paragraph that happens to start the same way.
"""


def _compile(patterns: Sequence[str] | str) -> list[re.Pattern[str]]:
    if isinstance(patterns, str):
        patterns = (patterns,)
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as err:
            raise ValueError(f"invalid boilerplate pattern {pattern!r}: {err}") from err
    return compiled


_DEFAULT_COMPILED = _compile(DEFAULT_BOILERPLATE)


def _label(text: str) -> str:
    """Short name for a removed item in warnings: ``Lees ook:``, ``Foto:``, ``Deel dit artikel``."""
    colon = text.find(":")
    if 0 < colon <= 30:
        return text[: colon + 1]
    words = text.split()
    label = " ".join(words[:3])
    if len(label) > 30:
        label = label[:29].rstrip()
        return label + "…"
    return label + ("…" if len(words) > 3 else "")


def _matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(line) for p in patterns)


def _remove_boilerplate(
    paragraphs: list[str], patterns: list[re.Pattern[str]]
) -> tuple[list[str], list[str], list[str]]:
    """Drop matching paragraphs and lines; returns ``(kept, removed paragraph labels, removed line labels)``.

    A matching lead-in that ends in a colon (``Lees ook:``) also takes the list items that follow it, in the
    same paragraph or in the next one.
    """
    kept: list[str] = []
    removed_paragraphs: list[str] = []
    removed_lines: list[str] = []
    drop_list = False
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        if drop_list and all(_is_list_item(line) for line in lines):
            removed_paragraphs.append(_label(lines[0]))
            continue
        drop_list = False
        keep: list[str] = []
        labels: list[str] = []
        for line in lines:
            if drop_list and _is_list_item(line):
                continue
            drop_list = False
            if _matches(line, patterns):
                labels.append(_label(line))
                drop_list = line.endswith(":")
            else:
                keep.append(line)
        if keep:
            removed_lines.extend(labels)
            kept.append("\n".join(keep))
        else:
            removed_paragraphs.append(labels[0] if labels else _label(paragraph))
    return kept, removed_paragraphs, removed_lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _removal_warning(labels: list[str], what: str) -> str:
    distinct = ", ".join(dict.fromkeys(labels))
    return f"removed {_plural(len(labels), what)} ({distinct})"


# ----------------------------------------------------------------------------------------------------
# The stage


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
    patterns = _compile(boilerplate) if boilerplate is not None else list(_DEFAULT_COMPILED)
    patterns += _compile(extra_boilerplate)
    name = source_name

    warnings: list[str] = []
    if isinstance(raw, bytes):
        text, decode_warnings = decode_bytes(raw, name)
        warnings += decode_warnings
    else:
        text = raw.removeprefix("\ufeff")
    if not text:
        raise InputError(f"{name}: file is empty")
    if not _normalise_whitespace(text.translate(_BREAKS)).strip():
        raise InputError(f"{name}: file is empty (contains only whitespace)")

    is_html = format == "html" or (format == "auto" and looks_like_html(text))
    metadata: dict[str, str] = {}
    if is_html:
        html_paragraphs, metadata, html_warnings = _extract_html(text, name)
        warnings += html_warnings
        text = "\n\n".join(html_paragraphs)

    # Repairs: line breaks first (so \f, \v and U+2028 are not removed as controls), then ftfy, then controls.
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BREAKS)
    text, repair_warnings = _repair(text, unescape_html=not is_html)
    warnings += repair_warnings
    text, n_controls = _remove_controls(text)
    if n_controls:
        warnings.append(f"removed {_plural(n_controls, 'control character')}")
    text = _normalise_whitespace(text)

    if not is_html:
        text, header, header_warnings = _parse_header(text)
        metadata.update(header)
        warnings += header_warnings

    blocks = [b for b in re.split(r"\n{2,}", text) if b.strip()]
    lines_are_paragraphs = len(blocks) == 1 and not is_html  # no blank lines: single newlines end paragraphs
    paragraphs = [p for b in blocks for p in _reflow(b, lines_are_paragraphs=lines_are_paragraphs)]
    paragraphs = [normalise_punctuation(p) for p in paragraphs]
    n_before = len(paragraphs)

    paragraphs, removed_paragraphs, removed_lines = _remove_boilerplate(paragraphs, patterns)
    if removed_paragraphs:
        warnings.append(_removal_warning(removed_paragraphs, "boilerplate paragraph"))
    if removed_lines:
        warnings.append(_removal_warning(removed_lines, "boilerplate line"))

    unique = list(dict.fromkeys(paragraphs))
    n_duplicates = len(paragraphs) - len(unique)
    if n_duplicates:
        warnings.append(f"removed {_plural(n_duplicates, 'duplicate paragraph')}")
    paragraphs = unique

    if not paragraphs:
        if n_before == 0:
            reason = "the input holds only a metadata header" if metadata else "only control characters"
        else:
            reason = (
                f"{_plural(len(removed_paragraphs), 'paragraph')} removed as boilerplate, "
                f"{n_duplicates} as duplicates"
            )
        raise InputError(f"{name}: no text left after cleaning ({reason})")
    return Cleaned(text="\n\n".join(paragraphs), paragraphs=paragraphs, metadata=metadata, warnings=warnings)
