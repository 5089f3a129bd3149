"""Optional packages (CTranslate2, Ray, BERTScore...): imported only when asked for, with one clear message.

Every "this feature needs package X" error in beknopt comes from :func:`require`, so the wording (and the pip
command that fixes it) is the same wherever it appears.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from beknopt.document import BeknoptError

__all__ = ["MissingPackageError", "require"]


class MissingPackageError(BeknoptError, ImportError):
    """A feature was asked for whose optional package is not installed."""


def require(module: str, *, feature: str, install: str, error: type[MissingPackageError] = MissingPackageError
            ) -> ModuleType:
    """Import ``module`` for ``feature``; if it is missing, raise ``error`` naming the ``install`` command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise error(f"{feature} needs the '{module.split('.')[0]}' package: {install}") from exc
