"""beknopt's evaluation harness: metrics with signatures, diagnostics, bootstrap statistics, loaders, reports.

Summaries are scored with Google's ``rouge-score`` and translations with ``sacrebleu``; every corpus number
carries a signature and a seeded bootstrap interval. ``evaluate`` (one system) and ``compare`` (two systems,
paired bootstrap) return an ``EvalReport``; ``write_reports`` turns it into JSON, CSV, Markdown and HTML.
See ``eval/README.md`` for the deviations from the reference implementations.
"""

from .diagnostics import SummaryDiagnostics, diagnose
from .harness import DocumentResult, EvalReport, PairedResult, SystemResult, compare, evaluate, paired_test
from .inputs import EvalInputError, EvalInputs, load_inputs, read_records
from .metrics import MissingDependencyError
from .report import to_csv, to_html, to_json, to_markdown, write_reports
from .scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED, Score

__all__ = [
    "DEFAULT_BOOTSTRAP",
    "DEFAULT_SEED",
    "DocumentResult",
    "EvalInputError",
    "EvalInputs",
    "EvalReport",
    "MissingDependencyError",
    "PairedResult",
    "Score",
    "SummaryDiagnostics",
    "SystemResult",
    "compare",
    "diagnose",
    "evaluate",
    "load_inputs",
    "paired_test",
    "read_records",
    "to_csv",
    "to_html",
    "to_json",
    "to_markdown",
    "write_reports",
]
