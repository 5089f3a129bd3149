"""beknopt's evaluation harness: metrics with signatures, diagnostics, bootstrap statistics, loaders, reports.

Summaries are scored with Google's ``rouge-score`` and translations with ``sacrebleu``; every corpus number
carries a signature and a seeded bootstrap interval. ``evaluate`` (one system) and ``compare`` (two systems,
paired bootstrap) return an ``EvalReport``; ``write_reports`` turns it into JSON, CSV, Markdown and HTML.
See ``eval/README.md`` for the deviations from the reference implementations.

Names load lazily, so reading the bundled data (``importlib.resources`` imports this package) needs neither
``rouge-score`` nor ``sacrebleu``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "SummaryDiagnostics": "diagnostics", "diagnose": "diagnostics",
    "DocumentResult": "harness", "EvalReport": "harness", "PairedResult": "harness", "SystemResult": "harness",
    "compare": "harness", "evaluate": "harness", "paired_test": "harness",
    "EvalInputError": "inputs", "EvalInputs": "inputs", "load_inputs": "inputs", "read_records": "inputs",
    "MissingDependencyError": "metrics",
    "to_csv": "report", "to_html": "report", "to_json": "report", "to_markdown": "report", "write_reports": "report",
    "DEFAULT_BOOTSTRAP": "scores", "DEFAULT_SEED": "scores", "Score": "scores",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .diagnostics import SummaryDiagnostics, diagnose
    from .harness import DocumentResult, EvalReport, PairedResult, SystemResult, compare, evaluate, paired_test
    from .inputs import EvalInputError, EvalInputs, load_inputs, read_records
    from .metrics import MissingDependencyError
    from .report import to_csv, to_html, to_json, to_markdown, write_reports
    from .scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED, Score


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'beknopt.eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
