"""What a batch run reports: its options, one ``Outcome`` per article, and the ``BatchSummary`` counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beknopt.inputs import DEFAULT_MAX_BYTES

__all__ = ["BatchOptions", "BatchSummary", "Outcome"]


@dataclass
class BatchOptions:
    """Batch settings that are not pipeline settings (those live in the ``Pipeline``)."""

    output: Path | None  # None: records to ``stream`` as JSONL (``-o -``), no files
    max_bytes: int = DEFAULT_MAX_BYTES
    markdown: bool = False
    ninjs: str | None = None  # the ninjs version to write beside each record (``<id>.ninjs.json``), or None
    force: bool = False
    dry_run: bool = False
    digest: Path | None = None  # --digest FILE (.csv or .jsonl), besides OUTDIR/digest.csv
    stream: Any = None  # the binary stream for output None; default: standard output


@dataclass
class Outcome:
    """What happened to one article; handed to the ``on_outcome`` callback (progress, logs)."""

    status: str  # done | resumed | skipped (not Dutch) | failed
    id: str
    path: str
    line: int | None = None
    stage: str | None = None
    reason: str | None = None
    output: str | None = None
    sentences: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = {"status": self.status, "id": self.id, "path": self.path, "line": self.line,
                "stage": self.stage, "reason": self.reason, "output": self.output,
                "sentences": self.sentences, "warnings": self.warnings}
        return {k: v for k, v in data.items() if v not in (None, [])}


@dataclass
class BatchSummary:
    """Counts for the final line; ``skipped`` is unchanged (resumed) plus not-Dutch articles."""

    done: int = 0
    resumed: int = 0
    non_dutch: int = 0
    failed: int = 0
    sentences: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def skipped(self) -> int:
        return self.resumed + self.non_dutch

    @property
    def total(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def exit_code(self) -> int:
        """0 when nothing failed (skips are not failures), 1 when any article failed."""
        return 1 if self.failed and not self.dry_run else 0

    def line(self) -> str:
        if self.dry_run:
            return f"dry run: {self.done} to process, {self.skipped} to skip, {self.failed} would fail"
        return f"{self.done} done, {self.skipped} skipped, {self.failed} failed"

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "skipped": self.skipped, "failed": self.failed, "resumed": self.resumed,
                "non_dutch": self.non_dutch, "sentences": self.sentences, "seconds": round(self.seconds, 3),
                "dry_run": self.dry_run}
