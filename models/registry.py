"""Model presets and the backend registry.

Backends register a factory under a name; ``load_backend`` picks one by name or, with ``auto``, by looking at
the model directory (a CTranslate2 conversion is recognised by its files). Adding an engine means one
``register_backend`` call here, nothing in the stages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from beknopt.document import BeknoptError
from beknopt.models.backend import Seq2SeqBackend
from beknopt.models.loading import is_ctranslate2_dir

DEFAULT_TRANSLATION_MODEL = "Helsinki-NLP/opus-mt-nl-en"
SUMMARY_PRESETS: dict[str, str] = {
    "fast": "sshleifer/distilbart-cnn-6-6",
    "balanced": "sshleifer/distilbart-cnn-12-6",
    "best": "facebook/bart-large-cnn",
}
DEFAULT_SUMMARY_PRESET = "balanced"
DEFAULT_SUMMARIZATION_MODEL = SUMMARY_PRESETS[DEFAULT_SUMMARY_PRESET]

# (min_new_tokens, max_new_tokens) of the final summary; "medium" is the CNN/DailyMail setting of the BART cards.
LENGTH_PRESETS: dict[str, tuple[int, int]] = {"short": (20, 60), "medium": (56, 142), "long": (100, 256)}

# Approximate download sizes (safetensors weights), shown in `beknopt info` and the README.
MODEL_SIZES_MB: dict[str, int] = {
    DEFAULT_TRANSLATION_MODEL: 300,
    "sshleifer/distilbart-cnn-6-6": 920,
    "sshleifer/distilbart-cnn-12-6": 1220,
    "facebook/bart-large-cnn": 1630,
}

BackendFactory = Callable[..., Seq2SeqBackend]
_BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str) -> Callable[[BackendFactory], BackendFactory]:
    def decorator(factory: BackendFactory) -> BackendFactory:
        _BACKENDS[name] = factory
        return factory

    return decorator


def backend_names() -> list[str]:
    return sorted(_BACKENDS)


def resolve_summary_model(name: str | None) -> str:
    """A preset name (fast, balanced, best) or a model id/dir; ``None`` is the default preset."""
    if name is None:
        return DEFAULT_SUMMARIZATION_MODEL
    return SUMMARY_PRESETS.get(name, name)


def load_backend(model: str, backend: str = "auto", **options: Any) -> Seq2SeqBackend:
    """Load ``model`` with the named backend; ``auto`` uses CTranslate2 for converted dirs, else transformers."""
    if backend == "auto":
        backend = "ctranslate2" if Path(model).is_dir() and is_ctranslate2_dir(model) else "transformers"
    if backend not in _BACKENDS:
        raise BeknoptError(f"unknown backend '{backend}': choose one of {', '.join(['auto', *backend_names()])}")
    return _BACKENDS[backend](model, **options)


@register_backend("transformers")
def _transformers(model: str, **options: Any) -> Seq2SeqBackend:
    from beknopt.models.hf import TransformersBackend

    options = {k: v for k, v in options.items() if k in {"device", "dtype", "quantize", "threads", "malloc_tuning"}}
    return TransformersBackend(model, **options)


@register_backend("ctranslate2")
def _ctranslate2(model: str, **options: Any) -> Seq2SeqBackend:
    from beknopt.models.ct2 import CTranslate2Backend

    allowed = {"device", "dtype", "quantize", "compute_type", "threads", "intra_threads", "inter_threads",
               "quantization", "malloc_tuning"}
    return CTranslate2Backend(model, **{k: v for k, v in options.items() if k in allowed})
