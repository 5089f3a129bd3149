"""The one JSON reader for input beknopt does not control: articles, JSONL lines, request bodies, job items.

Python's ``json`` recurses once per nesting level, so ``[[[[...]]]]`` 100,000 deep raises ``RecursionError``
(and a few hundred levels already do on a deep ASGI stack). No article needs more than a handful of levels, so
input nested deeper than :data:`MAX_JSON_DEPTH` is refused with an :class:`InputError` before ``json`` sees it.
The depth is measured by one linear scan that skips string contents (brackets inside a string do not count).
"""

from __future__ import annotations

import json
import re
from typing import Any

from beknopt.document import InputError

__all__ = ["MAX_JSON_DEPTH", "JSONDepthError", "load_json"]

MAX_JSON_DEPTH = 64
"""Arrays and objects nested deeper than this are refused (ninjs and NewsML-derived JSON stay under 10)."""

# A string literal (skipped whole, an unclosed one to the end) or one bracket: nothing else changes the depth.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class JSONDepthError(InputError):
    """JSON nested deeper than the limit: refused without parsing it."""


def _too_deep(text: str, limit: int) -> bool:
    if text.count("[") + text.count("{") <= limit:
        return False  # cannot nest deeper than it has brackets
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def load_json(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for untrusted input: refuses nesting deeper than ``max_depth`` (``JSONDepthError``).

    Bytes are decoded as ``json.loads`` decodes them (UTF-8/16/32, detected). Malformed JSON and undecodable
    bytes raise what ``json.loads`` raises (``JSONDecodeError``, ``UnicodeDecodeError``), so callers word those
    errors for their own context.
    """
    text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes | bytearray) else data
    if _too_deep(text, max_depth):
        raise JSONDepthError(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)
