"""The newsroom's own formats at beknopt's edge: IPTC ninjs, NewsML-G2 and NITF, RSS and Atom in; ninjs out.

Readers turn a file (or bytes) into ``Document``s whose ``source`` is only the article text (paragraphs
separated by blank lines, headings as paragraphs of their own) and whose ``metadata`` holds everything else,
so copyright lines, ids and descriptions are never translated. The core never learns which format an
article came in; the ninjs writer (:func:`to_ninjs`) turns a finished record back into a document a CMS can
ingest, and :func:`validate_ninjs` checks one against IPTC's official schema.

Metadata keys the readers fill (when the input has them): ``title``, ``author``, ``language``, ``date`` (the
first of created/published/updated), ``first_created``, ``version_created``, ``content_created``,
``description``, ``url``, ``copyright_notice``, ``copyright_holder``, ``source_uri`` (the input's own
``uri``/``guid``/``id``), ``input_format`` (``ninjs``, ``newsml``, ``nitf``, ``rss``, ``atom``),
``input_version`` (ninjs), ``body_field`` (which field the body came from), ``source_type``, and for feeds
``feed_title``/``feed_url``.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from beknopt.document import InputError
from beknopt.document.jsonio import load_json
from beknopt.formats.common import FormatError, sniff_root
from beknopt.formats.ninjs import NINJS_KEYS, is_ninjs, ninjs_document
from beknopt.formats.ninjs_out import NINJS_VERSIONS, NinjsValidationError, ninjs_schema, to_ninjs, validate_ninjs

if TYPE_CHECKING:
    from beknopt.document import Document

__all__ = ["FORMATS", "NINJS_KEYS", "NINJS_VERSIONS", "FormatError", "NinjsValidationError", "detect",
           "is_ninjs", "ninjs_document", "ninjs_schema", "parse", "read", "to_ninjs", "validate_ninjs"]

FORMATS = ("ninjs", "newsml", "nitf", "rss", "atom")
"""What :func:`detect` can answer."""

_JSON_SUFFIXES = (".json", ".ninjs")
_NEWSML_ROOTS = ("newsitem", "newsmessage", "contentset", "inlinexml")
_ATOM_NAMESPACES = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")


def detect(data: bytes, suffix: str = "") -> str | None:
    """Which newsroom format ``data`` is in (one of :data:`FORMATS`), or ``None`` for anything else.

    JSON (``.json``, or content starting with ``{``): ``"ninjs"`` when :func:`is_ninjs` says so; beknopt's
    own article JSON (``text``/``html``/``body``), malformed JSON and other JSON are ``None``, for the caller's
    JSON reader to handle as before. XML (content starting with ``<``; ``.xml``/``.rss``/``.atom``/``.nitf``)
    is told by its root element, whatever the suffix: ``rss`` or ``rdf:RDF`` -> ``"rss"``, Atom ``feed`` ->
    ``"atom"``, ``newsItem``/``newsMessage`` (and IPTC's bare ``contentSet``/``inlineXML`` listings) ->
    ``"newsml"``, ``nitf`` -> ``"nitf"``. Only the start of the document is parsed, with entities off.
    """
    if suffix.lower() in _JSON_SUFFIXES or data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        try:
            item = load_json(data)
        except (ValueError, InputError):  # malformed, undecodable or too deep: the JSON reader words it
            return None
        return "ninjs" if is_ninjs(item) else None
    root = sniff_root(data)
    if root is None:
        return None
    namespace, name = root[0], root[1].lower()
    if name in ("rss", "rdf"):
        return "rss"
    if name == "feed" and (namespace in _ATOM_NAMESPACES or not namespace):
        return "atom"
    if name in _NEWSML_ROOTS:
        return "newsml"
    if name == "nitf":
        return "nitf"
    return None


def parse(data: bytes, fmt: str, *, default_id: str) -> list[Document]:
    """The articles in ``data``, read as ``fmt`` (what :func:`detect` answered).

    Raises :class:`FormatError` when the input as a whole cannot be read (malformed, no body, refused XML).
    In a feed or a ``newsMessage``, an item without a usable body comes back as a Document whose ``error``
    is set (stage ``read``), so one bad item does not lose the others. ``default_id`` names an article that
    carries no id of its own (feed items get ``<default_id>#<n>``).
    """
    if fmt == "ninjs":
        import json

        try:
            item = load_json(data)
        except json.JSONDecodeError as exc:
            raise FormatError("ninjs", f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
        except UnicodeDecodeError as exc:
            raise FormatError("ninjs", f"not valid UTF-8/16/32 JSON ({exc.reason} at byte {exc.start})") from exc
        return [ninjs_document(item, default_id)]
    if fmt == "newsml":
        from beknopt.formats.newsml import read_newsml

        return read_newsml(data, default_id)
    if fmt == "nitf":
        from beknopt.formats.newsml import read_nitf

        return read_nitf(data, default_id)
    if fmt in ("rss", "atom"):
        from beknopt.formats.feeds import feed_documents

        return feed_documents(data, fmt, default_id)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _load(source: str | Path | bytes, max_bytes: int, name: str) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        with open(source, "rb") as fh:  # noqa: PTH123 - a plain bounded read
            data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FormatError("input", f"too large: over the limit of {max_bytes:,} bytes", where=name)
    return data


def read(source: str | Path | bytes, *, name: str | None = None, max_bytes: int | None = None) -> list[Document]:
    """The articles in a ninjs, NewsML-G2, NITF, RSS or Atom file (a path) or in ``bytes``, format detected.

    ``name`` (default: the path) is used for the suffix hint, for ids of articles without one and in error
    messages; ``max_bytes`` (default: ``beknopt run``'s ``--max-bytes`` default) bounds what is read.
    Raises :class:`FormatError` (an ``InputError``) for input in none of these formats or one that cannot be
    read; see :func:`parse` for items that fail inside a feed or message.
    """
    if max_bytes is None:
        from beknopt.inputs.records import DEFAULT_MAX_BYTES  # imported late: beknopt.inputs will import us

        max_bytes = DEFAULT_MAX_BYTES
    if name is None:
        name = "<bytes>" if isinstance(source, bytes | bytearray) else str(source)
    data = _load(source, max_bytes, name)
    fmt = detect(data, PurePath(name).suffix)
    if fmt is None:
        raise FormatError("input", "not ninjs JSON, NewsML-G2, NITF, RSS or Atom (a JSON object needs a uri and "
                          "ninjs fields; XML needs a newsItem, newsMessage, nitf, rss or feed root)", where=name)
    try:
        return parse(data, fmt, default_id=name)
    except FormatError as exc:
        raise FormatError(exc.format, exc.reason, where=name) from exc

