"""The one record that flows through every stage.

Each stage fills its own fields and leaves the others alone, so batch output, the Python API and the evaluation
harness can all speak this single format (``Result.to_dict()``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


class BeknoptError(Exception):
    """Base class for errors beknopt raises on purpose (bad input, missing model, bad settings)."""


class InputError(BeknoptError):
    """An article cannot be processed as given (empty, binary, undecodable, no text field...)."""


@dataclass
class Document:
    """An article on its way through the pipeline; the finished record is what users get as ``Result``."""

    id: str
    source: str | bytes = ""
    source_path: str | None = None
    source_format: str = "auto"  # "auto", "text", "html"
    metadata: dict[str, Any] = field(default_factory=dict)
    # clean
    clean_text: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    # split: flat list of sentences and, for each, the index of the paragraph it belongs to
    sentences: list[str] = field(default_factory=list)
    sentence_paragraphs: list[int] = field(default_factory=list)
    # translate: one English sentence per Dutch sentence, same order
    translations: list[str] = field(default_factory=list)
    # the English headline: translated on its own, or the translation of the first paragraph when that is it
    title_en: str | None = None
    # every glossary term found, by sentence (``None``: the title), with its status (``beknopt.translate.glossary``)
    glossary: list[dict[str, Any]] = field(default_factory=list)
    # summarise
    summary: str | None = None
    summary_chunks: int = 0
    # provenance: the summary's sentences, each {"text", "sources" (indices into sentences), "support" in [0, 1]}
    summary_sentences: list[dict[str, Any]] = field(default_factory=list)
    # bookkeeping; ``error`` is set (stage, reason) when the article could not be processed
    error: dict[str, str] | None = None
    warnings: list[str] = field(default_factory=list)
    # findings of the number and name checks (``beknopt.checks``): one dict per finding
    checks: list[dict[str, Any]] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def warn(self, stage: str, message: str) -> None:
        """Record something that went odd but did not stop the article."""
        self.warnings.append(f"{stage}: {message}")

    def fail(self, stage: str, reason: str) -> None:
        """Mark the article as failed; later stages skip it and batch jobs write it to ``errors.jsonl``."""
        self.error = {"stage": stage, "reason": reason}

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def translation(self) -> str:
        """The English text, sentences joined with spaces, paragraphs with blank lines."""
        return join_paragraphs(self.translations, self.sentence_paragraphs)

    @property
    def translated_paragraphs(self) -> list[str]:
        text = self.translation
        return text.split("\n\n") if text else []

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: every field plus the joined ``translation``; raw bytes are left out."""
        data = asdict(self)
        data.pop("source")
        data["translation"] = self.translation
        return data

    def to_ninjs(self, version: str = "3.1") -> dict[str, Any]:
        """This record as an English IPTC ninjs document for a CMS (``beknopt.formats.to_ninjs``)."""
        from beknopt.formats import to_ninjs

        return to_ninjs(self.to_dict(), version)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Rebuild a record written by ``to_dict`` (unknown keys such as ``translation`` are ignored)."""
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


Result = Document
"""What the pipeline returns: the finished ``Document``."""

ArticleInput = str | bytes | Document | Mapping[str, Any]


# The fields an article's text may come in, first found wins, with how it is read unless "format" says otherwise:
# a "text" is text even when it holds tag-like strings ("<b>", "a < b"); only "html" is parsed as HTML; "body"
# (a CMS export's field, either kind) is sniffed.
_TEXT_FIELDS = (("text", "text"), ("html", "html"), ("body", "auto"))


def to_document(item: ArticleInput, default_id: str) -> Document:
    """Accept raw text/bytes, a ``Document`` or a JSON-like mapping (``text``, ``html`` or ``body``, ``id``,
    metadata; or an IPTC ninjs document, read by ``beknopt.formats``)."""
    if isinstance(item, Document):
        return item
    if isinstance(item, str | bytes):
        return Document(id=default_id, source=item)
    if isinstance(item, Mapping):
        from beknopt.formats.ninjs import is_ninjs, ninjs_document

        if is_ninjs(item):  # an IPTC ninjs document: its body, never its metadata, is the text
            return ninjs_document(item, default_id)
        doc_id = str(item.get("id") or default_id)
        name, fmt = next(((n, f) for n, f in _TEXT_FIELDS if n in item), ("", "auto"))
        text = item.get(name)
        if not isinstance(text, str):
            raise InputError(f"{doc_id}: no text field (expected 'text', 'html' or 'body' with a string)")
        metadata = {k: item[k] for k in ("title", "date", "url", "author") if item.get(k) is not None}
        return Document(id=doc_id, source=text, metadata=metadata, source_format=str(item.get("format", fmt)))
    raise TypeError(f"cannot make an article from {type(item).__name__}: pass str, bytes, dict or Document")


def title_is_first_paragraph(doc: Document) -> bool:
    """Is the article's title also its first paragraph (a heading-like first line, or a header title the body
    repeats)? Then its translation is the title's: it is translated once and fed to the summary once."""
    title = str(doc.metadata.get("title") or "").strip()
    return bool(title) and bool(doc.paragraphs) and doc.paragraphs[0].lstrip("#").strip() == title


def join_paragraphs(sentences: list[str], paragraph_of: list[int]) -> str:
    """Join sentences with spaces inside a paragraph and blank lines between paragraphs."""
    if len(sentences) != len(paragraph_of):
        raise ValueError(
            f"{len(sentences)} sentences but {len(paragraph_of)} paragraph indices: the record is inconsistent"
        )
    groups: list[list[str]] = []
    last = None
    for sentence, para in zip(sentences, paragraph_of, strict=True):
        if para != last:
            groups.append([])
            last = para
        groups[-1].append(sentence)
    return "\n\n".join(" ".join(g) for g in groups)
