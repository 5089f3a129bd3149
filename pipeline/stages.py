"""Stages 1 and 2 as pipeline stages: ``stage(docs) -> docs``, each filling only its own fields.

A stage never raises for one bad article: it marks that article failed (``doc.fail``) and carries on, so one
broken file cannot stop a batch of ten thousand (``beknopt.stage`` has the shared rules).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from beknopt.cleaning import clean
from beknopt.cleaning.boilerplate import compile_patterns
from beknopt.document import Document, InputError
from beknopt.split import fit_sentences, split_paragraphs
from beknopt.stage import CLEAN, SPLIT, DocumentStage


class CleanStage(DocumentStage):
    """Decode, repair and strip the raw article; parse its metadata header."""

    name = CLEAN

    def __init__(self, *, boilerplate: Sequence[str] | None = None, extra_boilerplate: Sequence[str] = ()) -> None:
        compile_patterns(boilerplate, extra_boilerplate)  # a bad pattern is a ValueError now, not per article
        self.boilerplate = boilerplate
        self.extra_boilerplate = tuple(extra_boilerplate)

    def describe(self) -> dict[str, Any]:
        return {"boilerplate": "custom" if self.boilerplate is not None else "default",
                "extra_boilerplate": list(self.extra_boilerplate)}

    def process_one(self, doc: Document) -> None:
        try:
            cleaned = clean(
                doc.source,
                format=doc.source_format,
                boilerplate=self.boilerplate,
                extra_boilerplate=self.extra_boilerplate,
                source_name=doc.source_path or doc.id,
            )
        except InputError as exc:
            doc.fail(self.name, str(exc))
            return
        doc.clean_text = cleaned.text
        doc.paragraphs = cleaned.paragraphs
        doc.source_format = cleaned.format  # what it was read as, "auto" resolved
        # Metadata the caller supplied (JSON fields) wins over what the header says.
        doc.metadata = {**cleaned.metadata, **doc.metadata}
        for message in cleaned.warnings:
            doc.warn(self.name, message)


class SplitStage(DocumentStage):
    """Paragraph-preserving sentence splitting; sentences over the translator's limit are split further."""

    name = SPLIT

    def __init__(
        self, *, max_tokens: int | None = None, count_tokens: Callable[[str], int] | None = None
    ) -> None:
        if (max_tokens is None) != (count_tokens is None):
            raise ValueError("max_tokens and count_tokens go together")
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens

    def describe(self) -> dict[str, Any]:
        return {"splitter": "beknopt-nl", "max_tokens": self.max_tokens}

    def process_one(self, doc: Document) -> None:
        sentences, paragraph_of = split_paragraphs(doc.paragraphs, lang="nl")
        if not sentences:
            doc.fail(self.name, "no sentences found in the cleaned text")
            return
        if self.max_tokens is not None and self.count_tokens is not None:
            sentences, paragraph_of, n_split = fit_sentences(
                sentences, paragraph_of, self.max_tokens, self.count_tokens
            )
            if n_split:
                doc.warn(self.name, f"{n_split} sentence(s) longer than the translation model's "
                                    f"{self.max_tokens}-token limit were split at clause boundaries")
        doc.sentences, doc.sentence_paragraphs = sentences, paragraph_of
