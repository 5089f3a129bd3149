"""The model errors: one base class, so callers can tell "the model or backend could not be set up" apart.

Every error raised while finding, converting or loading a model, or while choosing a backend and its options,
is a :class:`ModelError` (itself a ``BeknoptError``). :class:`InputTooLongError` (``beknopt.models.backend``)
is not one: it is raised per input while generating, by a model that did load, and means a stage forgot to split.
"""

from __future__ import annotations

from beknopt.document import BeknoptError
from beknopt.engine.optional import MissingPackageError

__all__ = [
    "BackendOptionError",
    "ConversionError",
    "MissingCTranslate2Error",
    "ModelError",
    "ModelLoadError",
    "ModelNotFoundError",
    "UnknownBackendError",
    "UnknownOptionError",
]


class ModelError(BeknoptError):
    """A model or backend could not be found, converted, loaded or configured."""


class ModelNotFoundError(ModelError):
    """The named model is neither a local directory nor reachable (or cached) on the Hugging Face hub."""


class ModelLoadError(ModelError):
    """The model was found but could not be loaded (unsupported architecture, broken or unsafe files)."""


class ConversionError(ModelError):
    """The checkpoint could not be converted (missing ctranslate2, unsupported architecture, broken files)."""


class MissingCTranslate2Error(ConversionError, MissingPackageError):
    """The ``ctranslate2`` package is not installed: a :class:`ConversionError`, as it always was for callers,
    and a ``MissingPackageError`` (an ``ImportError``) like every other missing optional package."""


class UnknownBackendError(ModelError):
    """No backend of that name is registered."""


class BackendOptionError(ModelError):
    """A backend option has a value the backend cannot use (a device, dtype, quantisation or thread count)."""


class UnknownOptionError(BackendOptionError):
    """An option name the chosen backend neither uses nor declares as a common option it ignores."""
