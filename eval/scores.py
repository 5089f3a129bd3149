"""Scores with signatures, and the seeded bootstrap that gives them confidence intervals.

A number without the settings behind it cannot be compared, so every ``Score`` carries a signature string
in the style of sacrebleu's (``key:value`` pairs joined by ``|``). Intervals come from one seeded numpy
``Generator``, so the same inputs and seed always give the same report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from typing import Any

import numpy as np

DEFAULT_SEED = 12345
DEFAULT_BOOTSTRAP = 1000
CONFIDENCE = 0.95


@dataclass
class Score:
    """One corpus-level number, its bootstrap interval (``None`` when not resampled) and its signature."""

    name: str
    value: float
    ci_low: float | None
    ci_high: float | None
    signature: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def format(self, digits: int = 4) -> str:
        """``value [low, high]``: for tables and the command line."""
        text = f"{self.value:.{digits}f}"
        if self.ci_low is not None and self.ci_high is not None:
            text += f" [{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]"
        return text


@cache
def package_version(name: str) -> str:
    """Installed version of a distribution, or ``unknown`` (a source checkout without metadata)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def format_signature(head: str | None, fields: dict[str, Any]) -> str:
    """sacrebleu-style ``head|key:value|...``; booleans become yes/no, ``None`` values are left out."""
    parts = [head] if head else []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(f"{key}:{value}")
    return "|".join(parts)


def bootstrap_indices(n_items: int, n_samples: int, seed: int) -> np.ndarray:
    """Index matrix (samples x items) of documents drawn with replacement, the same for every metric.

    Sharing one matrix across metrics (and across both systems in a comparison) is what makes the resamples
    paired, as in sacrebleu's ``paired-bs``.
    """
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_items, size=(n_samples, n_items))


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided percentile interval of bootstrap samples (2.5th and 97.5th percentiles for 95%)."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(low), float(high)


def bootstrap_means(values: np.ndarray, indices: np.ndarray | None) -> np.ndarray | None:
    """Resampled means of per-document values (NaNs, i.e. undefined values, are ignored)."""
    if indices is None or values.size == 0:
        return None
    sampled = values[indices]
    if np.isnan(values).any():
        with np.errstate(invalid="ignore"):
            counts = (~np.isnan(sampled)).sum(axis=1)
            sums = np.nansum(sampled, axis=1)
            means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return means[~np.isnan(means)] if (~np.isnan(means)).any() else None
    return sampled.mean(axis=1)


def bootstrap_stat(
    stats: np.ndarray, indices: np.ndarray | None, compute: Callable[[np.ndarray], float]
) -> np.ndarray | None:
    """Recompute a corpus statistic from resampled per-document sufficient statistics (BLEU, chrF, TER)."""
    if indices is None or stats.size == 0:
        return None
    return np.array([compute(stats[row].sum(axis=0)) for row in indices], dtype=float)


def mean_score(
    name: str, values: list[float | None], indices: np.ndarray | None, signature: str
) -> tuple[Score | None, np.ndarray | None]:
    """Corpus score = mean of the defined per-document values, with its interval and the resampled means."""
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    if array.size == 0 or np.isnan(array).all():
        return None, None
    samples = bootstrap_means(array, indices)
    low, high = percentile_interval(samples) if samples is not None and samples.size else (None, None)
    return Score(name, float(np.nanmean(array)), low, high, signature), samples
