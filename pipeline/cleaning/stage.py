"""Stage 1 as a pipeline stage: decode, repair and strip each article, keeping its paragraphs.

A stage never raises for one bad article: it marks that article failed (``doc.fail``) and carries on, so one
broken file cannot stop a batch of ten thousand (``beknopt.stage`` has the shared rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from beknopt.cleaning import clean
from beknopt.cleaning.boilerplate import compile_patterns
from beknopt.document import Document, InputError
from beknopt.stage import CLEAN, DocumentStage

__all__ = ["CleanStage"]


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
