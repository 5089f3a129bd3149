"""Reference-free summary diagnostics: length, compression, novelty, redundancy and faithfulness flags.

ROUGE says how close a summary is to one reference; these say what kind of summary it is (copying or
abstracting, repeating itself) and point at the cheapest-to-spot hallucinations: numbers and capitalised names
that occur nowhere in the source. The flags are heuristics for a human to check, not a verdict. ``support`` is
beknopt's provenance support of the summary against the source (the words-weighted support of its sentences,
``beknopt.checks.provenance.text_support``): the score editors see per sentence, and the one that agrees best with
experts' consistency judgements (``beknopt eval --human``). It is meaningful against an English source (the
translation), not the Dutch original.

Which numbers and names count as found in no source is ``beknopt.checks.unsupported.find_unsupported``: the
same function the pipeline's summary checks call (``beknopt.checks.provenance``), so a report and an editor's warning
agree. The English translation and the Dutch original are both searched.

``Diagnostics`` is the same as a ``Metric``: corpus means with intervals, plus the faithfulness rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from beknopt.checks.provenance import text_support
from beknopt.checks.unsupported import (  # noqa: F401 - re-exported: this module's public names before the move
    DUTCH_NUMBER_WORDS,
    MULTIPLIERS,
    NAME_RE,
    NOT_NAMES,
    NUMBER_RE,
    NUMBER_WORDS,
    SOURCE_NUMBER_WORDS,
    WORD_RE,
    extract_names,
    extract_numbers,
    find_unsupported,
    fold,
    number_values,
)

from .metric import Metric, MetricResult, Sources, Values, document_sources
from .scores import Bootstrap, Score, Signature, package_version, resampling_fields


@dataclass
class SummaryDiagnostics:
    """Per-document diagnostics; ratios are ``None`` where undefined (no source, or too short a summary).

    ``numbers``/``names`` count distinct numbers/names in the summary; the ``unsupported_*`` lists hold the
    distinct ones found in none of the sources (empty when no source was given).
    """

    summary_words: int
    source_words: int | None
    compression_ratio: float | None
    novel_1: float | None
    novel_2: float | None
    novel_3: float | None
    repeated_3: float | None
    support: float | None = None  # beknopt's provenance support against the source (``beknopt.checks.provenance``)
    numbers: int = 0
    names: int = 0
    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def words(text: str) -> list[str]:
    """Lowercased word tokens (letters and digits; punctuation splits)."""
    return WORD_RE.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def novel_ngram_ratio(summary: Sequence[str], source: Sequence[str], n: int) -> float | None:
    """Share of the summary's n-gram occurrences that never occur in the source."""
    grams = ngrams(summary, n)
    if not grams:
        return None
    seen = set(ngrams(source, n))
    return sum(g not in seen for g in grams) / len(grams)


def repeated_ngram_ratio(tokens: Sequence[str], n: int = 3) -> float | None:
    """Share of n-gram occurrences that repeat an earlier one: 1 - distinct / total (0 = no redundancy)."""
    grams = ngrams(tokens, n)
    if not grams:
        return None
    return 1.0 - len(set(grams)) / len(grams)


def diagnose(summary: str, sources: Sequence[str | None]) -> SummaryDiagnostics:
    """Diagnostics of one summary; ``sources[0]`` is the text it was made from (for length and novelty), the
    rest (e.g. the Dutch original) are only searched for numbers and names."""
    summary_tokens = words(summary)
    main = sources[0] if sources else None
    source_tokens = words(main) if main else None
    n_summary = len(summary_tokens)
    n_source = len(source_tokens) if source_tokens is not None else None

    novel = {n: None for n in (1, 2, 3)}
    if source_tokens is not None:
        novel = {n: novel_ngram_ratio(summary_tokens, source_tokens, n) for n in (1, 2, 3)}

    found = find_unsupported(summary, sources)
    return SummaryDiagnostics(
        summary_words=n_summary,
        source_words=n_source,
        compression_ratio=(n_source / n_summary) if n_source is not None and n_summary else None,
        novel_1=novel[1],
        novel_2=novel[2],
        novel_3=novel[3],
        repeated_3=repeated_ngram_ratio(summary_tokens, 3),
        support=text_support(summary, main) if main else None,
        numbers=found.numbers,
        names=found.names,
        unsupported_numbers=found.unsupported_numbers,
        unsupported_names=found.unsupported_names,
    )


DIAGNOSTIC_FIELDS = (
    "summary_words",
    "source_words",
    "compression_ratio",
    "novel_1",
    "novel_2",
    "novel_3",
    "repeated_3",
    "support",
)


def corpus_rates(diagnostics: Sequence[SummaryDiagnostics]) -> dict[str, float | None]:
    """Faithfulness rates: share of documents with a flag, and share of numbers/names that are flagged."""
    n = len(diagnostics)
    numbers = sum(d.numbers for d in diagnostics)
    names = sum(d.names for d in diagnostics)
    return {
        "docs_with_unsupported_numbers": sum(bool(d.unsupported_numbers) for d in diagnostics) / n
        if n
        else None,
        "docs_with_unsupported_names": sum(bool(d.unsupported_names) for d in diagnostics) / n if n else None,
        "unsupported_number_rate": sum(len(d.unsupported_numbers) for d in diagnostics) / numbers
        if numbers
        else None,
        "unsupported_name_rate": sum(len(d.unsupported_names) for d in diagnostics) / names
        if names
        else None,
    }


# Corpus share of documents with a flag: the per-document value is 1.0 when the list is not empty.
FLAGS = {"docs_with_unsupported_numbers": "unsupported_numbers", "docs_with_unsupported_names": "unsupported_names"}


class Diagnostics(Metric):
    """The summary diagnostics as a metric: means of the per-document diagnostics (with intervals) and the
    faithfulness rates of :func:`corpus_rates` (without: they are ratios of corpus totals).

    Without sources only ``summary_words`` and ``repeated_3`` are defined, and nothing is flagged in the
    corpus scores. ``source_label`` names what the sources are (``source``, ``translation``; ``none``).
    """

    names = (*DIAGNOSTIC_FIELDS, *FLAGS, "unsupported_number_rate", "unsupported_name_rate")
    section = "diagnostics"

    def __init__(self, source_label: str = "source") -> None:
        self.source_label = source_label

    def diagnose(self, predictions: Sequence[str], sources: Sources | None = None) -> list[SummaryDiagnostics]:
        docs = document_sources(sources, len(predictions))
        return [diagnose(p, docs[i] if docs is not None else [None]) for i, p in enumerate(predictions)]

    @staticmethod
    def _has_source(sources: Sources | None) -> bool:
        docs = document_sources(sources, len(sources)) if sources is not None else None
        return docs is not None and any(d and d[0] is not None for d in docs)

    @staticmethod
    def _values(diagnostics: Sequence[SummaryDiagnostics], with_source: bool) -> Values:
        values: Values = {key: [getattr(d, key) for d in diagnostics] for key in DIAGNOSTIC_FIELDS}
        if with_source:
            values.update({key: [float(bool(getattr(d, attr))) for d in diagnostics] for key, attr in FLAGS.items()})
        return values

    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        return self._values(self.diagnose(predictions, sources), self._has_source(sources))

    def corpus(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
               bootstrap: Bootstrap | None = None, values: Values | None = None) -> dict[str, Score]:
        """Means and rates; the rates need each document's counts, so the documents are always diagnosed."""
        return self.score(predictions, references, sources, bootstrap=bootstrap).scores

    def score(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
              bootstrap: Bootstrap | None = None) -> MetricResult:
        """The means and rates, with each document's ``SummaryDiagnostics`` as ``details``."""
        found = self.diagnose(predictions, sources)
        with_source = self._has_source(sources)
        values = self._values(found, with_source)
        scores = self.aggregate(values, bootstrap)
        if with_source:
            for key, value in corpus_rates(found).items():
                if key not in scores and value is not None:
                    scores[key] = Score(key, value, None, None, self.signature(key).format())
        return MetricResult(scores, values, details=found)

    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        if name == "support":  # beknopt.checks.provenance's own tokenisation and method, not this module's words
            return Signature(name, {
                "tok": "rouge-score-default", "stem": True, "src": self.source_label, "split": "beknopt-en",
                "run": "4+", "agg": "words-weighted,mean", **resampling_fields(bootstrap),
                "beknopt": package_version("beknopt")})
        return Signature(name, {
            "tok": "beknopt-words",
            "case": "lc",
            "src": self.source_label,
            "agg": "mean",
            **resampling_fields(bootstrap),
            "beknopt": package_version("beknopt"),
        })
