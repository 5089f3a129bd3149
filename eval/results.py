"""What an evaluation produces: per-document results, per-system results, paired comparisons, the report.

``to_dict()`` of each record is its part of the JSON report; one helper turns the named fields into plain
values, so the key order of the report is written down once per record and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .diagnostics import SummaryDiagnostics
from .scores import Score


def plain(value: Any) -> Any:
    """JSON-ready form: records by their ``to_dict()``, dicts and lists item by item."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def record(obj: Any, *names: str) -> dict[str, Any]:
    """The fields ``names`` of ``obj``, in that order, as plain values."""
    return {name: plain(getattr(obj, name)) for name in names}


@dataclass
class DocumentResult:
    """Scores and diagnostics of one document for one system."""

    id: str
    scores: dict[str, float]
    length: int | None  # article length in words: source if given, else reference
    empty: list[str] = field(default_factory=list)  # tasks whose prediction is empty
    diagnostics: SummaryDiagnostics | None = None

    def to_dict(self) -> dict[str, Any]:
        return record(self, "id", "length", "empty", "scores", "diagnostics")


@dataclass
class SystemResult:
    """Corpus scores (with intervals and signatures), diagnostics and per-document results of one system."""

    name: str
    scores: dict[str, Score]
    diagnostics: dict[str, Score]
    documents: list[DocumentResult]
    empty_predictions: dict[str, list[str]]
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # bootstrap draws, for comparisons
    # the scored texts (per task) and the sources, for the HTML per-document view; not part of the JSON
    predictions: dict[str, list[str]] = field(default_factory=dict, repr=False)
    sources: list[str] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = record(self, "name", "scores", "diagnostics", "empty_predictions", "documents")
        data["empty_predictions"] = {t: {"count": len(ids), "ids": ids} for t, ids in self.empty_predictions.items()}
        return data


@dataclass
class PairedResult:
    """System B minus system A on one metric, with the paired-bootstrap interval and p-value."""

    metric: str
    value_a: float
    value_b: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    signature: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _counted(ids: list[str]) -> dict[str, Any]:
    return {"count": len(ids), "ids": ids}


@dataclass
class LeftOut:
    """What was given but not scored (``join="intersection"``): without it a score hides a shrunken test set.

    ``references``: reference ids not scored (no prediction, in either system when comparing); ``predictions``:
    per system, the prediction ids not scored (no reference, or missing from the other system).
    """

    references: list[str] = field(default_factory=list)
    predictions: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.references) or any(self.predictions.values())

    def to_dict(self) -> dict[str, Any]:
        return {"references": _counted(self.references),
                "predictions": {name: _counted(ids) for name, ids in self.predictions.items()}}


@dataclass
class EvalReport:
    """Everything one evaluation produced; ``to_dict()`` is the JSON report."""

    config: dict[str, Any]
    ids: list[str]
    systems: list[SystemResult]
    comparison: list[PairedResult] = field(default_factory=list)
    sentence_signatures: dict[str, str] = field(default_factory=dict)
    left_out: LeftOut = field(default_factory=LeftOut)
    references: dict[str, list[str]] = field(default_factory=dict, repr=False)  # per task, for the HTML view

    @property
    def system(self) -> SystemResult:
        return self.systems[0]

    @property
    def signatures(self) -> dict[str, str]:
        """Signature of every corpus score and diagnostic of the first system."""
        return {k: s.signature for k, s in {**self.system.scores, **self.system.diagnostics}.items()}

    def to_dict(self) -> dict[str, Any]:
        return record(self, "config", "ids", "left_out", "signatures", "sentence_signatures", "systems", "comparison")
