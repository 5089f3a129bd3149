"""Numbers, intervals and id lists as every report format writes them, so JSON, Markdown and HTML agree."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .diagnostics import DIAGNOSTIC_FIELDS
from .results import EvalReport, SystemResult
from .scores import Score


def num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def ci_text(score: Score) -> str:
    if score.ci_low is None or score.ci_high is None:
        return "–"
    return f"[{num(score.ci_low)}, {num(score.ci_high)}]"


def few_ids(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


def unit(report: EvalReport) -> str:
    """What one scored item is (``config["unit"]``): FLORES lines are segments, not documents."""
    return str(report.config.get("unit") or "documents")


def left_out_text(report: EvalReport) -> str:
    """One plain-text line on the ids that were not scored (``join="intersection"``), with the first few."""
    left = report.left_out
    refs = f"{len(left.references)} of {len(report.ids) + len(left.references)} references"
    parts = [refs + (f" ({few_ids(left.references)})" if left.references else "")]
    for system in report.systems:
        ids = left.predictions.get(system.name, [])
        of = f" of {system.name}" if len(report.systems) > 1 else ""
        part = f"{len(ids)} of {len(report.ids) + len(ids)} predictions{of}"
        parts.append(part + (f" ({few_ids(ids)})" if ids else ""))
    return (f"ids: intersection, the {len(report.ids)} {unit(report)} with both a prediction and a reference "
            f"scored; left out {', '.join(parts)}")


def document_columns(system: SystemResult) -> tuple[list[str], list[str]]:
    score_keys = list(dict.fromkeys(k for d in system.documents for k in d.scores))
    diag_keys = []
    if any(d.diagnostics for d in system.documents):
        diag_keys = [*DIAGNOSTIC_FIELDS, "unsupported_numbers", "unsupported_names"]
    return score_keys, diag_keys
