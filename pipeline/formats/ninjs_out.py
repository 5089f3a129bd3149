"""A finished article's record to an English ninjs document (3.1, or 2.2 for older CMSs), and validation
against IPTC's official schemas, which ship in ``beknopt/formats/schemas`` (see its README).

What goes where (3.1 names; 2.2 uses the same properties in lowercase):

- ``uri``: ``urn:beknopt:en:<source id>``, a new, stable identifier: the English item is a new news object,
  derived from the source, so it must not reuse the source's ``uri`` (a CMS would overwrite the original),
  and a re-run of the same article updates it rather than adding a copy.
- ``language`` ``en``; ``headlines`` role ``main`` = the English title; ``descriptions`` role ``summary`` =
  the summary; ``bodies`` role ``main``, ``text/plain`` = the English translation, paragraphs separated by a
  blank line; ``by``, ``firstCreated``, ``versionCreated``, ``contentCreated``, ``copyrightNotice`` and
  ``copyrightHolder`` copied from the source (dates only when they are RFC 3339 date-times, as the schema
  requires; "2020-09" is left out rather than invented into a time).
- **The link back to the source** is an ``associations`` entry named ``source`` (3.1 adds ``rel``
  ``derivedFrom``; 2.2 has no ``rel``) with the source's ``uri``/``guid`` (a non-URI id, e.g. a file name,
  as ``urn:beknopt:source:<id>``), its ``type``, its ``language`` and its original headline. Associations are
  ninjs objects, so this needs no extension and a CMS can show the original next to the translation.
- **Provenance.** ninjs allows no custom properties (``unevaluatedProperties: false`` on every object), so it
  goes into standard fields: ``infoSources`` name beknopt (with its version) and each model id with its role
  (``translation model``, ``summarization model``); ``altIds`` carry beknopt's article id, the settings
  fingerprint and the input's SHA-256 (roles ``beknopt:id``, ``beknopt:settings``, ``beknopt:input-sha256``);
  ``edNote`` (for staff, never published) says it is a machine translation and summary and how many
  automatic check findings and warnings the article has; ``digitalSourceType`` is IPTC's
  ``trainedAlgorithmicMedia``.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from beknopt.document import join_paragraphs
from beknopt.formats.common import FormatError, rfc3339

__all__ = ["NINJS_VERSIONS", "NinjsValidationError", "ninjs_schema", "to_ninjs", "validate_ninjs"]

NINJS_VERSIONS = ("3.1", "2.2")
"""The versions :func:`to_ninjs` writes (the first is the default)."""
SCHEMA_VERSIONS = ("1.6", "2.2", "3.1")
"""The official schemas shipped (and so the versions :func:`validate_ninjs` checks)."""

_DIGITAL_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")
_SAFE = "-._~:/@!$&'()*+,;="  # RFC 3986 path characters: kept readable in the urn


class NinjsValidationError(FormatError):
    """A ninjs document that does not validate against the official schema of its version."""

    def __init__(self, version: str, errors: list[str]) -> None:
        super().__init__("ninjs", f"not valid ninjs {version}: " + "; ".join(errors))
        self.errors = errors


def _names(version: str) -> dict[str, str]:
    """3.1's camelCase property names, or their lowercase 2.2 spelling."""
    camel = ["altIds", "contentType", "charCount", "wordCount", "firstCreated", "versionCreated", "contentCreated",
             "copyrightNotice", "copyrightHolder", "infoSources", "edNote", "digitalSourceType",
             "representationType"]
    return {name: name if version == "3.1" else name.lower() for name in camel}


def _uri(value: str, kind: str) -> str:
    """``value`` if it is an absolute URI, else ``urn:beknopt:<kind>:<value, percent-encoded>``."""
    value = value.strip()
    if _URI.fullmatch(value):
        return value
    return f"urn:beknopt:{kind}:{quote(value, safe=_SAFE)}"


def _translation(record: Mapping[str, Any]) -> str:
    text = record.get("translation")
    if isinstance(text, str):
        return text
    return join_paragraphs(list(record.get("translations") or []), list(record.get("sentence_paragraphs") or []))


def _ed_note(record: Mapping[str, Any], version: str | None) -> str:
    checks = [c for c in record.get("checks") or [] if isinstance(c, Mapping)]
    kinds = Counter(str(c.get("kind") or "other") for c in checks)
    n_warnings = len(record.get("warnings") or [])
    made_by = f"beknopt {version}" if version else "beknopt"
    detail = f" ({', '.join(f'{n} {kind}' for kind, n in sorted(kinds.items()))})" if checks else ""
    return (f"Machine translation from Dutch and machine summary by {made_by}; not reviewed by an editor. "
            f"Automatic checks: {len(checks)} finding{'s' if len(checks) != 1 else ''}{detail}; "
            f"{n_warnings} warning{'s' if n_warnings != 1 else ''}.")


def to_ninjs(record: Mapping[str, Any], version: str = "3.1") -> dict[str, Any]:
    """The English ninjs document for a finished article's record (``result_record`` or ``Document.to_dict``).

    See the module docstring for the mapping. ``ValueError`` for an unknown ``version`` or a record of a
    failed article (it has no translation to publish).
    """
    if version not in NINJS_VERSIONS:
        raise ValueError(f"ninjs version must be one of {', '.join(NINJS_VERSIONS)}, not {version!r}")
    if record.get("error"):
        raise ValueError(f"{record.get('id')}: the article failed ({record['error']}); there is no ninjs to write")
    n = _names(version)
    metadata: Mapping[str, Any] = record.get("metadata") or {}
    stamp: Mapping[str, Any] = record.get("beknopt") or {}
    article_id = str(record.get("id") or "")
    source_ref = str(metadata.get("source_uri") or article_id)
    doc: dict[str, Any] = {
        "standard": {"name": "ninjs", "version": version,
                     "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{version}.json#"},
        "uri": f"urn:beknopt:en:{quote(source_ref, safe=_SAFE)}",
        "type": "text",
        n["representationType"]: "full",
        "language": "en",
    }
    if title := str(record.get("title_en") or "").strip():
        doc["headlines"] = [{"role": "main", "value": title}]
    if summary := str(record.get("summary") or "").strip():
        doc["descriptions"] = [{"role": "summary", n["contentType"]: "text/plain", "value": summary}]
    body = _translation(record).strip()
    if body:
        doc["bodies"] = [{"role": "main", n["contentType"]: "text/plain", n["charCount"]: len(body),
                          n["wordCount"]: len(body.split()), "value": body}]
    if by := str(metadata.get("author") or "").strip():
        doc["by"] = by
    dates = {"firstCreated": metadata.get("first_created") or metadata.get("date"),
             "versionCreated": metadata.get("version_created"), "contentCreated": metadata.get("content_created")}
    for name, value in dates.items():
        if valid := rfc3339(value):
            doc[n[name]] = valid
    for name, key in (("copyrightNotice", "copyright_notice"), ("copyrightHolder", "copyright_holder")):
        if value := str(metadata.get(key) or "").strip():
            doc[n[name]] = value
    source: dict[str, Any] = {"name": "source", "uri": _uri(source_ref, "source"), "type": "text"}
    if version == "3.1":
        source["rel"] = "derivedFrom"
    if language := str(metadata.get("language") or "").strip():
        source["language"] = language
    if original := str(metadata.get("title") or "").strip():
        source["headlines"] = [{"role": "main", "value": original}]
    doc["associations"] = [source]
    alt_ids = [("beknopt:id", article_id), ("beknopt:settings", stamp.get("settings")),
               ("beknopt:input-sha256", stamp.get("input_sha256"))]
    doc[n["altIds"]] = [{"role": role, "value": str(value)} for role, value in alt_ids if value]
    beknopt_version = str(stamp.get("beknopt_version") or "") or None
    sources = [{"name": "beknopt", "role": "machine translation and summarization",
                **({"literal": f"beknopt {beknopt_version}"} if beknopt_version else {})}]
    for role, model in sorted((record.get("models") or {}).items()):
        if model:
            sources.append({"name": str(model), "role": f"{role} model", "literal": str(model)})
    doc[n["infoSources"]] = sources
    doc[n["edNote"]] = _ed_note(record, beknopt_version)
    doc[n["digitalSourceType"]] = {"name": "Trained algorithmic media", "uri": _DIGITAL_SOURCE}
    return doc


@functools.cache
def ninjs_schema(version: str) -> dict[str, Any]:
    """IPTC's official JSON Schema of ``version`` (one of :data:`SCHEMA_VERSIONS`), read from the package."""
    from importlib.resources import files

    if version not in SCHEMA_VERSIONS:
        raise ValueError(f"no ninjs schema for version {version!r}; shipped: {', '.join(SCHEMA_VERSIONS)}")
    text = (files("beknopt.formats") / "schemas" / f"ninjs-schema_{version}.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _validator(version: str) -> Any:
    """A validator for the shipped schema whose only remote reference (GeoJSON, for ``places``) resolves to an
    accept-anything schema: validation never touches the network, and GeoJSON is not checked."""
    from jsonschema import FormatChecker, validators
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    schema = ninjs_schema(version)

    def retrieve(uri: str) -> Resource:
        if uri.startswith("https://geojson.org/"):
            return Resource.from_contents({}, default_specification=DRAFT202012)
        raise LookupError(f"ninjs {version} schema: remote reference {uri} is not shipped")

    checker = FormatChecker()
    # jsonschema checks these two only with optional extra packages; ninjs relies on both, so check them always
    if "date-time" not in checker.checkers:
        checker.checks("date-time")(lambda value: not isinstance(value, str) or rfc3339(value) is not None)
    if "uri" not in checker.checkers:
        checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.fullmatch(value)))
    cls = validators.validator_for(schema)
    return cls(schema, registry=Registry(retrieve=retrieve), format_checker=checker)


def validate_ninjs(doc: Mapping[str, Any], version: str = "3.1") -> None:
    """Check ``doc`` against IPTC's schema of ``version``; :class:`NinjsValidationError` lists every problem.

    ``date-time`` (RFC 3339 with a time zone) and ``uri`` (absolute) are checked as formats too, with
    jsonschema's own checkers where its optional packages are installed and a strict equivalent otherwise.
    """
    errors = sorted(_validator(version).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise NinjsValidationError(version, [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                                             for e in errors[:10]])
