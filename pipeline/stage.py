"""The stage protocol, and the one wrapper that gives every stage the same guarantees.

A stage is any callable ``stage(docs) -> docs`` that fills its own fields of the documents it is given (the
design's composable unit: a user's own cleaner or summariser is just another stage). beknopt's stages also
have a ``name`` and a ``describe()`` (their model and settings, recorded in every result and hashed into the
settings fingerprint).

What must hold for every stage is written once here rather than in each stage:

- documents that already failed are not passed on (:func:`live`);
- the time a stage takes is recorded per document (its own time, or its share of a batch);
- an exception no stage expected fails only the article that caused it: the batch is re-run one article at a
  time, and the article that still raises is marked failed with the exception as the reason (:func:`isolate`).

Stages that work per article subclass :class:`DocumentStage` (``process_one``); stages that batch across
articles (the model stages) subclass :class:`BatchStage` (``process``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from beknopt.document import BeknoptError, Document
from beknopt.progress import NO_PROGRESS, Progress

__all__ = ["CHECK", "CLEAN", "LANGUAGE", "PROVENANCE", "SPLIT", "STAGE_ORDER", "SUMMARISE", "TRANSLATE", "BatchStage",
           "DocumentStage", "Stage", "isolate", "isolate_any", "live", "run_stage", "stage_name"]

# The names of beknopt's own stages: error records, warnings, timings and settings are keyed by them.
CLEAN, LANGUAGE, SPLIT, TRANSLATE, CHECK, SUMMARISE = "clean", "language", "split", "translate", "check", "summarise"
PROVENANCE = "provenance"
STAGE_ORDER = (CLEAN, LANGUAGE, SPLIT, TRANSLATE, CHECK, SUMMARISE, PROVENANCE)

# What a stage may raise for one bad article without it being a bug: the article fails, the batch goes on.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (BeknoptError, RuntimeError, ValueError, IndexError, MemoryError)


@runtime_checkable
class Stage(Protocol):
    """What the pipeline needs from a stage: a name, its settings, and the call itself."""

    name: str

    def describe(self) -> dict[str, Any]: ...

    def __call__(self, docs: list[Document]) -> list[Document]: ...


def stage_name(stage: Callable[..., Any]) -> str:
    """A stage's ``name`` attribute, else its function or class name (for user-supplied callables)."""
    return getattr(stage, "name", None) or getattr(stage, "__name__", None) or type(stage).__name__


def live(docs: Sequence[Document]) -> list[Document]:
    return [d for d in docs if d.ok]


def isolate(docs: list[Document], call: Callable[[list[Document]], Any], *, stage: str,
            errors: tuple[type[BaseException], ...] = EXPECTED_ERRORS, prefix: str = "") -> None:
    """Run ``call(docs)``; if it raises one of ``errors``, re-run it one article at a time so only the article
    that breaks it is marked failed (in ``stage``, with ``prefix`` and the exception as the reason)."""
    try:
        call(docs)
    except errors as exc:
        if len(docs) == 1:
            if docs[0].error is None:
                docs[0].fail(stage, f"{prefix}{type(exc).__name__}: {exc}")
            return
        for doc in docs:
            if doc.error is None:
                isolate([doc], call, stage=stage, errors=errors, prefix=prefix)


def isolate_any(docs: list[Document], call: Callable[[list[Document]], Any]) -> None:
    """The last line of defence of a batch: any exception (a bug in a user's stage, say) fails only the article
    that raises it, in stage ``pipeline``, as ``unexpected KeyError: ...``."""
    isolate(docs, call, stage="pipeline", errors=(Exception,), prefix="unexpected ")


def run_stage(stage: Callable[[list[Document]], Any], docs: list[Document]) -> None:
    """One stage over the documents that have not failed, with failures isolated (see the module docstring)."""
    todo = live(docs)
    if todo:
        isolate(todo, stage, stage=stage_name(stage))


class DocumentStage:
    """A stage that handles one article at a time (cleaning, language, splitting); times each article."""

    name = "stage"

    def describe(self) -> dict[str, Any]:
        return {}

    def process_one(self, doc: Document) -> None:
        raise NotImplementedError

    def __call__(self, docs: list[Document]) -> list[Document]:
        for doc in live(docs):
            start = time.perf_counter()
            self.process_one(doc)
            if doc.ok:
                doc.timings[self.name] = round(time.perf_counter() - start, 6)
        return docs


class BatchStage:
    """A stage that handles the live articles of a batch together (the model stages).

    ``process`` returns each article's share of the work (sentences, say) or ``None`` for equal shares; the
    batch's wall time is split by those shares into each article's ``timings``. ``progress`` is where the model
    work reports as it goes (:mod:`beknopt.progress`): ``Pipeline.process(docs, progress=...)`` sets it for the
    duration of a call, so the stage's signature stays ``stage(docs)``.
    """

    name = "stage"
    progress: Progress = NO_PROGRESS

    def describe(self) -> dict[str, Any]:
        return {}

    def process(self, docs: list[Document]) -> list[float] | None:
        raise NotImplementedError

    def __call__(self, docs: list[Document]) -> list[Document]:
        todo = live(docs)
        if not todo:
            return docs
        start = time.perf_counter()
        shares = self.process(todo)
        elapsed = time.perf_counter() - start
        weights = shares if shares is not None else [1.0] * len(todo)
        total = sum(weights) or 1.0
        for doc, weight in zip(todo, weights, strict=True):
            doc.timings[self.name] = round(elapsed * weight / total, 6)
        return docs
