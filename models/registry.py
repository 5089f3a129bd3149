"""The backend registry: which engines there are, which options each declares, and ``load_backend``.

An engine module declares its backend where it defines it, the way CTranslate2's converters register a loader
per config class::

    @register_backend("transformers", options=(common("device", help=...), ...),
                      ignores={"inter_threads": "why this backend has no use for it"})
    class TransformersBackend: ...

Each :class:`Option` has a name, type, default and one line of help. Entry points hand one common set of options
(:data:`COMMON_OPTIONS`) to whichever backend a model gets, so every backend must declare each common option
either as one it uses or as one it ignores, and why; any other name is refused with :class:`UnknownOptionError`
naming the option, the backend and the options it accepts.

Registration is lazy: :data:`ENGINE_MODULES` maps each engine to its module, imported only when that backend is
asked for, so importing ``beknopt.models`` imports neither torch nor ctranslate2. Adding an engine is one module
with one ``register_backend`` and one line in that table, nothing in the stages. The presets are re-exported
from ``beknopt.models.presets``, where callers of this module have always found them.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from beknopt.models.backend import Seq2SeqBackend
from beknopt.models.errors import BackendOptionError, ModelError, UnknownBackendError, UnknownOptionError
from beknopt.models.loading import is_ctranslate2_dir
from beknopt.models.presets import (  # noqa: F401  (re-exported: callers import the presets from here)
    DEFAULT_SUMMARIZATION_MODEL,
    DEFAULT_SUMMARY_PRESET,
    DEFAULT_TRANSLATION_MODEL,
    MODEL_SIZES_MB,
    MODELS,
    SUMMARY_PRESETS,
    TRANSLATION_PRESETS,
    licence_notice,
    resolve_summary_model,
    resolve_translation_model,
    warn_licence,
)

BackendFactory = Callable[..., Seq2SeqBackend]
F = TypeVar("F", bound=BackendFactory)

# Engine -> the module whose import registers it; imported on first use only.
ENGINE_MODULES: dict[str, str] = {"transformers": "beknopt.models.hf", "ctranslate2": "beknopt.models.ct2"}


@dataclass(frozen=True)
class Option:
    """One keyword a backend takes: its name, type(s), default and what it does, in one line.

    ``None`` is always accepted when the default is ``None`` ("leave it to the backend").
    """

    name: str
    type: type | tuple[type, ...]
    default: Any
    help: str

    @property
    def types(self) -> tuple[type, ...]:
        return self.type if isinstance(self.type, tuple) else (self.type,)

    @property
    def type_name(self) -> str:
        names = [t.__name__ for t in self.types] + (["None"] if self.default is None else [])
        return " or ".join(names)

    def check(self, value: Any, backend: str) -> None:
        """Refuse a value of the wrong type (``True`` is no thread count) before the backend reads it."""
        if value is None and self.default is None:
            return
        if isinstance(value, self.types) and (bool in self.types or not isinstance(value, bool)):
            return
        raise BackendOptionError(f"option '{self.name}' of the {backend} backend must be {self.type_name}, "
                                 f"got {value!r}")


# What the entry points pass to every backend (Pipeline.from_pretrained's device/dtype/quantize/threads/
# inter_threads, plus backend_options' malloc_tuning): each backend uses or ignores each of them by declaration.
COMMON_OPTIONS: dict[str, Option] = {o.name: o for o in (
    Option("device", str, "auto", "auto, cpu, cuda, cuda:N or mps"),
    Option("dtype", str, "auto", "auto, float32, float16 or bfloat16"),
    Option("quantize", str, None, "int8 weights"),
    Option("threads", int, None, "CPU threads per model"),
    Option("inter_threads", int, None, "batches decoded in parallel"),
    Option("malloc_tuning", bool, True, "False: leave the allocator alone (see apply_process_settings)"),
)}


# Options of the translation backend only (build_pipeline passes them to it, not to the summariser's).
LANGUAGE_OPTIONS: tuple[Option, ...] = (
    Option("target_lang_token", str, None, "target-language token (>>eng<<, eng_Latn, __en__, <2en>); "
           "default: detected from the model (beknopt.models.families)"),
    Option("source_lang", str, None, "source language of NLLB (nld_Latn) or M2M-100 (nl) models; default Dutch"),
)


def common(name: str, *, help: str | None = None) -> Option:  # noqa: A002  (the field is called help)
    """The common option ``name``, with this backend's own line of help."""
    option = COMMON_OPTIONS[name]
    return dataclasses.replace(option, help=help) if help else option


@dataclass(frozen=True)
class BackendSpec:
    """A registered backend: what builds it, the options it uses and the common options it ignores (and why)."""

    name: str
    factory: BackendFactory
    options: tuple[Option, ...]
    ignores: Mapping[str, str] = field(default_factory=dict)

    def option_names(self) -> list[str]:
        return [o.name for o in self.options]

    def select(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options this backend uses, type-checked; ignored common ones dropped; any other name refused."""
        declared = {o.name: o for o in self.options}
        unknown = [name for name in options if name not in declared and name not in self.ignores]
        if unknown:
            raise UnknownOptionError(self._unknown_message(unknown))
        for name, value in options.items():
            if name in declared:
                declared[name].check(value, self.name)
        return {name: value for name, value in options.items() if name in declared}

    def _unknown_message(self, unknown: Sequence[str]) -> str:
        names = ", ".join(f"'{n}'" for n in unknown)
        close = difflib.get_close_matches(unknown[0], self.option_names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        ignored = (f"; it also takes the common option{'s' if len(self.ignores) > 1 else ''} "
                   f"{', '.join(self.ignores)}, which it ignores") if self.ignores else ""
        return (f"the {self.name} backend has no option{'s' if len(unknown) > 1 else ''} {names}{hint}: it accepts "
                f"{', '.join(self.option_names())}{ignored}")

    def help_lines(self) -> list[str]:
        """One line per option, for documentation and ``beknopt info``."""
        lines = [f"{o.name} ({o.type_name}, default {o.default!r}): {o.help}" for o in self.options]
        return lines + [f"{name}: ignored, {why}" for name, why in self.ignores.items()]


_SPECS: dict[str, BackendSpec] = {}


def register_backend(name: str, *, options: Sequence[Option], ignores: Mapping[str, str] | None = None
                     ) -> Callable[[F], F]:
    """Class (or factory) decorator: register it as backend ``name`` taking ``options``.

    ``ignores`` names the common options it has no use for, each with the reason. A mistake in the declaration
    (a common option neither used nor ignored, a declared default the factory does not have) is a ``TypeError``
    at import, so a declaration cannot drift from the code it describes.
    """
    ignores = dict(ignores or {})

    def decorator(factory: F) -> F:
        spec = BackendSpec(name, factory, tuple(options), ignores)
        _check_declaration(spec)
        _SPECS[name] = spec
        return factory

    return decorator


def _check_declaration(spec: BackendSpec) -> None:
    names = spec.option_names()
    problems = [f"option '{n}' declared twice" for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [f"'{n}' is ignored but is no common option" for n in spec.ignores if n not in COMMON_OPTIONS]
    problems += [f"'{n}' is both used and ignored" for n in spec.ignores if n in names]
    problems += [f"common option '{n}' is neither used nor ignored" for n in COMMON_OPTIONS
                 if n not in names and n not in spec.ignores]
    parameters = inspect.signature(spec.factory).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        for option in spec.options:
            parameter = parameters.get(option.name)
            if parameter is None or parameter.kind not in (inspect.Parameter.KEYWORD_ONLY,
                                                           inspect.Parameter.POSITIONAL_OR_KEYWORD):
                problems.append(f"option '{option.name}' is no keyword of {spec.factory.__name__}")
            elif parameter.default != option.default:
                problems.append(f"option '{option.name}' defaults to {option.default!r}, "
                                f"{spec.factory.__name__} to {parameter.default!r}")
    if problems:
        raise TypeError(f"backend '{spec.name}' is declared wrongly: {'; '.join(problems)}")


def backend_names() -> list[str]:
    """Every backend that can be asked for by name (``auto`` aside), registered or still to be imported."""
    return sorted(set(ENGINE_MODULES) | set(_SPECS))


def backend_spec(name: str) -> BackendSpec:
    """The registration of backend ``name``, importing its engine module on first use."""
    if name not in _SPECS and name in ENGINE_MODULES:
        importlib.import_module(ENGINE_MODULES[name])
        if name not in _SPECS:
            raise ModelError(f"{ENGINE_MODULES[name]} was imported but registered no '{name}' backend")
    if name not in _SPECS:
        raise UnknownBackendError(f"unknown backend '{name}': choose one of {', '.join(['auto', *backend_names()])}")
    return _SPECS[name]


def resolve_backend(model: str, backend: str = "auto") -> str:
    """The backend ``load_backend`` would use: ``auto`` is ctranslate2 for a converted directory, else transformers."""
    if backend == "auto":
        return "ctranslate2" if Path(model).is_dir() and is_ctranslate2_dir(model) else "transformers"
    if backend not in backend_names():
        raise UnknownBackendError(
            f"unknown backend '{backend}': choose one of {', '.join(['auto', *backend_names()])}")
    return backend


def load_backend(model: str, backend: str = "auto", **options: Any) -> Seq2SeqBackend:
    """Load ``model`` with the named backend; ``auto`` uses CTranslate2 for converted dirs, else transformers.

    ``options`` are checked against the backend's declaration (see the module docstring). This changes nothing
    process-wide: call ``beknopt.models.runtime.apply_process_settings`` first for threads and the allocator.
    """
    spec = backend_spec(resolve_backend(model, backend))
    selected = spec.select(options)
    warn_licence(model)  # a non-commercial licence is logged on every load, so no job uses it unawares
    return spec.factory(model, **selected)
