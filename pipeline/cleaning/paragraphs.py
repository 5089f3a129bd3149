"""Blocks of text to paragraphs: soft wraps joined, the line breaks that carry structure kept.

Blank lines separate paragraphs.  Inside a paragraph, a line break is kept (as ``\\n``) when the next line is
a list item, or the line is a heading, or a list ends there; every other break is a soft wrap and becomes a
space (a wrapped ``woord-`` / ``deel`` pair is joined without the space).  See :func:`_reflow`.
"""

from __future__ import annotations

import re

from beknopt.cleaning.textpatterns import CLOSERS, LIST_ITEM, OPENERS

__all__ = ["is_list_item", "reflow_paragraphs"]

_SENTENCE_END = re.compile(rf"[.!?:;…,][{re.escape(CLOSERS)}]*$")
_MAX_HEADING = 80
_MAX_WRAP = 100


def reflow_paragraphs(text: str, *, from_html: bool) -> list[str]:
    """The paragraphs of ``text``; in plain text without a single blank line, each line ends a paragraph."""
    blocks = [b for b in re.split(r"\n{2,}", text) if b.strip()]
    lines_are_paragraphs = len(blocks) == 1 and not from_html
    return [p for b in blocks for p in _reflow(b, lines_are_paragraphs=lines_are_paragraphs)]


def is_list_item(line: str) -> bool:
    """A bullet (``-``, ``*``, ``•``, ``–`` ...) or ``1.`` / ``1)``, then a space and a word."""
    return bool(LIST_ITEM.match(line))


def _starts_capitalised(line: str) -> bool:
    first = line.lstrip(OPENERS)
    return bool(first) and first[0].isupper()


def _reflow(block: str, *, lines_are_paragraphs: bool = False) -> list[str]:
    """Join soft-wrapped lines with spaces, keep the line breaks that carry structure; returns paragraphs.

    A break before line ``b`` (after the logical line ``a`` so far) is kept as a newline when

    - ``b`` is a list item (starts with ``-``, ``*``, ``•``, ``–``, ``1.`` or ``1)`` and a space); or
    - ``a`` is a heading: at most 80 characters, not ending in sentence punctuation (``. ! ? : ; … ,``,
      optionally followed by a closing quote/bracket), and ``b`` starts with a capital letter; or
    - ``a`` is a list item and ``b`` starts capitalised without indentation (the list has ended);

    and, for the last two, the break was deliberate (:func:`_deliberate`, :func:`_wrap_width`).  When
    ``lines_are_paragraphs`` (the text uses no blank lines at all), a deliberate break after sentence
    punctuation before a capitalised line starts a new paragraph.  Every other break becomes a space;
    ``woord-`` + ``deel`` is joined without one (the hyphen is kept: it may be part of a compound).  An
    indented line after a list item continues that item.
    """
    raw = [line for line in block.split("\n") if line.strip()]
    if len(raw) <= 1:
        return [block.strip()] if block.strip() else []
    width = _wrap_width(raw)
    paragraphs: list[list[str]] = [[raw[0].strip()]]
    in_list = is_list_item(raw[0].strip())
    last_physical = raw[0].strip()
    for line in raw[1:]:
        logical = paragraphs[-1]
        nxt, cur = line.strip(), logical[-1]
        indented = line[:1].isspace()
        deliberate = _deliberate(last_physical, nxt, width)
        capitalised = _starts_capitalised(nxt)
        ends_sentence = bool(_SENTENCE_END.search(cur))
        heading = len(cur) <= _MAX_HEADING and not ends_sentence and capitalised and deliberate
        list_end = in_list and not indented and capitalised and deliberate
        hyphenated = bool(re.search(r"[^\W\d_]-$", cur)) and nxt[:1].isalpha()
        continues_item = in_list and indented  # an indented line after a list item belongs to it
        if is_list_item(nxt) or ((heading or list_end) and not hyphenated and not continues_item):
            logical.append(nxt)
            in_list = is_list_item(nxt)
        elif lines_are_paragraphs and ends_sentence and capitalised and deliberate:
            paragraphs.append([nxt])
            in_list = False
        elif hyphenated:
            logical[-1] = cur + nxt  # hyphenated wrap (Noord-/Holland): keep the hyphen, drop the break
        else:
            logical[-1] = f"{cur} {nxt}"
        last_physical = nxt
    return ["\n".join(lines) for lines in paragraphs]


def _wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapper broke these lines at, or None if they do not look hard-wrapped.

    Hard-wrapped lines (all but the last) cluster just under the wrap width; a block whose lines are longer
    than any usual wrap width (100 characters) or vary widely in length was not wrapped by a tool.
    """
    body = [len(line.rstrip()) for line in lines[:-1]]
    width = max(body, default=0)
    if len(body) < 2 or width > _MAX_WRAP:
        return None
    near = sum(1 for n in body if n >= 0.75 * width)
    return width if near >= 0.6 * len(body) else None


def _deliberate(line: str, nxt: str, width: int | None) -> bool:
    """Was the break after ``line`` chosen by the author rather than by a hard-wrapper?

    In text that is not hard-wrapped every break is deliberate.  In hard-wrapped text a greedy wrapper never
    breaks a line where the next word would still have fitted, so such room means the break is deliberate;
    this keeps wrapped prose whose next line starts with a name from being mistaken for a heading.
    """
    return width is None or len(line) + 1 + len(nxt.split()[0]) <= width
