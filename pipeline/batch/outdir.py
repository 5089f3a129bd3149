"""The output folder of a batch run: beknopt writes, replaces and deletes only files it wrote itself.

A user's files can sit next to beknopt's (``-o .``, an old folder reused, a link made by hand), so every
change to OUTDIR passes two checks:

- **Inside, without links.** The path is walked from OUTDIR one component at a time with ``lstat``: a
  symlink or a non-folder on the way refuses the operation, so nothing is created, renamed or deleted through
  a link that leads out of OUTDIR.
- **Ours.** ``.beknopt/manifest`` lists every file a run put in place (appended, and flushed, *before* the
  rename, so a killed run cannot leave a file it does not know). An existing file that is not listed is
  never overwritten or deleted. Folders written before the manifest existed keep working: their article JSON
  carries beknopt's stamp with its own output path, and ``results.jsonl``/``errors.jsonl`` beside a
  ``.beknopt`` folder are beknopt's.

``results.jsonl`` and ``errors.jsonl`` change together through a journal: both are staged, then
``.beknopt/commit.json`` naming them is renamed into place (the commit point), then both are renamed and the
journal removed. A run killed between the renames is completed by the next one before it reads anything, so
no article is ever counted in both files. The journal is read as hostile input: it may only name the three
summary files and staged files of the exact shape beknopt gives them (``<uuid4 hex>.jsonl`` inside
``.beknopt/staged``), and neither it, ``staged``, ``tmp`` nor a staged file may be a link; anything else stops
the run with a usage error before a file moves.

Nothing in OUTDIR is *read* through a link either (the resume check, the ownership stamp): ``read_inside``
walks the path like a write does and opens the file with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import uuid
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import IO, Any

from beknopt.batch.digest import row_bytes
from beknopt.batch.errors import OutputFolderError, OutputLockedError, WriteRefusedError
from beknopt.inputs.discover import inside, is_glob, safe_is_dir

__all__ = ["DIGEST_FILE", "ERRORS_FILE", "RESULTS_FILE", "STATE_DIR", "OutputFolder", "OutputFolderError",
           "OutputLockedError", "WriteRefusedError", "check_output_apart", "check_output_folder", "checked_parent",
           "owned_outputs", "read_inside"]

STATE_DIR = ".beknopt"
RESULTS_FILE = "results.jsonl"
ERRORS_FILE = "errors.jsonl"
DIGEST_FILE = "digest.csv"
SUMMARY_FILES = (RESULTS_FILE, ERRORS_FILE, DIGEST_FILE)  # rebuilt by every complete run, committed together
MANIFEST = "manifest"
JOURNAL = "commit.json"
TMP_DIR = "tmp"
STAGED_DIR = "staged"
STAGED_NAME = re.compile(r"[0-9a-f]{32}\.jsonl")  # what commit() names a staged file: uuid4().hex + ".jsonl"
JOURNAL_MAX_BYTES = 64 * 1024  # a real journal is ~200 bytes; a huge one is not beknopt's
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows: the lstat walk is all there is
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO put in a file's place must not hang the open


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _what(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symlink"
    return "a folder" if stat.S_ISDIR(mode) else "not a regular file"


def checked_parent(root: Path, rel: PurePosixPath, *, create: bool) -> Path | None:
    """The folder ``rel`` goes in under ``root``, checked component by component: real folders only, no links.

    The one walk behind every write, delete and read in OUTDIR. ``None`` when a folder on the way does not
    exist and ``create`` is false (so there is nothing to read or delete).
    """
    if rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts):
        raise WriteRefusedError(f"refusing {rel}: beknopt only uses plain paths inside the output folder")
    folder = root
    for part in rel.parts[:-1]:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            if not create:
                return None
            folder.mkdir()
            continue
        if stat.S_ISLNK(mode):
            raise WriteRefusedError(f"refusing to write through {folder}: it is a symlink, and beknopt does "
                                    "not follow links inside the output folder")
        if not stat.S_ISDIR(mode):
            raise WriteRefusedError(f"{folder} is in the way: it is a file, not a folder")
    return folder


def _read_nofollow(path: Path, *, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, the last component not followed (``O_NOFOLLOW``).

    Raises ``WriteRefusedError`` when it is a link or not a regular file, ``FileNotFoundError`` when missing.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno != errno.ENOENT and os.path.islink(path)):
            raise WriteRefusedError(f"refusing to read {path}: it is a symlink, and beknopt does not follow "
                                    "links inside the output folder") from exc
        raise
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise WriteRefusedError(f"refusing to read {path}: it is {_what(mode)}")
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise WriteRefusedError(f"{path} is larger than {limit:,} bytes")
    return data


def read_inside(root: Path, rel: PurePosixPath) -> bytes | None:
    """The bytes of OUTDIR/``rel``, reached without following any link; ``None`` when it does not exist.

    Raises ``WriteRefusedError`` for a link (on the way or the file itself) or a non-regular file: whatever is
    behind it is not beknopt's, and its content must not be taken for an output.
    """
    parent = checked_parent(root, rel, create=False)
    if parent is None:
        return None
    try:
        return _read_nofollow(parent / rel.name)
    except FileNotFoundError:
        return None


def check_output_apart(inputs: Sequence[str], output: Path) -> None:
    """Refuse an OUTDIR that is, or holds, a file or folder named as INPUT: its outputs would land among the
    articles (and ``a.md`` -> ``a.json`` beside a user's ``a.json``). An OUTDIR *inside* an input folder is
    fine: discovery leaves it out."""
    real_out = os.path.realpath(output)
    for item in inputs:
        if item == "-" or (is_glob(item) and not os.path.lexists(item)):
            continue  # stdin; glob matches inside OUTDIR are left out by discover()
        if inside(os.path.realpath(item), real_out):
            suggestion = Path(item) / "beknopt-out" if safe_is_dir(Path(item)) else output / "beknopt-out"
            raise OutputFolderError(
                f"the output folder {output} is, or contains, the input '{item}': beknopt would write among "
                f"your articles. Write to a folder of its own, e.g. -o {suggestion} (it is left out of reading)")


def check_output_folder(output: Path) -> None:
    """Refuse an unusable OUTDIR before any model loads, creating nothing.

    Catches what would otherwise fail half-way: OUTDIR or one of its parents being a file, a read-only
    folder (OUTDIR or ``.beknopt``), beknopt's own state files and folders replaced by folders or links, and a
    commit journal beknopt did not write.
    """
    probe = output
    while not os.path.lexists(probe):
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputFolderError(f"cannot use {output} as the output folder: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputFolderError(f"cannot write to the output folder {output}: permission denied on {probe}")
    if probe != output:
        return  # OUTDIR will be made fresh
    state = output / STATE_DIR
    if os.path.lexists(state) and not _is_real_dir(state):
        raise OutputFolderError(f"{state} is in the way: beknopt keeps its state there, and it is not a folder")
    for path in (state / "lock", state / MANIFEST, state / JOURNAL, *(output / name for name in SUMMARY_FILES)):
        if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            raise OutputFolderError(f"{path} is in the way: it is not a regular file (a folder or a link); "
                                    "move it, or choose another output folder")
    for folder in (state / TMP_DIR, state / STAGED_DIR):
        _check_state_dir(folder)
    _check_writable(state)
    _read_journal(state)  # refused here, before any model loads, rather than after the work
    _check_summaries_owned(output, _read_manifest(state / MANIFEST) | _legacy_owned(state))


def _check_state_dir(folder: Path) -> None:
    """``tmp`` and ``staged`` hold beknopt's files before they move into place: a link would put them (and
    leave them, after a kill) outside OUTDIR."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        raise OutputFolderError(f"{folder} is in the way: it is {_what(mode)}, not a folder, and beknopt keeps its "
                                "own files there; remove it, or choose another output folder")


def _check_writable(state: Path) -> None:
    """A read-only state folder or file would only fail at the commit, after all the model work."""
    for path, mode in ((state, os.W_OK | os.X_OK), (state / TMP_DIR, os.W_OK | os.X_OK),
                       (state / STAGED_DIR, os.W_OK | os.X_OK), (state / "lock", os.W_OK),
                       (state / MANIFEST, os.W_OK)):
        if os.path.lexists(path) and not os.access(path, mode):
            raise OutputFolderError(f"cannot write to {path}: permission denied (beknopt keeps its state there); "
                                    "make it writable, or choose another output folder")


def _read_journal(state: Path) -> dict[str, str] | None:
    """The commit journal as ``{summary file: staged name}``, or ``None`` when there is none.

    Anything beknopt would not have written (other keys, a name with a ``/`` or ``..``, a link) is refused:
    recovery renames what the journal names, so a crafted one could otherwise move files from anywhere.
    """
    journal = state / JOURNAL
    try:
        raw = _read_nofollow(journal, limit=JOURNAL_MAX_BYTES)
    except FileNotFoundError:
        return None
    except WriteRefusedError as exc:
        raise OutputFolderError(f"{exc}; beknopt did not write it: delete it and run again") from exc
    except OSError as exc:
        raise OutputFolderError(f"cannot read {journal}: {exc.strerror or exc}") from exc
    try:
        plan = json.loads(raw)
    except ValueError as exc:
        raise OutputFolderError(f"{journal} is damaged ({exc}); delete it and run again") from exc
    if not isinstance(plan, dict):
        raise OutputFolderError(f"{journal} is damaged (not a JSON object); delete it and run again")
    for name, staged in plan.items():
        if name not in SUMMARY_FILES or not isinstance(staged, str) or not STAGED_NAME.fullmatch(staged):
            raise OutputFolderError(
                f"{journal} is not a journal beknopt wrote: it names {json.dumps(name)} -> {json.dumps(staged)}, "
                f"and beknopt only commits {', '.join(SUMMARY_FILES)} from {STAGED_DIR}/<uuid>.jsonl; nothing was "
                "moved. Delete it and run again")
    return plan


def owned_outputs(output: Path) -> set[str]:
    """The paths (relative to OUTDIR) of the files beknopt put there, as its manifest lists them: what discovery
    leaving OUTDIR out does not need to mention. Read-only; names are only compared, never opened."""
    state = output / STATE_DIR
    if not _is_real_dir(state):
        return set()
    try:
        return _read_manifest(state / MANIFEST) | _legacy_owned(state)
    except OSError:
        return set()  # an unreadable manifest: every file in OUTDIR is then reported as left out


def _legacy_owned(state: Path) -> set[str]:
    """A folder from a beknopt release before the manifest: its summary files are beknopt's."""
    return set(SUMMARY_FILES) if _is_real_dir(state) and not (state / MANIFEST).exists() else set()


def _check_summaries_owned(output: Path, owned: set[str]) -> None:
    for name in SUMMARY_FILES:
        if os.path.lexists(output / name) and name not in owned:
            raise OutputFolderError(f"{output / name} exists and beknopt did not write it: move it, or choose "
                                    "another output folder")


class OutputFolder:
    """OUTDIR while a run holds it: lock, temporary files, manifest, guarded writes and the summary journal."""

    def __init__(self, root: Path) -> None:
        check_output_folder(root)
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
            state = root / STATE_DIR
            legacy = _legacy_owned(state)
            state.mkdir(exist_ok=True)
            self._lock = _lock(state / "lock")
        except OSError as exc:
            raise OutputFolderError(f"cannot write to the output folder {root}: {exc.strerror or exc}") from exc
        self.state = state
        self._manifest: IO[str] | None = None
        self._staged: dict[str, tuple[Path, IO[bytes]]] = {}
        try:
            self._open_state(legacy)
        except OSError as exc:
            self.close()
            raise OutputFolderError(f"cannot use the output folder {root}: {exc.strerror or exc}"
                                    + (f" ({exc.filename})" if exc.filename else "")) from exc
        except BaseException:
            self.close()
            raise

    def _open_state(self, legacy: set[str]) -> None:
        state, root = self.state, self.root
        self._owned = _read_manifest(state / MANIFEST) | legacy
        self._manifest = open(state / MANIFEST, "a", encoding="utf-8", opener=_nofollow)  # noqa: SIM115 - closed in close()
        self.tmp = _state_dir(state / TMP_DIR)
        self.staged = _state_dir(state / STAGED_DIR)
        for entry in os.scandir(self.tmp):  # what a killed run left: never a finished file
            if entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        self._recover()
        _check_summaries_owned(root, self._owned)
        self._staged = {name: self._open_tmp() for name in SUMMARY_FILES}
        self._staged[DIGEST_FILE][1].write(row_bytes(None))

    # -- paths ------------------------------------------------------------------------------------

    def _tmp_path(self) -> Path:
        return self.tmp / f"{uuid.uuid4().hex}.tmp"

    def _open_tmp(self) -> tuple[Path, IO[bytes]]:
        path = self._tmp_path()
        return path, open(path, "xb")  # noqa: SIM115 - closed in commit()/close()

    def _parent(self, rel: PurePosixPath, *, create: bool) -> Path | None:
        """The folder ``rel`` goes in (``checked_parent``: real folders only, no links)."""
        return checked_parent(self.root, rel, create=create)

    def _owns(self, rel: PurePosixPath, path: Path) -> bool:
        """May beknopt replace or delete the existing regular file ``path``?"""
        if str(rel) in self._owned:
            return True
        if path.suffix != ".json":
            return False
        try:  # an article JSON of an older run: stamped by beknopt with its own output path (never via a link)
            data = read_inside(self.root, rel)
            stamp = json.loads(data).get("beknopt") if data is not None else None
        except (OSError, ValueError, AttributeError, WriteRefusedError):
            return False  # unreadable, a link or not beknopt's JSON: not provably ours, so left alone
        return isinstance(stamp, dict) and stamp.get("output") == str(rel)

    def _claim(self, rel: PurePosixPath, path: Path) -> bool:
        """Check ``path`` may be (re)placed, and record it in the manifest before it exists.

        Returns whether the path was new to the manifest and did not exist (a failed write then takes the claim
        back, so a file the user puts there later is not taken for beknopt's)."""
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None:
            if not stat.S_ISREG(mode):
                raise WriteRefusedError(f"refusing to replace {path}: it is {_what(mode)}")
            if not self._owns(rel, path):
                raise WriteRefusedError(f"refusing to overwrite {path}: beknopt did not write it "
                                        "(move it away, or choose another output folder)")
        if str(rel) not in self._owned:
            self._note("+", rel)
            return mode is None
        return False

    # -- changes ----------------------------------------------------------------------------------

    def write(self, rel: PurePosixPath, data: bytes) -> Path:
        """Put ``data`` at OUTDIR/``rel`` through a temporary file and a rename; returns the path."""
        parent = self._parent(rel, create=True)
        assert parent is not None
        path = parent / rel.name
        new = self._claim(rel, path)
        tmp = self._tmp_path()
        try:
            with open(tmp, "xb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            if new and not os.path.lexists(path):
                self._note("-", rel)
            # named after the output, not the temporary file: that is what the user can act on
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def remove(self, rel: PurePosixPath) -> bool:
        """Delete OUTDIR/``rel`` when it is a file beknopt wrote; anything else is left alone.

        Raises ``OSError`` (a read-only subfolder) when an output of beknopt's cannot be deleted: the caller
        records it against that article instead of the whole batch stopping.
        """
        try:
            parent = self._parent(rel, create=False)
        except WriteRefusedError:
            return False  # a link or a file on the way: whatever lies behind it is not ours
        if parent is None:
            return False
        path = parent / rel.name
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode) or not self._owns(rel, path):
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        self._note("-", rel)
        return True

    def is_file(self, rel: PurePosixPath) -> bool:
        """Whether OUTDIR/``rel`` is a regular file, reached without following links."""
        try:
            parent = self._parent(rel, create=False)
        except WriteRefusedError:
            return False
        if parent is None:
            return False
        try:
            return stat.S_ISREG(os.lstat(parent / rel.name).st_mode)
        except FileNotFoundError:
            return False

    def _note(self, sign: str, rel: PurePosixPath) -> None:
        """Append to the manifest (flushed: a kill right after still leaves it on disk)."""
        assert self._manifest is not None
        self._manifest.write(f"{sign} {rel}\n")
        self._manifest.flush()
        (self._owned.add if sign == "+" else self._owned.discard)(str(rel))

    def add_result(self, data: dict[str, Any]) -> None:
        self._staged[RESULTS_FILE][1].write(json_bytes(data) + b"\n")

    def add_error(self, record: dict[str, Any]) -> None:
        self._staged[ERRORS_FILE][1].write(json_bytes(record) + b"\n")

    def add_digest(self, row: dict[str, Any]) -> None:
        self._staged[DIGEST_FILE][1].write(row_bytes(row))

    def commit(self) -> None:
        """Put the rebuilt ``results.jsonl``, ``errors.jsonl`` and ``digest.csv`` in place together (only a
        complete run does)."""
        staged = _state_dir(self.staged)  # checked again: a link put there during the run would take the files
        plan: dict[str, str] = {}
        for name, (tmp, handle) in self._staged.items():
            self._claim(PurePosixPath(name), self.root / name)
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            target = staged / f"{uuid.uuid4().hex}.jsonl"
            os.replace(tmp, target)
            plan[name] = target.name
        journal = self._tmp_path()
        journal.write_bytes(json_bytes(plan))
        os.replace(journal, self.state / JOURNAL)  # the commit point
        self._recover()

    def _recover(self) -> None:
        """Finish a commit the journal names (a run killed between the renames), then clear the staging folder.

        Only what ``_read_journal`` accepts moves: fixed names, from the real ``staged`` folder, regular files.
        A staged file already gone was moved by a recovery that was itself interrupted."""
        journal = self.state / JOURNAL
        staged = _state_dir(self.staged, create=False)
        plan = _read_journal(self.state)
        if plan is not None:
            sources: dict[str, Path] = {}
            for name in SUMMARY_FILES:
                if name not in plan:
                    continue
                source = staged / plan[name]
                try:
                    mode = os.lstat(source).st_mode
                except FileNotFoundError:
                    continue
                if not stat.S_ISREG(mode):
                    raise OutputFolderError(f"{source} is {_what(mode)}: beknopt did not stage it, so {journal} is "
                                            "not its own; nothing was moved. Delete the journal and run again")
                sources[name] = source
            for name, source in sources.items():  # every source checked before the first one moves
                self._claim(PurePosixPath(name), self.root / name)
                os.replace(source, self.root / name)
            journal.unlink()
        if _is_real_dir(staged):
            for entry in os.scandir(staged):  # staged by a run killed before its commit point
                if entry.name.endswith(".jsonl") and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)

    def close(self) -> None:
        for tmp, handle in self._staged.values():
            handle.close()
            tmp.unlink(missing_ok=True)
        self._staged = {}
        if self._manifest is not None:
            self._manifest.close()
        self._lock.close()


def _state_dir(folder: Path, *, create: bool = True) -> Path:
    """``folder`` (``.beknopt/tmp`` or ``.beknopt/staged``) as a real folder, made when missing; a link or a
    file there is refused (``_check_state_dir``)."""
    if create and not os.path.lexists(folder):
        with contextlib.suppress(FileExistsError):  # made meanwhile: checked below like any other
            folder.mkdir()
    _check_state_dir(folder)
    return folder


def json_bytes(data: Any, *, indent: int | None = None) -> bytes:
    """UTF-8 JSON; a lone surrogate (from a JSON input's ``\\udcxx`` escape) is written as that escape again."""
    return json.dumps(data, ensure_ascii=False, indent=indent).encode("utf-8", "backslashreplace")


def _nofollow(path: str, flags: int) -> int:
    """An ``open()`` opener for beknopt's own state files: a link put in their place fails (``ELOOP``) instead of
    being written or read through; a FIFO does not block."""
    return os.open(path, flags | _O_NOFOLLOW | _O_NONBLOCK, 0o666)


def _read_manifest(path: Path) -> set[str]:
    """The files earlier runs put in place and did not delete since (``+ rel`` and ``- rel`` lines; a torn last
    line from a kill is ignored)."""
    owned: set[str] = set()
    with contextlib.suppress(FileNotFoundError), open(path, encoding="utf-8", errors="replace",
                                                      opener=_nofollow) as fh:
        for line in fh:
            if line.endswith("\n") and line[:2] in ("+ ", "- "):
                (owned.add if line[0] == "+" else owned.discard)(line[2:-1])
    return owned


def _lock(path: Path) -> Any:
    handle = open(path, "a", opener=_nofollow)  # noqa: SIM115 - held for the whole run, closed by OutputFolder.close
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock, runs are trusted not to overlap
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise OutputLockedError(f"another beknopt run is writing to {path.parent.parent}") from exc
    return handle
