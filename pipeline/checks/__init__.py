"""Cheap, explainable checks of a Dutch -> English translation: do the numbers and the names survive?

Machine translation rarely garbles a sentence's gist but does drop, add or change a number, or "correct" a
name; both are what a newsroom is sued over. These checks compare one Dutch sentence with its English
translation and record every disagreement as a ``Finding``. They are pure Python (no torch, no model) so
they run on translations made anywhere: ``check_translation(dutch, english)``.

Numbers: ``beknopt.checks.numbers``; names: ``beknopt.checks.names``. Numbers and names of a summary found in
no source (the pipeline's summary checks and ``beknopt eval``'s diagnostics): ``beknopt.checks.unsupported``.
"""

from __future__ import annotations

from beknopt.checks.finding import Finding
from beknopt.checks.names import check_names, source_names
from beknopt.checks.numbers import NumberMention, check_numbers, dutch_numbers, english_numbers, extract_numbers
from beknopt.checks.unsupported import SourceFacts, Unsupported, find_unsupported

__all__ = ["Finding", "NumberMention", "SourceFacts", "Unsupported", "check_names", "check_numbers",
           "check_translation", "dutch_numbers", "english_numbers", "extract_numbers", "find_unsupported",
           "source_names"]


def check_translation(src: str, out: str, sentence: int = 0) -> list[Finding]:
    """Every number and name disagreement between a Dutch sentence and its English translation (empty: agree)."""
    return check_numbers(src, out, sentence) + check_names(src, out, sentence)
