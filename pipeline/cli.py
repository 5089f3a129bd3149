"""The ``beknopt`` command: a thin layer over the Python API (``Pipeline``, ``beknopt.batch``).

Subcommands: ``run`` (batch-process articles), ``models download`` / ``models tiny``, ``info``, and ``eval`` /
``convert``, which hand the rest of the command line to their own modules.

Exit status: 0 when every article succeeded (skipped ones included), 1 when any article failed (or a download
failed), 2 for usage errors (bad flags or config, no inputs found, model not found or broken, an unusable output
folder), 130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import itertools
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from beknopt import __version__
from beknopt.cliutil import ArgumentParser, UsageError
from beknopt.config import RUN_OPTIONS, ConfigError, add_options, load_config, merge_settings, pipeline_kwargs
from beknopt.document import BeknoptError

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

EXIT_CODES = """exit status:
  0    every article succeeded (skipped articles are not failures)
  1    at least one article failed (see OUTDIR/errors.jsonl), or writing stopped (disk full)
  2    usage error: bad flags or config file, no inputs found, model not found or broken,
       an output folder that cannot be used (not writable, holds the inputs, state files in the way)
  130  interrupted by Ctrl-C (finished articles are kept; run again to resume)
  143  terminated by SIGTERM (the same: finished articles are kept)"""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so a run stops the way Ctrl-C stops it: temporary files removed,
    finished articles kept, a message and its own exit status."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def _on_sigterm(handler: Any) -> Any:
    """Install a SIGTERM handler (only the main thread can); returns the previous one."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler if handler is not None else signal.SIG_DFL)

RUN_EPILOG = f"""inputs: .txt .md .html .htm (one article each), .json (one article: "text" or "body",
optional "id", "title", "date", "url"), .jsonl (one such object per line); folders are read
recursively, globs like 'news/**/*.txt' are expanded (quote them).

outputs under OUTDIR: one JSON per article mirroring the input tree, results.jsonl (all
results), errors.jsonl (failed and skipped articles: id, path, stage, reason, outcome).
A re-run skips articles whose input and settings are unchanged; --force redoes them.

examples:
  beknopt run artikelen/ -o out/
  beknopt run 'archief/**/*.html' feed.jsonl -o out/ --summarization-model fast --format md
  beknopt run artikelen/ -o out/ --config beknopt.toml --device cuda --batch-size 32

{EXIT_CODES}"""

_DISPATCH = {"eval": "beknopt.eval.cli", "eval-pipeline": "beknopt.eval.pipeline_eval",
             "convert": "beknopt.models.convert"}


def _add_run_parser(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run", help="summarise articles into an output folder",
        description="Clean, translate (Dutch -> English) and summarise articles; one result per article.",
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    run.add_argument("inputs", nargs="*", metavar="INPUT", help="files, folders or globs of articles")
    run.add_argument("--config", metavar="FILE", help="a beknopt.toml with any of the options below "
                     "(keys with underscores, e.g. beams = 2); flags override it")
    add_options(run, RUN_OPTIONS)
    run.set_defaults(handler=_cmd_run)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="beknopt", description="Dutch news articles to English summaries.",
                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"beknopt {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=ArgumentParser, metavar="COMMAND")
    _add_run_parser(sub)

    models = sub.add_parser("models", help="download models ahead of time, or build tiny demo models")
    models_sub = models.add_subparsers(dest="models_command", parser_class=ArgumentParser, metavar="ACTION")
    download = models_sub.add_parser(
        "download", help="pre-fetch models for offline use",
        description="Download the translation model and summarisation preset(s) into the Hugging Face cache "
        "(or --dir), so later runs work with HF_HUB_OFFLINE=1.")
    download.add_argument("--preset", choices=("fast", "balanced", "best", "all"), default=None,
                          help="summarisation preset(s) to fetch (default: balanced)")
    download.add_argument("--translation-model", metavar="MODEL", help="translation model (default: "
                          "Helsinki-NLP/opus-mt-nl-en)")
    download.add_argument("--summarization-model", metavar="MODEL", action="append",
                          help="summarisation model instead of the preset (repeatable)")
    download.add_argument("--dir", metavar="DIR", type=Path,
                          help="download into DIR/<org>/<name> instead of the cache; pass those folders to run")
    download.set_defaults(handler=_cmd_download)
    tiny = models_sub.add_parser(
        "tiny", help="build tiny random demo models (offline, seconds)",
        description="Build a tiny random Marian translator and BART summariser: gibberish output, but every "
        "code path runs, offline. For a first try of the CLI and for tests.")
    tiny.add_argument("dir", metavar="DIR", type=Path)
    tiny.set_defaults(handler=_cmd_tiny)
    models.set_defaults(handler=lambda ns: _help(models))

    info = sub.add_parser("info", help="versions, device, model cache location")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=_cmd_info)

    sub.add_parser("eval", help="evaluate summaries and translations (see beknopt eval --help)", add_help=False)
    sub.add_parser("eval-pipeline", help="run the pipeline on FLORES-200 and reference summaries, then score it "
                   "(see beknopt eval-pipeline --help)", add_help=False)
    sub.add_parser("convert", help="convert a model for the fast backend (see beknopt convert --help)",
                   add_help=False)
    return parser


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _error(message: str) -> None:
    print(f"beknopt: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``beknopt`` command; returns the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in _DISPATCH:
        return _dispatch(args[0], args[1:])
    parser = build_parser()
    try:
        ns = parser.parse_args(args)
    except UsageError as exc:
        _error(f"{exc.prog}: {exc}" if exc.prog else str(exc))
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if getattr(ns, "handler", None) is None:
        return _help(parser)
    try:
        return int(ns.handler(ns))
    except Terminated:
        _error("terminated")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


def _dispatch(name: str, argv: list[str]) -> int:
    """``beknopt eval``/``convert``: hand the remaining arguments to the module that owns them."""
    module_name = _DISPATCH[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            _error(f"'beknopt {name}' is not available in this installation ({module_name} is missing)")
        else:
            _error(f"'beknopt {name}' needs the '{exc.name}' package, which is not installed")
        return EXIT_USAGE
    return int(module.main(argv) or 0)


# ----------------------------------------------------------------------------------------------------
# run


class Reporter:
    """Progress bar (TTY only), per-article messages and JSON events; never touches stdout except dry runs."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False, json_logs: bool = False,
                 stream: IO[str] | None = None) -> None:
        self.quiet, self.verbose, self.json_logs = quiet, verbose, json_logs
        self.stream = stream or sys.stderr
        self.bar: Any = None
        self.sentences = 0
        self.started = time.perf_counter()

    @property
    def wants_progress(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return not self.quiet and not self.json_logs and bool(isatty and isatty())

    def event(self, name: str, **data: Any) -> None:
        if self.json_logs:
            self._write(json.dumps({"event": name, "time": round(time.time(), 3), **data}, ensure_ascii=False))

    def _write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, total: int | None, **data: Any) -> None:
        self.started = time.perf_counter()
        if not self.quiet:
            self.event("start", **data)
        if self.wants_progress:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", file=self.stream, dynamic_ncols=True, smoothing=0.05)

    def outcome(self, outcome: Any) -> None:
        if self.bar is not None:
            self.sentences += outcome.sentences
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{self.sentences / elapsed:.1f} sentences/s", refresh=False)
            self.bar.update(1)
        if self.quiet:
            return
        if outcome.dry_run:
            print(_dry_run_line(outcome), flush=True)
            return
        if self.json_logs:
            if self.verbose or outcome.status == "failed":
                self.event("article", **outcome.to_dict())
            return
        if outcome.status == "failed":
            self._write(f"FAILED {outcome.id} [{outcome.stage}] {outcome.reason}")
        elif self.verbose:
            if outcome.status == "done":
                self._write(f"done    {outcome.id} -> {outcome.output}")
                for warning in outcome.warnings:
                    self._write(f"        warning: {warning}")
            elif outcome.status == "resumed":
                self._write(f"skipped {outcome.id} (unchanged since the last run)")
            else:
                self._write(f"skipped {outcome.id} ({outcome.reason})")

    def finish(self, summary: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.quiet:
            return
        self.event("finish", **summary.to_dict(), summary=summary.line())
        if self.verbose and not self.json_logs:
            self._write(f"skipped: {summary.resumed} unchanged since the last run, {summary.non_dutch} not Dutch; "
                        f"{summary.sentences} sentences in {summary.seconds:.1f}s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _dry_run_line(outcome: Any) -> str:
    where = f"{outcome.path}:{outcome.line}" if outcome.line else outcome.path
    if outcome.status == "done":
        return f"would process  {outcome.id}  ({where})"
    if outcome.status == "resumed":
        return f"would skip     {outcome.id}  (unchanged since the last run)"
    if outcome.status == "skipped":
        return f"would skip     {outcome.id}  ({outcome.stage}: {outcome.reason})"
    return f"would fail     {outcome.id}  ({outcome.stage}: {outcome.reason})"


def _silence_libraries() -> None:
    """Model-loading progress bars from the hub and transformers would garble logs meant for machines."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _cmd_run(ns: argparse.Namespace) -> int:
    from beknopt.batch import BatchOptions, BatchRunner
    from beknopt.inputs import (
        DEFAULT_MAX_BYTES,
        InputNotFoundError,
        check_inputs,
        check_output_apart,
        count_articles,
        discover,
        read_articles,
    )
    from beknopt.outdir import OutputFolderError, check_output_folder

    flags = {o.name: getattr(ns, o.name) for o in RUN_OPTIONS if hasattr(ns, o.name)}
    try:
        config = load_config(ns.config) if getattr(ns, "config", None) else {}
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    settings = merge_settings(config, flags)
    inputs = list(getattr(ns, "inputs", None) or config.get("inputs") or [])
    if settings.get("quiet") and settings.get("verbose"):
        _error("run: --quiet and --verbose cannot be used together")
        return EXIT_USAGE
    if not settings.get("output"):
        _error("run: the output folder is required: -o OUTDIR (or output = \"...\" in the config file)")
        return EXIT_USAGE
    outdir = Path(settings["output"])
    dry_run = bool(settings.get("dry_run"))
    try:
        check_inputs(inputs)
        check_output_apart(inputs, outdir)
        if not dry_run:
            check_output_folder(outdir)  # before the models load; creates nothing
    except (InputNotFoundError, OutputFolderError) as exc:
        _error(f"run: {exc}")
        return EXIT_USAGE
    sources = discover(inputs, exclude=[outdir])
    first = next(sources, None)
    if first is None:
        _error(f"run: no articles found in {', '.join(inputs)} (looked for .txt .md .html .htm .json .jsonl)")
        return EXIT_USAGE

    reporter = Reporter(quiet=bool(settings.get("quiet")), verbose=bool(settings.get("verbose")),
                        json_logs=settings.get("log_format") == "json")
    if reporter.quiet or reporter.json_logs:
        _silence_libraries()
    engine = None
    try:
        pipeline = make_pipeline(settings)
        if settings.get("engine") == "ray":
            engine = _ray_engine(settings, pipeline.batch_size)
    except (BeknoptError, ValueError, ImportError) as exc:
        _error(str(exc))
        return EXIT_USAGE

    options = BatchOptions(output=outdir, max_bytes=settings.get("max_bytes", DEFAULT_MAX_BYTES),
                           markdown=settings.get("format") == "md", force=bool(settings.get("force")),
                           dry_run=dry_run)
    total = count_articles(discover(inputs, exclude=[outdir])) if reporter.wants_progress else None
    runner = BatchRunner(pipeline, options, on_outcome=reporter.outcome, engine=engine)
    reporter.start(total, inputs=inputs, output=str(outdir), settings=runner.fingerprint,
                   models=pipeline.describe().get("translate", {}).get("model"), dry_run=dry_run)
    previous = _on_sigterm(_raise_terminated)
    try:
        summary = runner.run(read_articles(itertools.chain([first], sources), max_bytes=options.max_bytes))
    except OutputFolderError as exc:
        reporter.close()
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        reporter.close()
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        _error(f"{how}: finished articles are kept; run the same command again to resume")
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except OSError as exc:
        reporter.close()
        _error(f"cannot write to {outdir}: {exc.strerror or exc}; results.jsonl and errors.jsonl were not updated "
               "(articles written so far are kept: free space and run the same command again to resume)")
        print(runner.summary.line(), flush=True)
        return EXIT_FAILED
    finally:
        _on_sigterm(previous)
        if engine is not None:
            engine.shutdown()
    reporter.finish(summary)
    print(summary.line(), flush=True)
    return summary.exit_code


def make_pipeline(settings: dict[str, Any]) -> Any:
    """The run's pipeline: from_pretrained with the settings, plus the language check after cleaning.

    Module-level so the Ray engine can send ``partial(make_pipeline, settings)`` to its actors.
    """
    from beknopt.batch import LanguageStage, add_language_stage
    from beknopt.language import DEFAULT_DUTCH_THRESHOLD
    from beknopt.pipeline import Pipeline

    pipeline = Pipeline.from_pretrained(**pipeline_kwargs(settings))
    add_language_stage(pipeline, LanguageStage(settings.get("on_non_dutch", "skip"),
                                               settings.get("dutch_threshold", DEFAULT_DUTCH_THRESHOLD)))
    return pipeline


def _ray_engine(settings: dict[str, Any], batch_size: int) -> Any:
    from beknopt.ray_engine import RayEngine, RaySettings

    ray_settings = RaySettings(
        address=settings.get("ray_address"), workers=settings.get("workers", 1),
        num_gpus_per_worker=settings.get("num_gpus_per_worker", 0.0),
        window=settings.get("ray_window", RaySettings.window),
    )
    return RayEngine(functools.partial(make_pipeline, dict(settings)), ray_settings, batch_size=batch_size)


# ----------------------------------------------------------------------------------------------------
# models


IGNORED_FILES = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "onnx/*", "rust_model*", "*.tflite", "coreml/*",
                 "flax_model*", "tf_model*"]


def _repo_files(model: str) -> list[str]:
    from huggingface_hub import HfApi

    return list(HfApi().list_repo_files(model))


def _snapshot(model: str, local_dir: Path | None) -> str:
    """Fetch one model, weights as safetensors when the repository has them (then skip the .bin copies)."""
    from huggingface_hub import snapshot_download

    ignore = list(IGNORED_FILES)
    if any(name.endswith(".safetensors") for name in _repo_files(model)):
        ignore += ["*.bin", "*.pt"]
    kwargs: dict[str, Any] = {"repo_id": model, "ignore_patterns": ignore}
    if local_dir is not None:
        kwargs["local_dir"] = str(local_dir)
    path = str(snapshot_download(**kwargs))
    if local_dir is not None:
        to_safetensors(Path(path))
    return path


def to_safetensors(folder: Path) -> bool:
    """Give a downloaded folder that has only ``pytorch_model.bin`` a ``model.safetensors``.

    beknopt loads local folders from safetensors only; the pickle is read once here, with torch's weights-only
    loader (which refuses anything but tensors), on the machine that downloaded it. True when it converted.
    """
    from beknopt.models.loading import PICKLE_WEIGHTS, SAFE_WEIGHTS, SAFE_WEIGHTS_INDEX

    if (folder / SAFE_WEIGHTS).exists() or (folder / SAFE_WEIGHTS_INDEX).exists():
        return False
    if not any((folder / name).is_file() for name in PICKLE_WEIGHTS):
        return False
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(str(folder), use_safetensors=False, trust_remote_code=False)
    model.save_pretrained(str(folder))
    print(f"  {folder.name}: wrote {SAFE_WEIGHTS} (beknopt reads local folders from safetensors only)")
    return True


def models_to_download(preset: str | None, translation_model: str | None,
                       summarization_models: Sequence[str] | None) -> list[str]:
    """The translation model plus the chosen summariser(s): explicit models, else the preset (balanced)."""
    from beknopt.models.registry import DEFAULT_SUMMARY_PRESET, DEFAULT_TRANSLATION_MODEL, SUMMARY_PRESETS

    models = [translation_model or DEFAULT_TRANSLATION_MODEL]
    if summarization_models:
        models += [SUMMARY_PRESETS.get(m, m) for m in summarization_models]
    if preset == "all":
        models += list(SUMMARY_PRESETS.values())
    elif preset is not None or not summarization_models:
        models.append(SUMMARY_PRESETS[preset or DEFAULT_SUMMARY_PRESET])
    return list(dict.fromkeys(models))


def _cmd_download(ns: argparse.Namespace) -> int:
    from beknopt.models.loading import hub_offline
    from beknopt.models.registry import MODEL_SIZES_MB

    models = models_to_download(ns.preset, ns.translation_model, ns.summarization_model)
    if hub_offline():
        _error("cannot download models: offline mode is on (HF_HUB_OFFLINE=1). Run `beknopt models download` "
               "with network access (HF_HUB_OFFLINE unset), then copy the Hugging Face cache or the --dir "
               f"folder to this machine. Models: {', '.join(models)}")
        return EXIT_FAILED
    failed = 0
    paths: dict[str, str] = {}
    for model in models:
        if Path(model).expanduser().is_dir():
            print(f"{model}: a local folder, nothing to download")
            paths[model] = model
            continue
        size = MODEL_SIZES_MB.get(model)
        print(f"downloading {model}" + (f" (about {size} MB)" if size else "") + " ...", flush=True)
        target = ns.dir / model if ns.dir is not None else None
        try:
            paths[model] = _snapshot(model, target)
        except Exception as exc:  # noqa: BLE001 - network, auth or not-found errors of the hub client, reported
            failed += 1
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            _error(f"cannot download {model}: {type(exc).__name__}: {first} (check the model id and the network)")
            continue
        print(f"  -> {paths[model]}")
    if ns.dir is not None and paths:
        translation, *summaries = [paths[m] for m in models if m in paths]
        hint = f"--translation-model {translation}" + (f" --summarization-model {summaries[0]}" if summaries else "")
        print(f"use them with: beknopt run INPUT -o OUTDIR {hint}")
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_tiny(ns: argparse.Namespace) -> int:
    from beknopt.models.tiny import build_tiny_models

    translation, summarization = build_tiny_models(ns.dir)
    print(f"translation model:   {translation}")
    print(f"summarization model: {summarization}")
    print("random weights: the output is gibberish, but every step runs. Try:")
    print(f"  beknopt run ARTICLES -o out --translation-model {translation} "
          f"--summarization-model {summarization} --device cpu")
    return EXIT_OK


# ----------------------------------------------------------------------------------------------------
# info


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _device_info() -> dict[str, Any]:
    try:
        import torch
    except ImportError as exc:
        return {"device": None, "error": f"torch cannot be imported: {exc}"}
    from beknopt.models.allocator import malloc_status
    from beknopt.models.loading import device_for

    device = device_for("auto")
    info: dict[str, Any] = {"device": device, "cuda_available": torch.cuda.is_available()}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    info["cpu_threads"] = torch.get_num_threads()
    info["cpu_malloc_tuning"] = malloc_status()
    return info


def collect_info() -> dict[str, Any]:
    """What ``beknopt info`` reports, as data."""
    from beknopt.models.loading import hub_offline
    from beknopt.models.registry import (
        DEFAULT_SUMMARY_PRESET,
        DEFAULT_TRANSLATION_MODEL,
        MODEL_SIZES_MB,
        SUMMARY_PRESETS,
    )

    try:
        from huggingface_hub import constants

        cache = str(constants.HF_HUB_CACHE)
    except ImportError:
        cache = None
    roles = {DEFAULT_TRANSLATION_MODEL: "translation (default)"}
    roles.update({m: f"summarisation preset {p}" + (" (default)" if p == DEFAULT_SUMMARY_PRESET else "")
                  for p, m in SUMMARY_PRESETS.items()})
    models = []
    for model, size in MODEL_SIZES_MB.items():
        cached = cache is not None and (Path(cache) / f"models--{model.replace('/', '--')}" / "snapshots").is_dir()
        models.append({"model": model, "size_mb": size, "role": roles.get(model, ""), "cached": cached})
    return {
        "versions": {"beknopt": __version__, "python": platform.python_version(),
                     **{p: _version(p) for p in ("torch", "transformers", "ctranslate2", "huggingface_hub")}},
        **_device_info(),
        "hf_cache": cache,
        "hf_hub_offline": hub_offline(),
        "models": models,
    }


def _cmd_info(ns: argparse.Namespace) -> int:
    info = collect_info()
    if ns.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    for name, version in info["versions"].items():
        print(f"{name + ':':17}{version or 'not installed'}")
    device = info.get("device") or f"unavailable ({info.get('error')})"
    if info.get("gpu"):
        device += f" ({info['gpu']}, CUDA {info.get('cuda')})"
    print(f"{'device:':17}{device}")
    if "cpu_malloc_tuning" in info:
        print(f"{'CPU malloc:':17}{info['cpu_malloc_tuning']}")
    print(f"{'model cache:':17}{info['hf_cache']}")
    offline = "on: models load only from the cache or local folders" if info["hf_hub_offline"] else "off"
    print(f"{'HF_HUB_OFFLINE:':17}{offline}")
    print("known models:")
    for m in info["models"]:
        state = "cached" if m["cached"] else "not cached"
        print(f"  {m['model']:34} ~{m['size_mb']:>5} MB  {state:10}  {m['role']}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
