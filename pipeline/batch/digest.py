"""The editor's digest: one short row per summarised article (id, title, date, url, summary, counts).

``results.jsonl`` stays the full record; the digest is what an editor opens in a spreadsheet. It is written as
``digest.csv`` in the output folder (committed together with ``results.jsonl``), and with ``--digest FILE`` also
to ``FILE`` (``.csv`` or ``.jsonl``), replacing only a file that is itself a beknopt digest.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from pathlib import Path
from typing import Any

from beknopt.batch.errors import OutputFolderError

__all__ = ["DIGEST_FIELDS", "DigestFile", "check_digest_path", "digest_row", "row_bytes"]

DIGEST_FIELDS = ("id", "title", "title_en", "date", "url", "summary", "warnings", "checks")
# digests written by earlier versions are still beknopt's own, to be replaced
_EARLIER_FIELDS = (("id", "title", "date", "url", "summary", "warnings", "checks"),)
FORMATS = (".csv", ".jsonl")


def digest_row(record: dict[str, Any]) -> dict[str, Any]:
    """The digest row of one result record."""
    meta = record.get("metadata") or {}
    return {"id": record.get("id"), "title": meta.get("title") or "", "title_en": record.get("title_en") or "",
            "date": meta.get("date") or "",
            "url": meta.get("url") or "", "summary": record.get("summary") or "",
            "warnings": len(record.get("warnings") or []), "checks": len(record.get("checks") or [])}


def row_bytes(row: dict[str, Any] | None, fmt: str = ".csv") -> bytes:
    """One row as CSV or JSONL bytes; ``None`` gives the CSV header (JSONL has none)."""
    if fmt == ".jsonl":
        return b"" if row is None else json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"
    buffer = io.StringIO()
    csv.writer(buffer).writerow(DIGEST_FIELDS if row is None else [row[k] for k in DIGEST_FIELDS])
    return buffer.getvalue().encode("utf-8")


def _looks_like_digest(path: Path, fmt: str) -> bool:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except OSError:
        return False
    if not first:
        return True  # an empty file holds nothing to lose
    if fmt == ".csv":
        return first.rstrip(b"\r\n") in {",".join(f).encode() for f in (DIGEST_FIELDS, *_EARLIER_FIELDS)}
    try:
        return tuple(json.loads(first)) in (DIGEST_FIELDS, *_EARLIER_FIELDS)
    except (ValueError, TypeError):
        return False


def check_digest_path(path: Path) -> str:
    """The digest format of ``path`` (its suffix); refuses a path beknopt must not overwrite (checked before
    any model loads)."""
    fmt = path.suffix.lower()
    if fmt not in FORMATS:
        raise OutputFolderError(f"--digest {path}: the file must end in .csv or .jsonl")
    if os.path.lexists(path):
        if not path.is_file() or path.is_symlink():
            raise OutputFolderError(f"--digest {path}: it exists and is not a regular file")
        if not _looks_like_digest(path, fmt):
            raise OutputFolderError(f"--digest {path}: the file exists and is not a beknopt digest; beknopt will "
                                    "not overwrite it (choose another name)")
    if not path.parent.is_dir():
        raise OutputFolderError(f"--digest {path}: the folder {path.parent} does not exist")
    return fmt


class DigestFile:
    """``--digest FILE``: rows collected in a temporary file beside it, renamed over it by ``commit``."""

    def __init__(self, path: Path) -> None:
        self.path, self.fmt = path, check_digest_path(path)
        self._tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        self._fh = open(self._tmp, "xb")  # noqa: SIM115 - closed in commit()/close()
        self._fh.write(row_bytes(None, self.fmt))

    def add(self, row: dict[str, Any]) -> None:
        self._fh.write(row_bytes(row, self.fmt))

    def commit(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.path)

    def close(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
