"""One description of a pipeline: :class:`PipelineConfig`, validated once, the only home of the defaults.

``Pipeline.from_pretrained``, ``beknopt run`` (flags and ``beknopt.toml``), the Ray actors and
``beknopt eval-pipeline`` all describe the pipeline they want as a ``PipelineConfig`` and build it with
``Pipeline.from_config``, so they run the same stages with the same settings. The config reads and writes the
TOML keys of ``beknopt run`` (``beams = 2``, ``no_cache = true``), so a config file is a saved configuration.

Nothing here loads a model or changes the process: building does (``beknopt.pipeline``), and the process-wide
settings are applied by the entry points (``apply_process_settings``).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beknopt.models.presets import DEFAULT_TRANSLATION_MODEL
from beknopt.options import OPTIONS_BY_NAME, RUN_OPTIONS, ConfigError, load_config

__all__ = ["DEFAULT_TRANSLATION_MODEL", "NON_DUTCH_POLICIES", "PipelineConfig"]

NON_DUTCH_POLICIES = ("skip", "translate", "fail")
SUMMARIZERS = ("abstractive", "lead")
SUMMARY_LENGTHS = ("short", "medium", "long")
SUMMARY_FORMATS = ("paragraph", "bullets")
# the two "off" switches of the command line, stored the other way round
_NEGATED = {"no_cache": "cache", "no_guard": "guard", "no_checks": "checks"}


@dataclass(frozen=True)
class PipelineConfig:
    """Everything that decides what a pipeline does: models, how they run, generation, batching, cleaning and
    the language check. Frozen: a pipeline's config cannot drift from the pipeline that was built from it."""

    translation_model: str = DEFAULT_TRANSLATION_MODEL  # or a preset: fast, balanced, best
    target_lang_token: str | None = None  # None: detected from the model (beknopt.models.families)
    source_lang: str | None = None  # NLLB/M2M-100 only; None: Dutch
    summarization_model: str | None = None  # preset fast|balanced|best, hub id or folder; None: balanced
    summarizer: str = "abstractive"  # or "lead": the first lead_sentences sentences, no model
    lead_sentences: int = 3
    backend: str = "auto"
    device: str = "auto"
    dtype: str = "auto"
    quantize: str | None = None
    threads: int | None = None
    inter_threads: int | None = None
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    num_beams: int = 4
    max_new_tokens: int | None = 512
    translation_batch_size: int = 32
    max_batch_tokens: int = 4096
    summary_length: str = "medium"
    min_summary_tokens: int | None = None
    max_summary_tokens: int | None = None
    summary_num_beams: int = 4
    no_repeat_ngram_size: int = 3
    summary_batch_size: int = 8
    summary_format: str = "paragraph"  # or "bullets": one summary sentence per line
    # a glossary file (TSV/CSV), a mapping Dutch -> English ("" keeps the term), or None; plus terms to keep
    glossary: str | Mapping[str, str] | None = None
    keep_terms: tuple[str, ...] = ()
    cache: bool = True
    guard: bool = True
    checks: bool = True  # compare each sentence's numbers and names with its translation (beknopt.checks)
    boilerplate: tuple[str, ...] | None = None
    extra_boilerplate: tuple[str, ...] = ()
    language_check: bool = True
    on_non_dutch: str = "skip"
    dutch_threshold: float = 0.5
    batch_size: int = 16

    def __post_init__(self) -> None:
        # lists from TOML or callers become tuples, so the config stays hashable and comparable
        if self.boilerplate is not None and not isinstance(self.boilerplate, tuple):
            object.__setattr__(self, "boilerplate", tuple(self.boilerplate))
        if not isinstance(self.extra_boilerplate, tuple):
            object.__setattr__(self, "extra_boilerplate", tuple(self.extra_boilerplate))
        object.__setattr__(self, "backend_options", dict(self.backend_options))
        if isinstance(self.keep_terms, str):
            object.__setattr__(self, "keep_terms", (self.keep_terms,))
        elif not isinstance(self.keep_terms, tuple):
            object.__setattr__(self, "keep_terms", tuple(self.keep_terms))
        glossary = self.glossary
        if isinstance(glossary, Path):
            object.__setattr__(self, "glossary", str(glossary))
        elif glossary is not None and not isinstance(glossary, str):
            from beknopt.translate.glossary import Glossary

            mapping = glossary.to_mapping() if isinstance(glossary, Glossary) else glossary
            if not isinstance(mapping, Mapping):
                raise ConfigError(f"pipeline setting 'glossary' must be a file path or a mapping of Dutch to English "
                                  f"terms, got {type(glossary).__name__}")
            object.__setattr__(self, "glossary", dict(mapping))
        self._validate()

    def _validate(self) -> None:
        def fail(name: str, why: str) -> None:
            raise ConfigError(f"pipeline setting '{name}' {why}, got {getattr(self, name)!r}")

        for name in ("translation_model", "backend", "device", "dtype"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                fail(name, "must be a non-empty string")
        for name in ("target_lang_token", "source_lang"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value or value != "".join(value.split())):
                fail(name, "must be one token without spaces (or unset)")
        for name in ("lead_sentences", "num_beams", "translation_batch_size", "max_batch_tokens",
                     "summary_num_beams", "summary_batch_size", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                fail(name, "must be a whole number of at least 1")
        for name in ("threads", "inter_threads", "max_new_tokens", "max_summary_tokens"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                fail(name, "must be a whole number of at least 1 (or unset)")
        for name in ("min_summary_tokens", "no_repeat_ngram_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                fail(name, "must be a whole number of at least 0")
        for name, choices in (("summarizer", SUMMARIZERS), ("summary_length", SUMMARY_LENGTHS),
                              ("on_non_dutch", NON_DUTCH_POLICIES), ("summary_format", SUMMARY_FORMATS)):
            if getattr(self, name) not in choices:
                fail(name, f"must be one of {', '.join(choices)}")
        for name in ("cache", "guard", "checks", "language_check"):
            if not isinstance(getattr(self, name), bool):
                fail(name, "must be true or false")
        if not all(isinstance(t, str) and t.strip() for t in self.keep_terms):
            fail("keep_terms", "must be a list of non-empty terms")
        if isinstance(self.glossary, str) and not self.glossary:
            fail("glossary", "must be a file path, not empty")
        if isinstance(self.glossary, Mapping) and not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.glossary.items()):
            fail("glossary", "must map Dutch terms to English terms (strings)")
        from beknopt.cleaning.boilerplate import compile_patterns

        for name in ("boilerplate", "extra_boilerplate"):
            patterns = getattr(self, name)
            if patterns is None:
                continue
            if not all(isinstance(p, str) for p in patterns):
                fail(name, "must be a list of regular expressions (strings)")
            try:  # now, not when every article has failed the same way in the cleaner
                compile_patterns(patterns, ())
            except ValueError as exc:
                raise ConfigError(f"pipeline setting '{name}': {exc}") from None
        threshold = self.dutch_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
            fail("dutch_threshold", "must be a number between 0 and 1")

    # -- building from and saving to the command line's names -----------------------------------------

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> PipelineConfig:
        """Like the constructor, but an unknown name is a ``ConfigError`` that suggests the nearest one."""
        fields = {f.name for f in dataclasses.fields(cls)}
        for name in kwargs:
            if name not in fields:
                close = difflib.get_close_matches(name, sorted(fields), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ConfigError(f"unknown pipeline setting '{name}'{hint}")
        return cls(**kwargs)

    @classmethod
    def from_options(cls, settings: Mapping[str, Any], base: PipelineConfig | None = None) -> PipelineConfig:
        """The config for ``beknopt run`` option values (flag or TOML names, already type-checked); options
        that are not pipeline settings are ignored. ``--beams`` also sets the summary beams unless
        ``--summary-beams`` is given, as the command line documents."""
        changes: dict[str, Any] = {}
        for name, value in settings.items():
            option = OPTIONS_BY_NAME.get(name)
            if option is None or option.kwarg is None:
                continue
            if name in _NEGATED:
                if value:
                    changes[_NEGATED[name]] = False
                continue
            changes[option.kwarg] = tuple(value) if isinstance(value, list) else value
        if "num_beams" in changes and "summary_num_beams" not in changes:
            changes["summary_num_beams"] = changes["num_beams"]
        return dataclasses.replace(base or cls(), **changes)

    def to_options(self) -> dict[str, Any]:
        """The ``beknopt run`` option values that differ from the defaults (TOML names), for a config file.

        Settings with no option (``backend_options``, ``boilerplate``, ``language_check``) are not included:
        :meth:`to_toml` says so rather than dropping them silently.
        """
        default = PipelineConfig()
        out: dict[str, Any] = {}
        for option in RUN_OPTIONS:
            if option.kwarg is None:
                continue
            value = getattr(self, option.kwarg)
            if option.name in _NEGATED:
                if value is False:
                    out[option.name] = True
                continue
            if option.name == "summary_beams":  # what from_options would make of the beams written
                implied = self.num_beams if self.num_beams != default.num_beams else default.summary_num_beams
                if value != implied:
                    out[option.name] = value
                continue
            if value != getattr(default, option.kwarg):
                out[option.name] = list(value) if isinstance(value, tuple) else value
        return out

    def to_toml(self) -> str:
        """A ``beknopt.toml`` that ``beknopt run --config`` (and :meth:`from_toml`) reads back as this config."""
        extra = [name for name in ("backend_options", "boilerplate", "language_check")
                 if getattr(self, name) != getattr(PipelineConfig(), name)]
        if extra:
            raise ConfigError(f"{', '.join(extra)} cannot be written to a beknopt.toml (no option for them)")
        lines = ["# beknopt pipeline configuration (keys: the long options of beknopt run, with underscores)"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in self.to_options().items()]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, path: str | Path) -> PipelineConfig:
        """The pipeline part of a ``beknopt.toml`` (other keys, such as ``output``, are checked and ignored)."""
        return cls.from_options(load_config(path))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def process_settings(self) -> dict[str, Any]:
        """What the entry points apply to the whole process before building (threads, allocator)."""
        return {"backend": self.backend, "device": self.device, "threads": self.threads,
                "inter_threads": self.inter_threads,
                "malloc_tuning": bool(self.backend_options.get("malloc_tuning", True))}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string
