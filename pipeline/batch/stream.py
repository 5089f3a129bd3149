"""``beknopt run ... -o -``: the records go to standard output as JSONL, so beknopt fits in a shell pipeline.

Each article's record is written as soon as its batch is done, in input order: the full result record for a
summarised article, the ``errors.jsonl`` record (with ``outcome`` and ``reason``) for one that failed or was
skipped. Nothing is written to disk and nothing is resumed.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import IO, Any

from beknopt.batch.outdir import json_bytes

__all__ = ["StreamOutput"]


class StreamOutput:
    """The output of a run without a folder; same methods as ``OutputFolder``, records on a binary stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def remove(self, rel: PurePosixPath) -> bool:
        return False  # nothing on disk to remove

    def add_result(self, data: dict[str, Any]) -> None:
        self._emit(data)

    def add_error(self, record: dict[str, Any]) -> None:
        self._emit(record)

    def add_digest(self, row: dict[str, Any]) -> None:
        """The digest lives in an output folder; with ``-o -`` only ``--digest FILE`` writes one."""

    def _emit(self, record: dict[str, Any]) -> None:
        self.stream.write(json_bytes(record) + b"\n")
        self.stream.flush()

    def commit(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        """The stream belongs to the caller (standard output): it stays open."""
