"""Stage 2 as a pipeline stage: paragraph-preserving sentences that fit the translator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beknopt.document import Document
from beknopt.split.sentences import fit_sentences, split_paragraphs
from beknopt.stage import SPLIT, DocumentStage

__all__ = ["SplitStage"]


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
