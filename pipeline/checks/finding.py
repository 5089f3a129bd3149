"""One disagreement between a source sentence and its translation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One disagreement between a source sentence and its translation, for a person to check."""

    stage: str
    kind: str  # "number" | "name" | "glossary" | "summary-support" (beknopt.checks.provenance)
    sentence: int
    source: str  # the source's text of the number/name ("" when the translation added a number)
    output: str  # the translation's text of it ("" when missing)
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
