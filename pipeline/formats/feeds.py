"""RSS (0.9x, 1.0, 2.0) and Atom feeds: one ``Document`` per item or entry, read with ``feedparser``.

Per item: id from ``guid`` (RSS) / ``id`` (Atom), else the link; title; body from ``content:encoded`` /
``content``, else ``description`` / ``summary``; HTML (as feedparser reports it) is parsed as HTML into
paragraphs, plain text is kept as it is. Author, link (``url``), dates (``pubDate``/``published``,
``updated``, as RFC 3339 UTC) and the language (the entry's ``xml:lang``, else the channel's) go to metadata.

The XML is first parsed by :func:`~beknopt.formats.common.parse_xml`, which refuses malformed XML and any
entity declaration, so feedparser never sees an XXE or billion-laughs payload and its lenient fallback parser
is never needed; it is handed the bytes as a stream, so it never opens a URL or a file.
"""

from __future__ import annotations

import calendar
import io
import time
from datetime import UTC, datetime
from typing import Any

from beknopt.document import Document
from beknopt.formats.common import FormatError, collapse, html_paragraphs, join, parse_xml

__all__ = ["feed_documents"]

_BODY_FIELDS = {"rss": "content:encoded, description", "atom": "content, summary"}
_ITEM = {"rss": "item", "atom": "entry"}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _iso(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC ``struct_time`` as an RFC 3339 date-time."""
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(detail: Any) -> list[str]:
    """Paragraphs of a feedparser text construct (``{"type", "value"}``)."""
    value = str(detail.get("value") or "")
    if detail.get("type") in _HTML_TYPES:
        return html_paragraphs(value)
    return [value.strip()] if value.strip() else []


def _body(entry: Any, title: str | None) -> tuple[str, list[str]] | None:
    contents = sorted(entry.get("content") or [], key=lambda c: c.get("type") not in _HTML_TYPES)
    for content in contents:
        paragraphs = _text(content)
        if paragraphs:
            if title and paragraphs[0].casefold() == title.casefold():
                paragraphs = paragraphs[1:]
            if paragraphs:
                return "content", paragraphs
    detail = entry.get("summary_detail")
    if detail:
        paragraphs = _text(detail)
        if paragraphs:
            return "summary", paragraphs
    return None


def _title(entry: Any) -> str | None:
    detail = entry.get("title_detail")
    if not detail:
        return None
    return collapse(" ".join(_text(detail))) or None


def feed_documents(data: bytes, fmt: str, default_id: str) -> list[Document]:
    """The items of an RSS (``fmt="rss"``) or Atom (``"atom"``) feed; an item without a body comes back with
    ``error`` set (stage ``read``), so the rest of the feed still runs. ``FormatError`` for a feed that is not
    well-formed or has no items."""
    import feedparser

    parse_xml(data, fmt)  # refuses malformed XML, XXE and entity bombs before feedparser sees the bytes
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if not entries:
        raise FormatError(fmt, f"no {_ITEM[fmt]}s in the feed")
    feed = parsed.get("feed") or {}
    feed_language = collapse(feed.get("language")) or None
    docs: list[Document] = []
    for n, entry in enumerate(entries, 1):
        item_id = collapse(entry.get("id")) or collapse(entry.get("link")) or f"{default_id}#{n}"
        title = _title(entry)
        metadata: dict[str, Any] = {"input_format": fmt}
        if entry.get("id"):
            metadata["source_uri"] = collapse(entry["id"])
        found = _body(entry, title)
        if found is None:
            doc = Document(id=item_id, metadata=metadata)
            doc.fail("read", f"{fmt}: {_ITEM[fmt]} {n} ({item_id}): no body (looked for {_BODY_FIELDS[fmt]})")
            docs.append(doc)
            continue
        field, paragraphs = found
        published = _iso(entry.get("published_parsed"))
        # ``in`` first: feedparser's ``get("updated_parsed")`` falls back to the published date, with a warning
        updated = _iso(entry["updated_parsed"]) if "updated_parsed" in entry else None
        details = [*(entry.get("content") or [])[:1], entry.get("summary_detail") or {},
                   entry.get("title_detail") or {}]
        language = next((collapse(d.get("language")) for d in details if collapse(d.get("language"))), None)
        values = {
            "body_field": field if fmt == "atom" else {"content": "content:encoded", "summary": "description"}[field],
            "title": title,
            "author": collapse(entry.get("author")) or None,
            "url": collapse(entry.get("link")) or None,
            "language": language or feed_language,
            "date": published or updated,
            "first_created": published,
            "version_created": updated,
            "feed_title": collapse(feed.get("title")) or None,
            "feed_url": collapse(feed.get("link")) or None,
            "source_type": "text",
        }
        metadata.update({k: v for k, v in values.items() if v})
        docs.append(Document(id=item_id, source=join(paragraphs), source_format="text", metadata=metadata))
    return docs
