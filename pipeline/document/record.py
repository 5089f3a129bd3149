"""The two records a finished article becomes, one shape for ``beknopt run`` and ``beknopt serve``.

A result is ``Document.to_dict()`` plus the ``beknopt`` stamp (input hash, settings fingerprint, version, where
the article came from, the output file); an error is one line of ``errors.jsonl``. Both writers build them
here, so a newsroom can feed the service's answers and a batch folder's files to the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beknopt import __version__
from beknopt.document import Document

__all__ = ["error_outcome", "error_record", "result_record", "stamp"]


def stamp(sha256: str, fingerprint: str, source: str | None, line: int | None, output: str | None
          ) -> dict[str, Any]:
    """The ``beknopt`` block: what an output must carry to be reused, and where it came from and went."""
    return {"input_sha256": sha256, "settings": fingerprint, "beknopt_version": __version__, "source": source,
            "line": line, "output": output}


def result_record(doc: Document, *, sha256: str, fingerprint: str, source: str | None, line: int | None,
                  output: str | None = None) -> dict[str, Any]:
    """A finished article's record (one article JSON, one line of ``results.jsonl``, one service answer)."""
    data = doc.to_dict()
    data["beknopt"] = stamp(sha256, fingerprint, source, line, output)
    return data


def error_outcome(error: Mapping[str, str]) -> str:
    """``skipped`` for an article that is not Dutch (the language stage marks it so), ``failed`` for the rest."""
    return "skipped" if error.get("outcome") == "skipped" else "failed"


def error_record(doc_id: str, error: Mapping[str, str], *, path: str | None, line: int | None) -> dict[str, Any]:
    """One line of ``errors.jsonl`` (its ``outcome``: :func:`error_outcome`)."""
    return {"id": doc_id, "path": path, "line": line, "stage": error.get("stage") or "?",
            "reason": error.get("reason") or "unknown error", "outcome": error_outcome(error)}
