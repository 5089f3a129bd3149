"""A newsroom's glossary: Dutch terms with a fixed English rendering, and names that must not be translated.

Translation models render ``Tweede Kamer`` as "Second Chamber" one day and "House of Representatives" the next,
and now and then translate a programme title or a brand. A glossary fixes that. Each term matches whole words
(case-insensitively when the term is written in lower case, exactly otherwise), longest term first. One
Aho-Corasick automaton over all terms proposes the candidates, so a sentence costs about the same with 50 terms
or 50,000; each candidate is confirmed by the rules of the regular expression that used to do all the matching.

How it is enforced works with any model and either backend: the English term is put into the Dutch sentence
before translation (Marian models copy words they do not know, and English words in a Dutch sentence are such
words); the output is then checked. When the term is missing, the original sentence is translated too and a
copied Dutch term in that output is replaced by the English one ("repaired"). Whatever happens, every hit is
recorded with its status (``honoured``, ``repaired`` or ``missing``), so nothing fails silently.

A glossary file is TSV or CSV (by its extension; otherwise tab if the first row has one): Dutch term, English
term. An empty English term means "keep": do not translate it. Lines starting with ``#`` are comments; a first
row ``dutch,english`` (or ``nl,en``, ``source,target``) is a header. A cell is one line (a quote left open
is an error, not the rest of the file as one term), a term is at most ``MAX_TERM_CHARS`` characters without
control characters, and a row of colon-separated fields (``/etc/passwd``) is refused: what is not a glossary
fails with its line number instead of loading as a few odd "keep" terms.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from beknopt.options import ConfigError

__all__ = ["Glossary", "GlossaryError", "GlossaryHit", "Term", "load_glossary"]

HONOURED, REPAIRED, MISSING = "honoured", "repaired", "missing"
_HEADERS = {("dutch", "english"), ("nl", "en"), ("source", "target"), ("nederlands", "engels"),
            ("term", "translation"), ("dutch term", "english term")}
MAX_TERMS = 50_000
MAX_TERM_CHARS = 200  # a name or a phrase; anything longer is a sign the file is not a glossary
MAX_FILE_BYTES = 32 * 1024 * 1024  # 50,000 rows of two 200-character terms fit; /dev/zero does not
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line ends the csv module knows
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab allowed: it separates TSV cells


class GlossaryError(ConfigError):
    """The glossary cannot be read or holds a bad row (exit 2 on the command line)."""


@dataclass(frozen=True)
class Term:
    """One glossary entry; ``english == dutch`` means "keep as it is"."""

    dutch: str
    english: str

    @property
    def keep(self) -> bool:
        return self.english == self.dutch

    @property
    def folds_case(self) -> bool:
        """A lower-case term matches any case (``kabinet`` matches ``Kabinet``); others match exactly."""
        return self.dutch == self.dutch.lower()


@dataclass(frozen=True)
class GlossaryHit:
    """A term found in one source sentence (``count`` times) and what became of it in the translation."""

    term: str  # the Dutch term as the glossary writes it
    english: str
    found: str  # the text as the sentence writes it (first occurrence)
    count: int
    status: str  # honoured | repaired | missing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _words_pattern(text: str) -> str:
    """The term as a regex whose spaces match any run of whitespace."""
    return r"\s+".join(re.escape(part) for part in text.split())


def _whole(pattern: str, fold: bool) -> str:
    body = f"(?<!\\w)(?:{pattern})(?!\\w)"
    return f"(?i:{body})" if fold else body


# Characters that re's IGNORECASE treats as equal but whose one-character lower(upper(lower(c))) differs: their
# upper case is several characters. tests/test_hardening_glossary.py checks this against re for every code point.
_SAME_UPPER = {"\u1fd3": "\u0390", "\u1fe3": "\u03b0", "\ufb05": "\ufb06"}


class _Folding(dict[int, str]):
    """``str.translate`` table, filled as characters are seen: one character to one, so that places in the folded
    text map back to the text. Any two characters re's IGNORECASE matches to each other fold alike (more may:
    ``find`` confirms every candidate with re's own rules), and every whitespace character folds to a space."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char.isspace():
            folded = " "
        else:
            lower = char.lower()
            folded = lower[0] if lower else char  # "İ".lower() is "i" + a combining dot; re matches it to "i"
            upper = folded.upper()
            if len(upper) == 1 and len(upper.lower()) == 1:
                folded = upper.lower()  # "ſ" -> "s", "ı" -> "i", "µ" -> "μ": one upper case, one key
            folded = _SAME_UPPER.get(folded, folded)
        self[code] = folded
        return folded


_FOLDING = _Folding()


def _fold(text: str) -> tuple[str, list[int] | None]:
    """The text case-folded with each whitespace run as one space, and where each of its characters starts in
    ``text`` (``None`` when that is the same place: no run of two or more whitespace characters)."""
    folded = text.translate(_FOLDING)
    if "  " not in folded:
        return folded, None
    starts = [i for i, char in enumerate(folded) if char != " " or i == 0 or folded[i - 1] != " "]
    return "".join(folded[i] for i in starts), starts


def _is_word(char: str) -> bool:
    """What re's ``\\w`` matches (str patterns): a letter, digit or number, or the underscore."""
    return char.isalnum() or char == "_"


@functools.lru_cache(maxsize=4096)
def _same_letter(term_char: str, text_char: str) -> bool:
    """Whether ``(?i:term_char)`` matches ``text_char``: re's own case rules (one character to one; "İ" is "i")."""
    return re.fullmatch(f"(?i:{re.escape(term_char)})", text_char) is not None


def _same_ignoring_case(written: list[str], words: list[str]) -> bool:
    """The words of the text against a lower-case term's, as its case-insensitive regex compares them."""
    return len(written) == len(words) and all(
        len(a) == len(b) and all(x == y or _same_letter(y, x) for x, y in zip(a, b, strict=True))
        for a, b in zip(written, words, strict=True))


Candidates = tuple[tuple[int, Term, list[str]], ...]


def _automaton(terms: Sequence[Term], origin: str) -> ahocorasick.Automaton | None:
    """One automaton over the folded terms; each key holds (length, its terms by rank). Rank is the order of the
    old regex alternation, longest term first (then by spelling): "Tweede Kamer" wins over "Kamer" at one place."""
    if not terms:
        return None
    keyed: dict[str, list[tuple[int, Term, list[str]]]] = {}
    for rank, term in enumerate(sorted(terms, key=lambda t: (-len(t.dutch), t.dutch))):
        words = term.dutch.split()
        if not words:
            raise GlossaryError(f"{origin}: empty Dutch term")
        keyed.setdefault(" ".join(words).translate(_FOLDING), []).append((rank, term, words))
    automaton = ahocorasick.Automaton()
    for key, candidates in keyed.items():
        automaton.add_word(key, (len(key), tuple(candidates)))
    automaton.make_automaton()
    return automaton


class Glossary:
    """Terms to find in Dutch sentences and to enforce in their translations."""

    def __init__(self, terms: Iterable[Term], origin: str = "glossary") -> None:
        self.terms: list[Term] = list(terms)
        self.origin = origin
        by_dutch: dict[str, Term] = {}
        for term in self.terms:
            key = term.dutch.lower() if term.folds_case else term.dutch
            if key in by_dutch and by_dutch[key].english != term.english:
                raise GlossaryError(f"{origin}: '{term.dutch}' is given twice, as '{by_dutch[key].english}' "
                                    f"and as '{term.english}'")
            by_dutch[key] = term
        self.terms = list(by_dutch.values())
        self._automaton = _automaton(self.terms, origin)

    def __len__(self) -> int:
        return len(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    # -- matching ---------------------------------------------------------------------------------------

    def find(self, text: str) -> list[tuple[int, int, Term]]:
        """Non-overlapping (start, end, term) matches, left to right, the longest term at each place.

        Exactly the matches of one regex alternation of all terms, longest first (what this was before), in time
        linear in the text instead of in the number of terms: the automaton proposes candidates, each checked as
        the term's regex ``(?<!\\w)Tweede\\s+Kamer(?!\\w)`` (``(?i:...)`` for a lower-case term) would."""
        best: dict[int, tuple[int, int, Term]] = {}  # start -> (rank, end, term): the best term matching there
        for begin, end, candidates in self._proposed(text):
            if (begin and _is_word(text[begin - 1])) or (end < len(text) and _is_word(text[end])):
                continue  # not a whole word
            held = best.get(begin)
            written = text[begin:end].split()
            for rank, term, words in candidates:  # by rank, so the first that matches is the best of them
                if held is not None and held[0] < rank:
                    break
                if written == words or (term.folds_case and _same_ignoring_case(written, words)):
                    best[begin] = (rank, end, term)
                    break
        found: list[tuple[int, int, Term]] = []
        end = 0
        for begin in sorted(best):
            if begin >= end:
                _, end, term = best[begin]
                found.append((begin, end, term))
        return found

    def _proposed(self, text: str) -> Iterator[tuple[int, int, Candidates]]:
        """(start, end, terms) wherever the text holds a term's folded key, whole word or not: a superset of the
        matches, in one pass of the automaton whatever the number of terms."""
        if self._automaton is None:
            return
        folded, starts = _fold(text)
        for last, (length, candidates) in self._automaton.iter(folded):
            if starts is None:
                yield last - length + 1, last + 1, candidates
            else:
                yield starts[last - length + 1], starts[last] + 1, candidates

    def prepare(self, sentence: str) -> tuple[str, dict[Term, tuple[str, int]]]:
        """The sentence with each term replaced by its English form, and the terms found (first text, count)."""
        found: dict[Term, tuple[str, int]] = {}
        pieces: list[str] = []
        last = 0
        for start, end, term in self.find(sentence):
            text = sentence[start:end]
            first, count = found.get(term, (text, 0))
            found[term] = (first, count + 1)
            pieces += [sentence[last:start], text if term.keep else _cased(term.english, text, term)]
            last = end
        pieces.append(sentence[last:])
        return "".join(pieces), found

    @staticmethod
    def count_in(output: str, term: Term) -> int:
        """How often the English term is in a translation (case folded when it is written in lower case)."""
        fold = term.english == term.english.lower()
        return len(re.findall(_whole(_words_pattern(term.english), fold), output))

    def repair(self, output: str, term: Term) -> tuple[str, int]:
        """Replace the Dutch term, copied into a translation, by the English term; returns the new text and how
        many were replaced."""
        if term.keep:
            return output, 0
        pattern = re.compile(_whole(_words_pattern(term.dutch), term.folds_case))
        return pattern.subn(lambda m: _cased(term.english, m.group(0), term), output)

    # -- identity -----------------------------------------------------------------------------------------

    def digest(self) -> str:
        """A hash of the terms (not of the file's path or layout): a changed glossary redoes articles on resume."""
        rows = sorted([t.dutch, t.english] for t in self.terms)
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {"terms": len(self.terms), "keep": sum(t.keep for t in self.terms), "sha256": self.digest()}

    def to_mapping(self) -> dict[str, str]:
        """Dutch -> English ("" for keep), the form a ``beknopt.toml`` inline table takes."""
        return {t.dutch: "" if t.keep else t.english for t in self.terms}

    # -- reading ------------------------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str], keep: Sequence[str] = (), origin: str = "glossary"
                     ) -> Glossary:
        terms = []
        for dutch, english in mapping.items():
            if not isinstance(dutch, str) or not isinstance(english, str | None):
                raise GlossaryError(f"{origin}: terms must be text, got {dutch!r}: {english!r}")
            terms.append(_term(dutch, english or "", origin))
        terms += [_term(k, "", origin) for k in keep]
        return cls(terms, origin)

    @classmethod
    def from_file(cls, path: str | Path, keep: Sequence[str] = ()) -> Glossary:
        path = Path(path)
        try:
            with path.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)  # bounded: a device or a huge file is not read to the end
        except OSError as exc:
            raise GlossaryError(f"cannot read glossary {path}: {exc.strerror or exc}") from exc
        if len(raw) > MAX_FILE_BYTES:
            raise GlossaryError(f"{path}: glossary is over {MAX_FILE_BYTES // 2**20} MiB; at most {MAX_TERMS:,} "
                                f"terms of at most {MAX_TERM_CHARS} characters fit in far less")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GlossaryError(f"{path}: glossary is not UTF-8 (byte {exc.start})") from exc
        return cls(parse_rows(text, path.name, path.suffix.lower()) + [_term(k, "", str(path)) for k in keep],
                   str(path))


def _cased(english: str, found: str, term: Term) -> str:
    """A case-folded term at the start of a sentence keeps its capital: ``Kabinet`` -> ``Cabinet``."""
    if term.folds_case and found[:1].isupper() and english[:1].islower():
        return english[:1].upper() + english[1:]
    return english


def _term(dutch: str, english: str, origin: str, where: str = "") -> Term:
    for side, text in (("Dutch", dutch), ("English", english)):
        if control := _CONTROL.search(text):
            raise GlossaryError(f"{origin}{where}: control character U+{ord(control.group()):04X} in the {side} "
                                f"term; a glossary is plain text")
    dutch, english = " ".join(dutch.split()), " ".join(english.split())
    if not dutch:
        raise GlossaryError(f"{origin}{where}: empty Dutch term")
    if not re.search(r"\w", dutch):
        raise GlossaryError(f"{origin}{where}: the Dutch term {dutch!r} has no letters or digits")
    for side, text in (("Dutch", dutch), ("English", english)):
        if len(text) > MAX_TERM_CHARS:
            raise GlossaryError(f"{origin}{where}: the {side} term is {len(text):,} characters; a glossary term is "
                                f"at most {MAX_TERM_CHARS}")
    return Term(dutch, english or dutch)


def parse_rows(text: str, name: str, suffix: str = "") -> list[Term]:
    """The terms of a TSV or CSV glossary; every bad row is an error that names its line.

    Each line is parsed on its own: no glossary cell spans lines, and a quote left open must not swallow the
    rest of the file into one term (which is what parsing the whole text with ``csv`` does)."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    delimiter = "\t" if suffix in (".tsv", ".tab") or (suffix != ".csv" and "\t" in first) else ","
    if control := _CONTROL.search(text):
        number = len(_LINE_BREAK.findall(text, 0, control.start())) + 1
        raise GlossaryError(f"{name} line {number}: control character U+{ord(control.group()):04X}; a glossary is "
                            f"plain text (is this a binary file?)")
    terms: list[Term] = []
    header_seen = False
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        where = f"{name} line {number}"
        if not line.strip() or line.split(delimiter, 1)[0].strip().startswith("#"):
            continue  # blank, or a comment (not parsed: a quote in a comment is no error)
        cells = [c.strip() for c in _cells(line, delimiter, where)]
        if not any(cells) or cells[0].startswith("#"):
            continue
        while cells and not cells[-1]:
            cells.pop()
        if not header_seen:
            header_seen = True
            if tuple(c.lower() for c in cells[:2]) in _HEADERS:
                continue
        if len(cells) > 2:
            raise GlossaryError(f"{where}: {len(cells)} columns, expected 2 (Dutch term, English "
                                f"term{'; is it comma-separated?' if delimiter == chr(9) else ''})")
        colons = max(cell.count(":") for cell in cells)
        if colons >= 3:
            # not echoed: the line of a system file such as /etc/shadow is not for a log
            raise GlossaryError(f"{where}: a cell with {colons} ':' looks like a colon-separated system file "
                                f"(/etc/passwd, /etc/shadow), not a glossary row")
        terms.append(_term(cells[0], cells[1] if len(cells) > 1 else "", name, f" line {number}"))
        if len(terms) > MAX_TERMS:
            raise GlossaryError(f"{name}: more than {MAX_TERMS} terms")
    if not terms:
        raise GlossaryError(f"{name}: glossary has no terms")
    return terms


def _cells(line: str, delimiter: str, where: str) -> list[str]:
    """One line's cells; the newline given to the parser shows up inside a cell only when a quote is left open."""
    try:
        cells = next(csv.reader([line + "\n"], delimiter=delimiter))
    except csv.Error as exc:  # in practice only a cell over the csv module's field size limit
        if "field limit" in str(exc):
            raise GlossaryError(f"{where}: a cell of more than {csv.field_size_limit():,} characters; a glossary "
                                f"term is at most {MAX_TERM_CHARS}") from exc
        raise GlossaryError(f"{where}: not a valid CSV/TSV row ({exc})") from exc
    if any("\n" in cell for cell in cells):
        raise GlossaryError(f"{where}: a quote (\") opens a cell that does not end on this line; a glossary cell "
                            f"cannot span lines (a missing closing quote?)")
    return cells


GlossarySpec = str | Path | Mapping[str, str] | Glossary | None


def load_glossary(spec: GlossarySpec, keep: Sequence[str] = ()) -> Glossary | None:
    """A glossary from a file path, a Dutch -> English mapping or a ``Glossary``, plus ``keep`` terms;
    ``None`` when there is nothing."""
    if isinstance(spec, Glossary):
        return Glossary([*spec.terms, *(_term(k, "", spec.origin) for k in keep)], spec.origin) if keep else spec
    if isinstance(spec, str | Path):
        return Glossary.from_file(spec, keep)
    if isinstance(spec, Mapping):
        return Glossary.from_mapping(spec, keep)
    if spec is None:
        return Glossary.from_mapping({}, keep, origin="keep") if keep else None
    raise GlossaryError(f"glossary must be a file path, a mapping of Dutch to English terms or a Glossary, "
                        f"not {type(spec).__name__}")
