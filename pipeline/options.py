"""The options of ``beknopt run``, defined once for the command line and the ``beknopt.toml`` config file.

Each option is one row of ``RUN_OPTIONS``: its flag (``--summary-beams``), its config key (``summary_beams``),
its type and, for pipeline settings, the :class:`beknopt.config.PipelineConfig` field it feeds. Unset options
are left out, so the defaults stay in one place: ``PipelineConfig``. Precedence: defaults < config file < flags.
"""

from __future__ import annotations

import argparse
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beknopt.document import BeknoptError

__all__ = ["RUN_OPTIONS", "ConfigError", "Option", "add_options", "load_config", "merge_settings", "parse_bytes"]


class ConfigError(BeknoptError):
    """The config file cannot be read or holds an unknown key or a value of the wrong type (exit 2)."""


@dataclass(frozen=True)
class Option:
    """One ``run`` option: flag ``--name-with-dashes``, config key ``name_with_underscores``."""

    name: str
    kind: str  # "str", "int", "int+", "float", "bool", "list", "bytes", "glossary", "formats"
    help: str
    group: str = "pipeline"  # "pipeline" (models and generation), "batch", "logging"
    kwarg: str | None = None  # the PipelineConfig field, for pipeline options
    choices: tuple[str, ...] | None = None
    short: str | None = None
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


RUN_OPTIONS: tuple[Option, ...] = (
    # models and generation: the keywords of Pipeline.from_pretrained
    Option("translation_model", "str", "translation model: preset fast|balanced|best, hub id or local folder "
           "(default: fast, Helsinki-NLP/opus-mt-nl-en; `beknopt models list` shows the presets and licences)",
           kwarg="translation_model", metavar="MODEL"),
    Option("target_lang_token", "str", "the token that asks the translation model for English (>>eng<<, "
           "eng_Latn, __en__, <2en>; default: detected from the model)", kwarg="target_lang_token",
           metavar="TOKEN"),
    Option("source_lang", "str", "source language of an NLLB (default nld_Latn) or M2M-100 (default nl) "
           "translation model", kwarg="source_lang", metavar="LANG"),
    Option("summarization_model", "str", "summarisation model: preset fast|balanced|best, hub id or local "
           "folder (default: balanced)", kwarg="summarization_model", metavar="MODEL"),
    Option("summarizer", "str", "abstractive (a model) or lead (the first sentences, no model)",
           kwarg="summarizer", choices=("abstractive", "lead")),
    Option("lead_sentences", "int+", "sentences in a lead summary (default: 3)", kwarg="lead_sentences",
           metavar="N"),
    Option("backend", "str", "auto, transformers or ctranslate2 (default: auto)", kwarg="backend"),
    Option("device", "str", "auto, cpu, cuda, cuda:N or mps (default: auto)", kwarg="device"),
    Option("dtype", "str", "auto, float32, float16 or bfloat16 (default: auto)", kwarg="dtype"),
    Option("quantize", "str", "quantisation, backend-specific (e.g. int8 for ctranslate2)", kwarg="quantize"),
    Option("threads", "int+", "CPU threads for the models", kwarg="threads", metavar="N"),
    Option("inter_threads", "int+", "ctranslate2: batches decoded in parallel, each with --threads threads "
           "(default: 2 on a CPU with 2+ cores, else 1)", kwarg="inter_threads", metavar="N"),
    Option("beams", "int+", "beam size for translation, and for summaries unless --summary-beams is given "
           "(default: 4)", kwarg="num_beams", metavar="N"),
    Option("max_new_tokens", "int+", "longest translation of one sentence, in tokens (default: 512)",
           kwarg="max_new_tokens", metavar="N"),
    Option("translation_batch_size", "int+", "sentences per translation batch (default: 32)",
           kwarg="translation_batch_size", metavar="N"),
    Option("max_batch_tokens", "int+", "token budget of one model batch (default: 4096)",
           kwarg="max_batch_tokens", metavar="N"),
    Option("summary_length", "str", "summary length preset (default: medium)", kwarg="summary_length",
           choices=("short", "medium", "long")),
    Option("min_summary_tokens", "int", "shortest summary, in tokens (overrides the length preset)",
           kwarg="min_summary_tokens", metavar="N"),
    Option("max_summary_tokens", "int+", "longest summary, in tokens (overrides the length preset)",
           kwarg="max_summary_tokens", metavar="N"),
    Option("summary_beams", "int+", "beam size for summaries (default: --beams, else 4)",
           kwarg="summary_num_beams", metavar="N"),
    Option("no_repeat_ngram_size", "int", "summaries never repeat an n-gram of this size (default: 3)",
           kwarg="no_repeat_ngram_size", metavar="N"),
    Option("summary_batch_size", "int+", "texts per summarisation batch (default: 8)",
           kwarg="summary_batch_size", metavar="N"),
    Option("no_cache", "bool", "do not reuse translations of repeated sentences", kwarg="cache"),
    Option("no_guard", "bool", "do not retry degenerate (looping) translations", kwarg="guard"),
    Option("no_checks", "bool", "do not compare the numbers and names of each sentence with its translation",
           kwarg="checks"),
    Option("glossary", "glossary", "a TSV or CSV of Dutch term, English term (empty: keep as it is), enforced "
           "in every translation; in the config file also an inline table", kwarg="glossary", metavar="FILE"),
    Option("keep", "list", "a name, brand or title never to translate (repeatable)", kwarg="keep_terms",
           metavar="TERM"),
    Option("summary_format", "str", "paragraph (default) or bullets: one summary sentence per line",
           kwarg="summary_format", choices=("paragraph", "bullets")),
    Option("extra_boilerplate", "list", "a regular expression for extra boilerplate lines to drop "
           "(repeatable)", kwarg="extra_boilerplate", metavar="REGEX"),
    Option("batch_size", "int+", "articles per pipeline batch (default: 16)", kwarg="batch_size", metavar="N"),
    # engine: where the model work runs
    Option("engine", "str", "local (default) or ray: run the models on Ray Data actors (pip install "
           "\"beknopt[ray]\")", group="engine", choices=("local", "ray")),
    Option("ray_address", "str", "with --engine ray: auto joins a running cluster, ray://host:port a remote "
           "one; default: start a local Ray instance", group="engine", metavar="ADDRESS"),
    Option("workers", "int+", "with --engine ray: actors, each with its own copy of the models (default: 1)",
           group="engine", metavar="N"),
    Option("num_gpus_per_worker", "float", "with --engine ray: GPUs per actor, e.g. 1 or 0.5 (default: 0)",
           group="engine", metavar="G"),
    Option("ray_window", "int+", "with --engine ray: articles sent to the actors at a time (default: 1024)",
           group="engine", metavar="N"),
    # batch behaviour
    Option("output", "str", "output folder (required); - writes the records to stdout as JSONL", group="batch",
           short="-o", metavar="OUTDIR"),
    Option("format", "formats", "what to write per article, comma-separated: json (always: the record), md (a "
           "Markdown page), ninjs (an English IPTC ninjs document, <id>.ninjs.json); e.g. json,ninjs",
           group="batch", choices=("json", "md", "ninjs")),
    Option("ninjs_version", "str", "the ninjs version --format ninjs writes (default: 3.1; 2.2 for older CMSs)",
           group="batch", choices=("3.1", "2.2")),
    Option("digest", "str", "also write the editor's digest (id, title, date, url, summary, counts; OUTDIR/"
           "digest.csv is always written) to FILE.csv or FILE.jsonl", group="batch", metavar="FILE"),
    Option("on_non_dutch", "str", "what to do with articles that are not Dutch (default: skip)",
           kwarg="on_non_dutch", choices=("skip", "translate", "fail")),
    Option("dutch_threshold", "float", "an article is not Dutch when another language is detected with at "
           "least this probability (default: 0.5)", kwarg="dutch_threshold", metavar="P"),
    Option("max_bytes", "bytes", "largest article file (or JSONL line) read; accepts 500k, 5M (default: 5M)",
           group="batch", metavar="SIZE"),
    Option("force", "bool", "redo every article, even unchanged ones", group="batch"),
    Option("dry_run", "bool", "list what would be processed and skipped; write nothing", group="batch"),
    # logging
    Option("quiet", "bool", "no progress bar and no per-article messages (the final line stays)",
           group="logging", short="-q"),
    Option("verbose", "bool", "a line per article and the breakdown of skipped articles",
           group="logging", short="-v"),
    Option("log_format", "str", "text (default) or json: one JSON object per event on stderr, "
           "for job schedulers", group="logging", choices=("text", "json")),
    Option("progress", "str", "auto (default): a bar on a terminal, plain lines where it has no width or with "
           "--verbose off a terminal; bar; lines (every 10 s, or JSON progress events with --log-format json); "
           "off", group="logging", choices=("auto", "bar", "lines", "off")),
)
OPTIONS_BY_NAME: dict[str, Option] = {o.name: o for o in RUN_OPTIONS}
CONFIG_ONLY = {"inputs": "list"}  # the positional INPUTs can come from the file too

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def parse_bytes(text: str | int) -> int:
    """``5000000``, ``5M``, ``500k``, ``2MiB`` -> bytes (k/M/G are powers of 1000, Ki/Mi/Gi of 1024)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _SIZE.match(str(text))
        if not match:
            raise ValueError(f"not a size: {text!r} (examples: 5000000, 500k, 5M, 2MiB)")
        unit = (match.group(2) or "").lower().rstrip("b")
        value = int(float(match.group(1)) * _UNITS[unit])
    if value < 1:
        raise ValueError(f"size must be at least 1 byte, got {text!r}")
    return value


def convert(option: Option, value: Any, *, from_text: bool) -> Any:
    """Check and convert one value; ``from_text`` for command-line strings, else a TOML value."""
    kind = option.kind
    if kind == "glossary":  # a file, or (config file only) an inline table of Dutch = English
        if isinstance(value, dict) and not from_text:
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise ValueError("must map Dutch terms to English terms (strings)")
            return value
        if not isinstance(value, str) or not value:
            raise ValueError("must be a file name or a table of Dutch = English terms")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind == "formats":  # a comma-separated subset of the choices, in their order
        if not isinstance(value, str):
            raise ValueError(f"must be a comma-separated list of {', '.join(option.choices or ())}, got {value!r}")
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [v for v in wanted if v not in (option.choices or ())]
        if not wanted or unknown:
            raise ValueError(f"must be one or more of {', '.join(option.choices or ())} (comma-separated), "
                             f"got {value!r}")
        return ",".join(c for c in option.choices or () if c in wanted)
    if kind == "list":
        if from_text:
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of strings")
        return value
    if kind == "bytes":
        return parse_bytes(value)
    if kind in ("int", "int+"):
        if from_text:
            try:
                value = int(value)
            except ValueError:
                raise ValueError(f"must be a whole number, got {value!r}") from None
        elif not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"must be a whole number, got {value!r}")
        minimum = 1 if kind == "int+" else 0
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value
    if kind == "float":
        if from_text:
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"must be a number, got {value!r}") from None
        elif not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {value!r}")
    if option.choices and value not in option.choices:
        raise ValueError(f"must be one of {', '.join(option.choices)}, got {value!r}")
    return value


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a ``beknopt.toml``: flat keys named like the long options (underscores), checked and converted."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} on line "
                          f"{line}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    settings: dict[str, Any] = {}
    known = [*OPTIONS_BY_NAME, *CONFIG_ONLY]
    for key, value in raw.items():
        if key in CONFIG_ONLY:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"config file {path}: '{key}' must be a list of strings")
            settings[key] = value
            continue
        option = OPTIONS_BY_NAME.get(key)
        if option is None:
            close = difflib.get_close_matches(key.replace("-", "_"), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"config file {path}: unknown key '{key}'{hint}; keys are the long option names "
                              "with underscores, e.g. translation_model, beams, on_non_dutch")
        try:
            settings[key] = convert(option, value, from_text=False)
        except ValueError as exc:
            raise ConfigError(f"config file {path}: '{key}' {exc}") from exc
        if option.kind == "glossary" and isinstance(settings[key], str):  # relative to the config file
            settings[key] = str(Path(path).parent / Path(settings[key]).expanduser())
    return settings


def merge_settings(config: Mapping[str, Any], flags: Mapping[str, Any]) -> dict[str, Any]:
    """Flags override the file; a repeatable flag (``--extra-boilerplate``) replaces the file's list."""
    return {**config, **{k: v for k, v in flags.items() if v is not None}}


GROUP_TITLES = {"pipeline": "models and generation", "engine": "engine", "batch": "batch", "logging": "logging"}


def _type_for(option: Option) -> Any:
    def parse(text: str) -> Any:
        try:
            return convert(option, text, from_text=True)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    parse.__name__ = option.kind
    return parse


def add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """Add options as flags in titled groups, unset by default, so config values and API defaults show through.

    ``beknopt run`` adds all of them; ``beknopt eval-pipeline`` only the pipeline ones.
    """
    groups: dict[str, Any] = {}
    for option in options:
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(GROUP_TITLES.get(option.group, option.group))
        group = groups[option.group]
        names = [option.short, option.flag] if option.short else [option.flag]
        if option.kind == "bool":
            group.add_argument(*names, dest=option.name, action="store_true", default=argparse.SUPPRESS,
                               help=option.help)
        elif option.kind == "list":
            group.add_argument(*names, dest=option.name, action="append", metavar=option.metavar,
                               default=argparse.SUPPRESS, help=option.help)
        else:
            group.add_argument(*names, dest=option.name, type=_type_for(option),
                               choices=None if option.kind == "formats" else option.choices,
                               metavar=option.metavar or ("LIST" if option.kind == "formats" else None),
                               default=argparse.SUPPRESS, help=option.help)
