"""End-to-end evaluation: run a configured pipeline over evaluation sets and score what it produced.

Translation is scored on FLORES-200 devtest (shipped in ``beknopt/eval/data``): every FLORES line is given to
the pipeline as its own paragraph, so the splitter and translator work exactly as on articles while the
output stays line-aligned with the references; corpus BLEU/chrF/TER are then computed as sacrebleu does on
the 1,012 lines (the published figure for opus-mt-nl-en is BLEU 29.6, chrF 58.3 with sacrebleu defaults).
Summaries are scored against reference summaries from a JSONL file (Dutch source + English reference).
The report records model ids, settings and timings next to the scores, so a number never loses its setup.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from beknopt.document import Document
from beknopt.eval.harness import EvalReport, evaluate
from beknopt.eval.inputs import EvalInputError
from beknopt.eval.scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED

FLORES_DIR = "flores200_devtest_nl_en"


def flores_documents(limit: int | None = None) -> list[dict[str, Any]]:
    """FLORES-200 devtest nl/en grouped into its 281 source documents (CC BY-SA 4.0)."""
    path = files("beknopt.eval").joinpath("data", FLORES_DIR, "flores200_devtest_nl_en_by_url.jsonl")
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return docs[:limit] if limit is not None else docs


def read_summary_items(path: str | Path, source_field: str = "source_nl", reference_field: str = "summary_en",
                       id_field: str = "id") -> list[dict[str, str]]:
    """Read ``{id, source, reference}`` items from JSONL; a missing field is an error naming the line."""
    items = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            missing = [f for f in (source_field, reference_field) if not isinstance(record.get(f), str)]
            if missing:
                raise EvalInputError(f"{path}:{number}: no text in field(s) {', '.join(missing)}")
            items.append({"id": str(record.get(id_field) or f"line-{number}"), "source": record[source_field],
                          "reference": record[reference_field]})
    if not items:
        raise EvalInputError(f"{path}: no items")
    return items


@dataclass
class PipelineEvaluation:
    """Scores of one pipeline configuration, with what produced them."""

    pipeline: dict[str, Any]
    translation: EvalReport | None = None
    summary: EvalReport | None = None
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    # the system outputs that were scored, line-aligned with the references (written next to the report)
    translations: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "translation": self.translation.to_dict() if self.translation else None,
            "summary": self.summary.to_dict() if self.summary else None,
            "timings": self.timings,
            "counts": self.counts,
            "failures": self.failures,
            "outputs": {"translations": self.translations, "summaries": self.summaries},
        }


def evaluate_translation(pipe: Any, documents: Sequence[dict[str, Any]], *, seed: int = DEFAULT_SEED,
                         n_bootstrap: int = DEFAULT_BOOTSTRAP) -> tuple[EvalReport, list[str], dict[str, float], int]:
    """Split and translate FLORES documents line by line; return the report, hypotheses, timings, sentences."""
    docs = [Document(id=f"flores-{d.get('line_start', i)}", paragraphs=[s.strip() for s in d["nl"]])
            for i, d in enumerate(documents)]
    start = time.perf_counter()
    translated = pipe.only("split", "translate").process(docs)
    elapsed = time.perf_counter() - start
    hypotheses, references, ids, sources = [], [], [], []
    for doc, original in zip(translated, documents, strict=True):
        if not doc.ok:
            raise EvalInputError(f"{doc.id}: the pipeline failed ({doc.error}); cannot score a partial set")
        lines = doc.translated_paragraphs
        if len(lines) != len(original["en"]):
            raise EvalInputError(f"{doc.id}: {len(lines)} translated lines for {len(original['en'])} references")
        hypotheses += lines
        references += [s.strip() for s in original["en"]]
        sources += [s.strip() for s in original["nl"]]
        ids += [f"{doc.id}.{k}" for k in range(len(lines))]
    report = evaluate(hypotheses, references, ids=ids, task="translation", seed=seed, n_bootstrap=n_bootstrap,
                      name="beknopt", config={"dataset": "FLORES-200 devtest nld_Latn->eng_Latn",
                                              "documents": len(documents), "segments": "lines"})
    n_sentences = sum(len(d.sentences) for d in translated)
    return report, hypotheses, {"translate_seconds": round(elapsed, 3)}, n_sentences


def evaluate_summaries(pipe: Any, items: Sequence[dict[str, str]], *, seed: int = DEFAULT_SEED,
                       n_bootstrap: int = DEFAULT_BOOTSTRAP) -> tuple[EvalReport, list[Any], dict[str, float]]:
    """Run the whole pipeline on Dutch sources and score the English summaries against the references.

    Articles the pipeline rejects are scored as empty summaries (and listed), never dropped.
    """
    start = time.perf_counter()
    results = list(pipe.run_many([{"id": it["id"], "text": it["source"]} for it in items]))
    elapsed = time.perf_counter() - start
    report = evaluate(
        [r.summary or "" for r in results], [it["reference"] for it in items],
        sources=[r.translation for r in results], original_sources=[r.clean_text or "" for r in results],
        ids=[r.id for r in results], task="summary", seed=seed, n_bootstrap=n_bootstrap, name="beknopt",
        source_label="translation", config={"documents": len(items)},
    )
    stage_totals: dict[str, float] = {}
    for r in results:
        for stage, seconds in r.timings.items():
            stage_totals[f"{stage}_seconds"] = round(stage_totals.get(f"{stage}_seconds", 0.0) + seconds, 3)
    return report, results, {"pipeline_seconds": round(elapsed, 3), **stage_totals}


def evaluate_pipeline(pipe: Any, *, flores_docs: int | None = None, summary_items: Sequence[dict] | None = None,
                      seed: int = DEFAULT_SEED, n_bootstrap: int = DEFAULT_BOOTSTRAP) -> PipelineEvaluation:
    """Translation on FLORES (``flores_docs=0`` skips it) and summaries on ``summary_items`` (if given)."""
    evaluation = PipelineEvaluation(pipeline={"models": _models(pipe), "settings": pipe.describe(),
                                              "fingerprint": pipe.fingerprint()})
    if flores_docs != 0:
        documents = flores_documents(flores_docs)
        report, hypotheses, timings, n_sentences = evaluate_translation(
            pipe, documents, seed=seed, n_bootstrap=n_bootstrap)
        evaluation.translation = report
        evaluation.translations = hypotheses
        evaluation.timings.update(timings)
        evaluation.counts.update({"flores_documents": len(documents), "flores_lines": len(report.ids),
                                  "flores_sentences": n_sentences})
        if timings["translate_seconds"] > 0:
            evaluation.timings["sentences_per_second"] = round(n_sentences / timings["translate_seconds"], 2)
    if summary_items:
        report, results, timings = evaluate_summaries(pipe, summary_items, seed=seed, n_bootstrap=n_bootstrap)
        evaluation.summary = report
        evaluation.summaries = [r.summary or "" for r in results]
        evaluation.timings.update({f"summary_{k}": v for k, v in timings.items()})
        evaluation.counts["summary_documents"] = len(summary_items)
        evaluation.failures = [{"id": r.id, **(r.error or {})} for r in results if not r.ok]
    return evaluation


def _models(pipe: Any) -> dict[str, Any]:
    return {name: info.get("model") for name, info in pipe.describe().items()
            if isinstance(info, dict) and info.get("model")}
