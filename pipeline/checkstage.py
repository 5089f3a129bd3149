"""The check stage: every translated sentence's numbers and names compared with its Dutch source.

It runs right after translation, so an editor sees in ``result.checks`` (and one warning each) where a number
or a name changed on the way, sentence by sentence, before reading the summary. The comparison itself is
``beknopt.checks.check_translation``, usable alone on translations made elsewhere.
"""

from __future__ import annotations

from typing import Any

from beknopt.checks import check_translation
from beknopt.document import Document
from beknopt.stage import CHECK, DocumentStage

__all__ = ["CheckStage"]


class CheckStage(DocumentStage):
    """Record each finding of :func:`beknopt.checks.check_translation` on the article."""

    name = CHECK

    def describe(self) -> dict[str, Any]:
        return {"numbers": True, "names": True}

    def process_one(self, doc: Document) -> None:
        for index, (source, output) in enumerate(zip(doc.sentences, doc.translations, strict=True)):
            for finding in check_translation(source, output, sentence=index):
                record = finding.to_dict()
                doc.checks.append(record)
                doc.warn(self.name, f"sentence {index + 1}: {record['detail']}")
