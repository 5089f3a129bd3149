"""Process-wide settings, applied once and on purpose by the entry points, never by building an object.

CPU threads (torch's pool is one per process) and the glibc allocator tuning of the CPU backends belong to the
whole process: a constructor that changed them would change every other model in it. ``beknopt run``,
``beknopt eval-pipeline``, the Ray actors and ``Pipeline.from_pretrained``/``from_config`` call
:func:`apply_process_settings` before they build; ``build_pipeline`` alone leaves the process as it is.
"""

from __future__ import annotations

from typing import Any

from beknopt.config import PipelineConfig

__all__ = ["apply_process_settings"]


def apply_process_settings(config: PipelineConfig) -> dict[str, str]:
    """Set what ``config`` asks of the process for each backend it will load; returns what was done, by backend.

    Must run before the models are built: glibc's arena cap only takes effect before CTranslate2 starts its
    decoder threads.
    """
    from beknopt.models.registry import resolve_backend, resolve_summary_model, resolve_translation_model
    from beknopt.models.runtime import apply_process_settings as apply

    models = [resolve_translation_model(config.translation_model)]
    if config.summarizer != "lead":
        models.append(resolve_summary_model(config.summarization_model))
    done: dict[str, str] = {}
    for backend in dict.fromkeys(resolve_backend(m, config.backend) for m in models):
        settings: dict[str, Any] = config.process_settings()
        settings["backend"] = backend
        done[backend] = str(apply(**settings))
    return done
