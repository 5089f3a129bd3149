"""The check stage: every translated sentence's numbers and names compared with its Dutch source.

It runs right after translation, so an editor sees in ``result.checks`` (and one warning each) where a number
or a name changed on the way, sentence by sentence, before reading the summary. A title translated on its own
(``result.title_en``) is checked the same way, its findings marked ``"field": "title"``. The comparison itself
is ``beknopt.checks.check_translation``, usable alone on translations made elsewhere.

Glossary terms are the glossary's business (``beknopt.translate.glossary`` records whether each one was honoured), so a
name the glossary renders in English (``Tweede Kamer`` -> ``House of Representatives``) is not reported here as
a missing name.
"""

from __future__ import annotations

from typing import Any

from beknopt.checks import Finding, check_translation
from beknopt.document import Document, title_is_first_paragraph
from beknopt.stage import CHECK, DocumentStage
from beknopt.translate.glossary import Glossary

__all__ = ["CheckStage"]


class CheckStage(DocumentStage):
    """Record each finding of :func:`beknopt.checks.check_translation` on the article."""

    name = CHECK

    def __init__(self, glossary: Glossary | None = None) -> None:
        self.glossary = glossary or None

    def describe(self) -> dict[str, Any]:
        return {"numbers": True, "names": True}

    def _findings(self, source: str, output: str, index: int) -> list[Finding]:
        findings = check_translation(source, output, sentence=index)
        if self.glossary is None:
            return findings
        terms = {source[start:end] for start, end, _ in self.glossary.find(source)}
        return [f for f in findings
                if not (f.kind == "name" and any(f.source in term or term in f.source for term in terms))]

    def process_one(self, doc: Document) -> None:
        for index, (source, output) in enumerate(zip(doc.sentences, doc.translations, strict=True)):
            for finding in self._findings(source, output, index):
                record = finding.to_dict()
                doc.checks.append(record)
                doc.warn(self.name, f"sentence {index + 1}: {record['detail']}")
        title = doc.metadata.get("title")
        if title and doc.title_en is not None and not title_is_first_paragraph(doc):
            for finding in self._findings(str(title), doc.title_en, 0):
                record = {**finding.to_dict(), "sentence": None, "field": "title"}
                doc.checks.append(record)
                doc.warn(self.name, f"title: {record['detail']}")
