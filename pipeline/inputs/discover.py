"""Discovery: the article files under files, folders (walked recursively, sorted) and globs, lazily.

Every run sees the articles in the same order, which is what gives them the same output paths and makes
resuming exact. The output folder is left out of every walk and glob, links to files in it included; what was
left out that way is collected (``LeftOut``) so the command can say so instead of skipping articles silently.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from beknopt.inputs.records import FORMATS, STDIN, InputNotFoundError, Source

__all__ = ["LeftOut", "check_inputs", "discover", "inside", "is_glob", "os_reason", "safe_is_dir"]

_GLOB_CHARS = re.compile(r"[*?[]")


def is_glob(text: str) -> bool:
    return bool(_GLOB_CHARS.search(text))


def _glob_root(pattern: str) -> Path:
    """The folder before the first wildcard: matches are named relative to it (``data/**/*.txt`` -> ``data``)."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if is_glob(part):
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
        raise InputNotFoundError("no INPUT given: name files, folders or globs of articles (or - for stdin)")
    if inputs.count(STDIN) > 1:
        raise InputNotFoundError("'-' (standard input) can be given once")
    for item in inputs:
        if item == STDIN:
            continue
        if is_glob(item) and not os.path.lexists(item):
            if next(_glob(item), None) is None:
                raise InputNotFoundError(f"no file matches '{item}'")
        elif not os.path.lexists(item):
            raise InputNotFoundError(f"no such file or folder: '{item}'")


def inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass
class LeftOut:
    """The article files discovery left out because they are inside an ``exclude`` folder (OUTDIR), each once
    (a folder reached twice, through a link, is counted once)."""

    paths: list[Path] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

    def add(self, path: Path) -> None:
        real = os.path.realpath(path)
        if real not in self._seen:
            self._seen.add(real)
            self.paths.append(path)

    def add_tree(self, folder: Path) -> None:
        """Every article file under ``folder``, as a walk would have found them (hidden entries skipped; links
        inside it are not followed: they are not read, only counted)."""
        # an unreadable folder inside OUTDIR is not counted: nothing in it would have been read anyway
        for top, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and Path(name).suffix.lower() in FORMATS:
                    self.add(Path(top) / name)


def discover(inputs: Sequence[str], *, exclude: Iterable[str | Path] = (),
             left_out: LeftOut | None = None) -> Iterator[Source]:
    """Yield the article files under ``inputs`` (files, folders walked recursively, globs), in a stable order.

    Folders skip hidden entries; everything inside the ``exclude`` folders (the output folder, so a run inside
    its own input tree never reads its own results) is left out of walks and globs, links included, and
    noted in ``left_out`` when given. Symlinked folders are followed; a loop yields an error ``Source``.
    """
    excluded = {os.path.realpath(p) for p in exclude}
    for item in inputs:
        if is_glob(item) and not os.path.lexists(item):
            root = _glob_root(item)
            for match in _glob(item):
                if _excluded(match, excluded):
                    if left_out is not None:
                        _note(left_out, match)
                    continue
                rel = PurePosixPath(os.path.relpath(match, root).replace(os.sep, "/"))
                yield from _source_or_walk(match, rel, excluded, left_out)
        elif item == STDIN:
            yield Source(Path(STDIN), PurePosixPath("stdin"))
        else:
            path = Path(item)
            if safe_is_dir(path):
                yield from _walk(path, PurePosixPath(), excluded, (), left_out)
            else:
                yield Source(path, PurePosixPath(path.name))


def _note(left_out: LeftOut, path: Path) -> None:
    """A glob match or a walked entry inside OUTDIR: the article file itself, or the ones under the folder."""
    if safe_is_dir(path):
        left_out.add_tree(path)
    elif path.suffix.lower() in FORMATS:
        left_out.add(path)


def _excluded(path: Path, excluded: set[str]) -> bool:
    if not excluded:
        return False
    real = os.path.realpath(path)
    return any(inside(real, folder) for folder in excluded)


def safe_is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _source_or_walk(path: Path, rel: PurePosixPath, excluded: set[str], left_out: LeftOut | None
                    ) -> Iterator[Source]:
    if safe_is_dir(path):
        yield from _walk(path, rel, excluded, (), left_out)
    else:
        yield Source(path, rel)


def _walk(folder: Path, rel: PurePosixPath, excluded: set[str], ancestors: tuple[tuple[int, int], ...],
          left_out: LeftOut | None = None) -> Iterator[Source]:
    """One folder, recursively; a folder inside an excluded one (reached directly or through a link) is left
    out whole, so only a file that is itself a link needs its own check."""
    if _excluded(folder, excluded):
        if left_out is not None:
            left_out.add_tree(folder)
        return
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
            yield from _walk(path, child, excluded, (*ancestors, key), left_out)
        elif suffix in FORMATS:
            if not (entry.is_symlink() and _excluded(path, excluded)):  # a link to one of OUTDIR's own files
                yield Source(path, child)
            elif left_out is not None:
                left_out.add(path)
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
