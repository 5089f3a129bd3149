"""``beknopt serve``: the HTTP service and the editor's page (``pip install "beknopt[serve]"``).

``create_app(pipeline, ServeSettings(state_dir=...))`` builds the FastAPI app around an already built
``Pipeline``; ``beknopt serve`` runs it under uvicorn. Names load lazily, so importing this package does not
import FastAPI until the app is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["ApiError", "JobStore", "Scheduler", "ServeSettings", "create_app"]

_EXPORTS = {"ApiError": "beknopt.serve.app", "create_app": "beknopt.serve.app", "JobStore": "beknopt.serve.jobs",
            "Scheduler": "beknopt.serve.scheduler", "ServeSettings": "beknopt.serve.settings"}

if TYPE_CHECKING:
    from beknopt.serve.app import ApiError, create_app
    from beknopt.serve.jobs import JobStore
    from beknopt.serve.scheduler import Scheduler
    from beknopt.serve.settings import ServeSettings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'beknopt.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
