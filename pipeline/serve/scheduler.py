"""The one worker thread that owns the models, and how requests reach it.

Concurrent ``/v1/summarize`` calls put their article on a bounded in-memory queue and await a future; the
worker takes the first article, waits for more until none has come for ``batch_wait`` seconds (at most four
times that in all, and never once a pipeline batch is full),
fills what room is left with pending job articles from the job database, and runs them all through
``Pipeline.process`` as one batch, so the sentences of several requests share translation batches. Interactive
requests go first; jobs use the rest of each batch and the time in between.

A request may ask for only some of the pipeline's stages (``submit(doc, stages=...)``: the LibreTranslate
API's texts need splitting, translation and the checks, never a summary). Such a batch runs through the pipeline's
stages in order, each stage over the articles that want it, so a translate-only text still shares the
translation batches with whole articles and job articles.

Why one thread: the models are not safe to call from several threads at once, and one batch at a time is what
makes batching across requests pay. The event loop only ever waits on futures, so a long batch never blocks it.

Job articles are *claimed* in the database (``JobStore.claim``), never just read, so a second worker on the
same database cannot take them too. A job database that fails is logged once by the store and retried each
poll, quietly, until it answers again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from beknopt.document import BeknoptError, Document
from beknopt.document.record import error_outcome
from beknopt.pipeline import Pipeline
from beknopt.serve.jobs import JobArticle, JobStore, StoreUnavailableError
from beknopt.serve.records import document_from_input, error_record, result_record
from beknopt.stage import engine_guard, stage_name, stage_settings

__all__ = ["NotReadyError", "QueueFullError", "Scheduler"]

log = logging.getLogger("beknopt.serve")
MAX_WAIT_FACTOR = 4  # the batching window grows with each arrival, up to this many times --batch-wait-ms


class QueueFullError(BeknoptError):
    """The in-memory queue holds ``queue_size`` articles already: the client should retry later (503)."""


class NotReadyError(BeknoptError):
    """The models are not loaded yet, failed to load, or the server is shutting down (503)."""


@dataclass
class _Request:
    doc: Document
    future: Future = field(default_factory=Future)
    stages: frozenset[str] | None = None  # the stages this article goes through; None: all of them
    source: str = "summarize"  # its label in beknopt_articles_total


class _RoutedStage:
    """One stage of the pipeline, run over only the articles of the batch that want it (``Scheduler.submit``'s
    ``stages``): wrapped, not copied, so the articles that do share its model batches, and with the stage's own
    name and ``describe()``, so every record's settings and fingerprint are those of the pipeline itself.

    It calls the stage directly: ``Pipeline.process`` already runs each stage (this wrapper) through
    ``run_stage``, whose bisection re-runs the wrapper on halves of the batch, so a failure still ends on the
    article that causes it, under this stage's name; a second ``run_stage`` inside would only copy every
    article's fields twice per stage."""

    def __init__(self, stage: Callable[[list[Document]], Any], routes: dict[int, frozenset[str]]) -> None:
        self.stage = stage
        self.name = stage_name(stage)
        # id(doc) -> the stages it wants, filled by the scheduler for the batch in progress and cleared after it
        # (the batch holds every document it names, so no id is reused while it is in the dict)
        self.routes = routes

    def describe(self) -> dict[str, Any]:
        return stage_settings(self.stage)

    def __call__(self, docs: list[Document]) -> list[Document]:
        wanted = [d for d in docs if (stages := self.routes.get(id(d))) is None or self.name in stages]
        if wanted:
            self.stage(wanted)
        return docs


@dataclass
class BatchStats:
    """What the last batches looked like: for ``/metrics`` and the load benchmark."""

    batches: int = 0
    articles: int = 0
    interactive: int = 0
    job_articles: int = 0


class Scheduler:
    """Owns the pipeline in one thread; see the module docstring.

    ``pipeline`` is a built ``Pipeline`` or a function that builds one (then the worker loads the models and
    ``ready`` is set only after that). ``process`` runs a batch instead of ``pipeline.process`` (the Ray engine).
    """

    def __init__(self, pipeline: Pipeline | Callable[[], Pipeline], *, store: JobStore | None = None,
                 batch_wait: float = 0.01, queue_size: int = 256, max_batch: int | None = None,
                 process: Callable[[list[Document]], Any] | None = None,
                 on_batch: Callable[[int, int, float], None] | None = None,
                 on_article: Callable[[str, str], None] | None = None, poll: float = 1.0) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        if batch_wait < 0:
            raise ValueError(f"batch_wait must be 0 or more, got {batch_wait}")
        self._source = pipeline
        self.pipeline: Pipeline | None = pipeline if isinstance(pipeline, Pipeline) else None
        self.store = store
        self.batch_wait = batch_wait
        self.queue_size = queue_size
        self._max_batch = max_batch
        # another engine (Ray) may break as a whole: its articles fail, the worker goes on
        engine = getattr(getattr(process, "__self__", None), "name", "external")
        self._process = engine_guard(process, engine) if process is not None else None
        self._on_batch = on_batch or (lambda n, jobs, seconds: None)
        self._on_article = on_article or (lambda source, outcome: None)
        self._poll = poll
        self._queue: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._jobs_waiting = store is not None  # look once at start: jobs left by a previous run resume
        self._job_generation = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.fingerprint: str | None = None
        self.stats = BatchStats()
        # who holds the claims this worker takes: unique per scheduler, readable in the database
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._last_error: str | None = None  # an unexpected job-store error, logged in full only the first time
        self._routes: dict[int, frozenset[str]] = {}  # the batch in progress: articles that want only some stages
        self._routed: Pipeline | None = None

    @property
    def max_batch(self) -> int:
        if self._max_batch:
            return self._max_batch
        return self.pipeline.batch_size if self.pipeline is not None else 16

    @property
    def depth(self) -> int:
        """Articles waiting in memory for the worker (``/v1/summarize`` calls)."""
        return len(self._queue)

    @property
    def stopping(self) -> bool:
        return self._stopping

    # -- the event loop's side ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="beknopt-worker", daemon=True)
        self._thread.start()

    def submit(self, doc: Document, *, stages: frozenset[str] | None = None, source: str = "summarize") -> Future:
        """Queue one article; the future's result is the processed document. Raises at once when it cannot be
        queued, so the client hears 503 rather than waiting. ``stages`` names the pipeline stages it goes
        through (the others pass it by; ``None``: all); ``source`` labels it in the metrics."""
        if not self.ready.is_set() or self._stopping:
            raise NotReadyError(self.not_ready_reason())
        request = _Request(doc, stages=stages, source=source)
        with self._cond:
            if len(self._queue) >= self.queue_size:
                raise QueueFullError(f"the queue is full ({self.queue_size} articles waiting); retry shortly")
            self._queue.append(request)
            self._cond.notify()
        return request.future

    def withdraw(self, future: Future) -> None:
        """The client stopped waiting (timeout): drop its article from the queue if the worker has not taken it,
        so it neither holds a place in the queue nor costs model time."""
        with self._cond:
            for request in self._queue:
                if request.future is future:
                    self._queue.remove(request)
                    break
        future.cancel()

    def jobs_added(self) -> None:
        """A job was committed: wake the worker."""
        with self._cond:
            self._jobs_waiting = True
            self._job_generation += 1
            self._cond.notify()

    def not_ready_reason(self) -> str:
        if self._stopping:
            return "the server is shutting down"
        if self.load_error and self.fingerprint is not None:
            return self.load_error
        if self.load_error:
            return f"the models could not be loaded: {self.load_error}"
        return "the models are still loading"

    def stop(self, timeout: float | None = None) -> None:
        """Finish the batch in progress (its job records are committed), then stop; articles still queued in
        memory get ``NotReadyError``, pending job articles stay in the database for the next start."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self._fail_queued("the server is shutting down")

    def _fail_queued(self, reason: str) -> None:
        with self._cond:
            left = list(self._queue)
            self._queue.clear()
        for request in left:
            if request.future.set_running_or_notify_cancel():
                request.future.set_exception(NotReadyError(reason))

    # -- the worker --------------------------------------------------------------------------------

    def _run(self) -> None:
        if self.pipeline is None:
            try:
                self.pipeline = self._source()  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - recorded: /health/ready says why, the log has the trace
                self.load_error = str(exc) or type(exc).__name__
                log.exception("the models could not be loaded")
                return
        self.fingerprint = self.pipeline.fingerprint()
        self.ready.set()
        log.info("models loaded; ready")
        try:
            while True:
                requests, generation = self._collect()
                if requests is None:
                    return
                job_articles = self._job_articles(len(requests), generation)
                if requests or job_articles:
                    self._run_batch(requests, job_articles)
        except Exception as exc:  # noqa: BLE001 - a bug here must not leave a server that says it is ready
            self.load_error = f"the model worker stopped ({type(exc).__name__}: {exc}); restart the server"
            self.ready.clear()
            log.exception("the model worker stopped")
            self._fail_queued(self.load_error)

    def _collect(self) -> tuple[list[_Request] | None, int]:
        """Wait for work, then for the batching window; ``None`` once stopping."""
        with self._cond:
            while not self._queue and not self._jobs_waiting and not self._stopping:
                self._cond.wait(self._poll)
                if self.store is not None and not self._queue:
                    self._jobs_waiting = True  # look again now and then: never rely on a wake-up alone
            if self._stopping:
                return None, self._job_generation
            if self._queue and self.batch_wait > 0:
                # wait until no article has arrived for batch_wait (clients answered together come back a few
                # ms apart), at most MAX_WAIT_FACTOR times that in all, or until the batch is full
                now = time.monotonic()
                cap, deadline, seen = now + MAX_WAIT_FACTOR * self.batch_wait, now + self.batch_wait, len(self._queue)
                while len(self._queue) < self.max_batch and not self._stopping:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                    if len(self._queue) > seen:
                        seen, deadline = len(self._queue), min(time.monotonic() + self.batch_wait, cap)
            taken: list[_Request] = []
            while self._queue and len(taken) < self.max_batch:
                request = self._queue.popleft()
                if request.future.set_running_or_notify_cancel():  # False: the client gave up (timeout)
                    taken.append(request)
            return taken, self._job_generation

    def _job_articles(self, interactive: int, generation: int) -> list[JobArticle]:
        room = self.max_batch - interactive
        if self.store is None or room <= 0 or not self._jobs_waiting:
            return []
        try:
            articles = self.store.claim(room, self.owner)
        except StoreUnavailableError:  # logged once by the store (and /health/ready says why); retried each poll
            time.sleep(self._poll)
            return []
        except Exception as exc:  # noqa: BLE001 - a database error must not kill the worker; logged, retried
            self._log_repeated(exc, f"cannot read pending job articles from {self.store.path}")
            time.sleep(self._poll)
            return []
        self._last_error = None
        if len(articles) < room:
            with self._cond:
                if self._job_generation == generation:  # no job arrived since we looked
                    self._jobs_waiting = False
        return articles

    def _run_batch(self, requests: list[_Request], job_articles: list[JobArticle]) -> None:
        try:
            self._run_batch_inner(requests, job_articles)
        except BaseException as exc:
            for request in requests:  # no client may wait for an answer that will never come
                if not request.future.done():
                    request.future.set_exception(NotReadyError(f"the model worker stopped ({type(exc).__name__})"))
            raise

    def _run_batch_inner(self, requests: list[_Request], job_articles: list[JobArticle]) -> None:
        job_docs = [document_from_input(a.input) for a in job_articles]
        docs = [r.doc for r in requests] + job_docs
        routes = {id(r.doc): r.stages for r in requests if r.stages is not None}
        start = time.perf_counter()
        if not routes:
            (self._process or self.pipeline.process)(docs)  # type: ignore[union-attr]  # isolates failing articles
        elif self._process is None:
            self._run_routed(docs, routes)  # one batch: the stages both kinds run are shared
        else:  # another engine runs whole articles; the few stages a routed article wants run here
            whole = [d for d in docs if id(d) not in routes]
            if whole:
                self._process(whole)
            self._run_routed([d for d in docs if id(d) in routes], routes)
        seconds = time.perf_counter() - start
        self.stats.batches += 1
        self.stats.articles += len(docs)
        self.stats.interactive += len(requests)
        self.stats.job_articles += len(job_docs)
        self._on_batch(len(docs), len(job_docs), seconds)
        for request in requests:
            self._on_article(request.source, _outcome(request.doc))
            request.future.set_result(request.doc)
        if job_articles:
            self._finish_jobs(job_articles, job_docs)

    def _run_routed(self, docs: list[Document], routes: dict[int, frozenset[str]]) -> None:
        """``Pipeline.process`` over wrapped stages (``_RoutedStage``): its records, timings and crash isolation,
        with each stage run over the articles that want it."""
        assert self.pipeline is not None
        if self._routed is None:
            self._routed = Pipeline([_RoutedStage(s, self._routes) for s in self.pipeline.stages],
                                    batch_size=self.pipeline.batch_size)
        self._routes.update(routes)
        try:
            self._routed.process(docs)
        finally:
            self._routes.clear()

    def _finish_jobs(self, articles: list[JobArticle], docs: list[Document]) -> None:
        assert self.store is not None
        fingerprint = self.fingerprint or ""
        outcomes = []
        for article, doc in zip(articles, docs, strict=True):
            path, line = f"job:{article.job_id}", article.index + 1
            outcome = _outcome(doc)
            if doc.error is None:
                record = result_record(doc, sha256=article.sha256, fingerprint=fingerprint, source=path, line=line)
            else:
                record = error_record(doc.id, doc.error, path=path, line=line)
            outcomes.append((article, outcome, record))
        try:
            self.store.finish(outcomes)
        except Exception as exc:  # noqa: BLE001 - the articles stay pending and are done again; logged
            if isinstance(exc, StoreUnavailableError):
                log.warning("cannot write %d job results (%s); the articles will be done again", len(outcomes), exc)
            else:
                self._log_repeated(exc, f"cannot write job results to {self.store.path}; the articles will be "
                                   "done again")
            self._release(articles)
            time.sleep(self._poll)
            return
        for _, outcome, _ in outcomes:
            self._on_article("job", outcome)

    def _release(self, articles: list[JobArticle]) -> None:
        """Unfinished claims back, so the articles are taken again at once rather than when the lease lapses."""
        assert self.store is not None
        try:
            self.store.release(articles, self.owner)
        except StoreUnavailableError as exc:  # the claims lapse after the lease, or a restart releases them
            log.warning("cannot release %d claimed job articles: %s", len(articles), exc)

    def _log_repeated(self, exc: Exception, what: str) -> None:
        """The traceback the first time, one line for the same error again: a failure that repeats every poll
        must not fill the log."""
        key = f"{type(exc).__name__}: {exc}"
        if key == self._last_error:
            log.debug("%s (again): %s", what, key)
        else:
            self._last_error = key
            log.error("%s", what, exc_info=exc)


def _outcome(doc: Document) -> str:
    if doc.error is None:
        return "done"
    return error_outcome(doc.error)
