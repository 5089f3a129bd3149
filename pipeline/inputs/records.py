"""What reading produces: ``Source`` (a file found) and ``Article`` (a document ready for the pipeline, or a
read error), plus the formats beknopt reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from beknopt.document import BeknoptError, Document
from beknopt.inputs.paths import printable

__all__ = ["DEFAULT_MAX_BYTES", "FORMATS", "STDIN", "Article", "InputNotFoundError", "Source"]

STDIN = "-"  # as an INPUT: read the articles from standard input

DEFAULT_MAX_BYTES = 5_000_000
# Suffix -> how the file is read: a single article as text/HTML/JSON, or one JSON article per line.
# "newsroom": NewsML-G2, NITF, RSS or Atom, told by the document's root (``beknopt.formats.detect``).
FORMATS: dict[str, str] = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html",
                           ".json": "json", ".jsonl": "jsonl", ".xml": "newsroom", ".nitf": "newsroom",
                           ".rss": "newsroom", ".atom": "newsroom"}


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
        return "<stdin>" if self.is_stdin else printable(self.path)

    @property
    def is_stdin(self) -> bool:
        return str(self.path) == STDIN


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
