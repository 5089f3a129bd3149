"""Model registry, presets, loading (hub id or local dir), backends and the tiny-model factory."""

from beknopt.models.backend import BatchSettings, GenerationSettings, InputTooLongError, Seq2SeqBackend, plan_batches
from beknopt.models.loading import ModelLoadError, ModelNotFoundError
from beknopt.models.registry import (
    DEFAULT_SUMMARIZATION_MODEL,
    DEFAULT_TRANSLATION_MODEL,
    LENGTH_PRESETS,
    SUMMARY_PRESETS,
    backend_names,
    load_backend,
    register_backend,
    resolve_summary_model,
)

__all__ = [
    "BatchSettings",
    "DEFAULT_SUMMARIZATION_MODEL",
    "DEFAULT_TRANSLATION_MODEL",
    "GenerationSettings",
    "InputTooLongError",
    "LENGTH_PRESETS",
    "ModelLoadError",
    "ModelNotFoundError",
    "SUMMARY_PRESETS",
    "Seq2SeqBackend",
    "backend_names",
    "load_backend",
    "plan_batches",
    "register_backend",
    "resolve_summary_model",
]
