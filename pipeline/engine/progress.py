"""How model work says how far it is: a two-method protocol, passed explicitly, never kept globally.

A batch of articles spends minutes inside ``backend.generate``; without this a progress display could only move
when whole articles are written. The model stages open a *task* (``begin("sentences", 400)``) and the backend
reports each finished batch (``advance("sentences", 32)``). Units: ``"sentences"`` (translation units, after the
cache), ``"retries"`` (sentences translated again by the loop guard) and ``"chunks"`` (summaries of a reduce
round). The callbacks only observe: batches and outputs are the same with or without them.

``Pipeline.process(docs, progress=...)`` hands a sink to the model stages (:class:`~beknopt.stage.BatchStage`'s
``progress`` attribute) for the duration of the call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol, runtime_checkable

__all__ = ["CHUNKS", "NO_PROGRESS", "RETRIES", "SENTENCES", "NoProgress", "Progress", "generate_reporting"]

SENTENCES, RETRIES, CHUNKS = "sentences", "retries", "chunks"


@runtime_checkable
class Progress(Protocol):
    """Where model work reports: a task of ``total`` units begins, then ``n`` more of them are finished."""

    def begin(self, unit: str, total: int) -> None: ...

    def advance(self, unit: str, n: int) -> None: ...


class NoProgress:
    """The default sink: nobody is listening."""

    def begin(self, unit: str, total: int) -> None:
        pass

    def advance(self, unit: str, n: int) -> None:
        pass


NO_PROGRESS = NoProgress()


def generate_reporting(backend: Any, texts: Sequence[str], settings: Any, batching: Any,
                       progress: Progress, unit: str) -> list[str]:
    """``backend.generate``, with each finished batch reported to ``progress`` as ``unit`` (the caller begins the
    task). The ``progress`` keyword is passed only when someone listens, so a backend written before it existed
    keeps working."""
    if progress is NO_PROGRESS:
        return backend.generate(texts, settings, batching)
    report: Callable[[int], None] = partial(progress.advance, unit)
    return backend.generate(texts, settings, batching, progress=report)
