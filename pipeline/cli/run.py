"""``beknopt run``: flags and config file to a ``PipelineConfig``, articles through the ``BatchRunner``.

SIGTERM is turned into the same orderly stop as Ctrl-C (temporary files removed, finished articles kept), with
its own exit status.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
from pathlib import Path
from typing import Any

from beknopt.cli.common import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    command_settings,
    error,
)
from beknopt.cli.progress import Reporter, hide_loading_bars, silence_libraries
from beknopt.document import BeknoptError
from beknopt.options import RUN_OPTIONS, ConfigError, add_options
from beknopt.stage import TRANSLATE

__all__ = ["Terminated", "add_run_parser"]


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


def add_run_parser(subparsers: Any) -> None:
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


def _cmd_run(ns: argparse.Namespace) -> int:
    from beknopt.batch import BatchOptions, BatchRunner
    from beknopt.batch.digest import check_digest_path
    from beknopt.batch.outdir import OutputFolderError, check_output_apart, check_output_folder
    from beknopt.config import PipelineConfig
    from beknopt.inputs import (
        DEFAULT_MAX_BYTES,
        InputNotFoundError,
        check_inputs,
        count_articles,
        discover,
        read_articles,
    )
    from beknopt.pipeline import Pipeline

    try:
        settings, config = command_settings(ns, RUN_OPTIONS)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    inputs = list(getattr(ns, "inputs", None) or config.get("inputs") or [])
    if settings.get("quiet") and settings.get("verbose"):
        error("run: --quiet and --verbose cannot be used together")
        return EXIT_USAGE
    if not settings.get("output"):
        error("run: the output folder is required: -o OUTDIR, or -o - for JSONL on stdout (or output = \"...\" in "
              "the config file)")
        return EXIT_USAGE
    to_stdout = settings["output"] == "-"
    outdir = None if to_stdout else Path(settings["output"])
    if to_stdout and settings.get("format") == "md":
        error("run: --format md needs an output folder; -o - writes JSONL records to stdout")
        return EXIT_USAGE
    dry_run = bool(settings.get("dry_run"))
    digest = Path(settings["digest"]) if settings.get("digest") else None
    try:
        check_inputs(inputs)
        if outdir is not None:
            check_output_apart(inputs, outdir)
            if not dry_run:
                check_output_folder(outdir)  # before the models load; creates nothing
        if digest is not None and not dry_run:
            check_digest_path(digest)
    except (InputNotFoundError, OutputFolderError) as exc:
        error(f"run: {exc}")
        return EXIT_USAGE
    exclude = [outdir] if outdir is not None else []
    sources = discover(inputs, exclude=exclude)
    first = next(sources, None)
    if first is None:
        error(f"run: no articles found in {', '.join(inputs)} (looked for .txt .md .html .htm .json .jsonl)")
        return EXIT_USAGE

    reporter = Reporter(quiet=bool(settings.get("quiet")), verbose=bool(settings.get("verbose")),
                        json_logs=settings.get("log_format") == "json", mode=settings.get("progress", "auto"))
    if reporter.quiet or reporter.json_logs:
        silence_libraries()
    elif not reporter.verbose:
        hide_loading_bars()
    engine = None
    try:
        config = PipelineConfig.from_options(settings)
        pipeline = Pipeline.from_config(config)
        if settings.get("engine") == "ray":
            engine = _ray_engine(settings, pipeline)
    except (BeknoptError, ValueError, ImportError) as exc:
        error(str(exc))
        return EXIT_USAGE

    options = BatchOptions(output=outdir, max_bytes=settings.get("max_bytes", DEFAULT_MAX_BYTES),
                           markdown=settings.get("format") == "md", force=bool(settings.get("force")),
                           dry_run=dry_run, digest=digest)
    total = count_articles(discover(inputs, exclude=exclude)) if reporter.wants_progress else None
    runner = BatchRunner(pipeline, options, on_outcome=reporter.outcome, engine=engine, progress=reporter.progress)
    reporter.start(total, inputs=inputs, output=settings["output"], settings=runner.fingerprint,
                   models=pipeline.describe().get(TRANSLATE, {}).get("model"), dry_run=dry_run)
    previous = _on_sigterm(_raise_terminated)
    try:
        summary = runner.run(read_articles(itertools.chain([first], sources), max_bytes=options.max_bytes))
    except OutputFolderError as exc:
        reporter.close()
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        reporter.close()
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        error(f"{how}: finished articles are kept; run the same command again to resume")
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except OSError as exc:
        reporter.close()
        error(f"cannot write to {settings['output']}: {exc.strerror or exc}; results.jsonl and errors.jsonl were "
              "not updated (articles written so far are kept: free space and run the same command again to resume)")
        print(runner.summary.line(), file=sys.stderr if to_stdout else sys.stdout, flush=True)
        return EXIT_FAILED
    finally:
        _on_sigterm(previous)
        if engine is not None:
            engine.shutdown()
    reporter.finish(summary)
    # the counts line goes to stdout, unless stdout carries the records (-o -)
    print(summary.line(), file=sys.stderr if to_stdout else sys.stdout, flush=True)
    return summary.exit_code


def _ray_engine(settings: dict[str, Any], pipeline: Any) -> Any:
    from beknopt.ray_engine import RayEngine, RaySettings

    ray_settings = RaySettings(
        address=settings.get("ray_address"), workers=settings.get("workers", 1),
        num_gpus_per_worker=settings.get("num_gpus_per_worker", 0.0),
        window=settings.get("ray_window", RaySettings.window),
    )
    return RayEngine(pipeline.factory(), ray_settings, batch_size=pipeline.batch_size)
