"""Request bodies to articles, and documents to the records ``beknopt run`` writes.

The service answers with the batch runner's record, not a format of its own: ``Document.to_dict()`` plus the
``beknopt`` stamp (input hash, settings fingerprint, version, where the article came from), and errors as the
lines of ``errors.jsonl`` (``id``, ``path``, ``line``, ``stage``, ``reason``, ``outcome``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beknopt.document import Document, InputError
from beknopt.document.jsonio import JSONDepthError, load_json
from beknopt.document.record import error_record, result_record

__all__ = ["MalformedBodyError", "ParsedArticle", "article_from_body", "article_from_item", "article_from_xml",
           "document_from_input", "error_record", "parse_json", "parse_jobs_body", "parsed_document",
           "result_record"]  # the last
# two are the batch runner's own (beknopt.document.record), re-exported for the service's modules

METADATA_FIELDS = ("title", "date", "url", "author")


class MalformedBodyError(InputError):
    """The body is not JSON at all (a 400), as against JSON of the wrong shape (a 422)."""


@dataclass
class ParsedArticle:
    """One article of a request: the pipeline's input (``item``) or the reason it cannot be one."""

    id: str
    sha256: str
    item: dict[str, Any] | None = None  # {"id", "source", "format", "metadata"}
    error: dict[str, str] | None = None  # {"stage": "read", "reason": ...}


def _too_big(size: int, limit: int) -> str:
    return f"too large: {size:,} bytes is over the article limit of {limit:,} (--max-bytes)"


def article_from_item(item: Any, default_id: str, *, max_bytes: int, where: str = "") -> ParsedArticle:
    """A JSON article: ``text`` (or ``body``) or ``html``, optional ``id``, ``title``, ``date``, ``url``,
    ``author``; other keys are ignored, as ``beknopt run`` ignores them."""
    digest = hashlib.sha256(json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
                            .encode("utf-8", "surrogatepass")).hexdigest()
    if not isinstance(item, Mapping):
        return ParsedArticle(default_id, digest, error={
            "stage": "read", "reason": f"{where}expected a JSON object with a 'text' or 'html' field, "
                                       f"got {_json_type(item)}"})
    from beknopt.formats import is_ninjs, ninjs_document

    if is_ninjs(item):  # an IPTC ninjs document, read as beknopt run reads one
        try:
            doc = ninjs_document(item, default_id)
        except InputError as exc:
            return ParsedArticle(default_id, digest, error={"stage": "read", "reason": f"{where}{exc}"})
        return parsed_document(doc, digest, max_bytes=max_bytes, where=where)
    raw_id = item.get("id")
    valid_id = isinstance(raw_id, str | int) and not isinstance(raw_id, bool) and raw_id != ""
    doc_id = str(raw_id) if valid_id else default_id

    def fail(reason: str) -> ParsedArticle:
        return ParsedArticle(doc_id, digest, error={"stage": "read", "reason": f"{where}{reason}"})

    if raw_id not in (None, "") and not valid_id:
        return fail(f"'id' must be a string or a whole number, got {_json_type(raw_id)}")
    given = [k for k in ("text", "html", "body") if item.get(k) is not None]
    if not given:
        return fail("no text: expected a 'text' or 'html' field with a string")
    if len(given) > 1:
        return fail(f"give one of 'text' and 'html', not {' and '.join(repr(k) for k in given)}")
    key = given[0]
    text = item[key]
    if not isinstance(text, str):
        return fail(f"'{key}' must be a string, got {_json_type(text)}")
    if not text.strip():
        return fail(f"'{key}' is empty")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return fail(_too_big(size, max_bytes))
    metadata: dict[str, Any] = {}
    for name in METADATA_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return fail(f"'{name}' must be a string, got {_json_type(value)}")
        metadata[name] = value
    # as beknopt.document.to_document reads them: a "text" is text even with tag-like strings in it ("<b>",
    # "a < b"), only "html" is parsed as HTML, "body" (a CMS export's field, either kind) is sniffed
    fmt = {"text": "text", "html": "html"}.get(key, "auto")
    return ParsedArticle(doc_id, digest, item={"id": doc_id, "source": text, "format": fmt, "metadata": metadata})


def parsed_document(doc: Document, digest: str, *, max_bytes: int, where: str = "") -> ParsedArticle:
    """An article a newsroom-format reader made (``beknopt.formats``), within the article size limit."""
    text = doc.source if isinstance(doc.source, str) else doc.source.decode("utf-8", "replace")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return ParsedArticle(doc.id, digest, error={"stage": "read", "reason": f"{where}{_too_big(size, max_bytes)}"})
    return ParsedArticle(doc.id, digest, item={"id": doc.id, "source": text, "format": doc.source_format,
                                               "metadata": dict(doc.metadata)})


def article_from_xml(body: bytes, default_id: str, *, max_bytes: int) -> ParsedArticle:
    """A NewsML-G2 news item, an NITF document, or a feed with one item, as the request body."""
    from beknopt import formats

    digest = hashlib.sha256(body).hexdigest()

    def fail(reason: str) -> ParsedArticle:
        return ParsedArticle(default_id, digest, error={"stage": "read", "reason": reason})

    kind = formats.detect(body, ".xml")
    if kind is None:
        return fail("the body is not NewsML-G2, NITF, RSS or Atom (the root element is none of newsItem, "
                    "newsMessage, nitf, rss, feed)")
    try:
        docs = formats.parse(body, kind, default_id=default_id)
    except InputError as exc:
        return fail(str(exc))
    if len(docs) != 1:
        return fail(f"the {kind} body holds {len(docs)} articles; /v1/summarize takes one (send a job for more)")
    (doc,) = docs
    if doc.error is not None:
        return fail(doc.error["reason"])
    return parsed_document(doc, digest, max_bytes=max_bytes)


def article_from_body(body: bytes, fmt: str, default_id: str, *, max_bytes: int) -> ParsedArticle:
    """A raw ``text/plain`` or ``text/html`` body: the cleaning stage decodes it as it decodes a file."""
    digest = hashlib.sha256(body).hexdigest()
    if len(body) > max_bytes:
        return ParsedArticle(default_id, digest, error={"stage": "read", "reason": _too_big(len(body), max_bytes)})
    if not body.strip():
        return ParsedArticle(default_id, digest, error={"stage": "read", "reason": "the request body is empty"})
    return ParsedArticle(default_id, digest, item={"id": default_id, "source": body, "format": fmt, "metadata": {}})


def parse_jobs_body(body: bytes, jsonl: bool, *, max_bytes: int) -> list[ParsedArticle]:
    """A job's articles: a JSON list (or ``{"articles": [...]}``), or JSONL (one article per line).

    A malformed or unusable article becomes that article's error record; only a body that is not a list at all
    is rejected (``InputError``), since then there are no articles to count. A line nested too deep is one
    error record like any other malformed line."""
    if jsonl:
        articles = []
        for lineno, raw in enumerate(body.splitlines(), start=1):
            if not raw.strip():
                continue
            default_id = f"article-{len(articles) + 1}"
            where = f"line {lineno}: "
            try:
                item = load_json(raw)
            except (ValueError, UnicodeDecodeError, JSONDepthError) as exc:
                if isinstance(exc, JSONDepthError):
                    reason = str(exc)
                else:
                    detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not valid UTF-8"
                    reason = f"malformed JSON: {detail}"
                articles.append(ParsedArticle(default_id, hashlib.sha256(raw).hexdigest(), error={
                    "stage": "read", "reason": f"{where}{reason}"}))
                continue
            articles.append(article_from_item(item, default_id, max_bytes=max_bytes, where=where))
        return articles
    data = parse_json(body)
    if isinstance(data, Mapping) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if not isinstance(data, list):
        raise InputError(f"expected a JSON list of articles (or {{\"articles\": [...]}}), got {_json_type(data)}")
    return [article_from_item(item, f"article-{i}", max_bytes=max_bytes, where=f"article {i}: ")
            for i, item in enumerate(data, start=1)]


def parse_json(body: bytes) -> Any:
    """The body as JSON, or a ``MalformedBodyError`` that says where it broke; JSON nested deeper than
    ``beknopt.document.jsonio.MAX_JSON_DEPTH`` is a ``JSONDepthError`` (an ``InputError``: a 422, not a 400), refused
    before ``json`` recurses into it."""
    try:
        return load_json(body)
    except UnicodeDecodeError as exc:
        raise MalformedBodyError(f"the body is not valid UTF-8 JSON ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise MalformedBodyError(f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def document_from_input(item: Mapping[str, Any]) -> Document:
    return Document(id=str(item["id"]), source=item["source"], source_format=str(item.get("format", "auto")),
                    metadata=dict(item.get("metadata") or {}))
