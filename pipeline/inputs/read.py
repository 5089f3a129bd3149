"""Reading: each file, or each line of a ``.jsonl`` file, becomes an ``Article``: a ``Document`` holding the raw
bytes (the cleaning stage decodes them and records its warnings) or a read error. Nothing is collected first,
so a folder of 10,000 articles costs the memory of one batch.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from beknopt.document import Document, InputError, to_document
from beknopt.document.jsonio import JSONDepthError, load_json
from beknopt.inputs.discover import os_reason
from beknopt.inputs.paths import OutputKeys, safe_relpath
from beknopt.inputs.records import DEFAULT_MAX_BYTES, FORMATS, Article, Source

__all__ = ["count_articles", "read_articles"]


@dataclass
class _Reader:
    max_bytes: int
    keys: OutputKeys = field(default_factory=OutputKeys)
    stdin: Any = None  # a binary stream for the INPUT "-" (default: the process's standard input)

    def articles(self, sources: Iterable[Source]) -> Iterator[Article]:
        for source in sources:
            fmt = FORMATS.get(source.path.suffix.lower(), "text")
            if source.error is not None:
                yield self._failed(source, source.rel_text, source.error)
            elif source.is_stdin:
                yield from self._stdin(source)
            elif fmt == "jsonl":
                yield from self._jsonl(source)
            elif fmt == "newsroom":
                yield from self._newsroom(source)
            else:
                yield self._single(source, fmt)

    def _key(self, rel: PurePosixPath) -> PurePosixPath:
        return self.keys.assign(safe_relpath(str(rel.with_suffix("") if rel.suffix else rel)))

    def _failed(self, source: Source, article_id: str, reason: str, *, line: int | None = None,
                key: PurePosixPath | None = None) -> Article:
        return Article(id=article_id, path=source.path_text, out_key=key or self._key(source.rel), line=line,
                       error={"stage": "read", "reason": reason})

    def _open_checked(self, source: Source, *, limit: bool) -> Any:
        """Open for reading after checking it is a regular file (a FIFO would block) within the size limit."""
        st = os.stat(source.path)
        if not stat.S_ISREG(st.st_mode):
            raise _ReadError("not a regular file")
        if limit and st.st_size > self.max_bytes:
            raise _ReadError(_too_big(st.st_size, self.max_bytes))
        return open(source.path, "rb")  # noqa: SIM115 - the caller closes it with ``with``

    def _whole(self, source: Source) -> bytes | Article:
        """The file's bytes (within ``max_bytes``), or the failed article that says why they cannot be had."""
        try:
            with self._open_checked(source, limit=True) as fh:
                data = fh.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise _ReadError(_too_big(len(data), self.max_bytes))
        except _ReadError as exc:
            return self._failed(source, source.rel_text, str(exc))
        except OSError as exc:
            return self._failed(source, source.rel_text, os_reason(exc, source.path))
        return data

    def _single(self, source: Source, fmt: str) -> Article:
        article_id = source.rel_text
        data = self._whole(source)
        if isinstance(data, Article):
            return data
        digest = hashlib.sha256(data).hexdigest()
        if fmt == "json":
            try:
                doc = _json_document(data, article_id, where=f"{source.rel_text}: ")
            except InputError as exc:
                return self._failed(source, _id_from_broken_line(data) or article_id, str(exc))
            doc.source_path = source.path_text
        else:
            doc = Document(id=article_id, source=data, source_path=source.path_text, source_format=fmt)
            _warn_about_bom(doc, data)
        return Article(id=doc.id, path=source.path_text, out_key=self._key(source.rel), digest=digest,
                       document=doc)

    def _newsroom(self, source: Source) -> Iterator[Article]:
        """NewsML-G2, NITF, RSS or Atom (``beknopt.formats``): one article per text item, feed item or entry.

        Each item's resume hash is of what was read from it (id, text, metadata), not of the whole file, so a
        feed that gains an item redoes only that one."""
        from beknopt import formats

        data = self._whole(source)
        if isinstance(data, Article):
            yield data
            return
        yield from self._newsroom_items(source, data, source.rel_text, formats.detect(data, source.path.suffix))

    def _newsroom_items(self, source: Source, data: bytes, article_id: str, kind: str | None) -> Iterator[Article]:
        from beknopt import formats

        if kind is None:
            yield self._failed(source, article_id, f"{article_id}: not NewsML-G2, NITF, RSS or Atom (the root "
                               "element is none of newsItem, newsMessage, nitf, rss, feed)")
            return
        try:
            docs = formats.parse(data, kind, default_id=article_id)
        except InputError as exc:
            yield self._failed(source, article_id, f"{article_id}: {exc}")
            return
        folder = safe_relpath(str(source.rel.with_suffix("")))
        single = len(docs) == 1
        for doc in docs:
            key = self._key(source.rel) if single else self.keys.assign(folder / safe_relpath(doc.id))
            if doc.error is not None:
                yield self._failed(source, doc.id, f"{article_id}: {doc.error['reason']}", key=key)
                continue
            doc.source_path = source.path_text
            read = json.dumps([doc.id, doc.source, doc.metadata], sort_keys=True, ensure_ascii=False, default=str)
            yield Article(id=doc.id, path=source.path_text, out_key=key, document=doc,
                          digest=hashlib.sha256(read.encode("utf-8", "surrogatepass")).hexdigest())

    def _jsonl(self, source: Source) -> Iterator[Article]:
        try:
            fh = self._open_checked(source, limit=False)
        except _ReadError as exc:
            yield self._failed(source, source.rel_text, str(exc))
            return
        except OSError as exc:
            yield self._failed(source, source.rel_text, os_reason(exc, source.path))
            return
        with fh:
            yield from self._jsonl_lines(source, fh)

    def _stdin(self, source: Source) -> Iterator[Article]:
        """Standard input: JSONL when the first non-blank line is a JSON object; one JSON document (a ninjs, say)
        when that line is a lone ``{``; NewsML-G2, NITF, RSS or Atom when it is such XML; else one text article."""
        import sys

        stream = self.stdin if self.stdin is not None else sys.stdin.buffer
        head = b""
        while not head.strip():
            line = stream.readline(self.max_bytes + 1)
            if not line:
                break
            head += line
        start = head.lstrip()
        if start.startswith(b"{") and start.rstrip() != b"{":  # JSONL: the first line holds a whole object
            yield from self._jsonl_lines(source, _Prefixed(head, stream))
            return
        data = head + stream.read(self.max_bytes + 1 - len(head)) if len(head) <= self.max_bytes else head
        if len(data) > self.max_bytes:
            yield self._failed(source, "stdin", _too_big(len(data), self.max_bytes))
            return
        if start.startswith(b"{"):  # a lone "{": one JSON document over several lines (a pretty-printed ninjs)
            yield self._stdin_json(source, data)
            return
        from beknopt import formats

        if start.startswith(b"<") and (kind := formats.detect(data, ".xml")) is not None:
            yield from self._newsroom_items(source, data, "stdin", kind)  # NewsML-G2, NITF, RSS, Atom
            return
        yield Article(id="stdin", path=source.path_text, out_key=self._key(source.rel),
                      digest=hashlib.sha256(data).hexdigest(),
                      document=Document(id="stdin", source=data, source_path=source.path_text))

    def _stdin_json(self, source: Source, data: bytes) -> Article:
        try:
            doc = _json_document(data, "stdin", where="stdin: ")
        except InputError as exc:
            return self._failed(source, _id_from_broken_line(data) or "stdin", str(exc))
        doc.source_path = source.path_text
        return Article(id=doc.id, path=source.path_text, out_key=self._key(source.rel),
                       digest=hashlib.sha256(data).hexdigest(), document=doc)

    def _jsonl_lines(self, source: Source, fh: Any) -> Iterator[Article]:
        folder = safe_relpath(str(source.rel.with_suffix("")))
        lineno = 0
        while True:
            try:
                raw = fh.readline(self.max_bytes + 1)
                lineno += 1
                size = len(raw)
                if size > self.max_bytes:
                    size += _skip_rest_of_line(fh)
            except OSError as exc:
                yield self._failed(source, f"{source.rel_text}:{lineno}", os_reason(exc, source.path),
                                   line=lineno, key=self.keys.assign(folder / f"line-{lineno}"))
                return
            if not raw:
                return
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if not raw.strip():
                continue
            yield self._jsonl_article(source, folder, lineno, raw, size if size > self.max_bytes else None)

    def _jsonl_article(self, source: Source, folder: PurePosixPath, lineno: int, raw: bytes,
                       too_long: int | None) -> Article:
        default_id = f"{source.rel_text}:{lineno}"
        line_key = folder / f"line-{lineno}"
        if too_long is not None:
            return self._failed(source, default_id, f"{source.rel_text} line {lineno}: "
                                f"{_too_big(too_long, self.max_bytes)}",
                                line=lineno, key=self.keys.assign(line_key))
        try:
            doc = _json_document(raw, default_id, where=f"{source.rel_text} line {lineno}: ")
        except InputError as exc:
            given = _id_from_broken_line(raw)
            key = folder / safe_relpath(given) if given else line_key
            return self._failed(source, given or default_id, str(exc), line=lineno, key=self.keys.assign(key))
        doc.source_path = source.path_text
        key = folder / safe_relpath(doc.id) if doc.id != default_id else line_key
        return Article(id=doc.id, path=source.path_text, out_key=self.keys.assign(key), line=lineno,
                       digest=hashlib.sha256(raw.strip()).hexdigest(), document=doc)


class _Prefixed:
    """A stream whose first bytes were already read (to tell JSONL from text): ``readline`` gives them back
    line by line, then goes on with the stream."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head = head.splitlines(keepends=True)
        self._stream = stream

    def readline(self, limit: int = -1) -> bytes:
        if self._head:
            return self._head.pop(0)
        return self._stream.readline(limit)


class _ReadError(Exception):
    """A file that is there but not readable as an article (too large, not a regular file)."""


def _too_big(size: int, limit: int) -> str:
    return f"too large: {size:,} bytes is over the --max-bytes limit of {limit:,}"


def _skip_rest_of_line(fh: Any) -> int:
    skipped = 0
    while True:
        chunk = fh.readline(1 << 20)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _warn_about_bom(doc: Document, data: bytes) -> None:
    """The cleaner decodes UTF-16/32 byte-order-mark files silently; a batch user should hear about them."""
    for bom, label in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                       (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            doc.warn("read", f"file is {label} with a byte-order mark; decoded as {label}")
            return


def _json_document(data: bytes, default_id: str, *, where: str = "") -> Document:
    """One article from a JSON object (``text`` or ``body``; ``id``, ``title``, ``date``, ``url``...)."""
    try:
        item = load_json(data)
    except JSONDepthError as exc:
        raise InputError(f"{where}{exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}not valid UTF-8/16/32 JSON ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(item, dict):
        raise InputError(f"{where}expected a JSON object with a 'text', 'html' or 'body' field, "
                         f"got {type(item).__name__}")
    try:
        doc = to_document(item, default_id)
    except InputError as exc:
        raise InputError(f"{where}{exc}") from exc
    if isinstance(doc.source, str) and not doc.source.strip():
        field = next(name for name in ("text", "html", "body") if name in item)
        raise InputError(f"{where}{field} is empty")
    return doc


def _id_from_broken_line(raw: bytes) -> str | None:
    """The ``id`` of a JSON line that parses but has no text, so its error record names the article."""
    try:
        item = load_json(raw)
    except (ValueError, UnicodeDecodeError, InputError):
        return None
    if isinstance(item, dict) and item.get("id") not in (None, ""):
        return str(item["id"])
    return None


def read_articles(sources: Iterable[Source], *, max_bytes: int = DEFAULT_MAX_BYTES, stdin: Any = None
                  ) -> Iterator[Article]:
    """Turn discovered sources into articles, lazily; every source yields at least one article or error.

    The INPUT ``-`` reads ``stdin`` (a binary stream; default the process's standard input): JSONL when its
    first non-blank line is a JSON object, else one text article with the id ``stdin``.
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
    return _Reader(max_bytes, stdin=stdin).articles(sources)


def count_articles(sources: Iterable[Source]) -> int:
    """How many articles ``read_articles`` will yield (for the progress bar's ETA); streams JSONL files."""
    total = 0
    for source in sources:
        if source.is_stdin:
            continue  # unknown until read: the bar shows a count without a total share for it
        if source.error is None and source.path.suffix.lower() == ".jsonl":
            try:
                total += _count_nonblank_lines(source.path)
            except OSError:
                total += 1  # reading will fail the same way and yield one error record
        else:
            total += 1
    return total


def _count_nonblank_lines(path: Path) -> int:
    """Non-blank lines, read in 1 MiB chunks so one enormous line cannot fill memory."""
    count, pending = 0, False
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for piece in chunk.split(b"\n")[:-1]:
                count += bool(pending or piece.strip())
                pending = False
            pending = pending or bool(chunk.rsplit(b"\n", 1)[-1].strip())
    return count + pending
