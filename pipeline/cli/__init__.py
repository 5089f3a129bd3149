"""The ``beknopt`` command line, one module per command (``run``, ``models``, ``info``); ``app`` wires them."""

from beknopt.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
