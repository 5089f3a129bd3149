"""Boilerplate and duplicate paragraphs: what a news page wraps around an article, and repeats in it.

Whole stripped paragraphs or lines that match a pattern (links to other articles, image and agency credits,
sharing buttons, cookie and newsletter prompts, bylines) are dropped, so the translator and the summariser
never see them; the removed items are named in the warnings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from beknopt.cleaning.paragraphs import is_list_item

__all__ = ["DEFAULT_BOILERPLATE", "compile_patterns", "remove_boilerplate", "remove_duplicates"]

_AGENCY = (
    r"(?:anp|afp|ap|reuters|dpa|belga|epa|bloomberg|getty(?: images)?|hollandse hoogte|hh|novum|nu\.nl|nos)"
)
_NAME = r"(?-i:[A-Z][\w'.-]+)"
_PARTICLE = r"(?:van|de|der|den|het|ter|ten|te|in|'t)"
_PERSON = rf"{_NAME}(?:\s+{_PARTICLE}){{0,3}}(?:\s+{_NAME}){{1,3}}"

DEFAULT_BOILERPLATE: tuple[str, ...] = (
    # links to other articles
    r"(?:lees|bekijk) (?:ook|meer|verder|hier)\b.{0,200}",
    r"bekijk (?:de|het) (?:video|foto'?s|beelden)\b.{0,200}",
    r"meer (?:over dit onderwerp|nieuws|lezen)\s*:?.{0,200}",
    r"gerelateerde? (?:artikelen|berichten|nieuws)\s*:?.{0,200}",
    # image and agency credits
    r"(?:foto|foto's|beeld|video|illustratie|afbeelding|archieffoto)\s*:.{0,150}",
    rf"(?:[©(\[]\s*)?{_AGENCY}(?:\s*[/,&]\s*{_AGENCY})*\s*[)\]]?",
    r"©.{0,100}",
    # sharing
    r"deel (?:dit|het) (?:artikel|bericht|verhaal)\b.{0,100}",
    r"(?:delen|deel|share)(?: via| op)?\s*:?(?:[\s,|/]*(?:facebook|twitter|x|whatsapp|linkedin|e-?mail|mail"
    r"|messenger|pinterest|reddit|kopieer (?:de )?link|link kopi[eë]ren))*",
    # cookies and ads
    r".{0,100}\b(?:wij|we) gebruik(?:en|t)? cookies\b.{0,300}",
    r"(?:alle )?cookies? (?:accepteren|weigeren|instellingen|toestaan)\b.{0,100}",
    r"(?:accepteer|accepteren|akkoord met) (?:alle )?cookies\b.{0,100}",
    r"cookie-?instellingen|cookiebeleid|privacyverklaring",
    r"advertentie|advertorial|gesponsord|adv\.?|sponsored",
    # newsletters
    r"(?=.{0,250}$)(?=.*\b(?:schrijf|meld|abonneer|ontvang|aanmelden|inschrijven)\b).*\bnieuwsbrief\b.*",
    # bylines
    rf"door\s*:?\s+(?:onze?\s+(?:eigen\s+)?(?:redacteur|correspondent|verslaggever|redactie)\w*(?:\s+\S+){{0,4}}"
    rf"|{_PERSON}(?:\s*(?:,|en|&)\s*{_PERSON})*(?:\s*[,|–-]\s*.{{0,40}})?)",
    r"van onze (?:eigen\s+)?(?:redacteur|correspondent|verslaggever|redactie)\w*.{0,80}",
    # comments and separators
    r"reacties?\s*\(?\d*\)?|plaats een reactie.{0,40}",
    r"[-*=_~#•·.]{3,}",
)
"""Regex patterns (``re.fullmatch``, case-insensitive) for whole stripped paragraphs or lines to drop.

Extend with ``clean(..., extra_boilerplate=[...])`` or replace with ``clean(..., boilerplate=[...])``.  The
``.{0,N}`` limits keep a pattern from swallowing a real paragraph that happens to start the same way.
"""


def _compile(patterns: Sequence[str] | str) -> list[re.Pattern[str]]:
    if isinstance(patterns, str):
        patterns = (patterns,)
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as err:
            raise ValueError(f"invalid boilerplate pattern {pattern!r}: {err}") from err
    return compiled


_DEFAULT_COMPILED = _compile(DEFAULT_BOILERPLATE)


def _label(text: str) -> str:
    """Short name for a removed item in warnings: ``Lees ook:``, ``Foto:``, ``Deel dit artikel``."""
    colon = text.find(":")
    if 0 < colon <= 30:
        return text[: colon + 1]
    words = text.split()
    label = " ".join(words[:3])
    if len(label) > 30:
        label = label[:29].rstrip()
        return label + "…"
    return label + ("…" if len(words) > 3 else "")


def _matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(line) for p in patterns)


def remove_boilerplate(
    paragraphs: list[str], patterns: list[re.Pattern[str]]
) -> tuple[list[str], list[str], list[str]]:
    """Drop matching paragraphs and lines; returns ``(kept, removed paragraph labels, removed line labels)``.

    A matching lead-in that ends in a colon (``Lees ook:``) also takes the list items that follow it, in the
    same paragraph or in the next one.
    """
    kept: list[str] = []
    removed_paragraphs: list[str] = []
    removed_lines: list[str] = []
    drop_list = False
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        if drop_list and all(is_list_item(line) for line in lines):
            removed_paragraphs.append(_label(lines[0]))
            continue
        drop_list = False
        keep: list[str] = []
        labels: list[str] = []
        for line in lines:
            if drop_list and is_list_item(line):
                continue
            drop_list = False
            if _matches(line, patterns):
                labels.append(_label(line))
                drop_list = line.endswith(":")
            else:
                keep.append(line)
        if keep:
            removed_lines.extend(labels)
            kept.append("\n".join(keep))
        else:
            removed_paragraphs.append(labels[0] if labels else _label(paragraph))
    return kept, removed_paragraphs, removed_lines


def compile_patterns(boilerplate: Sequence[str] | None, extra: Sequence[str]) -> list[re.Pattern[str]]:
    """The patterns one ``clean()`` call uses: ``boilerplate`` (default :data:`DEFAULT_BOILERPLATE`) plus ``extra``.

    Raises ``ValueError`` naming the pattern that does not compile.
    """
    patterns = _compile(boilerplate) if boilerplate is not None else list(_DEFAULT_COMPILED)
    return patterns + _compile(extra)


def remove_duplicates(paragraphs: list[str]) -> tuple[list[str], int]:
    """Drop exact repeats of a paragraph, keeping the first; returns ``(paragraphs, how many were dropped)``."""
    unique = list(dict.fromkeys(paragraphs))
    return unique, len(paragraphs) - len(unique)
