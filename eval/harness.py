"""Score one system, or compare two on the same documents, into one ``EvalReport``.

``evaluate`` is the single entry point that the command line and ``eval-pipeline`` share: texts in, report
out. All bootstrap resampling of one report uses one index matrix drawn from
``numpy.random.default_rng(seed)``, so a report is reproducible and the resamples of two compared systems are
paired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import diagnostics as diag
from .inputs import TASKS, EvalInputError
from .metrics import (
    Splitter,
    bertscore,
    describe_reference_versions,
    rouge_corpus,
    rouge_per_document,
    sacrebleu_scores,
)
from .scores import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    Score,
    bootstrap_indices,
    format_signature,
    mean_score,
    package_version,
    percentile_interval,
)

LOWER_IS_BETTER = frozenset({"ter"})


@dataclass
class DocumentResult:
    """Scores and diagnostics of one document for one system."""

    id: str
    scores: dict[str, float]
    length: int | None  # article length in words: source if given, else reference
    empty: list[str] = field(default_factory=list)  # tasks whose prediction is empty
    diagnostics: diag.SummaryDiagnostics | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "length": self.length,
            "empty": self.empty,
            "scores": self.scores,
            "diagnostics": self.diagnostics.to_dict() if self.diagnostics else None,
        }


@dataclass
class SystemResult:
    """Corpus scores (with intervals and signatures), diagnostics and per-document results of one system."""

    name: str
    scores: dict[str, Score]
    diagnostics: dict[str, Score]
    documents: list[DocumentResult]
    empty_predictions: dict[str, list[str]]
    samples: dict[str, np.ndarray] = field(
        default_factory=dict, repr=False
    )  # bootstrap draws, for comparisons

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scores": {k: s.to_dict() for k, s in self.scores.items()},
            "diagnostics": {k: s.to_dict() for k, s in self.diagnostics.items()},
            "empty_predictions": {
                t: {"count": len(ids), "ids": ids} for t, ids in self.empty_predictions.items()
            },
            "documents": [d.to_dict() for d in self.documents],
        }


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


@dataclass
class EvalReport:
    """Everything one evaluation produced; ``to_dict()`` is the JSON report."""

    config: dict[str, Any]
    ids: list[str]
    systems: list[SystemResult]
    comparison: list[PairedResult] = field(default_factory=list)
    sentence_signatures: dict[str, str] = field(default_factory=dict)

    @property
    def system(self) -> SystemResult:
        return self.systems[0]

    @property
    def signatures(self) -> dict[str, str]:
        """Signature of every corpus score and diagnostic of the first system."""
        return {k: s.signature for k, s in {**self.system.scores, **self.system.diagnostics}.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "ids": self.ids,
            "signatures": self.signatures,
            "sentence_signatures": self.sentence_signatures,
            "systems": [s.to_dict() for s in self.systems],
            "comparison": [c.to_dict() for c in self.comparison],
        }


def _per_task(
    value: Sequence[str] | Mapping[str, Sequence[str]], tasks: tuple[str, ...], role: str
) -> dict[str, list[str]]:
    if isinstance(value, Mapping):
        missing = [t for t in tasks if t not in value]
        if missing:
            raise EvalInputError(f"{role}: no texts for task(s) {', '.join(missing)}")
        return {t: ["" if x is None else str(x) for x in value[t]] for t in tasks}
    if len(tasks) > 1:
        raise EvalInputError(
            f"{role}: task 'both' needs a mapping {{'summary': [...], 'translation': [...]}}"
        )
    return {tasks[0]: ["" if x is None else str(x) for x in value]}


def _check_lengths(n: int, named: dict[str, Sequence[Any] | None]) -> None:
    for role, items in named.items():
        if items is not None and len(items) != n:
            raise EvalInputError(f"{role} has {len(items)} items, references have {n}")


def _diagnostic_signature(name: str, *, n_bootstrap: int | None, seed: int, source: str) -> str:
    return format_signature(
        name,
        {
            "tok": "beknopt-words",
            "case": "lc",
            "src": source,
            "agg": "mean",
            "bs": n_bootstrap,
            "rs": seed if n_bootstrap else None,
            "beknopt": package_version("beknopt"),
        },
    )


def _evaluate_system(
    name: str,
    preds: dict[str, list[str]],
    refs: dict[str, list[str]],
    sources: list[str] | None,
    original_sources: list[str] | None,
    ids: list[str],
    indices: np.ndarray | None,
    cfg: dict[str, Any],
    splitter: Splitter | None,
    sentence_signatures: dict[str, str],
) -> SystemResult:
    n = len(ids)
    n_bs, seed = cfg["n_bootstrap"], cfg["seed"]
    per_doc: list[dict[str, float]] = [{} for _ in range(n)]
    scores: dict[str, Score] = {}
    samples: dict[str, np.ndarray] = {}
    empty = {t: [ids[i] for i, p in enumerate(preds[t]) if not p.strip()] for t in preds}

    if "summary" in preds:
        rouge_rows = rouge_per_document(
            preds["summary"], refs["summary"], stem=cfg["stem"], splitter=splitter
        )
        for row, doc in zip(rouge_rows, per_doc, strict=True):
            doc.update(row)
        s, smp = rouge_corpus(rouge_rows, indices, stem=cfg["stem"], n_bootstrap=n_bs, seed=seed)
        scores.update(s)
        samples.update(smp)
        if cfg.get("bertscore_model"):
            s, smp, bs_docs = bertscore(
                preds["summary"],
                refs["summary"],
                cfg["bertscore_model"],
                indices,
                n_bootstrap=n_bs,
                seed=seed,
            )
            scores.update(s)
            samples.update(smp)
            for key, values in bs_docs.items():
                for doc, v in zip(per_doc, values, strict=True):
                    doc[key] = v
    if "translation" in preds:
        s, smp, sent, sigs = sacrebleu_scores(
            preds["translation"], refs["translation"], indices, n_bootstrap=n_bs, seed=seed
        )
        scores.update(s)
        samples.update(smp)
        sentence_signatures.update(sigs)
        for key, values in sent.items():
            for doc, v in zip(per_doc, values, strict=True):
                doc[key] = v

    diagnostics: dict[str, Score] = {}
    doc_diags: list[diag.SummaryDiagnostics | None] = [None] * n
    if "summary" in preds:
        src_label = cfg.get("source_label") or ("source" if sources is not None else "none")
        for i, summary in enumerate(preds["summary"]):
            texts = [sources[i] if sources is not None else None]
            if original_sources is not None:
                texts.append(original_sources[i])
            doc_diags[i] = diag.diagnose(summary, texts)
        fields = diag.DIAGNOSTIC_FIELDS if sources is not None else ("summary_words", "repeated_3")
        bs_arg = n_bs if indices is not None else None
        for key in fields:
            values = [getattr(d, key) for d in doc_diags if d is not None]
            sig = _diagnostic_signature(key, n_bootstrap=bs_arg, seed=seed, source=src_label)
            score, _ = mean_score(key, values, indices, sig)
            if score is not None:
                diagnostics[key] = score
        if sources is not None:
            found = [d for d in doc_diags if d is not None]
            for key in ("docs_with_unsupported_numbers", "docs_with_unsupported_names"):
                attr = "unsupported_numbers" if "numbers" in key else "unsupported_names"
                flags = [float(bool(getattr(d, attr))) for d in found]
                score, _ = mean_score(
                    key,
                    flags,
                    indices,
                    _diagnostic_signature(key, n_bootstrap=bs_arg, seed=seed, source=src_label),
                )
                if score is not None:
                    diagnostics[key] = score
            for key, value in diag.corpus_rates(found).items():
                if key not in diagnostics and value is not None:
                    sig = _diagnostic_signature(key, n_bootstrap=None, seed=seed, source=src_label)
                    diagnostics[key] = Score(key, value, None, None, sig)

    lengths: list[int | None]
    if sources is not None:
        lengths = [len(diag.words(s)) for s in sources]
    else:
        first = next(iter(refs.values()))
        lengths = [len(diag.words(r)) for r in first]
    documents = [
        DocumentResult(
            ids[i], per_doc[i], lengths[i], [t for t in preds if not preds[t][i].strip()], doc_diags[i]
        )
        for i in range(n)
    ]
    return SystemResult(name, scores, diagnostics, documents, empty, samples)


def _prepare(
    references: Sequence[str] | Mapping[str, Sequence[str]],
    ids: Sequence[str] | None,
    task: str,
    n_bootstrap: int,
) -> tuple[tuple[str, ...], dict[str, list[str]], list[str]]:
    if task not in (*TASKS, "both"):
        raise EvalInputError(f"unknown task {task!r}; choose summary, translation or both")
    if n_bootstrap < 0:
        raise EvalInputError("the number of bootstrap samples cannot be negative")
    tasks = TASKS if task == "both" else (task,)
    refs = _per_task(references, tasks, "references")
    n = len(next(iter(refs.values())))
    if n == 0:
        raise EvalInputError("nothing to evaluate: no references")
    _check_lengths(n, {f"{t} references": refs[t] for t in tasks})
    id_list = [str(i) for i in ids] if ids is not None else [str(i + 1) for i in range(n)]
    _check_lengths(n, {"ids": id_list})
    dups = sorted(i for i, count in Counter(id_list).items() if count > 1)
    if dups:
        raise EvalInputError(f"duplicate id(s): {', '.join(map(repr, dups[:5]))}")
    for t in tasks:
        empty_refs = [id_list[i] for i, r in enumerate(refs[t]) if not r.strip()]
        if empty_refs:
            raise EvalInputError(
                f"{len(empty_refs)} empty {t} reference(s): {', '.join(map(repr, empty_refs[:5]))}"
            )
    return tasks, refs, id_list


def _config(
    task: str,
    seed: int,
    n_bootstrap: int,
    stem: bool,
    bertscore_model: str | None,
    sources: Sequence[str] | None,
    source_label: str | None,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "task": task,
        "seed": seed,
        "n_bootstrap": n_bootstrap,
        "confidence": 0.95,
        "stem": stem,
        "bertscore_model": bertscore_model,
        "source_label": source_label or ("source" if sources is not None else None),
        "length_basis": "source words" if sources is not None else "reference words",
        "versions": describe_reference_versions(),
        **(extra or {}),
    }


def evaluate(
    predictions: Sequence[str] | Mapping[str, Sequence[str]],
    references: Sequence[str] | Mapping[str, Sequence[str]],
    sources: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    task: str = "summary",
    seed: int = DEFAULT_SEED,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    *,
    stem: bool = True,
    original_sources: Sequence[str] | None = None,
    splitter: Splitter | None = None,
    bertscore_model: str | None = None,
    name: str = "system",
    source_label: str | None = None,
    config: dict[str, Any] | None = None,
) -> EvalReport:
    """Score one system's predictions against references (aligned lists, one item per document).

    ``task`` is ``summary`` (ROUGE + diagnostics), ``translation`` (BLEU, chrF, TER) or ``both`` (then
    ``predictions`` and ``references`` are mappings with ``summary`` and ``translation`` lists). ``sources``
    are the texts the summaries were made from (the English translation in beknopt) and enable the
    diagnostics; ``original_sources`` (the Dutch articles) are also searched for numbers and names.
    ``n_bootstrap=0`` skips the intervals. ``splitter`` replaces beknopt's English sentence splitter for
    ROUGE-Lsum (for tests or other languages).
    """
    tasks, refs, id_list = _prepare(references, ids, task, n_bootstrap)
    n = len(id_list)
    preds = _per_task(predictions, tasks, "predictions")
    _check_lengths(
        n,
        {
            **{f"{t} predictions": preds[t] for t in tasks},
            "sources": sources,
            "original sources": original_sources,
        },
    )
    cfg = _config(task, seed, n_bootstrap, stem, bertscore_model, sources, source_label, config)
    indices = bootstrap_indices(n, n_bootstrap, seed) if n_bootstrap > 0 else None
    sentence_signatures: dict[str, str] = {}
    result = _evaluate_system(
        name,
        preds,
        refs,
        _opt(sources),
        _opt(original_sources),
        id_list,
        indices,
        cfg,
        splitter,
        sentence_signatures,
    )
    return EvalReport(cfg, id_list, [result], [], sentence_signatures)


def _opt(texts: Sequence[str] | None) -> list[str] | None:
    return None if texts is None else ["" if t is None else str(t) for t in texts]


def paired_test(a: SystemResult, b: SystemResult, seed: int) -> list[PairedResult]:
    """Paired bootstrap (sacrebleu's ``paired-bs``) of B against A on every metric both systems have.

    Both systems were resampled with the same documents, so the differences of their draws are paired. The
    p-value follows sacrebleu: the absolute draw differences are centred on their mean and compared with the
    observed absolute difference, ``p = (#{centred >= observed} + 1) / (n + 1)``. sacrebleu counts ``>``
    rather than ``>=``, which gives identical systems p = 1/(n+1); with ``>=`` they get p = 1.
    """
    results = []
    for key, score_a in a.scores.items():
        score_b = b.scores.get(key)
        if score_b is None:
            continue
        diff = score_b.value - score_a.value
        draws_a, draws_b = a.samples.get(key), b.samples.get(key)
        low = high = p_value = None
        if draws_a is not None and draws_b is not None and len(draws_a) == len(draws_b):
            delta = draws_b - draws_a
            low, high = percentile_interval(delta)
            sample_diffs = np.abs(delta)
            centred = sample_diffs - sample_diffs.mean()
            p_value = float((np.sum(centred >= abs(diff)) + 1) / (len(centred) + 1))
        sig = format_signature(
            score_a.signature, {"test": "paired-bs", "rs": seed} if p_value is not None else {}
        )
        results.append(PairedResult(key, score_a.value, score_b.value, diff, low, high, p_value, sig))
    return results


def compare(
    predictions_a: Sequence[str] | Mapping[str, Sequence[str]],
    predictions_b: Sequence[str] | Mapping[str, Sequence[str]],
    references: Sequence[str] | Mapping[str, Sequence[str]],
    sources: Sequence[str] | tuple[Sequence[str] | None, Sequence[str] | None] | None = None,
    ids: Sequence[str] | None = None,
    task: str = "summary",
    seed: int = DEFAULT_SEED,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    *,
    names: tuple[str, str] = ("A", "B"),
    stem: bool = True,
    original_sources: Sequence[str] | tuple[Sequence[str] | None, Sequence[str] | None] | None = None,
    splitter: Splitter | None = None,
    bertscore_model: str | None = None,
    source_label: str | None = None,
    config: dict[str, Any] | None = None,
) -> EvalReport:
    """Evaluate two systems on the same documents and test B against A (``comparison`` in the report).

    ``sources`` and ``original_sources`` may be one list for both systems or a pair (one per system: two
    ``beknopt run`` folders each summarised their own translation).
    """
    tasks, refs, id_list = _prepare(references, ids, task, n_bootstrap)
    if names[0] == names[1]:
        names = (f"{names[0]} (A)", f"{names[1]} (B)")
    n = len(id_list)
    pa = _per_task(predictions_a, tasks, f"predictions of {names[0]}")
    pb = _per_task(predictions_b, tasks, f"predictions of {names[1]}")
    src_a, src_b = sources if isinstance(sources, tuple) else (sources, sources)
    orig_a, orig_b = (
        original_sources if isinstance(original_sources, tuple) else (original_sources, original_sources)
    )
    _check_lengths(
        n,
        {
            **{f"{t} predictions of {names[0]}": pa[t] for t in tasks},
            **{f"{t} predictions of {names[1]}": pb[t] for t in tasks},
            f"sources of {names[0]}": src_a,
            f"sources of {names[1]}": src_b,
            f"original sources of {names[0]}": orig_a,
            f"original sources of {names[1]}": orig_b,
        },
    )
    cfg = _config(task, seed, n_bootstrap, stem, bertscore_model, src_a, source_label, config)
    cfg["systems"] = list(names)
    indices = bootstrap_indices(n, n_bootstrap, seed) if n_bootstrap > 0 else None
    sentence_signatures: dict[str, str] = {}

    def run(
        nm: str, p: dict[str, list[str]], src: Sequence[str] | None, orig: Sequence[str] | None
    ) -> SystemResult:
        return _evaluate_system(
            nm, p, refs, _opt(src), _opt(orig), id_list, indices, cfg, splitter, sentence_signatures
        )

    a = run(names[0], pa, src_a, orig_a)
    b = run(names[1], pb, src_b, orig_b)
    return EvalReport(cfg, id_list, [a, b], paired_test(a, b, seed), sentence_signatures)
