"""Why a batch run cannot use its output: the whole folder (a usage error) or one path in it."""

from __future__ import annotations

from beknopt.document import BeknoptError

__all__ = ["OutputFolderError", "OutputLockedError", "WriteRefusedError"]


class OutputFolderError(BeknoptError):
    """OUTDIR cannot be used at all (not a folder, not writable, state files in the way): a usage error."""


class OutputLockedError(OutputFolderError):
    """Another ``beknopt run`` is writing to the same output folder."""


class WriteRefusedError(BeknoptError):
    """One output path is not beknopt's to change (a link, a folder, or a file beknopt did not write)."""
