"""What ``beknopt run`` shows while it works: progress, messages, JSON events; stdout only for dry runs.

Progress follows the model work, not only finished articles: a batch of articles spends minutes inside the
models, so the :class:`Reporter` is also a :class:`beknopt.engine.progress.Progress` sink (``begin``/``advance``) that
hears about every batch of sentences translated and of chunks summarised. Shown as (``--progress``):

- ``bar``: one tqdm bar on a terminal of known width, redrawn as each batch finishes;
- ``lines``: plain lines (``progress: translating 1,200/5,000 sentences, 35.2/s, ETA 1m48s; articles 16/123``)
  every ``LINE_INTERVAL`` seconds and at every 5% of the articles, for logs and for terminals that report no
  width (a pty of 0x0 columns, ``COLUMNS=0``), where a bar draws nothing; ``progress`` events with
  ``--log-format json``;
- ``auto`` (default): the bar on a terminal, lines where the terminal has no width, lines when stderr is not a
  terminal but ``--verbose`` is given, else nothing. ``--quiet`` means no progress.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["LINE_INTERVAL", "MODES", "Reporter", "hide_loading_bars", "silence_libraries", "terminal_size"]

MODES = ("auto", "bar", "lines", "off")
LINE_INTERVAL = 10.0  # seconds between plain progress lines (more often at every 5% of the articles)
# a task's label and what it counts, by its unit (beknopt.engine.progress)
LABELS = {"sentences": ("translating", "sentences"), "retries": ("translating again", "looping sentences"),
          "chunks": ("summarising", "chunks")}


def terminal_size(stream: Any) -> tuple[int, int, bool] | None:
    """``(columns, lines, from_the_terminal)`` of the terminal ``stream`` writes to, or ``None`` when it reports
    no width (no terminal, a pty of 0x0, ``COLUMNS=0``): a tqdm bar there is drawn with no room and shows nothing.
    ``COLUMNS`` stands in where the terminal itself says nothing; ``from_the_terminal`` says the bar can follow
    resizes."""
    env = os.environ.get("COLUMNS", "").strip()
    if env == "0":
        return None
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        size = None
    if size is not None and size.columns > 0:
        return size.columns, size.lines, True
    if env.isdigit():
        lines = os.environ.get("LINES", "").strip()
        return int(env), int(lines) if lines.isdigit() and int(lines) > 0 else 24, False
    return None


def _count(n: int) -> str:
    return f"{n:,}"


def _rate(per_second: float) -> str:
    if per_second >= 100:
        return f"{per_second:,.0f}/s"
    if per_second >= 0.5:
        return f"{per_second:.1f}/s"
    return f"{per_second * 60:.1f}/min"


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@dataclass
class _Task:
    """One call's worth of model work: ``total`` units (sentences, chunks) of which ``done`` are finished."""

    unit: str
    total: int | None
    started: float
    done: int = 0
    last: float = 0.0  # when the latest batch finished: a task's time ends there, not when the next begins

    @property
    def active(self) -> bool:
        return self.total is None or self.done < self.total


class Reporter:
    """Progress (see the module docstring), per-article messages and JSON events on ``stream`` (stderr)."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False, json_logs: bool = False,
                 stream: IO[str] | None = None, mode: str = "auto", interval: float | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        """``mode``: ``--progress`` (one of ``MODES``); ``interval``: seconds between plain lines (default
        ``LINE_INTERVAL``); ``clock``: where rates and intervals get the time."""
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.quiet, self.verbose, self.json_logs = quiet, verbose, json_logs
        self.stream = stream or sys.stderr
        self.interval = LINE_INTERVAL if interval is None else interval
        self.clock = clock
        self.size = terminal_size(self.stream)
        self.mode = self._resolve(mode)
        self.bar: Any = None
        self.sentences = 0
        self.started = clock()
        self.articles = 0
        self.total: int | None = None
        self.task: _Task | None = None
        self.spent: dict[str, tuple[int, float]] = {}  # unit -> (units done, seconds) of the finished tasks
        self._last_line = float("-inf")
        self._last_step = 0  # the last 5% step of the articles a line was written for

    def _resolve(self, mode: str) -> str:
        """``bar``, ``lines`` or ``off``, from the flag and what ``stream`` is."""
        if self.quiet or mode == "off":
            return "off"
        if self.json_logs:  # a bar would garble the events: progress comes as events too
            return "lines" if mode in ("bar", "lines") else "off"
        if mode == "lines":
            return "lines"
        isatty = getattr(self.stream, "isatty", None)
        if mode == "bar" or (isatty and isatty()):
            return "bar" if self.size is not None else "lines"
        return "lines" if self.verbose else "off"

    @property
    def wants_progress(self) -> bool:
        """Whether progress is shown (then the articles are counted up front, for the totals)."""
        return self.mode != "off"

    @property
    def progress(self) -> Reporter | None:
        """The sink for the model work (``BatchRunner(progress=...)``), ``None`` when no progress is shown."""
        return self if self.wants_progress else None

    def event(self, name: str, **data: Any) -> None:
        if self.json_logs:
            self._write(json.dumps({"event": name, "time": round(time.time(), 3), **data}, ensure_ascii=False))

    def _write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    # -- the run ----------------------------------------------------------------------------------

    def start(self, total: int | None, **data: Any) -> None:
        self.started = self.clock()
        self.total = total
        if not self.quiet:
            self.event("start", **data)
        if self.mode == "bar":
            from tqdm import tqdm

            columns, lines, dynamic = self.size or (80, 24, False)
            self.bar = tqdm(total=total, file=self.stream, dynamic_ncols=dynamic,
                            ncols=None if dynamic else columns, nrows=None if dynamic else lines,
                            bar_format="{desc}", mininterval=0)
            self._show()

    def left_out(self, paths: list[str], output: str) -> None:
        """Say which article files were not read because they are inside OUTDIR (one line; ``-v`` lists them):
        a run that silently skips a user's articles looks like it read them all."""
        if not paths or self.quiet:
            return
        n = len(paths)
        line = f"left out {n:,} file{'' if n == 1 else 's'} inside the output folder {output}"
        if self.json_logs:
            self.event("left_out", count=n, output=output, **({"paths": paths} if self.verbose else {}))
        elif self.verbose:
            self._write(f"{line}:")
            for path in paths:
                self._write(f"  {path}")
        else:
            self._write(f"{line} (-v lists them)")

    def outcome(self, outcome: Any) -> None:
        self._message(outcome)
        if self.wants_progress:
            self._end_task()  # articles are written once their batch's model work is over
            self.articles += 1
            self.sentences += outcome.sentences
            step = self.articles * 20 // self.total if self.total else 0
            self._show(force=step > self._last_step)

    def _message(self, outcome: Any) -> None:
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
        self.close()
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

    # -- the model work (beknopt.engine.progress.Progress) -----------------------------------------------

    def begin(self, unit: str, total: int) -> None:
        """A task of ``total`` units begins; the one before it is over."""
        if not self.wants_progress:
            return
        self._end_task()
        now = self.clock()
        self.task = _Task(unit, total, now, last=now)
        self._show()

    def advance(self, unit: str, n: int) -> None:
        """``n`` more units of the current task are finished (a batch)."""
        if not self.wants_progress:
            return
        if self.task is None or self.task.unit != unit:  # a sink used without begin: count what comes
            self._end_task()
            now = self.clock()
            self.task = _Task(unit, None, now, last=now)
        self.task.done += n
        self.task.last = self.clock()
        self._show()

    def _end_task(self) -> None:
        if self.task is not None:
            done, seconds = self.spent.get(self.task.unit, (0, 0.0))
            self.spent[self.task.unit] = (done + self.task.done, seconds + self.task.last - self.task.started)
            self.task = None

    def _unit_rate(self, task: _Task) -> float | None:
        """Units per second of model work in this unit so far, the finished tasks included (so a task that just
        began has an ETA at once)."""
        done, seconds = self.spent.get(task.unit, (0, 0.0))
        done += task.done
        seconds += (task.last if not task.active else self.clock()) - task.started
        return done / seconds if done and seconds > 0 else None

    # -- showing it ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What is shown, as data (the ``progress`` event): the model task of the batch at work, if any (until
        its articles are written), and the articles."""
        data: dict[str, Any] = {"articles": self.articles, "articles_total": self.total}
        elapsed = self.clock() - self.started
        if self.articles and self.total:
            data["articles_eta_s"] = round(elapsed / self.articles * (self.total - self.articles), 1)
        task = self.task
        if task is not None:
            rate = self._unit_rate(task)
            data.update(task=LABELS.get(task.unit, ("processing", task.unit))[0], unit=task.unit, done=task.done,
                        total=task.total)
            if rate is not None:
                data["rate"] = round(rate, 3)
                if task.total is not None:
                    data["eta_s"] = round((task.total - task.done) / rate, 1)
        elif self.sentences and elapsed > 0:
            data["sentences_per_s"] = round(self.sentences / elapsed, 3)
        return data

    def line(self) -> str:
        """The status in words: ``translating 1,200/5,000 sentences, 35.2/s, ETA 1m48s; articles 16/123``."""
        data = self.status()
        of_total = f"/{_count(self.total)}" if self.total is not None else ""
        articles = f"articles {_count(self.articles)}{of_total}"
        if "task" in data:
            total = f"/{_count(data['total'])}" if data["total"] is not None else ""
            noun = LABELS.get(data["unit"], ("processing", data["unit"]))[1]
            parts = [f"{data['task']} {_count(data['done'])}{total} {noun}"]
            if "rate" in data:
                parts.append(_rate(data["rate"]))
            if "eta_s" in data:
                parts.append(f"ETA {_duration(data['eta_s'])}")
            return f"{', '.join(parts)}; {articles}"
        parts = [articles]
        elapsed = self.clock() - self.started
        if self.articles and elapsed > 0:
            parts.append(_rate(self.articles / elapsed))
        if "articles_eta_s" in data:
            parts.append(f"ETA {_duration(data['articles_eta_s'])}")
        text = ", ".join(parts)
        if "sentences_per_s" in data:
            text += f"; {data['sentences_per_s']:.1f} sentences/s"
        return text

    def _show(self, *, force: bool = False) -> None:
        """Redraw the bar, or write a line when one is due (``interval`` passed, or ``force``)."""
        if self.bar is not None:
            self._draw()
            return
        if self.mode != "lines":
            return
        now = self.clock()
        if not force and now - self._last_line < self.interval:
            return
        self._last_line = now
        if self.total:
            self._last_step = self.articles * 20 // self.total
        if self.json_logs:
            self.event("progress", **self.status())
        else:
            self._write(f"progress: {self.line()}")

    def _draw(self) -> None:
        """The bar: the task's (else the articles') fraction, then the status line; tqdm only draws."""
        task = self.task
        total = task.total if task is not None else self.total
        done = task.done if task is not None else self.articles
        text = self.line().replace("{", "{{").replace("}", "}}")
        self.bar.bar_format = ("{percentage:3.0f}%|{bar}| " + text) if total else text
        self.bar.total = total
        self.bar.n = min(done, total) if total else done
        self.bar.refresh()


def _dry_run_line(outcome: Any) -> str:
    where = f"{outcome.path}:{outcome.line}" if outcome.line else outcome.path
    if outcome.status == "done":
        return f"would process  {outcome.id}  ({where})"
    if outcome.status == "resumed":
        return f"would skip     {outcome.id}  (unchanged since the last run)"
    if outcome.status == "skipped":
        return f"would skip     {outcome.id}  ({outcome.stage}: {outcome.reason})"
    return f"would fail     {outcome.id}  ({outcome.stage}: {outcome.reason})"


def hide_loading_bars() -> None:
    """transformers 5 draws a ``Loading weights`` bar on stderr for every model it loads: noise in a normal run
    (kept with ``--verbose``). Process-wide, so only the entry point calls it, before the models load."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()  # the hub's download bars too


def silence_libraries() -> None:
    """Model-loading progress bars and warnings from the hub and transformers would garble logs meant for
    machines (``--log-format json``) or for nobody (``--quiet``)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
