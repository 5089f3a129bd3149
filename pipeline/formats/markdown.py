"""Escaping article text for Markdown that a CMS will render as HTML.

Everything that came from an article (title, author, URL, summary, translation, warnings) or from a user's
command line (system names in an evaluation report) may hold ``<script>``, ``<img onerror=...>`` or a
``[link](javascript:...)``. CommonMark lets a backslash make any ASCII punctuation literal, so escaping the
characters that start HTML, links, emphasis, code and table cells, plus the line-start markers of headings,
quotes and lists, turns all of it into plain visible text while the page still reads naturally.
"""

from __future__ import annotations

import re

__all__ = ["escape_block", "escape_inline"]

# ``_`` inside a word (``pred_a``) cannot open emphasis in CommonMark, so it is left readable
_INLINE = re.compile(r"([\\`*\[\]<>&|~!{}]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)


def escape_inline(text: object) -> str:
    """One line of literal text (a heading, a list item, a table cell): line breaks become spaces."""
    return _LINE_START.sub(_escape_marker, _INLINE.sub(r"\\\1", " ".join(str(text).split())))


def escape_block(text: object) -> str:
    """Paragraphs of literal text; blank lines between paragraphs are kept."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", str(text))]
    return "\n\n".join(_LINE_START.sub(_escape_marker, _INLINE.sub(r"\\\1", p)) for p in paragraphs if p)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    if marker[0].isdigit():  # "1." or "1)" opens an ordered list: escape the punctuation
        return f"{match.group(1)}{marker[:-1]}\\{marker[-1]}"
    return f"{match.group(1)}\\{marker}"
