"""The ``Metric`` base class: what the harness needs from a metric, and nothing more.

Modelled on sacrebleu's ``Metric``: a metric is an object built from its settings, and a few small hooks.
``per_document`` gives per-document values, ``corpus`` the corpus-level ``Score`` objects (by default: the mean
of the per-document values, with a bootstrap interval), ``signature`` every setting behind a number. The harness
only calls ``score``, which does both without scoring any document twice, so adding a metric is one subclass
plus one line in ``beknopt.eval.metrics.default_metrics``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .scores import Bootstrap, Score, Signature, mean_score

# Per document: the text its prediction was made from, or several (the first is that text; the others, such as
# the Dutch original of an English translation, are only searched). Only some metrics read sources.
Sources = Sequence[str | Sequence[str | None] | None]
Values = dict[str, list[float | None]]  # score name -> one value per document (None: undefined)


@dataclass
class MetricResult:
    """What one metric gave one system: corpus scores, per-document values, and optional extras."""

    scores: dict[str, Score]
    documents: Values
    details: list[Any] | None = None  # per-document records (the summary diagnostics)
    sentence_signatures: dict[str, str] = field(default_factory=dict)  # when per-document settings differ


def document_sources(sources: Sources | None, n: int) -> list[list[str | None]] | None:
    """Each document's sources as a list (a plain string is one source), checked against ``n`` documents."""
    if sources is None:
        return None
    if len(sources) != n:
        raise ValueError(f"{len(sources)} sources for {n} documents")
    return [[s] if s is None or isinstance(s, str) else list(s) for s in sources]


class Metric(ABC):
    """A metric with fixed settings, scoring aligned predictions against one reference per document.

    Subclasses set ``names`` (the scores they produce, in report order) and ``task`` (which texts they score),
    and implement ``per_document`` and ``signature``; a metric whose corpus value is not a mean of document
    values (BLEU) also overrides ``corpus``.
    """

    names: ClassVar[tuple[str, ...]] = ()
    task: ClassVar[str] = "summary"  # "summary" or "translation": which predictions and references it reads
    # "scores": reference-based, per-document values go to DocumentResult.scores; "diagnostics": reported apart,
    # with a per-document record (MetricResult.details) in DocumentResult.diagnostics.
    section: ClassVar[str] = "scores"
    lower_is_better: ClassVar[bool] = False

    @abstractmethod
    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        """One value per document for each of ``names`` this metric defines per document."""

    @abstractmethod
    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        """The settings behind score ``name``, including the resampling when there is one."""

    def sentence_signatures(self) -> dict[str, str]:
        """Signatures of the per-document values where their settings differ from the corpus score's."""
        return {}

    def corpus(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
               bootstrap: Bootstrap | None = None, values: Values | None = None) -> dict[str, Score]:
        """Corpus-level scores with intervals (from ``bootstrap``; none without it). ``values``: the
        ``per_document`` values when they were already computed. Default: the mean of the per-document values."""
        return self.aggregate(self.per_document(predictions, references, sources) if values is None else values,
                              bootstrap)

    def score(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
              bootstrap: Bootstrap | None = None) -> MetricResult:
        """Per-document values and the corpus scores, each document scored once: what the harness calls."""
        values = self.per_document(predictions, references, sources)
        scores = self.corpus(predictions, references, sources, bootstrap=bootstrap, values=values)
        return MetricResult(scores, values, sentence_signatures=self.sentence_signatures())

    def aggregate(self, values: Values, bootstrap: Bootstrap | None = None) -> dict[str, Score]:
        """Mean of the defined per-document values of each score, with its bootstrap interval."""
        scores = {}
        for name in self.names:
            if name in values:
                score = mean_score(name, values[name], bootstrap, self.signature(name, bootstrap).format())
                if score is not None:
                    scores[name] = score
        return scores
