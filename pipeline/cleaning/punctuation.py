"""Quotes and dashes: one typographic convention per document, so the translator sees one form of each.

Quote convention (Dutch newspaper style):

- double quotes: Dutch low-high ``„…”`` are kept; straight ``"…"``, English ``“…”`` and typewriter ``,,…''``
  are converted to ``„…”`` (opening/closing decided from the surrounding characters);
- apostrophes (``auto's``, ``zo'n``, ``'s avonds``, ``'t``, ``jaren '80``) become the ASCII ``'``;
- single quotation marks ``'…'``, ``‘…’`` and ``‚…’`` become ``‘…’``; a ``‚`` (U+201A) that stands where a
  comma belongs (``5‚5``, ``ja‚ nee``) becomes a comma.

Dash convention: ``‒ — ―`` become the en dash ``–``; a dash used as an aside (``woord - woord``,
``woord -- woord``, ``woord—woord``) becomes a spaced ``" – "``; hyphens inside words
(``Tornado-vliegtuigen``, ``in- en uitvoer``) and between digits (``2020-09``, phone numbers) are left alone;
Unicode hyphens U+2010/U+2011 become ``-``; the minus sign U+2212 is kept.

This is routine normalisation, so it records no warnings.
"""

from __future__ import annotations

import re

__all__ = ["normalise_punctuation"]

_DOUBLE = '"“”„'
_SINGLE = "'‘’‚"


def _normalise_quotes(s: str) -> str:
    s = re.sub(r"(?:^|(?<=[\s(\[])),,(?=\S)", "„", s, flags=re.M)  # typewriter ,,Dutch quote''
    s = re.sub(r"(?<=\S)''(?=[\s.,;:!?)\]]|$)", "”", s, flags=re.M)
    out: list[str] = []
    double_open = single_open = False
    n = len(s)
    for i, ch in enumerate(s):
        prev = s[i - 1] if i else ""
        nxt = s[i + 1] if i + 1 < n else ""
        opening_ctx = (not prev or prev.isspace() or prev in "([{–—-/" + _DOUBLE + _SINGLE) and bool(
            nxt and not nxt.isspace()
        )
        closing_ctx = bool(prev and not prev.isspace()) and (
            not nxt or nxt.isspace() or nxt in ".,;:!?)]}…-–"
        )
        if ch in _DOUBLE:
            if ch == "„" or (opening_ctx and not closing_ctx):
                out.append("„")
                double_open = True
            elif closing_ctx or double_open:
                out.append("”")
                double_open = False
            else:
                out.append("„")
                double_open = True
        elif ch in _SINGLE:
            after = s[i + 1 : i + 4]
            if prev.isalpha() and nxt.isalpha():
                out.append("'")  # auto's, zo'n
            elif (not prev or prev.isspace()) and re.match(r"[stn](?![^\W\d_])|\d\d(?!\d)", after, re.I):
                out.append("'")  # 's avonds, 't, 'n, jaren '80
            elif ch == "‚" and prev.isalnum() and (nxt.isspace() or nxt.isdigit() or not nxt):
                out.append(",")  # U+201A used as a comma
            elif opening_ctx and not closing_ctx:
                out.append("‘")
                single_open = True
            elif closing_ctx and single_open:
                out.append("’")
                single_open = False
            else:
                out.append("'")  # possessive (Jezus') or stray mark
        else:
            out.append(ch)
    return "".join(out)


def _normalise_dashes(s: str) -> str:
    s = s.translate({0x2010: "-", 0x2011: "-"})
    s = re.sub(r"(?<=[^\W\d_])(?:[—―]|--)(?=[^\W\d_])", " – ", s)  # unspaced em dash as an aside
    s = re.sub(r"[‒—―]", "–", s)
    s = re.sub(r"(?<=\S) +(?:--?|–) +(?=\S)", " – ", s)
    return s


def normalise_punctuation(text: str) -> str:
    """Apply the module's quote and dash conventions (see the module docstring) to one paragraph."""
    return _normalise_dashes(_normalise_quotes(text))
