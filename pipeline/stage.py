"""The stage protocol, and the one wrapper that gives every stage the same guarantees.

A stage is any callable ``stage(docs) -> docs`` that fills its own fields of the documents it is given (the
design's composable unit: a user's own cleaner or summariser is just another stage). beknopt's stages also
have a ``name`` and a ``describe()`` (their model and settings, recorded in every result and hashed into the
settings fingerprint).

What must hold for every stage is written once here rather than in each stage:

- documents that already failed are not passed on (:func:`live`);
- the time a stage takes is recorded per document (its own time, or its share of a batch);
- an exception fails only the article that caused it, whatever stage raised it (beknopt's or a user's): the
  batch is bisected until the article that still raises is found and marked failed with the exception as the
  reason (:func:`isolate`). This is the one place crash isolation lives: ``Pipeline.process`` runs every stage
  through it, so the API, ``beknopt run``, the service and Ray all give the same guarantee.

Stages that work per article subclass :class:`DocumentStage` (``process_one``); stages that batch across
articles (the model stages) subclass :class:`BatchStage` (``process``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from beknopt.document import BeknoptError, Document
from beknopt.engine.progress import NO_PROGRESS, Progress

log = logging.getLogger("beknopt")

__all__ = ["CHECK", "CLEAN", "LANGUAGE", "PROVENANCE", "SPLIT", "STAGE_ORDER", "SUMMARISE", "TRANSLATE", "BatchStage",
           "DocumentStage", "Stage", "engine_guard", "isolate", "live", "run_stage", "stage_name",
           "stage_settings"]

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


def stage_settings(stage: Callable[..., Any]) -> dict[str, Any]:
    """A stage's ``describe()``, or its class name for a user's callable without one: what records and the
    settings fingerprint say about it."""
    describe = getattr(stage, "describe", None)
    return describe() if callable(describe) else {"stage": type(stage).__name__}


def live(docs: Sequence[Document]) -> list[Document]:
    return [d for d in docs if d.ok]


def isolate(docs: list[Document], call: Callable[[list[Document]], Any], *, stage: str) -> None:
    """Run ``call(docs)``; if it raises, find the article that breaks it by bisecting the batch (each half
    re-run from the state it was in before, so nothing is recorded twice) and mark only that article failed.

    An exception a stage may raise for a bad article (:data:`EXPECTED_ERRORS`) fails it in ``stage``; any other
    (a bug in a user's stage, say) in stage ``pipeline`` as ``unexpected KeyError: ...``. Interrupts
    (``KeyboardInterrupt``, ``SystemExit``) are not articles' faults and stop the run.
    """
    snapshots = [_snapshot(doc) for doc in docs] if len(docs) > 1 else []
    try:
        call(docs)
    except Exception as exc:  # noqa: BLE001 - recorded on the article that raises it, below
        if len(docs) == 1:
            if docs[0].error is None:
                if isinstance(exc, EXPECTED_ERRORS):
                    docs[0].fail(stage, f"{type(exc).__name__}: {exc}")
                else:
                    docs[0].fail("pipeline", f"unexpected {type(exc).__name__}: {exc}")
            return
        for doc, snapshot in zip(docs, snapshots, strict=True):
            _restore(doc, snapshot)
        middle = len(docs) // 2
        for half in (docs[:middle], docs[middle:]):
            isolate(half, call, stage=stage)


def _snapshot(doc: Document) -> dict[str, Any]:
    """A document's fields, its lists and dicts copied (stages append to them, they do not edit entries)."""
    return {k: v.copy() if isinstance(v, list | dict) else v for k, v in vars(doc).items()}


def _restore(doc: Document, snapshot: dict[str, Any]) -> None:
    doc.__dict__.update(snapshot)  # used once: the half it goes into takes a snapshot of its own


def engine_guard(process: Callable[[list[Document]], Any], engine: str) -> Callable[[list[Document]], None]:
    """Wrap another engine's ``process`` (Ray): when the engine itself breaks (a lost cluster), that is no
    article's fault, so there is nothing to bisect: every article still open fails in stage ``engine`` with the
    reason, the batch is recorded and the run goes on (a re-run redoes them)."""

    def guarded(docs: list[Document]) -> None:
        try:
            process(docs)
        except Exception as exc:  # noqa: BLE001 - recorded on every article of the batch
            log.error("the %s engine failed on a batch of %d articles: %s: %s", engine, len(docs),
                      type(exc).__name__, exc)
            for doc in live(docs):
                doc.fail("engine", f"the {engine} engine failed: {type(exc).__name__}: {exc}")

    return guarded


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
    work reports as it goes (:mod:`beknopt.engine.progress`): ``Pipeline.process(docs, progress=...)`` sets it for the
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
