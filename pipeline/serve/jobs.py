"""Jobs of ``beknopt serve``, kept in SQLite (standard library ``sqlite3``, WAL mode) under ``--state-dir``.

What holds, and why:

- **An accepted job is never lost.** ``POST /v1/jobs`` answers ``202`` only after the job and all its articles
  are committed (``synchronous=FULL``), so a power cut after the answer still finds the job.
- **Every article ends as exactly one record.** An article's record (result or error) is written into its own
  row in the same transaction that marks it finished; an article that was being processed when the server was
  killed (``kill -9`` included) is still ``pending`` and is simply done again after the restart. A row can
  never hold two records, so nothing is counted twice.
- **One writer for results.** Only the scheduler's worker thread finishes articles; request handlers insert
  jobs and read. Every thread opens its own connection (``sqlite3`` connections are not shared across threads).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beknopt.batch.record import error_outcome
from beknopt.document import BeknoptError

__all__ = ["JobArticle", "JobStatus", "JobStore", "StateDirError"]

DB_NAME = "jobs.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    finished REAL,
    total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    input TEXT,              -- the article as accepted (JSON), NULL once it has its record
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL,     -- pending | done | failed | skipped
    record TEXT,             -- the result or error record (JSON), written once
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS articles_pending ON articles(state) WHERE state = 'pending';
"""


class StateDirError(BeknoptError):
    """``--state-dir`` cannot be used (not a folder, not writable, or its job database is damaged)."""


@dataclass(frozen=True)
class JobArticle:
    """One pending article of a job, as the worker needs it."""

    job_id: str
    index: int  # 0-based position in the job
    input: dict[str, Any]  # {"id", "source", "format", "metadata"}
    sha256: str


@dataclass(frozen=True)
class JobStatus:
    """What ``GET /v1/jobs/{id}`` answers."""

    id: str
    status: str  # queued | running | done
    total: int
    done: int
    failed: int
    skipped: int
    pending: int
    created: float
    finished: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "total": self.total, "done": self.done,
                "failed": self.failed, "skipped": self.skipped, "pending": self.pending,
                "created": _iso(self.created), "finished": _iso(self.finished) if self.finished else None}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class JobStore:
    """The job database; cheap to construct, one connection per call (any thread may use it)."""

    def __init__(self, state_dir: str | Path) -> None:
        self.state_dir = Path(state_dir)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateDirError(f"cannot create --state-dir {self.state_dir}: {exc.strerror or exc}") from exc
        if not self.state_dir.is_dir():
            raise StateDirError(f"--state-dir {self.state_dir} is not a folder")
        self.path = self.state_dir / DB_NAME
        try:
            with self._connect() as db:
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StateDirError(f"cannot use the job database {self.path}: {exc}") from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # explicit BEGIN/COMMIT below
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a 202 means the job is on disk
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        finally:
            db.close()

    # -- request handlers -------------------------------------------------------------------------

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def create(self, job_id: str, articles: list[tuple[dict[str, Any] | None, str, dict[str, Any] | None]]) -> None:
        """Store a job: each article is (input, sha256, error record): an input to process, or the error record
        of an article already rejected while reading the request."""
        rows = []
        for idx, (item, digest, error) in enumerate(articles):
            if error is not None:
                state = error_outcome(error)
                rows.append((job_id, idx, None, digest, state, json.dumps(error, ensure_ascii=False)))
            else:
                rows.append((job_id, idx, json.dumps(item, ensure_ascii=False), digest, "pending", None))
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT INTO jobs (id, created, total) VALUES (?, ?, ?)", (job_id, time.time(), len(rows)))
                db.executemany("INSERT INTO articles (job_id, idx, input, sha256, state, record) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rows)
                if all(r[4] != "pending" for r in rows):
                    db.execute("UPDATE jobs SET finished = ? WHERE id = ?", (time.time(), job_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def status(self, job_id: str) -> JobStatus | None:
        with self._connect() as db:
            job = db.execute("SELECT created, finished, total FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if job is None:
                return None
            counts = dict(db.execute("SELECT state, COUNT(*) FROM articles WHERE job_id = ? GROUP BY state",
                                     (job_id,)).fetchall())
        created, finished, total = job
        pending = counts.get("pending", 0)
        finished_count = total - pending
        status = "done" if pending == 0 else ("running" if finished_count else "queued")
        return JobStatus(job_id, status, total, counts.get("done", 0), counts.get("failed", 0),
                         counts.get("skipped", 0), pending, created, finished)

    def records(self, job_id: str, *, page: int = 200) -> Iterator[str]:
        """The finished records of a job in article order, as JSON lines, read a page at a time."""
        last = -1
        while True:
            with self._connect() as db:
                rows = db.execute("SELECT idx, record FROM articles WHERE job_id = ? AND idx > ? AND "
                                  "record IS NOT NULL ORDER BY idx LIMIT ?", (job_id, last, page)).fetchall()
            for idx, record in rows:
                last = idx
                yield record + "\n"
            if len(rows) < page:
                return

    def pending_count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM articles WHERE state = 'pending'").fetchone()[0])

    # -- the worker -------------------------------------------------------------------------------

    def next_pending(self, limit: int) -> list[JobArticle]:
        """The oldest jobs' pending articles first (a job submitted earlier finishes earlier)."""
        if limit < 1:
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT a.job_id, a.idx, a.input, a.sha256 FROM articles a JOIN jobs j ON j.id = a.job_id "
                "WHERE a.state = 'pending' ORDER BY j.created, a.job_id, a.idx LIMIT ?", (limit,)).fetchall()
        return [JobArticle(job_id, idx, json.loads(item), digest) for job_id, idx, item, digest in rows]

    def finish(self, outcomes: list[tuple[JobArticle, str, dict[str, Any]]]) -> None:
        """Write each article's record (state done|failed|skipped) in one transaction, and close the jobs that
        have no pending article left. An article already finished is left as it is (never two records)."""
        if not outcomes:
            return
        now = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for article, state, record in outcomes:
                    db.execute("UPDATE articles SET state = ?, record = ?, input = NULL "
                               "WHERE job_id = ? AND idx = ? AND state = 'pending'",
                               (state, json.dumps(record, ensure_ascii=False), article.job_id, article.index))
                for job_id in {a.job_id for a, _, _ in outcomes}:
                    left = db.execute("SELECT COUNT(*) FROM articles WHERE job_id = ? AND state = 'pending'",
                                      (job_id,)).fetchone()[0]
                    if left == 0:
                        db.execute("UPDATE jobs SET finished = ? WHERE id = ? AND finished IS NULL", (now, job_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
