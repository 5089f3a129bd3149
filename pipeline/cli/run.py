"""``beknopt run``: flags and config file to a ``PipelineConfig``, articles through the ``BatchRunner``.

SIGTERM is turned into the same orderly stop as Ctrl-C (temporary files removed, finished articles kept), with
its own exit status, from the moment the models start loading; once the results are committed it no longer
changes the outcome (the counts line and exit status stand).

Articles left out because they are inside OUTDIR (``beknopt run in -o in/sub``) are reported, never skipped
silently: one line with the count (``-v`` lists them), or the reason in the "no articles found" message.
"""

from __future__ import annotations

import argparse
import errno
import itertools
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from beknopt.inputs.discover import LeftOut

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


RUN_EPILOG = f"""inputs: .txt .md .html .htm (one article each), .json (one article: "text" (plain text),
"html" or "body", optional "id", "title", "date", "url"), .jsonl (one such object per line); folders are
read recursively, globs like 'news/**/*.txt' are expanded (quote them).

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
    from beknopt.batch.digest import check_digest_path
    from beknopt.batch.outdir import OutputFolderError, check_output_apart, check_output_folder
    from beknopt.inputs import InputNotFoundError, check_inputs
    from beknopt.inputs.discover import LeftOut, discover

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
    if to_stdout and formats(settings) - {"json"}:
        error(f"run: --format {settings['format']} needs an output folder; -o - writes JSONL records to stdout")
        return EXIT_USAGE
    if settings.get("ninjs_version") and "ninjs" not in formats(settings):
        error("run: --ninjs-version needs --format ninjs (e.g. --format json,ninjs)")
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
    early = LeftOut()
    sources = discover(inputs, exclude=exclude, left_out=early)
    first = next(sources, None)
    if first is None:
        left = _left_out(early, outdir)
        why = (f": {_files(len(left))} {'was' if len(left) == 1 else 'were'} left out because they are inside the "
               f"output folder {outdir}, which beknopt never reads; choose another output folder" if left else "")
        error(f"run: no articles found in {', '.join(inputs)} (looked for .txt .md .html .htm .json .jsonl){why}")
        if settings.get("verbose"):
            for path in left:
                print(f"  left out: {path}", file=sys.stderr)
        return EXIT_USAGE

    reporter = Reporter(quiet=bool(settings.get("quiet")), verbose=bool(settings.get("verbose")),
                        json_logs=settings.get("log_format") == "json", mode=settings.get("progress", "auto"))
    previous = _on_sigterm(_raise_terminated)  # from here on SIGTERM stops in order, with a message
    finished: list[int] = []  # the exit status, once the work is done and SIGTERM can no longer change it
    try:
        code = _load_and_run(settings, inputs, outdir, exclude, dry_run, digest, reporter,
                             itertools.chain([first], sources), finished)
    finally:
        if finished and _is_the_command():
            _on_sigterm(_exit_with(finished[0]))  # the process ends next: a late SIGTERM keeps the status
        else:
            _on_sigterm(previous)
    return code


def _load_and_run(settings: dict[str, Any], inputs: list[str], outdir: Path | None, exclude: list[Path],
                  dry_run: bool, digest: Path | None, reporter: Reporter, sources: Iterator[Any],
                  finished: list[int]) -> int:
    """Load the models and run the batch, with SIGTERM turned into ``Terminated``; appends the exit status to
    ``finished`` as soon as the results are committed (SIGTERM is ignored from then on)."""
    from beknopt.batch import BatchOptions, BatchRunner
    from beknopt.batch.outdir import OutputFolderError
    from beknopt.config import PipelineConfig
    from beknopt.inputs import DEFAULT_MAX_BYTES, count_articles, read_articles
    from beknopt.inputs.discover import LeftOut, discover
    from beknopt.pipeline import Pipeline

    to_stdout = outdir is None
    if reporter.quiet or reporter.json_logs:
        silence_libraries()
    elif not reporter.verbose:
        hide_loading_bars()
    # one full discovery pass before the models load: the total for progress, and what OUTDIR kept out
    left = LeftOut()
    total = None
    if reporter.wants_progress:
        total = count_articles(discover(inputs, exclude=exclude, left_out=left))
    elif exclude:
        for _ in discover(inputs, exclude=exclude, left_out=left):
            pass
    if outdir is not None:
        reporter.left_out(_left_out(left, outdir), str(outdir))
    engine = None
    try:
        config = PipelineConfig.from_options(settings)
        pipeline = Pipeline.from_config(config)
        if settings.get("engine") == "ray":
            engine = _ray_engine(settings, pipeline)
    except (BeknoptError, ValueError, ImportError) as exc:
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        reporter.close()
        terminated = isinstance(exc, Terminated)
        error(f"{'terminated' if terminated else 'interrupted'} while loading the models; nothing was written")
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED

    options = BatchOptions(output=outdir, max_bytes=settings.get("max_bytes", DEFAULT_MAX_BYTES),
                           markdown="md" in formats(settings), force=bool(settings.get("force")),
                           ninjs=settings.get("ninjs_version", "3.1") if "ninjs" in formats(settings) else None,
                           dry_run=dry_run, digest=digest)
    runner = BatchRunner(pipeline, options, on_outcome=reporter.outcome, engine=engine, progress=reporter.progress)
    reporter.start(total, inputs=inputs, output=settings["output"], settings=runner.fingerprint,
                   models=pipeline.describe().get(TRANSLATE, {}).get("model"), dry_run=dry_run)
    try:
        summary = runner.run(read_articles(sources, max_bytes=options.max_bytes))
        _on_sigterm(signal.SIG_IGN)  # committed: the counts line and exit status below stand
        finished.append(summary.exit_code)
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
        _on_sigterm(signal.SIG_IGN)  # stopped for good: nothing left that SIGTERM could stop in order
        finished.append(EXIT_FAILED)
        reporter.close()
        error(_stopped_writing(settings["output"], exc))
        print(runner.summary.line(), file=sys.stderr if to_stdout else sys.stdout, flush=True)
        return EXIT_FAILED
    finally:
        if engine is not None:
            engine.shutdown()
    reporter.finish(summary)
    # the counts line goes to stdout, unless stdout carries the records (-o -)
    print(summary.line(), file=sys.stderr if to_stdout else sys.stdout, flush=True)
    return summary.exit_code


def formats(settings: dict[str, Any]) -> set[str]:
    """What ``--format`` asks to write per article (already checked: a comma-separated subset)."""
    return set(settings.get("format", "json").split(","))


def _stopped_writing(output: str, exc: OSError) -> str:
    """Why the batch stopped writing; the free-space advice only when space (or quota) is what ran out."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        advice = "free space and run the same command again to resume"
    else:
        advice = "fix the cause and run the same command again to resume"
    return (f"cannot write to {output}: {exc.strerror or exc}{where}; results.jsonl and errors.jsonl were not "
            f"updated (articles written so far are kept: {advice})")


def _files(n: int) -> str:
    return f"{n:,} file" + ("" if n == 1 else "s")


def _left_out(left: LeftOut, outdir: Path | None) -> list[str]:
    """The article files discovery left out as inside OUTDIR, less the ones beknopt wrote there itself (its
    manifest says which): those are its outputs, not articles the user expected to be read."""
    from beknopt.batch.outdir import owned_outputs
    from beknopt.inputs import printable

    if outdir is None or not left.paths:
        return []
    owned, real_out = owned_outputs(outdir), os.path.realpath(outdir)
    return [printable(path) for path in left.paths
            if os.path.relpath(os.path.realpath(path), real_out).replace(os.sep, "/") not in owned]


def _is_the_command() -> bool:
    """Whether this process is the ``beknopt`` command itself (it exits when the command returns), not a program
    that called ``main()`` and keeps running (tests): only then may the SIGTERM handler outlive the call."""
    main_module = sys.modules.get("__main__")
    spec = getattr(main_module, "__spec__", None)
    if spec is not None:
        return spec.name in ("beknopt.cli.__main__", "beknopt.__main__")
    return Path(sys.argv[0]).stem == "beknopt"


def _exit_with(code: int) -> Any:
    """A SIGTERM handler for the last moments of the process: exit at once with the status already decided
    (everything was written and flushed), rather than die as 143 while the interpreter shuts down."""
    def handler(signum: int, frame: Any) -> None:
        os._exit(code)

    return handler


def _ray_engine(settings: dict[str, Any], pipeline: Any) -> Any:
    from beknopt.engine.ray import RayEngine, RaySettings

    ray_settings = RaySettings(
        address=settings.get("ray_address"), workers=settings.get("workers", 1),
        num_gpus_per_worker=settings.get("num_gpus_per_worker", 0.0),
        window=settings.get("ray_window", RaySettings.window),
    )
    return RayEngine(pipeline.factory(), ray_settings, batch_size=pipeline.batch_size)
