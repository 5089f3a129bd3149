"""Scores with signatures, and the seeded bootstrap that gives them confidence intervals.

A number without the settings behind it cannot be compared, so every ``Score`` carries a signature string
in the style of sacrebleu's (``key:value`` pairs joined by ``|``), built from a ``Signature`` record. Intervals
come from one seeded numpy ``Generator`` (a ``Bootstrap``), so the same inputs and seed always give the same
report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any

import numpy as np

DEFAULT_SEED = 12345
DEFAULT_BOOTSTRAP = 1000
CONFIDENCE = 0.95


@dataclass
class Score:
    """One corpus-level number, its bootstrap interval (``None`` when not resampled) and its signature.

    ``samples`` keeps the bootstrap draws behind the interval, so two systems resampled with the same documents
    can be compared (paired bootstrap) without recomputing anything; they are not part of the report.
    """

    name: str
    value: float
    ci_low: float | None
    ci_high: float | None
    signature: str
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "signature": self.signature}

    def format(self, digits: int = 4) -> str:
        """``value [low, high]``: for tables and the command line."""
        text = f"{self.value:.{digits}f}"
        if self.ci_low is not None and self.ci_high is not None:
            text += f" [{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]"
        return text


@dataclass(frozen=True)
class Signature:
    """Every setting behind a number: ``head|key:value|...``, as sacrebleu prints its signatures.

    ``fields`` keep their order; ``None`` values are left out and booleans print as yes/no.
    """

    head: str | None
    fields: dict[str, Any] = field(default_factory=dict)

    def format(self) -> str:
        return format_signature(self.head, self.fields)

    def __str__(self) -> str:
        return self.format()

    def extended(self, **fields: Any) -> Signature:
        """The same signature with ``fields`` added (or replaced in place)."""
        return Signature(self.head, {**self.fields, **fields})

    @classmethod
    def from_sacrebleu(cls, signature: Any) -> Signature:
        """A ``sacrebleu.metrics.base.Signature`` as a record; sacrebleu always prints ``version`` last."""
        info = dict(signature.info)
        version = info.pop("version", None)
        return cls(None, {**info, "version": version})


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """One report's resampling: an index matrix (samples x documents) drawn once from ``seed``.

    Every metric, and both systems of a comparison, resample with the same matrix: that is what makes the
    resamples paired, as in sacrebleu's ``paired-bs``.
    """

    seed: int
    indices: np.ndarray = field(repr=False)

    @classmethod
    def draw(cls, n_items: int, n_samples: int, seed: int) -> Bootstrap | None:
        """``None`` for ``n_samples=0``: no intervals."""
        return cls(seed, bootstrap_indices(n_items, n_samples, seed)) if n_samples > 0 else None

    @property
    def size(self) -> int:
        return int(self.indices.shape[0])


def resampling_fields(bootstrap: Bootstrap | None, seed_key: str = "rs") -> dict[str, int | None]:
    """``bs``/``rs`` signature fields: present only when the score was resampled."""
    if bootstrap is None:
        return {"bs": None, seed_key: None}
    return {"bs": bootstrap.size, seed_key: bootstrap.seed}


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
    """Index matrix (samples x items) of documents drawn with replacement, the same for every metric."""
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


def scored(name: str, value: float, samples: np.ndarray | None, signature: str) -> Score:
    """A ``Score`` whose interval is the percentile interval of ``samples`` (none without samples)."""
    low, high = percentile_interval(samples) if samples is not None and samples.size else (None, None)
    return Score(name, value, low, high, signature, samples)


def mean_score(
    name: str, values: Sequence[float | None], bootstrap: Bootstrap | None, signature: str
) -> Score | None:
    """Corpus score = mean of the defined per-document values, with its interval; ``None`` if none is defined."""
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    if array.size == 0 or np.isnan(array).all():
        return None
    samples = bootstrap_means(array, None if bootstrap is None else bootstrap.indices)
    return scored(name, float(np.nanmean(array)), samples, signature)
