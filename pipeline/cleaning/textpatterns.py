"""Quote, bracket and list-item patterns shared by the cleaning stage and the sentence splitter.

Both ask the same questions of a line ("does it start with a capital once the quotes are skipped?", "is it a
list item?") but with nets of different sizes, so each variant is built here from one core and the
differences are named instead of drifting apart in two copies:

- the splitter also skips ``‹ { ¡ ¿`` before a sentence's first letter and ``› }`` after its last mark;
- the splitter's list items also take the bullets ``· ▪ ● ► —``, ``(1)`` and letter items ``a)`` / ``a.``,
  but only one- or two-digit item numbers, the same numbers by which it tells the ``1.`` of ``1. Eerste``
  from a sentence end;
- the cleaning stage keeps a line break before a list item instead of joining the line to the one above, and
  a ``Lees ook:`` lead-in removes the items after it, so a wider net there changes the text itself: a wrapped
  line that starts with an em dash or ``a)`` stays prose.  It does take three-digit item numbers and wants a
  word after the marker.
"""

from __future__ import annotations

import re

__all__ = [
    "CLOSERS", "LIST_ITEM", "OPENERS", "OPENING_QUOTES", "SENTENCE_CLOSERS", "SENTENCE_ITEM_NUMBER",
    "SENTENCE_LIST_ITEM", "SENTENCE_OPENERS",
]  # fmt: skip

OPENING_QUOTES = "\"'„“‘‚"
"""Opening quotation marks: straight, Dutch low ``„``, English ``“``, single ``‘`` and low single ``‚``."""

OPENERS = OPENING_QUOTES + "«(["
"""What the cleaning stage skips before a line's first letter (guillemet and brackets too)."""

SENTENCE_OPENERS = OPENERS + "‹{¡¿"
"""What the sentence splitter skips before a sentence's first letter."""

CLOSERS = "\"'”’»)]"
"""Closing quotes and brackets the cleaning stage allows after a line's final punctuation."""

SENTENCE_CLOSERS = CLOSERS + "›}"
"""Closing quotes and brackets the sentence splitter keeps with the sentence they close."""

_BULLETS = "-*•‣◦–"
_MORE_BULLETS = "·▪●►—"

LIST_ITEM = re.compile(rf"(?:[{re.escape(_BULLETS)}]|\d{{1,3}}[.)])\s+\S")
"""A line the cleaning stage treats as a list item (use with ``.match``): a bullet or ``1.`` / ``1)``, a word."""

SENTENCE_ITEM_NUMBER = r"\(?(?:\d{1,2}|[a-z])"
"""The number of a list item for the splitter: ``1``, ``(12``, ``a``; the period after it ends no sentence."""

SENTENCE_LIST_ITEM = re.compile(rf"(?:[{re.escape(_BULLETS + _MORE_BULLETS)}]|{SENTENCE_ITEM_NUMBER}[.)])\s+")
"""A line the sentence splitter treats as a list item (use with ``.match``): a line break before it ends a sentence."""
