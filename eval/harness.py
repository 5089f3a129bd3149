"""Score one system, or compare two on the same documents, into one ``EvalReport``.

``evaluate`` is the single entry point that the command line and ``eval-pipeline`` share: texts in, report
out. Every system is scored by looping over a list of ``Metric`` objects (``default_metrics``); all bootstrap
resampling of one report uses one index matrix drawn from ``numpy.random.default_rng(seed)``, so a report is
reproducible and the resamples of two compared systems are paired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import diagnostics as diag
from .inputs import TASKS, EvalInputError
from .metric import Metric
from .metrics import LOWER_IS_BETTER, Splitter, default_metrics, describe_reference_versions
from .results import DocumentResult, EvalReport, LeftOut, PairedResult, SystemResult
from .scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED, Bootstrap, Score, Signature, percentile_interval

__all__ = [
    "JOINS", "LOWER_IS_BETTER", "DocumentResult", "EvalReport", "LeftOut", "PairedResult", "SystemResult", "compare",
    "evaluate", "paired_test", "score_system",
]

Texts = Sequence[str] | Mapping[str, Sequence[str]]
# How prediction ids meet reference ids: "strict" (the same set, else an error) or "intersection" (score the ids
# on both sides and report the rest as left out).
JOINS = ("strict", "intersection")
MAX_NAMED = 5


@dataclass
class _System:
    """One system's texts, checked against the references; ``of`` names it in messages (`` of NAME``)."""

    name: str
    predictions: dict[str, list[str]]
    sources: Sequence[str] | None
    original_sources: Sequence[str] | None
    of: str = ""
    ids: list[str] | None = None  # prediction ids; None: aligned with the references by position

    def take(self, rows: list[int]) -> None:
        """Keep the rows ``rows`` (in that order) of the predictions and sources."""
        self.predictions = {t: [p[i] for i in rows] for t, p in self.predictions.items()}
        self.sources = None if self.sources is None else [self.sources[i] for i in rows]
        self.original_sources = None if self.original_sources is None else [self.original_sources[i] for i in rows]


def _per_task(value: Texts, tasks: tuple[str, ...], role: str) -> dict[str, list[str]]:
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


def _opt(texts: Sequence[str] | None) -> list[str] | None:
    return None if texts is None else ["" if t is None else str(t) for t in texts]


def _prepare(
    references: Texts, ids: Sequence[str] | None, task: str, n_bootstrap: int
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


def _few(ids: Sequence[str]) -> str:
    shown = ", ".join(map(repr, ids[:MAX_NAMED]))
    return shown + (f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else "")


def _systems(
    tasks: tuple[str, ...],
    n: int,
    given: Sequence[tuple[str, Texts, Sequence[str] | None, Sequence[str] | None, Sequence[str] | None]],
    named: bool,
) -> list[_System]:
    """Split each system's predictions by task and check every list has one item per prediction id (or, when
    a system has no ids of its own, per reference)."""
    systems = []
    for name, predictions, sources, original, pred_ids in given:
        of = f" of {name}" if named else ""
        ids = None if pred_ids is None else [str(i) for i in pred_ids]
        s = _System(name, _per_task(predictions, tasks, f"predictions{of}"), sources, original, of, ids)
        count = n if ids is None else len(ids)
        against = "references have" if ids is None else "prediction ids have"
        for role, items in {**{f"{t} predictions{of}": s.predictions[t] for t in tasks},
                            f"sources{of}": sources, f"original sources{of}": original}.items():
            if items is not None and len(items) != count:
                raise EvalInputError(f"{role} has {len(items)} items, {against} {count}")
        if ids is not None:
            dups = sorted(i for i, c in Counter(ids).items() if c > 1)
            if dups:
                raise EvalInputError(f"duplicate prediction id(s){of}: {_few(dups)}")
        systems.append(s)
    return systems


def _join(ref_ids: list[str], systems: list[_System], join: str) -> tuple[list[int], LeftOut]:
    """Line every system up with the references by id; returns the reference rows kept and what was left out.

    ``strict`` wants the same ids on every side (a dropped document would silently change the test set);
    ``intersection`` keeps the reference ids that every system predicted, in reference order.
    """
    if join not in JOINS:
        raise EvalInputError(f"unknown join {join!r}; choose {' or '.join(JOINS)}")
    ref_set = set(ref_ids)
    if join == "strict":
        problems = []
        for s in systems:
            if s.ids is None:
                continue
            have = set(s.ids)
            missing = [i for i in ref_ids if i not in have]
            extra = [i for i in s.ids if i not in ref_set]
            if missing:
                problems.append(f"{len(missing)} reference id(s) have no prediction{s.of}: {_few(missing)}")
            if extra:
                problems.append(f"{len(extra)} prediction id(s){s.of} have no reference: {_few(extra)}")
        if problems:
            raise EvalInputError("; ".join(problems) + " (join='intersection' scores only the ids on both sides)")
    kept_set = ref_set.intersection(*(set(s.ids) for s in systems if s.ids is not None))
    kept = [i for i in ref_ids if i in kept_set]
    if not kept:
        raise EvalInputError("nothing to evaluate: no id has both a prediction and a reference")
    left_out = LeftOut([i for i in ref_ids if i not in kept_set], {})
    for s in systems:
        if s.ids is None:
            s.take([n for n, i in enumerate(ref_ids) if i in kept_set])
            left_out.predictions[s.name] = []
        else:
            row = {i: n for n, i in enumerate(s.ids)}
            left_out.predictions[s.name] = [i for i in s.ids if i not in kept_set]
            s.take([row[i] for i in kept])
    return [n for n, i in enumerate(ref_ids) if i in kept_set], left_out


def _config(
    task: str,
    seed: int,
    n_bootstrap: int,
    stem: bool,
    bertscore_model: str | None,
    sources: Sequence[str] | None,
    source_label: str | None,
    extra: dict[str, Any] | None,
    join: str = "strict",
) -> dict[str, Any]:
    return {
        "task": task,
        "join": join,
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


def score_system(
    name: str,
    predictions: dict[str, list[str]],
    references: dict[str, list[str]],
    ids: list[str],
    metrics: Sequence[Metric],
    bootstrap: Bootstrap | None = None,
    sources: list[str] | None = None,
    original_sources: list[str] | None = None,
    sentence_signatures: dict[str, str] | None = None,
) -> SystemResult:
    """Run every metric on one system's texts (already split by task and checked) and collect the results.

    ``sentence_signatures``, when given, receives the per-document signatures the metrics report.
    """
    n = len(ids)
    per_doc: list[dict[str, float]] = [{} for _ in range(n)]
    scores: dict[str, Score] = {}
    diagnostics: dict[str, Score] = {}
    details: list[diag.SummaryDiagnostics | None] = [None] * n
    # per document: the text it was made from (None without), then the original that is only searched
    doc_sources = None
    if sources is not None or original_sources is not None:
        main: Sequence[str | None] = sources if sources is not None else [None] * n
        doc_sources = [[main[i], *([] if original_sources is None else [original_sources[i]])] for i in range(n)]
    for metric in metrics:
        result = metric.score(
            predictions[metric.task], references[metric.task], doc_sources, bootstrap=bootstrap
        )
        if metric.section == "diagnostics":
            diagnostics.update(result.scores)
            if result.details is not None:
                details = list(result.details)
        else:
            scores.update(result.scores)
            for key, values in result.documents.items():
                for doc, value in zip(per_doc, values, strict=True):
                    doc[key] = value
        if sentence_signatures is not None:
            sentence_signatures.update(result.sentence_signatures)

    texts = sources if sources is not None else next(iter(references.values()))
    lengths = [len(diag.words(t)) for t in texts]
    documents = [
        DocumentResult(ids[i], per_doc[i], lengths[i], [t for t in predictions if not predictions[t][i].strip()],
                       details[i])
        for i in range(n)
    ]
    empty = {t: [ids[i] for i, p in enumerate(predictions[t]) if not p.strip()] for t in predictions}
    samples = {k: s.samples for k, s in scores.items() if s.samples is not None}
    return SystemResult(name, scores, diagnostics, documents, empty, samples, predictions, sources)


def _report(
    cfg: dict[str, Any],
    tasks: tuple[str, ...],
    refs: dict[str, list[str]],
    ids: list[str],
    systems: list[_System],
    splitter: Splitter | None,
    join: str,
) -> EvalReport:
    """Join the systems to the references by id, then score each with the default metrics and the report's one
    bootstrap matrix."""
    rows, left_out = _join(ids, systems, join)
    ids = [ids[i] for i in rows]
    refs = {t: [r[i] for i in rows] for t, r in refs.items()}
    bootstrap = Bootstrap.draw(len(ids), cfg["n_bootstrap"], cfg["seed"])
    sentence_signatures: dict[str, str] = {}
    results = []
    for s in systems:
        metrics = default_metrics(
            tasks,
            stem=cfg["stem"],
            splitter=splitter,
            bertscore_model=cfg["bertscore_model"],
            source_label=cfg["source_label"] or ("source" if s.sources is not None else "none"),
        )
        results.append(score_system(s.name, s.predictions, refs, ids, metrics, bootstrap, _opt(s.sources),
                                    _opt(s.original_sources), sentence_signatures))
    return EvalReport(cfg, ids, results, [], sentence_signatures, left_out, refs)


def evaluate(
    predictions: Texts,
    references: Texts,
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
    prediction_ids: Sequence[str] | None = None,
    join: str = "strict",
) -> EvalReport:
    """Score one system's predictions against references (aligned lists, one item per document).

    ``task`` is ``summary`` (ROUGE + diagnostics), ``translation`` (BLEU, chrF, TER) or ``both`` (then
    ``predictions`` and ``references`` are mappings with ``summary`` and ``translation`` lists). ``sources``
    are the texts the summaries were made from (the English translation in beknopt) and enable the
    diagnostics; ``original_sources`` (the Dutch articles) are also searched for numbers and names.
    ``n_bootstrap=0`` skips the intervals. ``splitter`` replaces beknopt's English sentence splitter for
    ROUGE-Lsum (for tests or other languages).

    ``prediction_ids`` (the ids of the predictions, which then need not be in reference order; ``sources`` and
    ``original_sources`` follow the predictions) joins predictions to the references' ``ids`` by id: with
    ``join="strict"`` both must hold the same ids, with ``join="intersection"`` only the ids on both sides are
    scored and the rest are listed in ``report.left_out``.
    """
    tasks, refs, id_list = _prepare(references, ids, task, n_bootstrap)
    systems = _systems(tasks, len(id_list), [(name, predictions, sources, original_sources, prediction_ids)],
                       named=False)
    cfg = _config(task, seed, n_bootstrap, stem, bertscore_model, sources, source_label, config, join)
    return _report(cfg, tasks, refs, id_list, systems, splitter, join)


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
        test = {"test": "paired-bs", "rs": seed} if p_value is not None else {}
        sig = Signature(score_a.signature, test).format()
        results.append(PairedResult(key, score_a.value, score_b.value, diff, low, high, p_value, sig))
    return results


def _pair(value: Any) -> tuple[Any, Any]:
    """``(a, b)`` given as a pair of lists (or ``None``s), else the same value for both systems."""
    if isinstance(value, tuple) and len(value) == 2 and all(v is None or not isinstance(v, str) for v in value):
        return value
    return value, value


def compare(
    predictions_a: Texts,
    predictions_b: Texts,
    references: Texts,
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
    prediction_ids: Sequence[str] | tuple[Sequence[str] | None, Sequence[str] | None] | None = None,
    join: str = "strict",
) -> EvalReport:
    """Evaluate two systems on the same documents and test B against A (``comparison`` in the report).

    ``sources``, ``original_sources`` and ``prediction_ids`` may be one list for both systems or a pair (one
    per system: two ``beknopt run`` folders each summarised their own translation). With
    ``join="intersection"`` the documents scored are the reference ids that both systems predicted (the paired
    test needs the same documents on both sides); see ``evaluate``.
    """
    tasks, refs, id_list = _prepare(references, ids, task, n_bootstrap)
    if names[0] == names[1]:
        names = (f"{names[0]} (A)", f"{names[1]} (B)")
    src, orig, pids = _pair(sources), _pair(original_sources), _pair(prediction_ids)
    given = [(names[i], (predictions_a, predictions_b)[i], src[i], orig[i], pids[i]) for i in (0, 1)]
    systems = _systems(tasks, len(id_list), given, named=True)
    cfg = _config(task, seed, n_bootstrap, stem, bertscore_model, src[0], source_label, config, join)
    cfg["systems"] = list(names)
    report = _report(cfg, tasks, refs, id_list, systems, splitter, join)
    report.comparison = paired_test(report.systems[0], report.systems[1], seed)
    return report
