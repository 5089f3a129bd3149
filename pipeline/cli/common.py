"""Exit statuses and the small helpers every ``beknopt`` subcommand shares."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

EXIT_CODES = """exit status:
  0    every article succeeded (skipped articles are not failures)
  1    at least one article failed (see OUTDIR/errors.jsonl), or writing stopped (disk full)
  2    usage error: bad flags or config file, no inputs found, model not found or broken,
       an output folder that cannot be used (not writable, holds the inputs, state files in the way)
  130  interrupted by Ctrl-C (finished articles are kept; run again to resume)
  143  terminated by SIGTERM (the same: finished articles are kept)"""


def error(message: str) -> None:
    """The one format of a command-line error: ``beknopt: error: ...`` on stderr."""
    print(f"beknopt: error: {message}", file=sys.stderr)


def print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def command_settings(ns: argparse.Namespace, options: Iterable[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The option values of ``run`` and ``serve``: the ``--config`` file's, overridden by the flags given.

    Returns (settings, the file's values); a bad file raises ``beknopt.options.ConfigError``."""
    from beknopt.options import load_config, merge_settings

    flags = {o.name: getattr(ns, o.name) for o in options if hasattr(ns, o.name)}
    config = load_config(ns.config) if getattr(ns, "config", None) else {}
    return merge_settings(config, flags), config
