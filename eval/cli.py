"""``beknopt eval``: score predictions against references, or compare two systems, from the command line.

Prints the Markdown table; writes reports with ``--out``. Exit status 0 on success and 2 for usage or input
errors (message on stderr), so scripts can tell a bad invocation from a finished evaluation.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from beknopt.cli.util import ArgumentParser, UsageError

from .harness import JOINS, compare, evaluate
from .human import METRICS as HUMAN_METRICS
from .inputs import FORMATS, TASKS, EvalInputError, EvalInputs, load_inputs
from .metrics import MissingDependencyError
from .report import REPORT_FORMATS, left_out_text, to_markdown, write_reports
from .scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED

EPILOG = """examples:
  beknopt eval --predictions out/ --references refs.jsonl --out report/
  beknopt eval --predictions hyp.txt --references ref.txt --task translation
  beknopt eval --compare runA/ runB/ --references refs.jsonl --report md,html --out cmp/
  beknopt eval --predictions some.jsonl --references refs.jsonl --ids intersection
  beknopt eval --human judged.jsonl --source articles.jsonl --references refs.jsonl --out agreement/

--human FILE: judged summaries, one a line: {"id", "system", "prediction", "references"?, "source"?,
"human": {"consistency": 4.3, ...}} (or CSV with those columns, every other column an aspect);
--references/--source then name files of {"id", "references"} / {"id", "source"} rows for lines that lack them.
Reports how each metric (--metrics) agrees with each human aspect: summary- and system-level Spearman,
Kendall and Pearson (scipy) with bootstrap intervals over articles.

field names: --pred-field/--ref-field take NAME (for the chosen task) or TASK=NAME, repeatable.
defaults: predictions summary|prediction, translation|prediction; references reference|summary,
reference|translation; with --task both only summary/translation (references also reference_summary,
reference_translation)."""


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="beknopt eval",
        description="Evaluate summaries (ROUGE, diagnostics) and translations "
        "(BLEU, chrF, TER) with signatures and bootstrap confidence intervals.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--predictions", "-p", metavar="P", help="predictions: JSONL, CSV, text file or run folder"
    )
    src.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two systems (paired bootstrap)")
    src.add_argument("--human", metavar="FILE", help="judged summaries (JSONL/CSV): how well each metric agrees "
                     "with the human scores")
    p.add_argument(
        "--references", "-r", metavar="R", help="references: JSONL, CSV or text file (required but with --human)"
    )
    p.add_argument("--metrics", metavar="LIST", help="with --human: comma-separated metrics among "
                   f"{','.join(HUMAN_METRICS)} (default: every one the given fields allow)")
    p.add_argument("--source", "-s", metavar="S", help="source articles (enables summary diagnostics)")
    p.add_argument(
        "--format", default="auto", choices=FORMATS, help="format of the predictions (and references)"
    )
    p.add_argument("--ref-format", choices=FORMATS, help="format of the references if it differs")
    p.add_argument(
        "--pred-field",
        action="append",
        default=[],
        metavar="[TASK=]NAME",
        help="text field/column of the predictions (repeatable; TASK=NAME with --task both; defaults below)",
    )
    p.add_argument(
        "--ref-field",
        action="append",
        default=[],
        metavar="[TASK=]NAME",
        help="text field/column of the references (repeatable; TASK=NAME with --task both; defaults below)",
    )
    p.add_argument(
        "--source-field", metavar="NAME", help="text field of --source (default source|text|article)"
    )
    p.add_argument("--id-field", default="id", metavar="NAME", help="id field/column (default: id)")
    p.add_argument(
        "--split", help="dataset split for --format datasets (default: train for files, test for hub)"
    )
    p.add_argument(
        "--task",
        default="summary",
        choices=(*TASKS, "both"),
        help="what to score: summary (ROUGE, diagnostics), translation (BLEU, chrF, TER) or both (default: summary)",
    )
    p.add_argument(
        "--ids",
        default="strict",
        choices=JOINS,
        help="strict: predictions and references must have the same ids (default); intersection: score only the "
        "ids on both sides and report how many (and which) were left out",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    p.add_argument(
        "--bootstrap",
        type=int,
        default=DEFAULT_BOOTSTRAP,
        metavar="N",
        help=f"bootstrap resamples, 0 to skip intervals (default {DEFAULT_BOOTSTRAP})",
    )
    p.add_argument("--no-stem", action="store_true", help="ROUGE without Porter stemming")
    p.add_argument(
        "--bertscore-model", metavar="MODEL", help="also compute BERTScore with this model (needs bert-score)"
    )
    p.add_argument("--names", nargs=2, metavar=("NAME_A", "NAME_B"), help="system names for --compare")
    p.add_argument("--out", metavar="DIR", help="write reports into DIR")
    p.add_argument(
        "--report", metavar="FORMATS", help="comma-separated json,csv,md,html for --out (default: all)"
    )
    return p


def _fields(values: list[str], task: str) -> dict[str, str]:
    tasks = TASKS if task == "both" else (task,)
    fields: dict[str, str] = {}
    for value in values:
        key, sep, name = value.partition("=")
        if not sep:
            if len(tasks) > 1:
                raise UsageError(f"with --task both give field names as TASK=NAME, not {value!r}")
            key, name = tasks[0], value
        if key not in TASKS or not name:
            raise UsageError(f"bad field {value!r}: use NAME or summary=NAME / translation=NAME")
        fields[key] = name
    return fields


def _load(args: argparse.Namespace, predictions: str) -> EvalInputs:
    return load_inputs(
        predictions,
        args.references,
        sources=args.source,
        task=args.task,
        fmt=args.format,
        ref_fmt=args.ref_format,
        pred_fields=_fields(args.pred_field, args.task),
        ref_fields=_fields(args.ref_field, args.task),
        source_field=args.source_field,
        id_field=args.id_field,
        split=args.split,
        join=args.ids,
    )


def _texts(inputs: EvalInputs, which: str) -> dict[str, list[str]] | list[str]:
    data = inputs.predictions if which == "pred" else inputs.references
    return data if len(data) > 1 else next(iter(data.values()))


def main(argv: list[str] | None = None) -> int:
    """Run ``beknopt eval``; returns the exit status (0 ok, 2 usage or input error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.report is not None and not args.out:
            raise UsageError("--report needs --out DIR")
        formats = [f.strip() for f in (args.report or ",".join(REPORT_FORMATS)).split(",") if f.strip()]
        unknown = [f for f in formats if f not in REPORT_FORMATS]
        if unknown:
            raise UsageError(
                f"unknown --report format(s) {', '.join(unknown)}; choose from {','.join(REPORT_FORMATS)}"
            )
        if args.bootstrap < 0:
            raise UsageError("--bootstrap must be 0 or more")
        if args.names and not args.compare:
            raise UsageError("--names only applies to --compare")
        if args.human:
            return _human(args, formats if args.report is not None else None)
        if args.metrics:
            raise UsageError("--metrics only applies to --human")
        if not args.references:
            raise UsageError("the following arguments are required: --references/-r")
        common = dict(
            task=args.task,
            seed=args.seed,
            n_bootstrap=args.bootstrap,
            stem=not args.no_stem,
            bertscore_model=args.bertscore_model,
            join=args.ids,
        )
        if args.compare:
            a, b = (_load(args, path) for path in args.compare)
            names = tuple(args.names) if args.names else (a.name, b.name)
            source_label = "source" if args.source else ("translation" if a.sources is not None else None)
            report = compare(
                _texts(a, "pred"),
                _texts(b, "pred"),
                _texts(a, "ref"),
                (a.sources, b.sources),
                a.ids,
                names=names,
                original_sources=(a.original_sources, b.original_sources),
                source_label=source_label,
                config={"inputs": [a.meta, b.meta]},
                prediction_ids=(a.prediction_ids, b.prediction_ids),
                **common,
            )
        else:
            inputs = _load(args, args.predictions)
            source_label = (
                "source" if args.source else ("translation" if inputs.sources is not None else None)
            )
            report = evaluate(
                _texts(inputs, "pred"),
                _texts(inputs, "ref"),
                inputs.sources,
                inputs.ids,
                original_sources=inputs.original_sources,
                name=inputs.name,
                source_label=source_label,
                config={"inputs": inputs.meta},
                prediction_ids=inputs.prediction_ids,
                **common,
            )
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"beknopt eval: error: {exc}", file=sys.stderr)
        return 2
    except (EvalInputError, MissingDependencyError) as exc:
        print(f"beknopt eval: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    print(to_markdown(report), end="")
    if report.left_out:
        print(f"beknopt eval: {left_out_text(report)}", file=sys.stderr)
    return _write_reports(args.out, lambda out: write_reports(report, out, formats))


def _write_reports(out: str | None, write: Callable[[Path], list[Path]]) -> int:
    """Write the reports into ``out`` (when given) and say where; 2 when the folder cannot be written."""
    if out:
        try:
            written = write(Path(out))
        except OSError as exc:
            print(f"beknopt eval: error: cannot write reports to {out}: {exc}", file=sys.stderr)
            return 2
        print(f"\nReports: {', '.join(str(w) for w in written)}", file=sys.stderr)
    return 0


def _human(args: argparse.Namespace, formats: list[str] | None) -> int:
    """``--human``: metric–human agreement; the Markdown table on stdout, reports with ``--out``."""
    from .human import evaluate_human
    from .human_report import HUMAN_REPORT_FORMATS, human_to_markdown, write_human_reports

    formats = formats or list(HUMAN_REPORT_FORMATS)
    unknown = [f for f in formats if f not in HUMAN_REPORT_FORMATS]
    if unknown:
        raise UsageError(f"--human reports are {','.join(HUMAN_REPORT_FORMATS)}, not {', '.join(unknown)}")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    try:
        report = evaluate_human(args.human, references=args.references, sources=args.source, metrics=metrics,
                                n_bootstrap=args.bootstrap, seed=args.seed, stem=not args.no_stem)
    except EvalInputError as exc:
        print(f"beknopt eval: error: {exc}", file=sys.stderr)
        return 2
    print(human_to_markdown(report), end="")
    return _write_reports(args.out, lambda out: write_human_reports(report, out, formats))


if __name__ == "__main__":
    sys.exit(main())
