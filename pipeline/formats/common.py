"""What the newsroom-format readers share: the error, the one safe XML parser, and markup -> paragraphs.

**XML.** Every XML input (NewsML-G2, NITF, RSS, Atom) goes through :func:`parse_xml`: lxml with entity
resolution, DTD loading and network access off and libxml2's size limits on (``huge_tree=False``). A document
whose DOCTYPE declares entities is refused outright: no news format needs them, and they are how XXE
(``<!ENTITY x SYSTEM "file:///etc/passwd">``) and billion-laughs attacks are written. Nothing is expanded
before the refusal, so neither the file's content nor a gigabyte string is ever built.

**Markup to paragraphs.** An article body in markup (a ninjs HTML body, NITF, XHTML, a feed's HTML) becomes
plain paragraphs here, one per block, rather than going through the cleaner's web-page extractor
(trafilatura): that extractor is built for whole pages and, on a CMS body fragment, takes the first heading
for the page title and drops it, guesses a date from the text, and glues ``<span>``s together. Walking the
markup keeps exactly the structure the newsroom gave: a heading (``h2``, NITF ``hl2``) is its own paragraph,
so it is never glued to the next sentence. The paragraphs are joined with blank lines and handed to the
cleaner as text. See :func:`markup_paragraphs` for the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from beknopt.document import InputError

__all__ = ["FormatError", "child", "children", "collapse", "localname", "markup_paragraphs", "parse_xml",
           "rfc3339", "text_of"]


class FormatError(InputError):
    """A newsroom-format input (ninjs, NewsML-G2, NITF, RSS, Atom) that cannot be read as articles.

    The message names the format first (``ninjs: no body (looked for bodies, body_html, ...)``), after
    ``where`` (a file name and ": ") when given; ``format`` and ``reason`` hold the parts for callers that word
    their own message.
    """

    def __init__(self, fmt: str, reason: str, *, where: str = "") -> None:
        super().__init__(f"{where}: {fmt}: {reason}" if where else f"{fmt}: {reason}")
        self.format = fmt
        self.reason = reason


def _xml_parser() -> etree.XMLParser:
    # A fresh parser per document: lxml parsers keep an error log and are not thread-safe.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)


_DOCTYPE = re.compile(rb"<!DOCTYPE")


def _declares_entities(data: bytes) -> bool:
    """Does a DOCTYPE's internal subset declare an entity? A byte scan, so nothing is parsed (or expanded)
    first; UTF-16/32 documents are caught after parsing by :func:`parse_xml` instead."""
    doctype = _DOCTYPE.search(data)
    if doctype is None:
        return False
    subset_end = data.find(b"]>", doctype.end())
    end = subset_end if subset_end != -1 else data.find(b">", doctype.end())
    return b"<!ENTITY" in data[doctype.end(): end if end != -1 else len(data)]


_REFUSED = ("refused: the DOCTYPE declares entities, and entity expansion and external entities (XXE, billion "
            "laughs) are not allowed")


def parse_xml(data: bytes, fmt: str) -> etree._Element:
    """The root element of ``data``; ``FormatError`` for malformed XML and for any DOCTYPE declaring entities."""
    if _declares_entities(data):
        raise FormatError(fmt, _REFUSED)
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        if "amplification" in str(exc.msg) or "entit" in str(exc.msg).lower() and "loop" in str(exc.msg).lower():
            raise FormatError(fmt, _REFUSED) from exc
        raise FormatError(fmt, f"malformed XML ({exc.msg})") from exc
    if root is None:
        raise FormatError(fmt, "malformed XML (no root element)")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and next(iter(dtd.iterentities()), None) is not None:
        raise FormatError(fmt, _REFUSED)
    return root


_SNIFF_CHUNK = 256  # bytes fed to the parser at a time while looking for the root element


def sniff_root(data: bytes) -> tuple[str, str] | None:
    """``(namespace, local name)`` of the first element, read incrementally with the safe parser settings;
    ``None`` when no element starts (not XML, or broken before the root).

    Fed in small pieces, so a document broken further down is still told by its root: lxml 6.2's
    ``iterparse`` reads a small file in one piece and raises before it reports the first element."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=False, remove_comments=True, remove_pis=True)
    for offset in range(0, len(data), _SNIFF_CHUNK):
        try:
            parser.feed(data[offset:offset + _SNIFF_CHUNK])
        except etree.XMLSyntaxError:  # broken (or an entity bomb) later in this piece: the root may have started
            return _first_element(parser)
        root = _first_element(parser)
        if root is not None:
            return root
    return None


def _first_element(parser: etree.XMLPullParser) -> tuple[str, str] | None:
    for _, element in parser.read_events():
        qname = etree.QName(element)
        return qname.namespace or "", qname.localname
    return None


def localname(element: Any) -> str:
    """The tag without its namespace, lowercased ("" for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children with this local name (any namespace, case-insensitive)."""
    name = name.lower()
    return [c for c in element if localname(c) == name]


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element down ``path`` (local names), or ``None``."""
    for name in path:
        if element is None:
            return None
        found = children(element, name)
        element = found[0] if found else None
    return element


def collapse(text: str | None) -> str:
    """Whitespace runs (XML indentation, soft wraps) to single spaces, trimmed."""
    return " ".join((text or "").split())


def text_of(element: etree._Element | None) -> str:
    """All text inside ``element``, whitespace collapsed ("" for ``None``)."""
    if element is None:
        return ""
    return collapse("".join(element.itertext()))


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")


def rfc3339(value: Any) -> str | None:
    """``value`` if it is an RFC 3339 date-time with a time zone (what ninjs dates must be), else ``None``."""
    if isinstance(value, str) and _RFC3339.fullmatch(value.strip()):
        return value.strip()
    return None


# ----------------------------------------------------------------------------------------------------
# markup -> paragraphs

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "hl1", "hl2"})
# A block of its own: one paragraph of its inline text (unless it holds blocks itself, e.g. <blockquote><p>).
_PARAGRAPHS = _HEADINGS | {"p", "pre", "blockquote", "address", "dt", "dd"}
_LISTS = frozenset({"ul", "ol", "dl"})
# Never article text: page furniture, media and their captions, tables, NITF's metadata inside the body.
_SKIP = frozenset({
    "head", "title", "script", "style", "noscript", "template", "nav", "aside", "footer", "form", "button",
    "select", "textarea", "iframe", "object", "embed", "svg", "math", "figure", "figcaption", "img", "picture",
    "video", "audio", "table", "caption",
    # NITF: media objects, metadata and the end matter (tagline, bibliography) are not the story
    "media", "media-caption", "media-producer", "media-metadata", "byline", "dateline", "distributor",
    "abstract", "series", "tagline", "bibliography", "credit", "fn", "note", "body.end", "body.head", "copyrite",
    "pronounce", "chron", "object.title",
})  # fmt: skip
# Read for the blocks inside; text directly in them is a loose run of its own.
_CONTAINERS = frozenset({"html", "body", "div", "section", "article", "main", "body.content", "block", "bq"})
_BREAK = "\x00"  # a <br> inside a text run, resolved once the run is complete


def _inline(element: etree._Element) -> str:
    """The text of an inline run: nested inline markup flattened, ``<br>`` kept as a marker."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = localname(node)
        if name == "br":
            parts.append(_BREAK)
        elif name not in _SKIP and node.text:
            parts.append(node.text)
        if name not in _SKIP:
            for sub in node:
                walk(sub)
        if node is not element and node.tail:
            parts.append(node.tail)

    if element.text:
        parts.append(element.text)
    for sub in element:
        walk(sub)
    return "".join(parts)


def _run_paragraphs(run: str) -> list[str]:
    """A text run split at ``<br><br>`` into paragraphs; a single ``<br>`` is a line break inside one."""
    pieces = re.split(rf"\s*{_BREAK}\s*(?:{_BREAK}\s*)+", run)
    out = []
    for piece in pieces:
        lines = [collapse(line) for line in piece.split(_BREAK)]
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(text)
    return out


def _has_blocks(element: etree._Element) -> bool:
    return any(localname(e) in _PARAGRAPHS or localname(e) in _LISTS for e in element.iterdescendants())


def _blocks(element: etree._Element) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` for each block under ``element``: kind is "block" or "loose" (text outside blocks)."""
    run: list[str] = []

    def flush() -> Iterator[tuple[str, str]]:
        for para in _run_paragraphs("".join(run)):
            yield "loose", para
        run.clear()

    if element.text:
        run.append(element.text)
    for sub in element:
        name = localname(sub)
        if name in _SKIP or not name:
            pass
        elif name in _LISTS:
            yield from flush()
            items = [collapse(_inline(li).replace(_BREAK, " ")) for li in sub.iter()
                     if localname(li) in ("li", "dt", "dd")]
            lines = "\n".join(f"- {item}" for item in items if item)
            if lines:
                yield "block", lines
        elif name in _PARAGRAPHS and not _has_blocks(sub):
            yield from flush()
            for para in _run_paragraphs(_inline(sub)):
                yield "block", para.replace("\n", " ") if name in _HEADINGS else para
        elif name == "br":
            run.append(_BREAK)
        elif _has_blocks(sub) or name in _CONTAINERS:
            yield from flush()
            yield from _blocks(sub)
        else:  # inline markup (b, i, a, span, sup, NITF em/person/location...) inside a loose run
            run.append(_inline(sub))
        if sub.tail:
            run.append(sub.tail)
    yield from flush()


def markup_paragraphs(element: etree._Element, *, title: str | None = None) -> list[str]:
    """The article paragraphs of a body element (HTML, XHTML or NITF; namespaces ignored).

    - ``p``, ``h1``-``h6``, NITF ``hl1``/``hl2``, ``blockquote``, ``pre``: one paragraph each (a heading is a
      paragraph of its own, even without a full stop); a ``blockquote`` or ``li`` holding paragraphs is read
      for those.
    - ``ul``/``ol``/``dl``: one paragraph of ``- item`` lines, as the cleaner writes lists.
    - Skipped: figures and captions, images, tables, scripts, navigation, NITF media, byline, dateline,
      abstract and ``body.end`` (they are metadata or not text to translate).
    - Text outside any block (a body that is bare text, ``<br><br>``-separated) counts only when the body has
      no blocks at all: where the markup gives paragraphs, loose bits between them are layout (datelines,
      labels in ``<span>``s), not story.
    - A first paragraph equal to ``title`` is dropped: the title is in the metadata and translated once.
    """
    found = list(_blocks(element))
    if any(kind == "block" for kind, _ in found):
        paragraphs = [text for kind, text in found if kind == "block"]
    else:
        paragraphs = [text for _, text in found]
    if title and paragraphs and paragraphs[0].casefold() == collapse(title).casefold():
        paragraphs = paragraphs[1:]
    return paragraphs


def html_paragraphs(html: str, *, title: str | None = None) -> list[str]:
    """Paragraphs of an HTML fragment or page (see :func:`markup_paragraphs`), parsed by lxml's HTML parser
    without network access; the ``<body>`` is read, so ``<head>`` and its ``<title>`` never count."""
    from lxml import html as lxml_html

    if not html.strip():
        return []
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False,
                                  default_doctype=False, collect_ids=False)
    try:
        root = lxml_html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return []  # nothing parseable: the caller reports an empty body
    body = root.find("body")
    return markup_paragraphs(body if body is not None else root, title=title)


def join(paragraphs: Iterable[str]) -> str:
    """Paragraphs as the cleaner reads them: separated by blank lines."""
    return "\n\n".join(p for p in paragraphs if p)
