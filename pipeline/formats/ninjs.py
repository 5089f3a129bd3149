"""IPTC ninjs (News in JSON, versions 1.x, 2.x and 3.x) to a ``Document``.

The versions name the same things differently: 1.x has ``headline``, ``byline`` and ``body_text`` /
``body_html`` / ``body_xhtml``; 2.x has ``headlines``/``bodies`` arrays with lowercase keys (``contenttype``,
``versioncreated``); 3.x the same arrays in camelCase (``contentType``, ``versionCreated``). Keys are therefore
matched case-insensitively, and all three read the same way:

- id: ``uri`` (else ``guid``); title: ``headline``, else the ``headlines`` entry with role ``main`` (else the
  first); author: ``by`` (else ``byline``); language: ``language``; dates: ``firstcreated``,
  ``versioncreated``, ``contentcreated``.
- body, first usable wins: ``bodies`` (the role ``main`` body first, then the others in order; within a role
  HTML before plain text, because markup carries the paragraphs), then ``body_html``, ``body_xhtml``,
  ``body_text``. Bodies of other types (``application/xml``, images) are skipped.
- ``descriptions`` / ``description_text``, copyright, ``urn:`` ids, associations, subjects and links are
  metadata: they never enter the text that is translated.

**Detection** (:func:`is_ninjs`), for a JSON object: beknopt's own article JSON wins whenever the object has a
``text``, ``html`` or ``body`` key (none of which ninjs defines), so existing input reads as before. Otherwise
it is ninjs when ``standard.name`` / ``$standard.name`` is ``ninjs``, or when it has a string ``uri`` or
``guid`` together with at least one key only ninjs uses (:data:`NINJS_KEYS`, any case, or any ``body_*`` /
``headline_*`` / ``description_*`` key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beknopt.document import Document
from beknopt.formats.common import FormatError, collapse, html_paragraphs, join

__all__ = ["NINJS_KEYS", "is_ninjs", "ninjs_document"]

FORMAT = "ninjs"

NINJS_KEYS = frozenset({
    "headline", "headlines", "bodies", "body_text", "body_html", "body_xhtml", "type", "version",
    "versioncreated", "firstcreated", "contentcreated", "by", "byline", "descriptions", "description_text",
    "associations", "altids", "pubstatus", "profile", "copyrightnotice", "copyrightholder", "representationtype",
    "standard", "$standard", "slugline", "urgency", "renditions", "subjects", "subject", "genres", "located",
})  # fmt: skip
"""Keys (lowercased) that mark a JSON object with a ``uri`` as ninjs."""

_BODY_FIELDS = ("body_html", "body_xhtml", "body_text")
_LOOKED_FOR = "bodies, " + ", ".join(_BODY_FIELDS)


def _lower(item: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys lowercased (the first spelling wins if a document has both)."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        out.setdefault(str(key).lower(), value)
    return out


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def is_ninjs(item: Any) -> bool:
    """Is this parsed JSON value a ninjs document rather than beknopt's own article JSON? (module docstring)"""
    if not isinstance(item, Mapping):
        return False
    keys = _lower(item)
    if any(k in keys for k in ("text", "html", "body")):
        return False
    for std_key in ("standard", "$standard"):
        std = keys.get(std_key)
        if isinstance(std, Mapping) and str(std.get("name", "")).lower() == "ninjs":
            return True
    if not (isinstance(keys.get("uri"), str) or isinstance(keys.get("guid"), str)):
        return False
    return any(k in NINJS_KEYS or k.startswith(("body_", "headline_", "description_")) for k in keys)


def _version(keys: dict[str, Any], original: Mapping[str, Any]) -> str:
    """The declared ninjs version, else the family its key names belong to ("1.x", "2.x", "3.x")."""
    for std_key in ("standard", "$standard"):
        std = keys.get(std_key)
        if isinstance(std, Mapping) and _str(std.get("version")):
            return str(std["version"]).strip()
    if "bodies" in keys or "headlines" in keys:
        camel = any(k != k.lower() for k in original) or any(
            isinstance(b, Mapping) and any(k != k.lower() for k in b) for b in keys.get("bodies") or [])
        return "3.x" if camel else "2.x"
    return "1.x"


def _title(keys: dict[str, Any]) -> str | None:
    if title := _str(keys.get("headline")):
        return collapse(title)
    headlines = [h for h in keys.get("headlines") or [] if isinstance(h, Mapping) and _str(h.get("value"))]
    main = [h for h in headlines if str(h.get("role", "")).lower() == "main"]
    chosen = (main or headlines or [None])[0]
    return collapse(chosen["value"]) if chosen else None


def _description(keys: dict[str, Any]) -> str | None:
    if text := _str(keys.get("description_text")):
        return collapse(text)
    descriptions = [d for d in keys.get("descriptions") or [] if isinstance(d, Mapping) and _str(d.get("value"))]
    if not descriptions:
        return None
    summary = [d for d in descriptions if str(d.get("role", "")).lower() in ("summary", "abstract", "text")]
    chosen = (summary or descriptions)[0]
    value = str(chosen["value"])
    kind = str(_lower(chosen).get("contenttype", "")).lower()
    return collapse(" ".join(html_paragraphs(value))) if "html" in kind else collapse(value)


def _kind(content_type: str, value: str) -> str | None:
    """"html", "text" or ``None`` (not a text body) for a body's content type; a missing one is sniffed."""
    content_type = content_type.strip().lower()
    if "html" in content_type:  # text/html, application/xhtml+xml (and "body_xhtml", seen in IPTC's examples)
        return "html"
    if content_type in ("text/plain", "text"):
        return "text"
    if not content_type:
        return "html" if value.lstrip().startswith("<") else "text"
    return None


def _paragraphs(kind: str, value: str, title: str | None) -> list[str]:
    if kind == "html":
        return html_paragraphs(value, title=title)
    return [value.strip()] if value.strip() else []


def _body(keys: dict[str, Any], title: str | None) -> tuple[str, list[str]]:
    """``(field used, paragraphs)`` of the first usable body, or ``FormatError`` naming what was looked for."""
    candidates: list[tuple[int, int, int, str, str, str]] = []  # (role rank, kind rank, order, field, kind, value)
    skipped: list[str] = []
    bodies = keys.get("bodies")
    if bodies is not None and not isinstance(bodies, list):
        raise FormatError(FORMAT, f"bodies must be an array of body objects, got {type(bodies).__name__}")
    for i, body in enumerate(bodies or []):
        if not isinstance(body, Mapping) or not isinstance(body.get("value"), str):
            skipped.append(f"bodies[{i}] (no string value)")
            continue
        low = _lower(body)
        content_type = str(low.get("contenttype") or "")
        kind = _kind(content_type, body["value"])
        if kind is None:
            skipped.append(f"bodies[{i}] ({content_type})")
            continue
        role_rank = 0 if str(low.get("role", "")).lower() == "main" else 1
        candidates.append((role_rank, 0 if kind == "html" else 1, i, f"bodies[{i}]", kind, body["value"]))
    candidates.sort()
    for order, name in enumerate(_BODY_FIELDS):
        if isinstance(keys.get(name), str):
            candidates.append((2, 0, order, name, "text" if name == "body_text" else "html", keys[name]))
    for *_, field, kind, value in candidates:
        paragraphs = _paragraphs(kind, value, title)
        if paragraphs:
            return field, paragraphs
        skipped.append(f"{field} (empty)")
    why = f"; skipped {', '.join(skipped)}" if skipped else ""
    raise FormatError(FORMAT, f"no body (looked for {_LOOKED_FOR}{why})")


def ninjs_document(item: Mapping[str, Any], default_id: str) -> Document:
    """One ``Document`` from a parsed ninjs object (see the module docstring for the fields read).

    The body is handed on as plain text, paragraphs separated by blank lines (markup already walked), so
    ``source_format`` is ``"text"``. Raises :class:`FormatError` when there is no usable body.
    """
    if not isinstance(item, Mapping):
        raise FormatError(FORMAT, f"expected a JSON object, got {type(item).__name__}")
    keys = _lower(item)
    title = _title(keys)
    field, paragraphs = _body(keys, title)
    uri = _str(keys.get("uri")) or _str(keys.get("guid"))
    metadata: dict[str, Any] = {"input_format": FORMAT, "input_version": _version(keys, item),
                                "body_field": field}
    if uri:
        metadata["source_uri"] = uri
    first = _str(keys.get("firstcreated"))
    version = _str(keys.get("versioncreated"))
    content = _str(keys.get("contentcreated"))
    values = {
        "title": title,
        "author": _str(keys.get("by")) or _str(keys.get("byline")),
        "language": _str(keys.get("language")),
        "date": first or version or content,
        "first_created": first,
        "version_created": version,
        "content_created": content,
        "description": _description(keys),
        "copyright_notice": _str(keys.get("copyrightnotice")),
        "copyright_holder": _holder(keys.get("copyrightholder")),
        "source_type": _str(keys.get("type")),
    }
    metadata.update({k: v for k, v in values.items() if v})
    return Document(id=uri or default_id, source=join(paragraphs), source_format="text", metadata=metadata)


def _holder(value: Any) -> str | None:
    """``copyrightholder``: a string in 1.x/3.x, an object with a ``name`` in some exports."""
    if isinstance(value, Mapping):
        return _str(value.get("name"))
    return _str(value)
