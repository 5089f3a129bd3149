"""What every ``beknopt`` subcommand shares: usage errors that return exit status 2 instead of exiting."""

from __future__ import annotations

import argparse


class UsageError(Exception):
    """Bad flags or arguments: the command prints the message and returns 2."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog  # which (sub)command's parser refused the arguments


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` instead of calling ``sys.exit``, so ``main`` can return a status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, self.prog)
