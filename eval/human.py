"""Metric–human agreement: how well each automatic score ranks summaries the way expert judges did.

Which score should a newsroom trust? The field answers with human judgements (SummEval: experts' 1–5 scores of
coherence, consistency, fluency and relevance for many systems' summaries of the same articles). This module
scores every judged summary with beknopt's metrics and correlates them with each human aspect, at the two
levels the literature reports:

- **summary level**: for each article, the correlation across the systems' summaries of it (Spearman, Kendall
  τ, Pearson from ``scipy.stats``), averaged over the articles where both the metric and the aspect vary
  (``n`` says how many);
- **system level**: the correlation of the systems' mean metric with their mean human score (``n`` systems).

Each coefficient has a 95 % percentile interval from a seeded bootstrap over **articles** (the same index
matrix for every metric and aspect, ``beknopt.eval.scores.Bootstrap``), recorded in the signature.

Metrics, each higher = better:

- ``rouge1``/``rouge2``/``rougeL``/``rougeLsum``: ``rouge-score`` F1 with the Porter stemmer against each
  reference, **averaged over the references** (the setup of the published SummEval figures: G-Eval, BARTScore).
  ROUGE-Lsum lines come from beknopt's English splitter, as in ``beknopt eval``.
- ``support``: beknopt's provenance support of the summary against the source (``beknopt.checks.provenance``: the
  source split with beknopt's English splitter, each summary sentence aligned with ``align_summary``, the
  sentences' support weighted by their words: ``summary_support``), the code behind ``result.summary_sentences``.
- ``numbers``/``names``: minus the count of numbers / names in the summary found nowhere in the source
  (``beknopt.checks.unsupported.find_unsupported``, as the pipeline's checks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .inputs import EvalInputError, read_records
from .scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED, Bootstrap, format_signature, package_version, percentile_interval

__all__ = ["COEFFICIENTS", "METRICS", "Correlation", "HumanReport", "Judgement", "calibrate_threshold",
           "correlate", "evaluate_human", "read_judgements", "score_judgements"]

ROUGE_METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
SOURCE_METRICS = ("support", "numbers", "names")
METRICS = (*ROUGE_METRICS, *SOURCE_METRICS)
COEFFICIENTS = ("spearman", "kendall", "pearson")
_KNOWN_FIELDS = {"id", "system", "prediction", "references", "reference", "source", "human"}


@dataclass
class Judgement:
    """One judged summary: an article id, the system that wrote it, its text and the judges' scores."""

    id: str
    system: str
    prediction: str
    human: dict[str, float]
    references: list[str] = field(default_factory=list)
    source: str | None = None


@dataclass
class Correlation:
    """One metric against one human aspect at one level; ``ci`` holds each coefficient's 95 % interval."""

    metric: str
    aspect: str
    level: str  # "summary" or "system"
    spearman: float | None
    kendall: float | None
    pearson: float | None
    ci: dict[str, list[float] | None]
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HumanReport:
    """Everything ``beknopt eval --human`` reports; ``scores`` holds each judgement's metric values."""

    correlations: list[Correlation]
    metrics: list[str]
    aspects: list[str]
    articles: list[str]
    systems: list[str]
    judgements: list[Judgement]
    scores: dict[str, list[float]]
    signature: str
    settings: dict[str, Any]

    def system_means(self) -> dict[str, dict[str, float]]:
        """Each system's mean metric values and human scores (the points of the system-level correlation)."""
        out: dict[str, dict[str, list[float]]] = {s: {} for s in self.systems}
        for k, j in enumerate(self.judgements):
            for name in self.metrics:
                out[j.system].setdefault(name, []).append(self.scores[name][k])
            for aspect in self.aspects:
                if aspect in j.human:
                    out[j.system].setdefault(aspect, []).append(j.human[aspect])
        return {s: {k: float(np.mean(v)) for k, v in values.items()} for s, values in out.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"task": "human", "signature": self.signature, "settings": self.settings,
                "counts": {"judgements": len(self.judgements), "articles": len(self.articles),
                           "systems": len(self.systems)},
                "metrics": self.metrics, "aspects": self.aspects,
                "correlations": [c.to_dict() for c in self.correlations],
                "system_means": self.system_means()}


# --- reading -------------------------------------------------------------------------------------------------


def _text_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError("must be a text or a list of texts")


def _by_id(path: str | Path | None, fields: Sequence[str], what: str) -> dict[str, Any]:
    """``{id: value}`` from a JSONL/CSV file of ``{"id", <one of fields>}`` rows (``--references``/``--source``)."""
    if path is None:
        return {}
    records = read_records(path)
    out: dict[str, Any] = {}
    for n, row in enumerate(records.rows, 1):
        name = next((f for f in fields if f in row), None)
        if "id" not in row or name is None:
            raise EvalInputError(f"{path}: row {n} needs 'id' and one of {', '.join(fields)} ({what})")
        out[str(row["id"])] = row[name]
    return out


def read_judgements(path: str | Path, *, references: str | Path | None = None,
                    sources: str | Path | None = None) -> list[Judgement]:
    """Judged summaries from JSONL (``{"id", "system", "prediction", "references"?, "source"?, "human": {...}}``)
    or CSV (the same columns; every other column is a human aspect). ``references``/``sources`` name files of
    ``{"id", "references"|"reference"}`` / ``{"id", "source"|"text"|"article"}`` rows for articles whose lines
    lack them, so an article's source need not be repeated for every system."""
    rows = read_records(path).rows
    refs = _by_id(references, ("references", "reference"), "references")
    texts = _by_id(sources, ("source", "text", "article"), "source")
    out: list[Judgement] = []
    seen: set[tuple[str, str]] = set()
    for n, row in enumerate(rows, 1):
        where = f"{path}: row {n}"
        missing = [k for k in ("id", "system", "prediction") if row.get(k) in (None, "")]
        if missing:
            raise EvalInputError(f"{where}: missing {', '.join(missing)}")
        human = row.get("human")
        if human is None:  # CSV: every column that is not a known field is an aspect
            human = {k: v for k, v in row.items() if k not in _KNOWN_FIELDS and v not in (None, "")}
        if not isinstance(human, Mapping) or not human:
            raise EvalInputError(f"{where}: 'human' must be an object of aspect scores, e.g. {{\"consistency\": 4}}")
        try:
            scores = {str(k): float(v) for k, v in human.items()}
        except (TypeError, ValueError) as exc:
            raise EvalInputError(f"{where}: human scores must be numbers ({exc})") from None
        if not all(math.isfinite(v) for v in scores.values()):
            raise EvalInputError(f"{where}: human scores must be finite numbers")
        article, system = str(row["id"]), str(row["system"])
        if (article, system) in seen:
            raise EvalInputError(f"{where}: a second judgement of system {system!r} on article {article!r}")
        seen.add((article, system))
        try:
            ref_list = _text_list(row.get("references", row.get("reference", refs.get(article))))
        except ValueError as exc:
            raise EvalInputError(f"{where}: references {exc}") from None
        source = row.get("source", texts.get(article))
        if source is not None and not isinstance(source, str):
            raise EvalInputError(f"{where}: source must be a text")
        out.append(Judgement(article, system, str(row["prediction"]), scores, ref_list, source or None))
    if not out:
        raise EvalInputError(f"{path}: no judgements")
    return out


# --- scoring -------------------------------------------------------------------------------------------------


def available_metrics(judgements: Sequence[Judgement]) -> list[str]:
    """Every metric the judgements' fields allow: ROUGE with references on every line, the rest with sources."""
    names: list[str] = []
    if all(j.references for j in judgements):
        names += ROUGE_METRICS
    if all(j.source for j in judgements):
        names += SOURCE_METRICS
    return names


def score_judgements(judgements: Sequence[Judgement], metrics: Sequence[str], *, stem: bool = True
                     ) -> dict[str, list[float]]:
    """Each metric's value for each judgement, in order (see the module docstring for the definitions)."""
    out: dict[str, list[float]] = {m: [] for m in metrics}
    rouge = [m for m in metrics if m in ROUGE_METRICS]
    if rouge:
        from rouge_score import rouge_scorer

        from .metrics import english_splitter, lsum_lines

        splitter = english_splitter()
        scorer = rouge_scorer.RougeScorer(rouge, tokenizer=_CachedTokenizer(stem))
        lines: dict[str, str] = {}  # each reference is split once, not once per system

        def prepared(text: str) -> str:
            if "rougeLsum" not in rouge:
                return text
            if text not in lines:
                lines[text] = lsum_lines(text, splitter)
            return lines[text]

        for j in judgements:
            prediction = prepared(j.prediction)
            per_ref = [scorer.score(prepared(r), prediction) for r in j.references]
            for m in rouge:
                out[m].append(float(np.mean([s[m].fmeasure for s in per_ref])))
    if any(m in SOURCE_METRICS for m in metrics):
        for j in judgements:
            for name, value in source_scores(j.prediction, j.source or "").items():
                if name in out:
                    out[name].append(value)
    return out


class _CachedTokenizer:
    """rouge-score's own tokenizer (the one ``use_stemmer`` selects), remembering its answers: the 11 references
    of an article are tokenised once, not once for each of 16 systems. The same tokens, so the same scores."""

    def __init__(self, stem: bool) -> None:
        from rouge_score.tokenizers import DefaultTokenizer

        self._tokenizer = DefaultTokenizer(use_stemmer=stem)
        self._seen: dict[str, list[str]] = {}

    def tokenize(self, text: str) -> list[str]:
        if text not in self._seen:
            self._seen[text] = self._tokenizer.tokenize(text)
        return self._seen[text]


_SOURCE_SENTENCES: dict[str, list[str]] = {}


def _source_sentences(source: str) -> list[str]:
    """An article's English sentences, split once however many systems summarised it."""
    if source not in _SOURCE_SENTENCES:
        from beknopt.split import split_sentences

        if len(_SOURCE_SENTENCES) > 256:
            _SOURCE_SENTENCES.clear()
        _SOURCE_SENTENCES[source] = [s for s in split_sentences(source, lang="en") if s.strip()]
    return _SOURCE_SENTENCES[source]


def sentence_supports(prediction: str, source: str) -> list[float]:
    """The support of each sentence of ``prediction`` against ``source`` (``beknopt.checks.provenance``)."""
    from beknopt.checks.provenance import align_summary

    return [s.support for s in align_summary(prediction, _source_sentences(source))]


def source_scores(prediction: str, source: str) -> dict[str, float]:
    """``support`` (words-weighted mean of the sentences'), ``numbers`` and ``names`` (minus unsupported counts)."""
    from beknopt.checks.provenance import align_summary, summary_support
    from beknopt.checks.unsupported import find_unsupported

    support = summary_support(align_summary(prediction, _source_sentences(source)))
    found = find_unsupported(prediction, [source])
    return {"support": 0.0 if support is None else support, "numbers": -float(len(found.unsupported_numbers)),
            "names": -float(len(found.unsupported_names))}


# --- correlating ---------------------------------------------------------------------------------------------


def _coefficients(x: np.ndarray, y: np.ndarray) -> dict[str, float] | None:
    """Spearman, Kendall τ-b and Pearson from scipy; ``None`` where either side is constant (undefined)."""
    from scipy import stats

    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return {"spearman": float(stats.spearmanr(x, y).statistic), "kendall": float(stats.kendalltau(x, y).statistic),
            "pearson": float(stats.pearsonr(x, y).statistic)}


def _interval(samples: list[float]) -> list[float] | None:
    finite = np.array([s for s in samples if s is not None and math.isfinite(s)], dtype=float)
    return list(percentile_interval(finite)) if finite.size >= 2 else None


def _matrix(values: Sequence[float], judgements: Sequence[Judgement], articles: list[str], systems: list[str]
            ) -> np.ndarray:
    """articles x systems, NaN where a system has no judged summary of an article."""
    grid = np.full((len(articles), len(systems)), np.nan)
    row = {a: i for i, a in enumerate(articles)}
    col = {s: i for i, s in enumerate(systems)}
    for j, value in zip(judgements, values, strict=True):
        grid[row[j.id], col[j.system]] = value
    return grid


def _summary_level(metric: np.ndarray, human: np.ndarray) -> dict[str, np.ndarray]:
    """Each article's coefficients across its systems (NaN where undefined)."""
    out = {c: np.full(metric.shape[0], np.nan) for c in COEFFICIENTS}
    for i in range(metric.shape[0]):
        keep = ~np.isnan(metric[i]) & ~np.isnan(human[i])
        found = _coefficients(metric[i][keep], human[i][keep])
        for c, value in (found or {}).items():
            out[c][i] = value
    return out


def _system_level(metric: np.ndarray, human: np.ndarray) -> dict[str, float] | None:
    mx, hy = np.nanmean(metric, axis=0), np.nanmean(human, axis=0)
    keep = ~np.isnan(mx) & ~np.isnan(hy)
    return _coefficients(mx[keep], hy[keep])


def _system_intervals(metric: np.ndarray, human: np.ndarray, indices: np.ndarray) -> dict[str, list[float] | None]:
    """The system-level coefficients of every resample of articles. Spearman and Pearson are computed for all
    resamples at once (scipy's ``rankdata``/``pearsonr`` along an axis); Kendall's τ one resample at a time."""
    from scipy import stats

    mx, hy = np.nanmean(metric[indices], axis=1), np.nanmean(human[indices], axis=1)  # resamples x systems
    keep = ~np.isnan(mx).any(axis=0) & ~np.isnan(hy).any(axis=0)  # systems in every resample
    mx, hy = mx[:, keep], hy[:, keep]
    varies = (np.ptp(mx, axis=1) > 0) & (np.ptp(hy, axis=1) > 0)
    mx, hy = mx[varies], hy[varies]
    if mx.shape[0] < 2 or mx.shape[1] < 2:
        return dict.fromkeys(COEFFICIENTS)
    draws = {"spearman": stats.pearsonr(stats.rankdata(mx, axis=1), stats.rankdata(hy, axis=1), axis=1).statistic,
             "kendall": np.array([stats.kendalltau(x, y).statistic for x, y in zip(mx, hy, strict=True)]),
             "pearson": stats.pearsonr(mx, hy, axis=1).statistic}
    return {c: _interval(list(v)) for c, v in draws.items()}


def correlate(judgements: Sequence[Judgement], scores: Mapping[str, Sequence[float]], *,
              aspects: Sequence[str] | None = None, n_bootstrap: int = DEFAULT_BOOTSTRAP,
              seed: int = DEFAULT_SEED) -> list[Correlation]:
    """Summary- and system-level correlations of every metric with every aspect (see the module docstring)."""
    articles = list(dict.fromkeys(j.id for j in judgements))
    systems = list(dict.fromkeys(j.system for j in judgements))
    aspects = list(aspects) if aspects is not None else list(dict.fromkeys(a for j in judgements for a in j.human))
    bootstrap = Bootstrap.draw(len(articles), n_bootstrap, seed)
    rows: list[Correlation] = []
    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of a resample: left out below
        for aspect in aspects:
            human = _matrix([j.human.get(aspect, np.nan) for j in judgements], judgements, articles, systems)
            for name, values in scores.items():
                metric = _matrix(values, judgements, articles, systems)
                per_article = _summary_level(metric, human)
                defined = ~np.isnan(per_article["spearman"])
                means = {c: float(np.mean(v[defined])) if defined.any() else None for c, v in per_article.items()}
                ci: dict[str, list[float] | None] = dict.fromkeys(COEFFICIENTS)
                if bootstrap is not None and defined.any():
                    for c, v in per_article.items():
                        sampled = v[bootstrap.indices]
                        ok = ~np.isnan(sampled)
                        counts = ok.sum(axis=1)
                        ci[c] = _interval(list(np.where(counts > 0, np.nansum(sampled, axis=1) / np.maximum(counts, 1),
                                                        np.nan)))
                rows.append(Correlation(name, aspect, "summary", *(means[c] for c in COEFFICIENTS), ci,
                                        int(defined.sum())))
                system = _system_level(metric, human) or {}
                sys_ci: dict[str, list[float] | None] = dict.fromkeys(COEFFICIENTS)
                if bootstrap is not None and system:
                    sys_ci = _system_intervals(metric, human, bootstrap.indices)
                n_systems = int((~np.isnan(np.nanmean(metric, axis=0)) & ~np.isnan(np.nanmean(human, axis=0))).sum())
                rows.append(Correlation(name, aspect, "system", *(system.get(c) for c in COEFFICIENTS), sys_ci,
                                        n_systems))
    return rows


def signature(n_bootstrap: int, seed: int, *, stem: bool = True) -> str:
    """Every setting behind the coefficients, sacrebleu-style."""
    return format_signature("human", {
        "levels": "summary,system", "summary-agg": "mean-over-articles", "coef": "spearman,kendall,pearson",
        "ci": "95%-percentile" if n_bootstrap else None, "resample": "articles" if n_bootstrap else None,
        "bs": n_bootstrap or None, "rs": seed if n_bootstrap else None,
        "rouge": "f1-mean-over-refs", "stem": stem, "tok": "rouge-score-default", "lsum-split": "beknopt-en",
        "support": "provenance-words-weighted", "scipy": package_version("scipy"),
        "version": f"rouge-score-{package_version('rouge-score')}", "beknopt": package_version("beknopt"),
    })


def evaluate_human(path: str | Path, *, references: str | Path | None = None, sources: str | Path | None = None,
                   metrics: Sequence[str] | None = None, n_bootstrap: int = DEFAULT_BOOTSTRAP,
                   seed: int = DEFAULT_SEED, stem: bool = True) -> HumanReport:
    """Read judgements, score them with ``metrics`` (default: every one the fields allow), correlate."""
    judgements = read_judgements(path, references=references, sources=sources)
    allowed = available_metrics(judgements)
    if metrics is None:
        metrics = allowed
        if not metrics:
            raise EvalInputError(f"{path}: no metric can be computed: give references (for ROUGE) or sources "
                                 "(for support, numbers, names) on every line, or --references/--source")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise EvalInputError(f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(METRICS)}")
    lacking = [m for m in metrics if m not in allowed]
    if lacking:
        need = "references" if lacking[0] in ROUGE_METRICS else "a source"
        raise EvalInputError(f"{', '.join(lacking)} need{'s' if len(lacking) == 1 else ''} {need} for every "
                             "judgement")
    scores = score_judgements(judgements, metrics, stem=stem)
    aspects = list(dict.fromkeys(a for j in judgements for a in j.human))
    correlations = correlate(judgements, scores, aspects=aspects, n_bootstrap=n_bootstrap, seed=seed)
    return HumanReport(correlations, list(metrics), aspects, list(dict.fromkeys(j.id for j in judgements)),
                       list(dict.fromkeys(j.system for j in judgements)), judgements, scores,
                       signature(n_bootstrap, seed, stem=stem),
                       {"input": str(path), "references": str(references) if references else None,
                        "sources": str(sources) if sources else None, "bootstrap": n_bootstrap, "seed": seed,
                        "stem": stem})


# --- calibrating the flag ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """The support threshold that best separates summaries judged inconsistent, and how the flag does there."""

    threshold: float
    flagged: int
    inconsistent: int
    total: int
    precision: float
    recall: float
    f1: float


def calibrate_threshold(judgements: Sequence[Judgement], *, aspect: str = "consistency", below: float = 4.0,
                        grid: Sequence[float] = tuple(round(0.05 * k, 2) for k in range(1, 20))) -> Calibration:
    """The ``grid`` value ``t`` whose flag (a summary with any sentence of support below ``t``) best separates
    the summaries with ``aspect`` below ``below`` from the rest, by F1 (ties: the lower threshold)."""
    lowest = [min(sentence_supports(j.prediction, j.source or ""), default=0.0) for j in judgements]
    bad = [j.human[aspect] < below for j in judgements]
    best: Calibration | None = None
    for t in grid:
        flags = [v < t for v in lowest]
        hits = sum(f and b for f, b in zip(flags, bad, strict=True))
        precision = hits / sum(flags) if any(flags) else 0.0
        recall = hits / sum(bad) if any(bad) else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        found = Calibration(t, sum(flags), sum(bad), len(judgements), precision, recall, f1)
        if best is None or found.f1 > best.f1:
            best = found
    assert best is not None
    return best
