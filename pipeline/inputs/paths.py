"""Output paths from article ids and file names: safe components, unique keys, printable names."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import PurePosixPath

__all__ = ["OutputKeys", "printable", "safe_component", "safe_relpath"]

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
