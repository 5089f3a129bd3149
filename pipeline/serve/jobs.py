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
- **One server per folder, and no article taken twice.** A running server holds an exclusive lock on
  ``--state-dir`` (``StateLock``; the OS drops it when the process dies, ``kill -9`` included), and a worker
  *claims* the rows it takes (``claimed_by``/``claimed_until``, set in one write transaction, only on rows
  whose claim is absent or expired), so even several workers on one database never compute an article twice.
  A restarted server releases the claims of the one before it.
- **A database that goes away is a 503, not a 500.** The database is opened read-write without creating it
  (a deleted file is not silently replaced by an empty one); any SQLite failure becomes
  ``StoreUnavailableError`` with a reason, logged once when it starts and once when it ends.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from beknopt.document import BeknoptError
from beknopt.document.jsonio import JSONDepthError, load_json
from beknopt.document.record import error_outcome, error_record

try:
    import fcntl
except ImportError:  # not POSIX: no folder lock (logged when a server starts)
    fcntl = None  # type: ignore[assignment]

__all__ = ["JobArticle", "JobStatus", "JobStore", "StateDirError", "StateDirLockedError", "StateLock",
           "StoreUnavailableError"]

log = logging.getLogger("beknopt.serve")
DB_NAME = "jobs.sqlite3"
LOCK_NAME = "serve.lock"
LEASE_SECONDS = 1800.0  # a claim outlives any batch; only a worker that died without a restart leaves one behind
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
    claimed_by TEXT,         -- the worker processing it (NULL: nobody)
    claimed_until REAL,      -- when that claim lapses (a worker that died without a restart)
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS articles_pending ON articles(state) WHERE state = 'pending';
"""


class StateDirError(BeknoptError):
    """``--state-dir`` cannot be used (not a folder, not writable, or its job database is damaged)."""


class StateDirLockedError(StateDirError):
    """Another server holds ``--state-dir``: two would take the same pending articles."""


class StoreUnavailableError(BeknoptError):
    """The job database failed under a running server (deleted, corrupted, disk full): a 503 with the reason."""


class StateLock:
    """An exclusive ``flock`` on ``--state-dir/serve.lock`` for as long as a server runs, the holder's pid in it.

    The OS releases it when the process ends however it ends (``kill -9`` included), so a stale lock file never
    blocks a restart; the pid is only there to name the holder in the error."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, state_dir: str | Path) -> StateLock:
        path = Path(state_dir) / LOCK_NAME
        if fcntl is None:
            log.warning("no file locking on this platform: nothing stops a second server on --state-dir %s",
                        state_dir)
            return cls(path, None)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateDirError(f"cannot create the lock file {path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if isinstance(exc, BlockingIOError):
                who = f"pid {holder}" if holder else "another process"
                raise StateDirLockedError(f"another beknopt serve ({who}) holds --state-dir {state_dir}; stop it "
                                          "or give this one its own --state-dir") from None
            raise StateDirError(f"cannot lock {path}: {exc.strerror or exc}") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError as exc:
        log.debug("cannot read the lock file's pid: %s", exc)
        return None
    return int(text) if text.isdigit() else None


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
    """The job database; cheap to construct, one connection per call (any thread may use it).

    ``problem`` is ``None`` while the database answers, else why it does not (the last failure); every call
    that succeeds clears it, so a restored database is used again without a restart."""

    def __init__(self, state_dir: str | Path) -> None:
        self.state_dir = Path(state_dir)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateDirError(f"cannot create --state-dir {self.state_dir}: {exc.strerror or exc}") from exc
        if not self.state_dir.is_dir():
            raise StateDirError(f"--state-dir {self.state_dir} is not a folder")
        self.path = self.state_dir / DB_NAME
        self.problem: str | None = None
        self._problem_lock = threading.Lock()
        with self._connect(create=True) as db:
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
            for name, kind in (("claimed_by", "TEXT"), ("claimed_until", "REAL")):
                if name not in columns:  # a database from before claims
                    db.execute(f"ALTER TABLE articles ADD COLUMN {name} {kind}")

    @contextmanager
    def _connect(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection; any SQLite failure (but a constraint, which is a bug of ours) is a
        ``StoreUnavailableError`` (a ``StateDirError`` from the constructor, ``create``). Only the constructor
        may create the file: a database deleted under a running server must not come back empty, as if it never
        held a job."""
        uri = f"file:{quote(str(self.path.absolute()))}?mode={'rwc' if create else 'rw'}"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)  # explicit BEGIN/COMMIT below
        except sqlite3.Error as exc:
            raise self._failed(exc, create) from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a 202 means the job is on disk
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise self._failed(exc, create) from exc
        else:
            self._usable()
        finally:
            db.close()

    def _failed(self, exc: sqlite3.Error, create: bool) -> BeknoptError:
        if create:
            return StateDirError(f"cannot use the job database {self.path}: {exc}")
        if self.path.exists():
            reason = f"the job database {self.path} cannot be used ({exc}); repair or remove it and restart"
        else:
            reason = (f"the job database {self.path} is missing ({exc}); restore it, or restart the server to "
                      "start with an empty one")
        with self._problem_lock:
            changed, self.problem = reason != self.problem, reason
        if changed:  # once when it starts failing (or fails differently), not once per request or poll
            log.error("%s", reason)
        return StoreUnavailableError(reason)

    def _usable(self) -> None:
        if self.problem is not None:
            with self._problem_lock:
                was, self.problem = self.problem, None
            if was is not None:
                log.warning("the job database %s answers again", self.path)

    def check(self) -> str | None:
        """Why the database cannot be used now, or ``None``: for ``/health/ready`` (cheap: two indexed reads)."""
        try:
            with self._connect() as db:
                db.execute("SELECT 1 FROM jobs LIMIT 1").fetchall()
                db.execute("SELECT 1 FROM articles WHERE state = 'pending' LIMIT 1").fetchall()
        except StoreUnavailableError as exc:
            return str(exc)
        return None

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

    def claim(self, limit: int, owner: str, *, lease: float = LEASE_SECONDS) -> list[JobArticle]:
        """Take up to ``limit`` pending articles nobody holds, the oldest jobs' first (a job submitted earlier
        finishes earlier), for ``owner`` until ``lease`` seconds from now. One write transaction selects and
        claims them, and the UPDATE only takes a row whose claim is absent or expired, so two workers never
        get the same article. A stored article that cannot be read back becomes its error record."""
        if limit < 1:
            return []
        now = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    "SELECT a.job_id, a.idx, a.input, a.sha256 FROM articles a JOIN jobs j ON j.id = a.job_id "
                    "WHERE a.state = 'pending' AND (a.claimed_until IS NULL OR a.claimed_until < ?) "
                    "ORDER BY j.created, a.job_id, a.idx LIMIT ?", (now, limit)).fetchall()
                taken, unreadable = [], []
                for job_id, idx, item, digest in rows:
                    claimed = db.execute(
                        "UPDATE articles SET claimed_by = ?, claimed_until = ? WHERE job_id = ? AND idx = ? AND "
                        "state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)",
                        (owner, now + lease, job_id, idx, now)).rowcount
                    if not claimed:
                        continue
                    try:
                        value = load_json(item)
                        if not isinstance(value, dict) or "id" not in value or "source" not in value:
                            raise ValueError("not an article")
                    except (ValueError, TypeError, UnicodeDecodeError, JSONDepthError) as exc:
                        unreadable.append((job_id, idx, exc))
                        continue
                    taken.append(JobArticle(job_id, idx, value, digest))
                for job_id, idx, exc in unreadable:
                    log.error("job %s article %d cannot be read back from %s (%s): recorded as failed",
                              job_id, idx + 1, self.path, exc)
                    record = error_record(f"article-{idx + 1}", {
                        "stage": "read", "reason": f"the stored article cannot be read back ({exc})"},
                        path=f"job:{job_id}", line=idx + 1)
                    self._finish_row(db, job_id, idx, "failed", record)
                self._close_finished(db, {job_id for job_id, _, _ in unreadable}, time.time())
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return taken

    def release(self, articles: list[JobArticle], owner: str) -> None:
        """Give back claimed articles that were not finished, so they are taken again at once."""
        with self._connect() as db:
            db.executemany("UPDATE articles SET claimed_by = NULL, claimed_until = NULL WHERE job_id = ? AND "
                           "idx = ? AND claimed_by = ?", [(a.job_id, a.index, owner) for a in articles])

    def release_all_claims(self) -> int:
        """At a server's start, with the state lock held: a claim left in the database is a dead server's."""
        with self._connect() as db:
            return db.execute("UPDATE articles SET claimed_by = NULL, claimed_until = NULL "
                              "WHERE state = 'pending' AND claimed_by IS NOT NULL").rowcount

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
                    self._finish_row(db, article.job_id, article.index, state, record)
                self._close_finished(db, {a.job_id for a, _, _ in outcomes}, now)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @staticmethod
    def _finish_row(db: sqlite3.Connection, job_id: str, idx: int, state: str, record: dict[str, Any]) -> None:
        db.execute("UPDATE articles SET state = ?, record = ?, input = NULL, claimed_by = NULL, "
                   "claimed_until = NULL WHERE job_id = ? AND idx = ? AND state = 'pending'",
                   (state, json.dumps(record, ensure_ascii=False), job_id, idx))

    @staticmethod
    def _close_finished(db: sqlite3.Connection, job_ids: set[str], now: float) -> None:
        for job_id in job_ids:
            left = db.execute("SELECT COUNT(*) FROM articles WHERE job_id = ? AND state = 'pending'",
                              (job_id,)).fetchone()[0]
            if left == 0:
                db.execute("UPDATE jobs SET finished = ? WHERE id = ? AND finished IS NULL", (now, job_id))
