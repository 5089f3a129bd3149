"""IPTC NewsML-G2 news items and NITF articles to ``Document``s.

**NewsML-G2** (``newsItem``, or a ``newsMessage`` whose ``itemSet`` holds several): one article per text item
(``itemClass`` ``ninat:text``, or none given); pictures, packages and concepts are skipped. Read from an item:
``guid`` (id), ``xml:lang`` (language; else ``contentMeta/language/@tag``), ``contentMeta/headline`` (title
unless the NITF body has an ``hl1``), ``contentMeta/creator/name`` (author), ``itemMeta/firstCreated`` /
``versionCreated``, ``contentMeta/contentCreated``, ``rightsInfo``; the body from the first
``contentSet/inlineXML`` holding NITF or XHTML, else ``contentSet/inlineData`` as plain text. A bare
``contentSet`` or ``inlineXML`` (as in IPTC's own listings) is read as an item without metadata.

**NITF** (inside ``inlineXML`` or a file of its own): ``hl1`` is the title, an ``hl2`` (in ``hedline`` or in
``body.content``) stays as a sub-heading paragraph, ``p`` are paragraphs, ``byline`` is the author and
``abstract`` the description (metadata, not body); ``head/docdata/doc-id/@id-string`` and
``date.issue/@norm`` give a standalone file's id and date. Media, tables and ``body.end`` are not read.

All XML is parsed by :func:`~beknopt.formats.common.parse_xml` (no entities, no DTD, no network).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from beknopt.document import Document
from beknopt.formats.common import (
    FormatError,
    child,
    children,
    collapse,
    join,
    localname,
    markup_paragraphs,
    parse_xml,
    text_of,
)

__all__ = ["newsml_documents", "nitf_document", "read_newsml", "read_nitf"]

NEWSML = "newsml"
NITF = "nitf"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_TEXT_CLASSES = ("ninat:text", "http://cv.iptc.org/newscodes/ninature/text")
_LOOKED_FOR = "contentSet/inlineXML with NITF or XHTML, contentSet/inlineData"


def _lang(*elements: etree._Element | None) -> str | None:
    for element in elements:
        if element is not None and (value := collapse(element.get(_XML_LANG))):
            return value
    return None


def _nitf_parts(nitf: etree._Element) -> dict[str, Any]:
    """Title, sub-headings, paragraphs and metadata of a ``<nitf>`` element."""
    body = child(nitf, "body")
    head = child(body, "body.head")
    hedline = child(head, "hedline")
    title = text_of(child(hedline, "hl1")) or text_of(child(nitf, "head", "title")) or None
    subheads = [text_of(h) for h in children(hedline, "hl2")] if hedline is not None else []
    content = child(body, "body.content")
    paragraphs = markup_paragraphs(content, title=title) if content is not None else []
    bylines = [text_of(b) for b in children(head, "byline")] if head is not None else []
    docdata = child(nitf, "head", "docdata")
    doc_id = child(docdata, "doc-id")
    issued = child(docdata, "date.issue")
    return {
        "title": title,
        "paragraphs": [s for s in subheads if s] + paragraphs,
        "author": ", ".join(b for b in bylines if b) or None,
        "description": text_of(child(head, "abstract")) or None,
        "id": collapse(doc_id.get("id-string")) if doc_id is not None else None,
        "date": collapse(issued.get("norm")) if issued is not None else None,
        "language": _lang(body, nitf),
    }


def _xhtml_parts(root: etree._Element) -> dict[str, Any]:
    """Title (the ``<head><title>``), paragraphs and language of an XHTML ``html``/``body``/``div`` element."""
    is_page = localname(root) == "html"
    title = (text_of(child(root, "head", "title")) or None) if is_page else None
    body = child(root, "body") if is_page else root
    return {"title": title, "paragraphs": markup_paragraphs(body if body is not None else root, title=title),
            "language": _lang(body, root)}


def _inline_body(inlines: list[etree._Element], datas: list[etree._Element]) -> tuple[str, dict[str, Any]] | None:
    """``(field, parts)`` from the first inline body with text; ``None`` when there is none."""
    for i, inline in enumerate(inlines):
        for root in (e for e in inline if isinstance(e.tag, str)):
            name = localname(root)
            if name == "nitf":
                parts = _nitf_parts(root)
            elif name in ("html", "body", "div", "article", "section"):
                parts = _xhtml_parts(root)
            else:
                continue
            if parts["paragraphs"]:
                parts["language"] = parts.get("language") or _lang(inline)
                return f"contentSet/inlineXML[{i}]/{name}", parts
    for i, data in enumerate(datas):
        text = (data.text or "").strip()
        if text and "html" not in (data.get("contenttype") or "").lower():
            return f"contentSet/inlineData[{i}]", {"paragraphs": [text], "language": _lang(data)}
    return None


def _item_class(item: etree._Element) -> str:
    item_class = child(item, "itemMeta", "itemClass")
    return (item_class.get("qcode") or item_class.get("uri") or "") if item_class is not None else ""


def _is_text_item(item: etree._Element) -> bool:
    code = _item_class(item)
    return not code or code in _TEXT_CLASSES


def _item_document(item: etree._Element, default_id: str) -> Document:
    """One ``newsItem`` (or a bare ``contentSet``/``inlineXML``) as a Document; ``FormatError`` without a body."""
    name = localname(item)
    if name == "inlinexml":
        inlines, datas = [item], []
    else:
        content_set = item if name == "contentset" else child(item, "contentSet")
        inlines = children(content_set, "inlineXML") if content_set is not None else []
        datas = children(content_set, "inlineData") if content_set is not None else []
    found = _inline_body(inlines, datas)
    guid = collapse(item.get("guid")) or None
    if found is None:
        label = f"newsItem {guid}: " if guid else ""
        raise FormatError(NEWSML, f"{label}no body (looked for {_LOOKED_FOR})")
    field, parts = found
    item_meta = child(item, "itemMeta")
    content_meta = child(item, "contentMeta")
    creators = [text_of(child(c, "name")) for c in children(content_meta, "creator")] if content_meta is not None \
        else []
    language = child(content_meta, "language")
    first = text_of(child(item_meta, "firstCreated")) or None
    version = text_of(child(item_meta, "versionCreated")) or None
    created = text_of(child(content_meta, "contentCreated")) or None
    headline = text_of(child(content_meta, "headline")) or None
    metadata: dict[str, Any] = {"input_format": NEWSML, "body_field": field}
    if guid:
        metadata["source_uri"] = guid
    if item.get("version"):
        metadata["source_version"] = collapse(item.get("version"))
    values = {
        "title": parts.get("title") or headline,
        "author": ", ".join(c for c in creators if c) or parts.get("author"),
        "language": parts.get("language") or _lang(item)
        or (collapse(language.get("tag")) or None if language is not None else None),
        "date": first or created or version,
        "first_created": first,
        "version_created": version,
        "content_created": created,
        "description": text_of(child(content_meta, "description")) or parts.get("description"),
        "copyright_notice": text_of(child(item, "rightsInfo", "copyrightNotice")) or None,
        "copyright_holder": text_of(child(item, "rightsInfo", "copyrightHolder", "name")) or None,
        "source_type": "text",
    }
    metadata.update({k: v for k, v in values.items() if v})
    return Document(id=guid or default_id, source=join(parts["paragraphs"]), source_format="text",
                    metadata=metadata)


def nitf_document(nitf: etree._Element, default_id: str) -> Document:
    """A standalone ``<nitf>`` as a Document; ``FormatError`` when ``body.content`` has no text."""
    parts = _nitf_parts(nitf)
    if not parts["paragraphs"]:
        raise FormatError(NITF, "no body (looked for body/body.content with p, hl2, block)")
    metadata: dict[str, Any] = {"input_format": NITF, "body_field": "body/body.content"}
    if parts["id"]:
        metadata["source_uri"] = parts["id"]
    values = {"title": parts["title"], "author": parts["author"], "language": parts["language"],
              "date": parts["date"], "description": parts["description"], "source_type": "text"}
    metadata.update({k: v for k, v in values.items() if v})
    return Document(id=parts["id"] or default_id, source=join(parts["paragraphs"]), source_format="text",
                    metadata=metadata)


def newsml_documents(root: etree._Element, default_id: str) -> list[Document]:
    """The articles of a parsed NewsML-G2 root (``newsItem``, ``newsMessage``, bare ``contentSet``).

    A ``newsMessage`` yields one Document per text item; an item without a usable body comes back with its
    ``error`` set (stage ``read``) so the others still run. A single item without a body raises.
    """
    name = localname(root)
    if name in ("newsitem", "contentset", "inlinexml"):
        if name == "newsitem" and not _is_text_item(root):
            raise FormatError(NEWSML, f"newsItem {collapse(root.get('guid'))} is not a text item "
                              f"(itemMeta/itemClass is {_item_class(root)}, not ninat:text)")
        return [_item_document(root, default_id)]
    if name != "newsmessage":
        raise FormatError(NEWSML, f"unexpected root element <{localname(root)}> (expected newsItem or newsMessage)")
    items = [i for i in root.iter() if localname(i) == "newsitem" and _is_text_item(i)]
    if not items:
        raise FormatError(NEWSML, "newsMessage holds no text item (looked for itemSet/newsItem with itemClass "
                          "ninat:text)")
    docs = []
    for n, item in enumerate(items, 1):
        item_id = collapse(item.get("guid")) or f"{default_id}#{n}"
        try:
            docs.append(_item_document(item, item_id))
        except FormatError as exc:
            failed = Document(id=item_id, metadata={"input_format": NEWSML, "source_uri": item_id})
            failed.fail("read", str(exc))
            docs.append(failed)
    return docs


def read_newsml(data: bytes, default_id: str) -> list[Document]:
    return newsml_documents(parse_xml(data, NEWSML), default_id)


def read_nitf(data: bytes, default_id: str) -> list[Document]:
    root = parse_xml(data, NITF)
    if localname(root) != "nitf":
        raise FormatError(NITF, f"unexpected root element <{localname(root)}> (expected nitf)")
    return [nitf_document(root, default_id)]
