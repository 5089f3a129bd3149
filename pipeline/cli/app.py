"""The ``beknopt`` command: the parser, the entry point and hand-over to the commands that parse for themselves.

Subcommands: ``run`` (batch-process articles, ``beknopt.cli.run``), ``serve`` (the HTTP service,
``beknopt.cli.serve``), ``models download`` / ``models tiny``
(``beknopt.cli.models``), ``info`` (``beknopt.cli.info``), and ``eval`` / ``eval-pipeline`` / ``convert``,
which hand the rest of the command line to their own modules. Exit statuses: ``beknopt.cli.common``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from beknopt import __version__
from beknopt.cli.common import EXIT_CODES, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, error, print_help
from beknopt.cli.info import add_info_parser
from beknopt.cli.models import add_models_parser
from beknopt.cli.run import Terminated, add_run_parser
from beknopt.cli.serve import add_serve_parser
from beknopt.cli.util import ArgumentParser, UsageError

__all__ = ["build_parser", "main"]

_DISPATCH = {"eval": "beknopt.eval.cli", "eval-pipeline": "beknopt.eval.pipeline_eval",
             "convert": "beknopt.models.convert"}


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="beknopt", description="Dutch news articles to English summaries.",
                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"beknopt {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=ArgumentParser, metavar="COMMAND")
    add_run_parser(sub)
    add_serve_parser(sub)
    add_models_parser(sub)
    add_info_parser(sub)
    sub.add_parser("eval", help="evaluate summaries and translations (see beknopt eval --help)", add_help=False)
    sub.add_parser("eval-pipeline", help="run the pipeline on FLORES-200 and reference summaries, then score it "
                   "(see beknopt eval-pipeline --help)", add_help=False)
    sub.add_parser("convert", help="convert a model for the fast backend (see beknopt convert --help)",
                   add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``beknopt`` command; returns the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in _DISPATCH:
        return _dispatch(args[0], args[1:])
    parser = build_parser()
    try:
        ns = parser.parse_args(args)
    except UsageError as exc:
        command = (exc.prog or "").removeprefix("beknopt").strip()  # "beknopt run" -> "run": no doubled prefix
        error(f"{command}: {exc}" if command else str(exc))
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if getattr(ns, "handler", None) is None:
        return print_help(parser)
    try:
        return int(ns.handler(ns))
    except Terminated:
        error("terminated")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED


def _dispatch(name: str, argv: list[str]) -> int:
    """``beknopt eval``/``convert``: hand the remaining arguments to the module that owns them."""
    module_name = _DISPATCH[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            error(f"'beknopt {name}' is not available in this installation ({module_name} is missing)")
        else:
            error(f"'beknopt {name}' needs the '{exc.name}' package, which is not installed")
        return EXIT_USAGE
    return int(module.main(argv) or 0)
