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
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from .scores import Score, bootstrap_stat, format_signature, mean_score, package_version, percentile_interval

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
ROUGE_STATS = (("p", "precision"), ("r", "recall"), ("f", "fmeasure"))
SACREBLEU_METRICS = ("bleu", "chrf", "ter")

Splitter = Callable[[str], list[str]]


class MissingDependencyError(ImportError):
    """An optional package needed for a requested metric is not installed."""


def english_splitter() -> Splitter:
    """beknopt's own English sentence splitter, the one used for ROUGE-Lsum lines."""
    try:
        from beknopt.split import split_sentences
    except ImportError as exc:
        raise MissingDependencyError(
            "ROUGE-Lsum needs beknopt's sentence splitter (beknopt.split.split_sentences), "
            "which cannot be imported"
        ) from exc

    def split(text: str) -> list[str]:
        return [str(s) for s in split_sentences(text, lang="en")]

    return split


def lsum_lines(text: str, splitter: Splitter) -> str:
    """One sentence per line, as rouge-score's ROUGE-Lsum expects (existing line breaks are kept)."""
    sentences = [s.strip() for line in text.split("\n") if line.strip() for s in splitter(line)]
    return "\n".join(s for s in sentences if s)


def rouge_signature(rouge_type: str, *, stem: bool, n_bootstrap: int | None, seed: int | None) -> str:
    return format_signature(
        rouge_type,
        {
            "nrefs": 1,
            "case": "lc",
            "tok": "rouge-score-default",
            "stem": stem,
            "split": "beknopt-en" if rouge_type == "rougeLsum" else None,
            "agg": "mean",
            "bs": n_bootstrap,
            "rs": seed if n_bootstrap else None,
            "version": f"rouge-score-{package_version('rouge-score')}",
            "beknopt": package_version("beknopt"),
        },
    )


def rouge_per_document(
    predictions: Sequence[str],
    references: Sequence[str],
    *,
    stem: bool = True,
    splitter: Splitter | None = None,
) -> list[dict[str, float]]:
    """Per-document ROUGE-1/2/L/Lsum precision, recall and F1 (keys such as ``rougeL_f``)."""
    splitter = splitter or english_splitter()
    plain = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=stem)
    lsum = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=stem)
    rows = []
    for prediction, reference in zip(predictions, references, strict=True):
        result = plain.score(reference, prediction)  # rouge-score takes (target, prediction)
        result.update(lsum.score(lsum_lines(reference, splitter), lsum_lines(prediction, splitter)))
        rows.append(
            {
                f"{t}_{short}": float(getattr(result[t], attr))
                for t in ROUGE_TYPES
                for short, attr in ROUGE_STATS
            }
        )
    return rows


def rouge_corpus(
    per_doc: list[dict[str, float]], indices: np.ndarray | None, *, stem: bool, n_bootstrap: int, seed: int
) -> tuple[dict[str, Score], dict[str, np.ndarray]]:
    """Mean P/R/F1 per ROUGE type with intervals; also the bootstrap samples (for paired comparisons)."""
    scores: dict[str, Score] = {}
    samples: dict[str, np.ndarray] = {}
    for t in ROUGE_TYPES:
        signature = rouge_signature(
            t, stem=stem, n_bootstrap=n_bootstrap if indices is not None else None, seed=seed
        )
        for short, _ in ROUGE_STATS:
            key = f"{t}_{short}"
            score, resampled = mean_score(key, [row[key] for row in per_doc], indices, signature)
            if score is not None:
                scores[key] = score
            if resampled is not None:
                samples[key] = resampled
    return scores, samples


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text) if "\n" in text else text


def _sacrebleu_metric(name: str, sentence: bool = False) -> BLEU | CHRF | TER:
    if name == "bleu":
        return BLEU(effective_order=True) if sentence else BLEU()
    if name == "chrf":
        return CHRF()
    if name == "ter":
        return TER()
    raise ValueError(f"unknown sacrebleu metric {name!r}")


def sacrebleu_scores(
    predictions: Sequence[str],
    references: Sequence[str],
    indices: np.ndarray | None,
    *,
    n_bootstrap: int,
    seed: int,
    metrics: Sequence[str] = SACREBLEU_METRICS,
) -> tuple[dict[str, Score], dict[str, np.ndarray], dict[str, list[float]], dict[str, str]]:
    """Corpus BLEU/chrF/TER with intervals, their bootstrap samples, per-document sentence scores and the
    sentence-level signatures.

    The interval recomputes each corpus statistic from resampled per-document sufficient statistics, as
    sacrebleu's own ``--confidence`` does, but with our seeded index matrix.
    """
    hyps = [_one_line(p) for p in predictions]
    refs = [_one_line(r) for r in references]
    corpus: dict[str, Score] = {}
    all_samples: dict[str, np.ndarray] = {}
    per_doc: dict[str, list[float]] = {}
    sentence_signatures: dict[str, str] = {}
    for name in metrics:
        metric = _sacrebleu_metric(name)
        value = float(metric.corpus_score(hyps, [refs]).score)
        stats = np.array(metric._extract_corpus_statistics(hyps, [refs]), dtype=float)
        samples = bootstrap_stat(
            stats, indices, lambda s, m=metric: float(m._compute_score_from_stats(s).score)
        )
        low, high = (None, None)
        if samples is not None:
            low, high = percentile_interval(samples)
            all_samples[name] = samples
        signature = metric.get_signature()
        if indices is not None:
            signature.update("bs", n_bootstrap)
            signature.update("seed", seed)
        corpus[name] = Score(name, value, low, high, signature.format())

        sent_metric = _sacrebleu_metric(name, sentence=True)
        per_doc[name] = [
            float(sent_metric.sentence_score(h, [r]).score) for h, r in zip(hyps, refs, strict=True)
        ]
        sentence_signatures[name] = sent_metric.get_signature().format()
    return corpus, all_samples, per_doc, sentence_signatures


def bertscore(
    predictions: Sequence[str],
    references: Sequence[str],
    model: str,
    indices: np.ndarray | None,
    *,
    n_bootstrap: int,
    seed: int,
    lang: str = "en",
    batch_size: int = 16,
) -> tuple[dict[str, Score], dict[str, np.ndarray], dict[str, list[float]]]:
    """BERTScore P/R/F1 (optional; needs ``bert-score`` and a model the user names)."""
    try:
        import bert_score
    except ImportError as exc:
        raise MissingDependencyError(
            "BERTScore needs the optional package 'bert-score' (pip install bert-score); "
            "leave out the model to skip it"
        ) from exc
    (p, r, f), hash_code = bert_score.score(
        list(predictions),
        list(references),
        model_type=model,
        lang=lang,
        batch_size=batch_size,
        return_hash=True,
    )
    per_doc: dict[str, list[float]] = {
        "bertscore_p": p.tolist(),
        "bertscore_r": r.tolist(),
        "bertscore_f": f.tolist(),
    }
    signature = format_signature(
        str(hash_code),
        {
            "bs": n_bootstrap if indices is not None else None,
            "rs": seed if indices is not None else None,
            "beknopt": package_version("beknopt"),
        },
    )
    corpus: dict[str, Score] = {}
    samples: dict[str, np.ndarray] = {}
    for key, values in per_doc.items():
        score, resampled = mean_score(key, values, indices, signature)
        if score is not None:
            corpus[key] = score
        if resampled is not None:
            samples[key] = resampled
    return corpus, samples, per_doc


def describe_reference_versions() -> dict[str, Any]:
    """Versions of the reference implementations, for the report's config."""
    return {
        "sacrebleu": package_version("sacrebleu"),
        "rouge-score": package_version("rouge-score"),
        "beknopt": package_version("beknopt"),
    }
