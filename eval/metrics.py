"""Reference-based metrics: ROUGE (``rouge-score``), BLEU/chrF/TER (``sacrebleu``), optional BERTScore.

We call the reference implementations rather than re-implementing them, and record their settings in each
score's signature. Deviations from calling them directly (all documented in ``eval/README.md``):

* ROUGE-Lsum needs one sentence per line; we put each sentence on its own line with beknopt's English splitter
  (``beknopt.split.split_sentences(text, lang="en")``) after splitting on existing newlines. ROUGE-1/2/L are
  scored on the unchanged texts.
* Corpus ROUGE is the plain mean of per-document precision/recall/F1; rouge-score's own
  ``BootstrapAggregator`` reports the median of unseeded bootstrap means ("mid") instead. Our interval comes
  from the seeded bootstrap shared by all metrics.
* For sacrebleu, newlines inside a text are replaced by a single space (its command line never sees them), and
  sentence-level BLEU uses ``effective_order=True`` as sacrebleu recommends; corpus BLEU keeps the defaults.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from beknopt.engine.optional import MissingPackageError, require
from beknopt.split import split_sentences

from .diagnostics import Diagnostics
from .metric import Metric, Sources, Values
from .scores import Bootstrap, Score, Signature, bootstrap_stat, package_version, resampling_fields, scored

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
ROUGE_STATS = (("p", "precision"), ("r", "recall"), ("f", "fmeasure"))
NREFS = 1  # beknopt scores one reference per document

Splitter = Callable[[str], list[str]]


class MissingDependencyError(MissingPackageError):
    """An optional package needed for a requested metric is not installed."""


def english_splitter() -> Splitter:
    """beknopt's own English sentence splitter, the one used for ROUGE-Lsum lines."""

    def split(text: str) -> list[str]:
        return [str(s) for s in split_sentences(text, lang="en")]

    return split


def lsum_lines(text: str, splitter: Splitter) -> str:
    """One sentence per line, as rouge-score's ROUGE-Lsum expects (existing line breaks are kept)."""
    sentences = [s.strip() for line in text.split("\n") if line.strip() for s in splitter(line)]
    return "\n".join(s for s in sentences if s)


class Rouge(Metric):
    """ROUGE-1/2/L/Lsum precision, recall and F1 (``rougeL_f`` ...) from ``rouge_score.RougeScorer``."""

    names = tuple(f"{t}_{short}" for t in ROUGE_TYPES for short, _ in ROUGE_STATS)

    def __init__(self, stem: bool = True, splitter: Splitter | None = None) -> None:
        self.stem = stem
        self.splitter = splitter  # None: beknopt's English splitter

    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        splitter = self.splitter or english_splitter()
        plain = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=self.stem)
        lsum = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=self.stem)
        values: Values = {name: [] for name in self.names}
        for prediction, reference in zip(predictions, references, strict=True):
            result = plain.score(reference, prediction)  # rouge-score takes (target, prediction)
            result.update(lsum.score(lsum_lines(reference, splitter), lsum_lines(prediction, splitter)))
            for t in ROUGE_TYPES:
                for short, attr in ROUGE_STATS:
                    values[f"{t}_{short}"].append(float(getattr(result[t], attr)))
        return values

    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        rouge_type = name.rpartition("_")[0]
        return Signature(rouge_type, {
            "nrefs": NREFS,
            "case": "lc",
            "tok": "rouge-score-default",
            "stem": self.stem,
            "split": "beknopt-en" if rouge_type == "rougeLsum" else None,
            "agg": "mean",
            **resampling_fields(bootstrap),
            "version": f"rouge-score-{package_version('rouge-score')}",
            "beknopt": package_version("beknopt"),
        })


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text) if "\n" in text else text


class SacrebleuMetric(Metric):
    """A sacrebleu metric: corpus value and interval from sufficient statistics, plus sentence-level scores.

    The interval recomputes the corpus statistic from resampled per-document statistics, as sacrebleu's own
    ``--confidence`` does, but with our seeded index matrix. Subclasses name the sacrebleu object to use.
    """

    task = "translation"

    @abstractmethod
    def sacrebleu(self, sentence: bool = False) -> Any:
        """A fresh sacrebleu metric object (``sentence``: the one for per-document scores)."""

    @staticmethod
    def _texts(predictions: Sequence[str], references: Sequence[str]) -> tuple[list[str], list[str]]:
        return [_one_line(p) for p in predictions], [_one_line(r) for r in references]

    @staticmethod
    def _signature_of(metric: Any, bootstrap: Bootstrap | None) -> Signature:
        """sacrebleu's own signature of ``metric``, with our resampling (``bs``, ``seed``) when there is one."""
        signature = Signature.from_sacrebleu(metric.get_signature())
        return signature if bootstrap is None else signature.extended(bs=bootstrap.size, seed=bootstrap.seed)

    def _unscored(self, sentence: bool = False) -> Any:
        metric = self.sacrebleu(sentence)
        metric.num_refs = NREFS  # sacrebleu learns the count when it reads references; ours is always one
        return metric

    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        return self._signature_of(self._unscored(), bootstrap)

    def sentence_signatures(self) -> dict[str, str]:
        return {self.names[0]: self._signature_of(self._unscored(sentence=True), None).format()}

    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        hyps, refs = self._texts(predictions, references)
        metric = self.sacrebleu(sentence=True)
        return {self.names[0]: [float(metric.sentence_score(h, [r]).score) for h, r in zip(hyps, refs, strict=True)]}

    def corpus(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
               bootstrap: Bootstrap | None = None, values: Values | None = None) -> dict[str, Score]:
        """From corpus statistics (``values``, the sentence scores, are not used)."""
        hyps, refs = self._texts(predictions, references)
        metric = self.sacrebleu()
        value = float(metric.corpus_score(hyps, [refs]).score)
        stats = np.array(metric._extract_corpus_statistics(hyps, [refs]), dtype=float)
        samples = bootstrap_stat(
            stats,
            None if bootstrap is None else bootstrap.indices,
            lambda s: float(metric._compute_score_from_stats(s).score),
        )
        name = self.names[0]
        return {name: scored(name, value, samples, self._signature_of(metric, bootstrap).format())}


class Bleu(SacrebleuMetric):
    """sacrebleu BLEU with its defaults; sentence-level BLEU with ``effective_order=True``."""

    names = ("bleu",)

    def sacrebleu(self, sentence: bool = False) -> BLEU:
        return BLEU(effective_order=True) if sentence else BLEU()


class Chrf(SacrebleuMetric):
    """sacrebleu chrF2 with its defaults."""

    names = ("chrf",)

    def sacrebleu(self, sentence: bool = False) -> CHRF:
        return CHRF()


class Ter(SacrebleuMetric):
    """sacrebleu TER with its defaults (an edit rate: lower is better)."""

    names = ("ter",)
    lower_is_better = True

    def sacrebleu(self, sentence: bool = False) -> TER:
        return TER()


class BERTScore(Metric):
    """BERTScore P/R/F1 (optional; needs ``bert-score`` and a model the user names).

    bert-score reports its settings as a hash only when it scores, so the signature exists after ``score``.
    """

    names = ("bertscore_p", "bertscore_r", "bertscore_f")

    def __init__(self, model: str, lang: str = "en", batch_size: int = 16) -> None:
        self.model, self.lang, self.batch_size = model, lang, batch_size
        self.hash: str | None = None

    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        bert_score = require("bert_score", feature="BERTScore", install="pip install bert-score",
                             error=MissingDependencyError)
        (p, r, f), hash_code = bert_score.score(
            list(predictions),
            list(references),
            model_type=self.model,
            lang=self.lang,
            batch_size=self.batch_size,
            return_hash=True,
        )
        self.hash = str(hash_code)
        return {"bertscore_p": p.tolist(), "bertscore_r": r.tolist(), "bertscore_f": f.tolist()}

    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        if self.hash is None:
            raise ValueError("BERTScore's signature is bert-score's settings hash, known once it has scored")
        return Signature(self.hash, {**resampling_fields(bootstrap), "beknopt": package_version("beknopt")})


BUILTIN_METRICS: tuple[type[Metric], ...] = (Rouge, BERTScore, Diagnostics, Bleu, Chrf, Ter)
LOWER_IS_BETTER = frozenset(name for cls in BUILTIN_METRICS if cls.lower_is_better for name in cls.names)


def default_metrics(
    tasks: Sequence[str],
    *,
    stem: bool = True,
    splitter: Splitter | None = None,
    bertscore_model: str | None = None,
    source_label: str = "source",
) -> list[Metric]:
    """The metrics ``evaluate`` runs, in report order: ROUGE (+ BERTScore) and diagnostics for summaries,
    BLEU, chrF and TER for translations."""
    metrics: list[Metric] = []
    if "summary" in tasks:
        metrics.append(Rouge(stem=stem, splitter=splitter))
        if bertscore_model:
            metrics.append(BERTScore(bertscore_model))
        metrics.append(Diagnostics(source_label=source_label))
    if "translation" in tasks:
        metrics += [Bleu(), Chrf(), Ter()]
    return metrics


def describe_reference_versions() -> dict[str, Any]:
    """Versions of the reference implementations, for the report's config."""
    return {
        "sacrebleu": package_version("sacrebleu"),
        "rouge-score": package_version("rouge-score"),
        "beknopt": package_version("beknopt"),
    }
