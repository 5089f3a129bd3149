"""What ``beknopt run`` shows while it works: a progress bar on terminals, messages, JSON events."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import IO, Any

__all__ = ["Reporter", "silence_libraries"]


class Reporter:
    """Progress bar (TTY only), per-article messages and JSON events; never touches stdout except dry runs."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False, json_logs: bool = False,
                 stream: IO[str] | None = None) -> None:
        self.quiet, self.verbose, self.json_logs = quiet, verbose, json_logs
        self.stream = stream or sys.stderr
        self.bar: Any = None
        self.sentences = 0
        self.started = time.perf_counter()

    @property
    def wants_progress(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return not self.quiet and not self.json_logs and bool(isatty and isatty())

    def event(self, name: str, **data: Any) -> None:
        if self.json_logs:
            self._write(json.dumps({"event": name, "time": round(time.time(), 3), **data}, ensure_ascii=False))

    def _write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, total: int | None, **data: Any) -> None:
        self.started = time.perf_counter()
        if not self.quiet:
            self.event("start", **data)
        if self.wants_progress:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", file=self.stream, dynamic_ncols=True, smoothing=0.05)

    def outcome(self, outcome: Any) -> None:
        if self.bar is not None:
            self.sentences += outcome.sentences
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{self.sentences / elapsed:.1f} sentences/s", refresh=False)
            self.bar.update(1)
        if self.quiet:
            return
        if outcome.dry_run:
            print(_dry_run_line(outcome), flush=True)
            return
        if self.json_logs:
            if self.verbose or outcome.status == "failed":
                self.event("article", **outcome.to_dict())
            return
        if outcome.status == "failed":
            self._write(f"FAILED {outcome.id} [{outcome.stage}] {outcome.reason}")
        elif self.verbose:
            if outcome.status == "done":
                self._write(f"done    {outcome.id} -> {outcome.output}")
                for warning in outcome.warnings:
                    self._write(f"        warning: {warning}")
            elif outcome.status == "resumed":
                self._write(f"skipped {outcome.id} (unchanged since the last run)")
            else:
                self._write(f"skipped {outcome.id} ({outcome.reason})")

    def finish(self, summary: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.quiet:
            return
        self.event("finish", **summary.to_dict(), summary=summary.line())
        if self.verbose and not self.json_logs:
            self._write(f"skipped: {summary.resumed} unchanged since the last run, {summary.non_dutch} not Dutch; "
                        f"{summary.sentences} sentences in {summary.seconds:.1f}s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _dry_run_line(outcome: Any) -> str:
    where = f"{outcome.path}:{outcome.line}" if outcome.line else outcome.path
    if outcome.status == "done":
        return f"would process  {outcome.id}  ({where})"
    if outcome.status == "resumed":
        return f"would skip     {outcome.id}  (unchanged since the last run)"
    if outcome.status == "skipped":
        return f"would skip     {outcome.id}  ({outcome.stage}: {outcome.reason})"
    return f"would fail     {outcome.id}  ({outcome.stage}: {outcome.reason})"


def silence_libraries() -> None:
    """Model-loading progress bars from the hub and transformers would garble logs meant for machines."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
