"""The batch runner behind ``beknopt run``: articles in, one result or one error record per article out.

Guarantees, and how they are kept:

- **Nothing lost.** Every article read ends as exactly one line in ``results.jsonl`` or in ``errors.jsonl``;
  a failing article is recorded and the batch goes on (even an unexpected exception in a stage, or an output
  subfolder it cannot write to: its articles fail with stage ``write``, the rest are committed).
- **Nothing of the user's touched.** OUTDIR is changed only through ``beknopt.batch.outdir.OutputFolder``: files
  beknopt did not write (its manifest says which) are never overwritten or deleted, and no write, delete or
  read (the resume check included) follows a link out of OUTDIR.
- **Nothing half-written.** Every file is written to ``OUTDIR/.beknopt/tmp/`` and renamed into place, so a run
  killed at any moment (``kill -9``) leaves complete files only; the next run clears the temporary folder.
  ``results.jsonl``, ``errors.jsonl`` and ``digest.csv`` are rebuilt by each complete run, in input order, and
  committed together (a journal finishes a commit that a kill interrupted). With ``-o -`` the same records go
  to standard output instead (``beknopt.batch.stream``).
- **Resumable.** Each article's JSON records the sha256 of its input bytes and the pipeline's settings
  fingerprint; a re-run skips an article whose output carries the same pair. Failed articles have no output
  and are tried again, so a killed run plus a re-run equals one uninterrupted run.
- **Bounded memory.** Articles stream through in batches; a resumed article is read back only to copy it into
  ``results.jsonl``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from beknopt.batch.digest import DigestFile, digest_row
from beknopt.batch.outcome import BatchOptions, BatchSummary, Outcome
from beknopt.batch.outdir import OutputFolder, WriteRefusedError, json_bytes, read_inside
from beknopt.batch.render import render_markdown
from beknopt.batch.stream import StreamOutput
from beknopt.document import BeknoptError, Document
from beknopt.document.record import error_outcome, error_record, result_record
from beknopt.engine.progress import Progress
from beknopt.formats import to_ninjs
from beknopt.inputs import Article
from beknopt.pipeline import Pipeline
from beknopt.stage import CLEAN, LANGUAGE, engine_guard, run_stage

__all__ = ["NINJS_SUFFIX", "BatchRunner"]

NINJS_SUFFIX = ".ninjs.json"  # --format ninjs: the English ninjs document beside the record


def _rel(article: Article, suffix: str) -> PurePosixPath:
    return PurePosixPath(f"{article.out_key}{suffix}")


def _write_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


@dataclass
class _Entry:
    article: Article
    kind: str  # "todo" (goes through the pipeline), "resumed", "failed"
    existing: dict[str, Any] | None = None


class BatchRunner:
    """Run a ``Pipeline`` over a stream of articles into an output folder; see the module docstring."""

    def __init__(self, pipeline: Pipeline, options: BatchOptions, *,
                 on_outcome: Callable[[Outcome], None] | None = None, engine: Any | None = None,
                 progress: Progress | None = None) -> None:
        """``engine`` (e.g. the Ray engine) runs the model work instead of ``pipeline.process``; reading,
        resuming and writing stay here, so every engine produces the same files. ``progress`` hears from the
        local engine's model work as it goes (``Pipeline.process``), not only when articles are written."""
        self.pipeline = pipeline
        local = pipeline.process if progress is None else (lambda docs: pipeline.process(docs, progress=progress))
        self._process_batch = engine_guard(engine.process, engine.name) if engine is not None else local
        self._batch_size = getattr(engine, "window", None) or pipeline.batch_size
        self.options = options
        self.on_outcome = on_outcome or (lambda outcome: None)
        self.fingerprint = pipeline.fingerprint()
        self.summary = BatchSummary(dry_run=options.dry_run)
        self._ws: Any = None  # OutputFolder, or StreamOutput for ``-o -``
        self._digest: DigestFile | None = None

    # -- resume -----------------------------------------------------------------------------------

    def resume_key(self, article: Article) -> dict[str, Any]:
        """What an output must carry to be reused: the input's hash and the settings fingerprint."""
        return {"input_sha256": article.digest, "settings": self.fingerprint}

    def _existing(self, article: Article) -> dict[str, Any] | None:
        """The article's previous output when it is still valid for this input and these settings."""
        if self.options.force or self.options.output is None:
            return None
        try:  # never through a link: a linked a.json is redone, and its write refused with the reason
            raw = read_inside(self.options.output, _rel(article, ".json"))
            data = json.loads(raw) if raw is not None else None
        except WriteRefusedError:
            return None  # a link or not a file: the write that follows records why it cannot be replaced
        except (OSError, ValueError):
            return None  # unreadable or damaged: redo it, the rewrite replaces it
        stamp = data.get("beknopt") if isinstance(data, dict) else None
        if not isinstance(stamp, dict):
            return None
        key = self.resume_key(article)
        same = all(stamp.get(k) == v for k, v in key.items())
        return data if same else None

    # -- running ----------------------------------------------------------------------------------

    def run(self, articles: Iterable[Article]) -> BatchSummary:
        """Process every article; returns the counts. Raises only for problems with the output folder."""
        start = time.perf_counter()
        if self.options.dry_run:
            self._dry_run(articles)
        else:
            self._ws = (OutputFolder(self.options.output) if self.options.output is not None
                        else StreamOutput(self.options.stream or sys.stdout.buffer))
            try:
                self._digest = DigestFile(self.options.digest) if self.options.digest is not None else None
                for entries in self._batches(articles):
                    self._finish(entries)
                self._ws.commit()
                if self._digest is not None:
                    self._digest.commit()
            finally:
                self._ws.close()
                if self._digest is not None:
                    self._digest.close()
        self.summary.seconds = time.perf_counter() - start
        return self.summary

    def _batches(self, articles: Iterable[Article]) -> Iterator[list[_Entry]]:
        """Group articles into pipeline batches, keeping resumed and failed ones in their input order.

        Entries that need no pipeline work are passed on at once when no batch is pending; otherwise they wait
        for it, up to a bound, so ``results.jsonl`` stays in input order and memory stays bounded.
        """
        size = self._batch_size
        pending: list[_Entry] = []
        todo = 0
        for article in articles:
            if article.error is not None or article.document is None:
                entry = _Entry(article, "failed")
            else:
                existing = self._existing(article)
                entry = _Entry(article, "resumed", existing) if existing is not None else _Entry(article, "todo")
            pending.append(entry)
            todo += entry.kind == "todo"
            if todo >= size or (todo == 0) or len(pending) >= 4 * size:
                self._process([e for e in pending if e.kind == "todo"])
                yield pending
                pending, todo = [], 0
        if pending:
            self._process([e for e in pending if e.kind == "todo"])
            yield pending

    def _process(self, entries: list[_Entry]) -> None:
        docs = [e.article.document for e in entries if e.article.document is not None]
        if docs:
            self._process_batch(docs)  # Pipeline.process fails only an article that raises (beknopt.stage)

    def _finish(self, entries: list[_Entry]) -> None:
        for entry in entries:
            article = entry.article
            if entry.kind == "failed":
                self._record_error(article, article.error or {"stage": "read", "reason": "unknown"})
            elif entry.kind == "resumed" and entry.existing is not None:
                self._record_resumed(article, entry.existing)
            else:
                doc = article.document
                if doc is None:
                    continue
                if doc.error is not None:
                    self._record_error(article, doc.error)
                else:
                    self._record_done(article, doc)
            article.document = None  # drop the text and bytes as soon as the article is written

    def _record_done(self, article: Article, doc: Document) -> None:
        assert self._ws is not None
        data = result_record(doc, sha256=article.digest, fingerprint=self.fingerprint, source=article.path,
                             line=article.line, output=f"{article.out_key}.json")
        try:  # with -o - the record goes to the stream only
            json_path = self._write_files(article, data) if self.options.output is not None else None
        except (OSError, BeknoptError) as exc:
            self._write_failed(article, exc)
            return
        self._add_result(data)
        self.summary.done += 1
        self.summary.sentences += len(doc.sentences)
        self.on_outcome(Outcome("done", article.id, article.path, article.line,
                                output=str(json_path) if json_path else None,
                                sentences=len(doc.sentences), warnings=list(doc.warnings)))

    def _companions(self, data: dict[str, Any]) -> dict[str, Callable[[], bytes] | None]:
        """The files written beside an article's JSON record, by suffix: how to render each one asked for
        (``--format md``, ``ninjs``), ``None`` for one not asked for."""
        ninjs = self.options.ninjs
        return {
            ".md": (lambda: render_markdown(data).encode("utf-8")) if self.options.markdown else None,
            NINJS_SUFFIX: (lambda: json_bytes(to_ninjs(data, ninjs), indent=2) + b"\n") if ninjs else None,
        }

    def _write_files(self, article: Article, data: dict[str, Any]) -> Path:
        for suffix, render in self._companions(data).items():
            if render is not None:
                self._ws.write(_rel(article, suffix), render())
            else:
                self._ws.remove(_rel(article, suffix))  # it would describe an older result (only if beknopt's)
        return self._ws.write(_rel(article, ".json"), json_bytes(data, indent=2) + b"\n")  # last: marks completion

    def _record_resumed(self, article: Article, data: dict[str, Any]) -> None:
        assert self._ws is not None
        for suffix, render in self._companions(data).items():
            rel = _rel(article, suffix)
            if render is not None and not self._ws.is_file(rel):  # a link there: the write refuses it, recorded
                try:
                    self._ws.write(rel, render())
                except (OSError, BeknoptError, ValueError) as exc:
                    self._write_failed(article, exc)
                    return
        self._add_result(data)
        self.summary.resumed += 1
        self.on_outcome(Outcome("resumed", article.id, article.path, article.line, reason="unchanged",
                                output=str(self.options.output / _rel(article, ".json"))))

    def _write_failed(self, article: Article, exc: BaseException) -> None:
        self._record_error(article, {"stage": "write", "reason": f"cannot write output: {_write_reason(exc)}"})

    def _add_result(self, data: dict[str, Any]) -> None:
        self._ws.add_result(data)
        row = digest_row(data)
        self._ws.add_digest(row)
        if self._digest is not None:
            self._digest.add(row)

    def _remove_outputs(self, article: Article) -> str:
        """A failed article must not leave an older result behind: it would be counted twice.

        Returns what could not be removed (a read-only subfolder), for the article's error record: one folder
        that cannot be changed fails its own articles, not the batch."""
        assert self._ws is not None
        kept = []
        for suffix in (".json", ".md", NINJS_SUFFIX):
            try:
                self._ws.remove(_rel(article, suffix))
            except OSError as exc:
                kept.append(f"the older {_rel(article, suffix)} could not be removed ({exc.strerror or exc}) and "
                            "is left in place")
        return "; ".join(kept)

    def _record_error(self, article: Article, error: dict[str, str]) -> None:
        assert self._ws is not None
        kept = self._remove_outputs(article)
        if kept:
            error = {**error, "reason": f"{error.get('reason', '')}; {kept}"}
        outcome = self._count_error(article, error)
        self._ws.add_error(error_record(article.id, {"stage": outcome.stage or "?", "reason": outcome.reason or "",
                                                     "outcome": outcome.status}, path=article.path, line=article.line))

    def _count_error(self, article: Article, error: dict[str, str], *, dry_run: bool = False) -> Outcome:
        """Count a failed or skipped (not Dutch) article and report it; the one place that tells them apart."""
        skipped = error_outcome(error) == "skipped"
        if skipped:
            self.summary.non_dutch += 1
        else:
            self.summary.failed += 1
        outcome = Outcome("skipped" if skipped else "failed", article.id, article.path, article.line,
                          stage=error.get("stage"), reason=error.get("reason"), dry_run=dry_run)
        self.on_outcome(outcome)
        return outcome

    # -- dry run ----------------------------------------------------------------------------------

    def _cheap_stages(self) -> list[Any]:
        """The stages before the first model: cleaning and the language check."""
        names = [getattr(s, "name", None) for s in self.pipeline.stages]
        end = names.index(LANGUAGE) + 1 if LANGUAGE in names else (1 if names[:1] == [CLEAN] else 0)
        return self.pipeline.stages[:end]

    def _dry_run(self, articles: Iterable[Article]) -> None:
        """Say what a run would do, without models running or anything written."""
        stages = self._cheap_stages()

        def cheap(docs: list[Document]) -> None:
            for stage in stages:
                run_stage(stage, docs)

        for article in articles:
            doc = article.document
            error = article.error
            if error is None and doc is not None:
                if self._existing(article) is not None:
                    self.summary.resumed += 1
                    self.on_outcome(Outcome("resumed", article.id, article.path, article.line,
                                            reason="unchanged", dry_run=True))
                    continue
                cheap([doc])
                error = doc.error
            article.document = None
            if error is None:
                self.summary.done += 1
                self.on_outcome(Outcome("done", article.id, article.path, article.line, dry_run=True))
            else:
                self._count_error(article, error, dry_run=True)
