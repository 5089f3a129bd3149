"""Finding and reading the articles of a batch run: files, folders (recursive) and globs, one at a time.

Discovery walks lazily and sorts each folder, so every run sees the articles in the same order and assigns
them the same output paths (which is what makes resuming exact). Reading turns each file, or each line of a
``.jsonl`` file, into a ``Document`` that holds the raw bytes (the cleaning stage decodes them and records its
warnings) or into a read error. Nothing is collected first, so a folder of 10,000 articles costs the memory of
one batch.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from beknopt.document import BeknoptError, Document, InputError
from beknopt.outdir import OutputFolderError
from beknopt.pipeline import to_document

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "Article",
    "InputNotFoundError",
    "OutputKeys",
    "Source",
    "check_inputs",
    "check_output_apart",
    "count_articles",
    "discover",
    "read_articles",
    "printable",
    "safe_component",
    "safe_relpath",
]

DEFAULT_MAX_BYTES = 5_000_000
# Suffix -> how the file is read: a single article as text/HTML/JSON, or one JSON article per line.
FORMATS: dict[str, str] = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html",
                           ".json": "json", ".jsonl": "jsonl"}
_GLOB_CHARS = re.compile(r"[*?[]")


class InputNotFoundError(BeknoptError):
    """An INPUT names no existing file or folder, or a glob matches nothing (a usage error, exit 2)."""


@dataclass(frozen=True)
class Source:
    """A file found by discovery, or a folder that could not be walked (``error`` says why)."""

    path: Path
    rel: PurePosixPath  # relative to its input root: the article id and the output tree come from it
    error: str | None = None

    @property
    def rel_text(self) -> str:
        return printable(self.rel)

    @property
    def path_text(self) -> str:
        return printable(self.path)


@dataclass
class Article:
    """One article as read: a ``Document`` ready for the pipeline, or a read error; never both."""

    id: str
    path: str
    out_key: PurePosixPath  # output path under OUTDIR without the extension; unique within a run
    line: int | None = None  # line number for ``.jsonl`` articles
    digest: str = ""  # sha256 of the article's input bytes: half of the resume key
    document: Document | None = None
    error: dict[str, str] | None = None  # {"stage": "read", "reason": ...}


# ----------------------------------------------------------------------------------------------------
# Discovery


def _is_glob(text: str) -> bool:
    return bool(_GLOB_CHARS.search(text))


def _glob_root(pattern: str) -> Path:
    """The folder before the first wildcard: matches are named relative to it (``data/**/*.txt`` -> ``data``)."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if _is_glob(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _glob(pattern: str) -> Iterator[Path]:
    import glob

    # Sorted so runs are repeatable; this holds the matching paths (not their contents) in memory.
    for match in sorted(glob.iglob(pattern, recursive=True)):
        yield Path(match)


def check_inputs(inputs: Sequence[str]) -> None:
    """Fail early, before any model is loaded, when an INPUT names nothing."""
    if not inputs:
        raise InputNotFoundError("no INPUT given: name files, folders or globs of articles")
    for item in inputs:
        if _is_glob(item) and not os.path.lexists(item):
            if next(_glob(item), None) is None:
                raise InputNotFoundError(f"no file matches '{item}'")
        elif not os.path.lexists(item):
            raise InputNotFoundError(f"no such file or folder: '{item}'")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_apart(inputs: Sequence[str], output: Path) -> None:
    """Refuse an OUTDIR that is, or holds, a file or folder named as INPUT: its outputs would land among the
    articles (and ``a.md`` -> ``a.json`` beside a user's ``a.json``). An OUTDIR *inside* an input folder is
    fine: discovery leaves it out."""
    real_out = os.path.realpath(output)
    for item in inputs:
        if _is_glob(item) and not os.path.lexists(item):
            continue  # matches inside OUTDIR are left out by discover()
        if _inside(os.path.realpath(item), real_out):
            suggestion = Path(item) / "beknopt-out" if _safe_is_dir(Path(item)) else output / "beknopt-out"
            raise OutputFolderError(
                f"the output folder {output} is, or contains, the input '{item}': beknopt would write among "
                f"your articles. Write to a folder of its own, e.g. -o {suggestion} (it is left out of reading)")


def discover(inputs: Sequence[str], *, exclude: Iterable[str | Path] = ()) -> Iterator[Source]:
    """Yield the article files under ``inputs`` (files, folders walked recursively, globs), in a stable order.

    Folders skip hidden entries; everything inside the ``exclude`` folders (the output folder, so a run inside
    its own input tree never reads its own results) is left out of walks and globs, links included.
    Symlinked folders are followed; a loop yields an error ``Source``.
    """
    excluded = {os.path.realpath(p) for p in exclude}
    for item in inputs:
        if _is_glob(item) and not os.path.lexists(item):
            root = _glob_root(item)
            for match in _glob(item):
                if _excluded(match, excluded):
                    continue
                rel = PurePosixPath(os.path.relpath(match, root).replace(os.sep, "/"))
                yield from _source_or_walk(match, rel, excluded)
        else:
            path = Path(item)
            if _safe_is_dir(path):
                yield from _walk(path, PurePosixPath(), excluded, ())
            else:
                yield Source(path, PurePosixPath(path.name))


def _excluded(path: Path, excluded: set[str]) -> bool:
    if not excluded:
        return False
    real = os.path.realpath(path)
    return any(_inside(real, folder) for folder in excluded)


def _safe_is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _source_or_walk(path: Path, rel: PurePosixPath, excluded: set[str]) -> Iterator[Source]:
    if _safe_is_dir(path):
        if os.path.realpath(path) not in excluded:
            yield from _walk(path, rel, excluded, ())
    else:
        yield Source(path, rel)


def _walk(folder: Path, rel: PurePosixPath, excluded: set[str], ancestors: tuple[tuple[int, int], ...]
          ) -> Iterator[Source]:
    try:
        st = os.stat(folder)
        key = (st.st_dev, st.st_ino)
        if key in ancestors:
            yield Source(folder, rel, error="symlink loop: this folder links back to one it is inside")
            return
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Source(folder, rel, error=f"cannot read folder: {os_reason(exc, folder)}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        child = rel / entry.name
        suffix = Path(entry.name).suffix.lower()
        try:
            is_dir = entry.is_dir()
        except OSError as exc:
            # A link we cannot follow (loop, permission): report it unless it is clearly not an article.
            reason = os_reason(exc, path)
            yield Source(path, child, error=None if suffix in FORMATS else f"cannot follow link: {reason}")
            continue
        if is_dir:
            if os.path.realpath(path) in excluded:
                continue
            yield from _walk(path, child, excluded, (*ancestors, key))
        elif suffix in FORMATS:
            if not _excluded(path, excluded):  # a link to one of OUTDIR's own files
                yield Source(path, child)
        elif entry.is_symlink() and not os.path.exists(path):
            yield Source(path, child, error="broken symlink (its target does not exist)")


def os_reason(exc: OSError, path: Path | str | None = None) -> str:
    """A short plain reason for a file-system error (what a user can act on, not an errno)."""
    code = exc.errno
    if code == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if code == errno.ENOENT and path is not None and os.path.islink(path):
        return "broken symlink (its target does not exist)"
    if code == errno.ENOENT:
        return "file not found (removed while the batch was running?)"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.EISDIR:
        return "is a folder, not a file"
    return f"cannot read: {exc.strerror or exc}"


# ----------------------------------------------------------------------------------------------------
# Safe output paths

_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_MAX_COMPONENT_BYTES = 120
_MAX_DEPTH = 16


def printable(name: str | os.PathLike[str]) -> str:
    """A file name as valid UTF-8 text for ids, records and messages.

    POSIX names are bytes; Python keeps the bytes that are not UTF-8 as lone surrogates, which cannot be
    written to JSON or a terminal. They become ``\\xNN`` escapes, so distinct names stay distinct.
    """
    text = os.fspath(name)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file-name byte became (e.g. from a JSON "\\ud800")
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def safe_component(name: str) -> str:
    """One path component that cannot escape its folder or trip a file system.

    No separators, control or reserved characters, no leading dots (so no ``..`` and no hidden files, which
    keeps article files apart from the run's own ``.beknopt/`` folder), no Windows device names, at most 120
    bytes (a hash of the full name keeps long names distinct).
    """
    text = unicodedata.normalize("NFC", printable(name))
    text = _UNSAFE_CHARS.sub("_", text).strip().lstrip(".").rstrip(". ")
    if not text:
        text = "_"
    if text.split(".")[0].lower() in _WINDOWS_RESERVED:
        text = "_" + text
    if len(text.encode("utf-8")) > _MAX_COMPONENT_BYTES:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        cut = text.encode("utf-8")[: _MAX_COMPONENT_BYTES - 11].decode("utf-8", "ignore")
        text = f"{cut}-{digest}"
    return text


def safe_relpath(text: str) -> PurePosixPath:
    """A relative path made of safe components: ``../``, absolute paths and drive letters cannot escape."""
    parts = [p for p in re.split(r"[/\\]+", text) if p not in ("", ".", "..")]
    components = [safe_component(p) for p in parts] or ["_"]
    if len(components) > _MAX_DEPTH:
        components = [*components[: _MAX_DEPTH - 1], "_".join(components[_MAX_DEPTH - 1:])]
        components[-1] = safe_component(components[-1])
    return PurePosixPath(*components)


class OutputKeys:
    """Hands out unique output keys in discovery order (``a`` then ``a~2``), case-insensitively.

    Two inputs can map to the same output (``a.txt`` and ``a.html``, equal JSONL ids); because discovery order
    is stable, a re-run gives every article the same key again. Holds one short string per article.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()

    def assign(self, key: PurePosixPath) -> PurePosixPath:
        candidate, n = key, 1
        while str(candidate).casefold() in self._used:
            n += 1
            candidate = key.with_name(f"{key.name}~{n}")
        self._used.add(str(candidate).casefold())
        return candidate


# ----------------------------------------------------------------------------------------------------
# Reading


@dataclass
class _Reader:
    max_bytes: int
    keys: OutputKeys = field(default_factory=OutputKeys)

    def articles(self, sources: Iterable[Source]) -> Iterator[Article]:
        for source in sources:
            fmt = FORMATS.get(source.path.suffix.lower(), "text")
            if source.error is not None:
                yield self._failed(source, source.rel_text, source.error)
            elif fmt == "jsonl":
                yield from self._jsonl(source)
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

    def _single(self, source: Source, fmt: str) -> Article:
        article_id = source.rel_text
        try:
            with self._open_checked(source, limit=True) as fh:
                data = fh.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise _ReadError(_too_big(len(data), self.max_bytes))
        except _ReadError as exc:
            return self._failed(source, article_id, str(exc))
        except OSError as exc:
            return self._failed(source, article_id, os_reason(exc, source.path))
        digest = hashlib.sha256(data).hexdigest()
        if fmt == "json":
            try:
                doc = _json_document(data, article_id)
            except InputError as exc:
                return self._failed(source, _id_from_broken_line(data) or article_id, str(exc))
            doc.source_path = source.path_text
        else:
            doc = Document(id=article_id, source=data, source_path=source.path_text, source_format=fmt)
            _warn_about_bom(doc, data)
        return Article(id=doc.id, path=source.path_text, out_key=self._key(source.rel), digest=digest,
                       document=doc)

    def _jsonl(self, source: Source) -> Iterator[Article]:
        folder = safe_relpath(str(source.rel.with_suffix("")))
        try:
            fh = self._open_checked(source, limit=False)
        except _ReadError as exc:
            yield self._failed(source, source.rel_text, str(exc))
            return
        except OSError as exc:
            yield self._failed(source, source.rel_text, os_reason(exc, source.path))
            return
        lineno = 0
        with fh:
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
            return self._failed(source, default_id, f"line {lineno}: {_too_big(too_long, self.max_bytes)}",
                                line=lineno, key=self.keys.assign(line_key))
        try:
            doc = _json_document(raw, default_id, where=f"line {lineno}: ")
        except InputError as exc:
            given = _id_from_broken_line(raw)
            key = folder / safe_relpath(given) if given else line_key
            return self._failed(source, given or default_id, str(exc), line=lineno, key=self.keys.assign(key))
        doc.source_path = source.path_text
        key = folder / safe_relpath(doc.id) if doc.id != default_id else line_key
        return Article(id=doc.id, path=source.path_text, out_key=self.keys.assign(key), line=lineno,
                       digest=hashlib.sha256(raw.strip()).hexdigest(), document=doc)


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
        item = json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}not valid UTF-8/16/32 JSON ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(item, dict):
        raise InputError(f"{where}expected a JSON object with a 'text' or 'body' field, "
                         f"got {type(item).__name__}")
    try:
        return to_document(item, default_id)
    except InputError as exc:
        raise InputError(f"{where}{exc}") from exc


def _id_from_broken_line(raw: bytes) -> str | None:
    """The ``id`` of a JSON line that parses but has no text, so its error record names the article."""
    try:
        item = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(item, dict) and item.get("id") not in (None, ""):
        return str(item["id"])
    return None


def read_articles(sources: Iterable[Source], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article]:
    """Turn discovered sources into articles, lazily; every source yields at least one article or error."""
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
    return _Reader(max_bytes).articles(sources)


def count_articles(sources: Iterable[Source]) -> int:
    """How many articles ``read_articles`` will yield (for the progress bar's ETA); streams JSONL files."""
    total = 0
    for source in sources:
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
