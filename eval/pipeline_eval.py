"""End-to-end evaluation: run a configured pipeline over evaluation sets and score what it produced.

Translation is scored on FLORES-200 devtest (shipped in ``beknopt/eval/data``): every FLORES line is given to
the pipeline as its own paragraph, so the splitter and translator work exactly as on articles while the
output stays line-aligned with the references; corpus BLEU/chrF/TER are then computed as sacrebleu does on
the 1,012 lines (the published figure for opus-mt-nl-en is BLEU 29.6, chrF 58.3 with sacrebleu defaults).
Summaries are scored against reference summaries from a JSONL file (Dutch source + English reference).
The report records model ids, settings and timings next to the scores, so a number never loses its setup.
"""

from __future__ import annotations

import argparse
import json
import sys
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
from beknopt.stage import SPLIT, TRANSLATE

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
    # how well the summaries' sentences rest on the articles' sentences (beknopt.checks.provenance); empty without them
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "translation": self.translation.to_dict() if self.translation else None,
            "summary": self.summary.to_dict() if self.summary else None,
            "timings": self.timings,
            "counts": self.counts,
            "failures": self.failures,
            "provenance": self.provenance,
            "outputs": {"translations": self.translations, "summaries": self.summaries},
        }


def evaluate_translation(pipe: Any, documents: Sequence[dict[str, Any]], *, seed: int = DEFAULT_SEED,
                         n_bootstrap: int = DEFAULT_BOOTSTRAP) -> tuple[EvalReport, list[str], dict[str, float], int]:
    """Split and translate FLORES documents line by line; return the report, hypotheses, timings, sentences."""
    docs = [Document(id=f"flores-{d.get('line_start', i)}", paragraphs=[s.strip() for s in d["nl"]])
            for i, d in enumerate(documents)]
    start = time.perf_counter()
    translated = pipe.only(SPLIT, TRANSLATE).process(docs)
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
                                              "documents": len(documents), "unit": "segments"})
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
    evaluation = PipelineEvaluation(pipeline={"models": pipe.models(), "settings": pipe.describe(),
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
        evaluation.provenance = provenance_summary(results)
    return evaluation


def provenance_summary(results: Sequence[Document]) -> dict[str, Any]:
    """Mean ``support`` of the summary sentences (over sentences, not articles) and how many fall below the
    provenance stage's threshold; empty when the pipeline has no provenance stage."""
    from beknopt.checks.provenance import SUPPORT_THRESHOLD

    supports = [s["support"] for r in results for s in r.summary_sentences]
    if not supports:
        return {}
    threshold = next((r.settings.get("provenance", {}).get("threshold") for r in results
                      if isinstance(r.settings.get("provenance"), dict)), SUPPORT_THRESHOLD)
    return {"summary_sentences": len(supports), "mean_support": round(sum(supports) / len(supports), 4),
            "below_threshold": sum(s < threshold for s in supports), "threshold": threshold}


def to_html(evaluation: PipelineEvaluation) -> str:
    """The top-level ``report.html``: what ran (models, settings, timings, counts, failures), then each task's
    report, so one offline page holds the whole evaluation."""
    from html import escape

    from beknopt.eval.report import html_page, html_sections

    facts = {"models": evaluation.pipeline["models"], "fingerprint": evaluation.pipeline["fingerprint"],
             "counts": evaluation.counts, "timings": evaluation.timings}
    rows = "".join(f"<tr><td>{escape(k)}</td><td><code>{escape(json.dumps(v, ensure_ascii=False, default=str))}"
                   "</code></td></tr>" for k, v in facts.items())
    body = ["<h1>beknopt eval-pipeline</h1>", f"<table class=config>{rows}</table>",
            "<details><summary>Settings</summary><pre><code>"
            f"{escape(json.dumps(evaluation.pipeline['settings'], ensure_ascii=False, indent=1, default=str))}"
            "</code></pre></details>"]
    if evaluation.failures:
        failed = ", ".join(str(f.get("id")) for f in evaluation.failures)
        body.append(f"<p class=note>{len(evaluation.failures)} article(s) failed and were scored as empty "
                    f"summaries: {escape(failed)}</p>")
    for task, report in (("translation", evaluation.translation), ("summary", evaluation.summary)):
        if report is not None:
            body.append(f"<section class=task data-task={task}>")
            body += html_sections(report, level=2)
            body.append("</section>")
    return html_page("beknopt eval-pipeline report", body)


def build_parser() -> argparse.ArgumentParser:
    from beknopt.options import RUN_OPTIONS, add_options

    parser = argparse.ArgumentParser(
        prog="beknopt eval-pipeline",
        description="Run a pipeline configuration over FLORES-200 devtest (translation: BLEU, chrF, TER) and "
        "over Dutch articles with English reference summaries (ROUGE), and write the scores with the models, "
        "settings and timings that produced them.",
    )
    parser.add_argument("--out", "-o", required=True, metavar="DIR", help="folder for report.json/.md/.html (both "
                        "tasks), translation/ and summary/ (each task's full report), translations.txt and "
                        "summaries.jsonl")
    parser.add_argument("--flores-docs", type=int, default=None, metavar="N",
                        help="translate only the first N of the 281 FLORES documents (0 skips translation)")
    parser.add_argument("--summaries", metavar="FILE.jsonl", help="Dutch articles with English reference "
                        "summaries, one JSON object per line")
    parser.add_argument("--source-field", default="source_nl", help="article field in --summaries")
    parser.add_argument("--reference-field", default="summary_en", help="reference field in --summaries")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_BOOTSTRAP, help="bootstrap samples (0: none)")
    add_options(parser, [o for o in RUN_OPTIONS if o.group == "pipeline"])
    return parser


def main(argv: list[str] | None = None) -> int:
    """``beknopt eval-pipeline``: exit 0 on success, 2 for usage, input or model errors."""
    from beknopt.config import PipelineConfig
    from beknopt.document import BeknoptError
    from beknopt.eval.report import to_markdown, write_reports
    from beknopt.options import RUN_OPTIONS
    from beknopt.pipeline import Pipeline

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    if args.flores_docs is not None and args.flores_docs < 0 or args.bootstrap < 0:
        print("beknopt eval-pipeline: error: --flores-docs and --bootstrap must be 0 or more", file=sys.stderr)
        return 2
    if args.flores_docs == 0 and not args.summaries:
        print("beknopt eval-pipeline: error: nothing to evaluate (--flores-docs 0 and no --summaries)",
              file=sys.stderr)
        return 2
    settings = {o.name: getattr(args, o.name) for o in RUN_OPTIONS if hasattr(args, o.name)}
    try:
        items = (read_summary_items(args.summaries, args.source_field, args.reference_field)
                 if args.summaries else None)
        pipe = Pipeline.from_config(PipelineConfig.from_options(settings))
        evaluation = evaluate_pipeline(pipe, flores_docs=args.flores_docs, summary_items=items, seed=args.seed,
                                       n_bootstrap=args.bootstrap)
    except (EvalInputError, BeknoptError, OSError) as exc:
        print(f"beknopt eval-pipeline: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2, default=str),
                                     encoding="utf-8")
    sections = []
    for task, report in (("translation", evaluation.translation), ("summary", evaluation.summary)):
        if report is not None:
            write_reports(report, out / task, ["json", "csv", "md", "html"])
            sections.append(f"## {task}\n\n{to_markdown(report)}")
    if evaluation.translations:
        (out / "translations.txt").write_text("\n".join(evaluation.translations) + "\n", encoding="utf-8")
    if evaluation.summaries:
        with (out / "summaries.jsonl").open("w", encoding="utf-8") as fh:
            ids = evaluation.summary.ids if evaluation.summary else []
            for doc_id, summary in zip(ids, evaluation.summaries, strict=True):
                fh.write(json.dumps({"id": doc_id, "summary": summary}, ensure_ascii=False) + "\n")
    header = (f"models: {json.dumps(evaluation.pipeline['models'])}  settings: {evaluation.pipeline['fingerprint']}"
              f"\ntimings: {json.dumps(evaluation.timings)}\n")
    text = header + "\n".join(sections)
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.html").write_text(to_html(evaluation), encoding="utf-8")
    print(text, end="" if text.endswith("\n") else "\n")
    if evaluation.failures:
        print(f"{len(evaluation.failures)} article(s) failed and were scored as empty summaries: "
              + ", ".join(f["id"] for f in evaluation.failures[:5]), file=sys.stderr)
    return 0
