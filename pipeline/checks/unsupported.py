"""Numbers and names of an English text (a summary, or one summary sentence) that occur in none of its sources.

This is the one implementation behind both the pipeline's summary checks (``beknopt.checks.provenance``: a summary
sentence with a number or name found in no source sentence) and the evaluation harness's summary diagnostics
(``beknopt.eval.diagnostics``: ``unsupported_numbers`` / ``unsupported_names``), so an editor's warning and
an evaluation report can never disagree about what was invented.

Numbers are compared by value so that "5,200", "5.200" and "5200" match (Dutch and English thousands
separators), "3,5" matches "3.5", "5.2 million" matches "5.200.000", and single-word English numbers
("twelve") match digits; Dutch number words up to fifty are read in the sources. A name is a capitalised word
(not one that opens a sentence, unless it is an acronym or has an inner capital) whose accent-folded,
lowercased form is not a word of the sources; both the English translation and the Dutch original are
searched, so a name kept as written always passes.

Unlike ``beknopt.checks.numbers`` (which compares one Dutch sentence with its translation, each read in its
own language's convention), a summary is searched against everything it could rest on, so these readings are
deliberately permissive: "5.200" may be 5200 or 5.2. A flag is a cheap hint for a human, not a verdict.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

__all__ = ["SourceFacts", "Unsupported", "extract_names", "extract_numbers", "find_unsupported", "fold",
           "number_values"]

WORD_RE = re.compile(r"[^\W_]+")
# Digits with optional thousands groups ("5,200", "5.200.000", "5 200" with a no-break space) and decimals.
NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d+)?(?![\w])")
NAME_RE = re.compile(r"[^\W\d_][\w’'\-]*")
MULTIPLIERS = {
    "thousand": 10**3, "duizend": 10**3, "million": 10**6, "miljoen": 10**6, "mln": 10**6,
    "billion": 10**9, "miljard": 10**9, "mld": 10**9, "bn": 10**9,
}
NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
# Dutch, searched in sources only, so a Dutch original supports "five" ("een" is left out: it is also "a").
DUTCH_NUMBER_WORDS = {
    "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9, "tien": 10,
    "elf": 11, "twaalf": 12, "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50,
}
SOURCE_NUMBER_WORDS = {**NUMBER_WORDS, **DUTCH_NUMBER_WORDS}
# Capitalised at the start of a sentence without being names.
NOT_NAMES = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "you", "his",
    "her", "their", "our", "my", "your", "there", "here", "in", "on", "at", "of", "for", "from", "by", "with", "to",
    "into", "after", "before", "during", "since", "until", "while", "when", "where", "why", "how", "what", "who",
    "which", "and", "but", "or", "so", "yet", "also", "however", "meanwhile", "moreover", "according", "although",
    "though", "if", "as", "because", "despite", "many", "most", "some", "several", "all", "both", "each", "every",
    "no", "not", "one", "other", "another", "such", "only", "more", "less", "mr", "mrs", "ms", "dr", "prof",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
})


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text).normalize()
    except InvalidOperation:
        return None


def number_values(token: str) -> set[Decimal]:
    """Every value a written number can mean: "5.200" is 5200 (Dutch) or 5.2 (English); "3,5" is 3.5."""
    token = token.replace("\u00a0", " ").replace("\u202f", " ")
    values: set[Decimal | None] = set()
    seps = re.findall(r"[., ]", token)
    if not seps:
        values.add(_decimal(token))
    else:
        if re.fullmatch(r"\d{1,3}(?:[., ]\d{3})+", token) and len(set(seps)) == 1:
            values.add(_decimal(re.sub(r"[., ]", "", token)))  # grouped thousands
        head, last_sep, tail = max((token.rpartition(s) for s in ".,"), key=lambda t: len(t[0]))
        if last_sep:
            values.add(_decimal(re.sub(r"[., ]", "", head) + "." + tail))  # last separator is the decimal point
    return {v for v in values if v is not None}


def extract_numbers(text: str, number_words: dict[str, int] = NUMBER_WORDS) -> list[tuple[str, set[Decimal]]]:
    """Numbers in digits (a following million/miljoen etc. also reads as the product) and number words."""
    found: list[tuple[str, set[Decimal]]] = []
    for match in NUMBER_RE.finditer(text):
        values = number_values(match.group())
        following = re.match(r"\s*([^\W\d_]+)", text[match.end():])
        if following and following.group(1).lower() in MULTIPLIERS:
            factor = MULTIPLIERS[following.group(1).lower()]
            values |= {(v * factor).normalize() for v in values}
        found.append((match.group(), values))
    for word in WORD_RE.findall(text):
        value = number_words.get(word.lower())
        if value is not None:
            found.append((word, {Decimal(value)}))
    return found


def fold(text: str) -> str:
    """Lowercase and strip accents, so "Zuid-Holland"/"zuid-holland" and "Müller"/"Muller" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _sentence_initial(text: str, start: int) -> bool:
    """Does the word at ``start`` open a sentence (text start, after . ! ? : or a line break, quotes aside)?"""
    before = text[:start].rstrip(" \t\"'“‘(-–•*")
    return not before or before[-1] in ".!?:\n"


def _looks_like_a_name_anyway(token: str) -> bool:
    """An acronym or a word with an inner capital (``NAVO``, ``McKenzie``) is a name even opening a sentence."""
    return (len(token) >= 2 and token.isupper()) or any(c.isupper() for c in token[1:])


def extract_names(text: str) -> list[str]:
    """Capitalised words that are not common sentence-initial words ("Rutte's" -> "Rutte").

    A capitalised word that opens a sentence is left out unless it is written like a name (an acronym, an
    inner capital): "Opposition grew" must not read as an invented name. The price: a sentence that opens
    with an invented plain name ("Jansen said ...") is not flagged for that name."""
    names = []
    for match in NAME_RE.finditer(text):
        token = re.sub(r"[’']s?$", "", match.group()).strip("-’'")
        if not token or not token[0].isupper() or token.lower() in NOT_NAMES:
            continue
        if _sentence_initial(text, match.start()) and not _looks_like_a_name_anyway(token):
            continue
        if token.lower() in NUMBER_WORDS:
            continue
        names.append(token)
    return names


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class SourceFacts:
    """What a set of source texts contains: every number value and every folded word (read once, then
    queried for each summary sentence)."""

    values: frozenset[Decimal] = frozenset()
    words: frozenset[str] = frozenset()
    empty: bool = True  # no source text at all: nothing can be judged unsupported

    @classmethod
    def of(cls, texts: Iterable[str | None]) -> SourceFacts:
        values: set[Decimal] = set()
        words: set[str] = set()
        empty = True
        for text in texts:
            if not text:
                continue
            empty = False
            for _, found in extract_numbers(text, SOURCE_NUMBER_WORDS):
                values |= found
            words |= {fold(w) for w in WORD_RE.findall(text)}
            words |= {fold(w) for w in re.findall(r"[^\W\d_][\w\-]*", text)}  # hyphenated words whole
        return cls(frozenset(values), frozenset(words), empty)

    def has_number(self, values: set[Decimal]) -> bool:
        return bool(values & self.values)

    def has_name(self, name: str) -> bool:
        """The name as a word of the sources, or (hyphenated) each of its parts."""
        return fold(name) in self.words or all(fold(p) in self.words for p in name.split("-") if p)


@dataclass
class Unsupported:
    """The distinct numbers and names of a text (counts) and those found in no source (lists, text order)."""

    numbers: int = 0
    names: int = 0
    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)


def find_unsupported(text: str, sources: SourceFacts | Iterable[str | None]) -> Unsupported:
    """The numbers and names of ``text`` that occur in none of ``sources`` (texts, or ``SourceFacts`` read
    once); with no source text nothing is flagged."""
    facts = sources if isinstance(sources, SourceFacts) else SourceFacts.of(sources)
    numbers = extract_numbers(text)
    names = extract_names(text)
    found = Unsupported(len(_unique(tok for tok, _ in numbers)), len(_unique(names)))
    if not facts.empty:
        found.unsupported_numbers = _unique(tok for tok, values in numbers if not facts.has_number(values))
        found.unsupported_names = _unique(name for name in names if not facts.has_name(name))
    return found
