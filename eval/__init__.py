"""beknopt's evaluation harness: metrics with signatures, diagnostics, bootstrap statistics, loaders, reports.

Summaries are scored with Google's ``rouge-score`` and translations with ``sacrebleu``; every corpus number
carries a signature and a seeded bootstrap interval. ``evaluate`` (one system) and ``compare`` (two systems,
paired bootstrap) return an ``EvalReport``; ``write_reports`` turns it into JSON, CSV, Markdown and HTML.
Each metric is a ``Metric`` (``per_document``, ``corpus``, ``signature``); ``default_metrics`` lists them.
See ``eval/README.md`` for the deviations from the reference implementations.

Names load lazily, so reading the bundled data (``importlib.resources`` imports this package) needs neither
``rouge-score`` nor ``sacrebleu``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Diagnostics": "diagnostics", "SummaryDiagnostics": "diagnostics", "diagnose": "diagnostics",
    "compare": "harness", "evaluate": "harness", "paired_test": "harness", "score_system": "harness",
    "EvalInputError": "inputs", "EvalInputs": "inputs", "load_inputs": "inputs", "read_records": "inputs",
    "Metric": "metric", "MetricResult": "metric",
    "BERTScore": "metrics", "Bleu": "metrics", "Chrf": "metrics", "MissingDependencyError": "metrics",
    "Rouge": "metrics", "Ter": "metrics", "default_metrics": "metrics",
    "to_csv": "report", "to_html": "report", "to_json": "report", "to_markdown": "report", "write_reports": "report",
    "DocumentResult": "results", "EvalReport": "results", "PairedResult": "results", "SystemResult": "results",
    "Bootstrap": "scores", "DEFAULT_BOOTSTRAP": "scores", "DEFAULT_SEED": "scores", "Score": "scores",
    "Signature": "scores",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .diagnostics import Diagnostics, SummaryDiagnostics, diagnose
    from .harness import compare, evaluate, paired_test, score_system
    from .inputs import EvalInputError, EvalInputs, load_inputs, read_records
    from .metric import Metric, MetricResult
    from .metrics import BERTScore, Bleu, Chrf, MissingDependencyError, Rouge, Ter, default_metrics
    from .report import to_csv, to_html, to_json, to_markdown, write_reports
    from .results import DocumentResult, EvalReport, PairedResult, SystemResult
    from .scores import DEFAULT_BOOTSTRAP, DEFAULT_SEED, Bootstrap, Score, Signature


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'beknopt.eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
