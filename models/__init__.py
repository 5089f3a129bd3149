"""Models for beknopt's stages: presets, the backend registry and its two engines, loading and tiny test models.

Importing this package imports neither torch nor ctranslate2; an engine's module is imported when its backend
is first asked for (``beknopt.models.registry``).
"""

from beknopt.models.backend import BatchSettings, GenerationSettings, InputTooLongError, Seq2SeqBackend, plan_batches
from beknopt.models.errors import (
    BackendOptionError,
    ConversionError,
    ModelError,
    ModelLoadError,
    ModelNotFoundError,
    UnknownBackendError,
    UnknownOptionError,
)
from beknopt.models.families import Family, TargetTokenError, detect_family
from beknopt.models.presets import (
    DEFAULT_SUMMARIZATION_MODEL,
    DEFAULT_TRANSLATION_MODEL,
    SUMMARY_PRESETS,
    TRANSLATION_PRESETS,
    resolve_summary_model,
    resolve_translation_model,
)
from beknopt.models.registry import (
    COMMON_OPTIONS,
    BackendSpec,
    Option,
    backend_names,
    backend_spec,
    load_backend,
    register_backend,
    resolve_backend,
)
from beknopt.models.runtime import apply_process_settings

__all__ = [
    "COMMON_OPTIONS",
    "BackendOptionError",
    "BackendSpec",
    "BatchSettings",
    "ConversionError",
    "DEFAULT_SUMMARIZATION_MODEL",
    "DEFAULT_TRANSLATION_MODEL",
    "Family",
    "GenerationSettings",
    "InputTooLongError",
    "ModelError",
    "ModelLoadError",
    "ModelNotFoundError",
    "Option",
    "SUMMARY_PRESETS",
    "Seq2SeqBackend",
    "TRANSLATION_PRESETS",
    "TargetTokenError",
    "UnknownBackendError",
    "UnknownOptionError",
    "apply_process_settings",
    "backend_names",
    "backend_spec",
    "detect_family",
    "load_backend",
    "plan_batches",
    "register_backend",
    "resolve_backend",
    "resolve_summary_model",
    "resolve_translation_model",
]
