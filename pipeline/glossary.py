"""A newsroom's glossary: Dutch terms with a fixed English rendering, and names that must not be translated.

Translation models render ``Tweede Kamer`` as "Second Chamber" one day and "House of Representatives" the next,
and now and then translate a programme title or a brand. A glossary fixes that. Each term matches whole words
(case-insensitively when the term is written in lower case, exactly otherwise), longest term first.

How it is enforced works with any model and either backend: the English term is put into the Dutch sentence
before translation (Marian models copy words they do not know, and English words in a Dutch sentence are such
words); the output is then checked. When the term is missing, the original sentence is translated too and a
copied Dutch term in that output is replaced by the English one ("repaired"). Whatever happens, every hit is
recorded with its status (``honoured``, ``repaired`` or ``missing``), so nothing fails silently.

A glossary file is TSV or CSV (by its extension; otherwise tab if the first row has one): Dutch term, English
term. An empty English term means "keep": do not translate it. Lines starting with ``#`` are comments; a first
row ``dutch,english`` (or ``nl,en``, ``source,target``) is a header.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from beknopt.options import ConfigError

__all__ = ["Glossary", "GlossaryError", "GlossaryHit", "Term", "load_glossary"]

HONOURED, REPAIRED, MISSING = "honoured", "repaired", "missing"
_HEADERS = {("dutch", "english"), ("nl", "en"), ("source", "target"), ("nederlands", "engels"),
            ("term", "translation"), ("dutch term", "english term")}
MAX_TERMS = 50_000


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
        # Longest first, so "Tweede Kamer" wins over "Kamer" where both match at the same place.
        ordered = sorted(self.terms, key=lambda t: (-len(t.dutch), t.dutch))
        self._pattern = (re.compile("|".join(f"({_whole(_words_pattern(t.dutch), t.folds_case)})"
                                             for t in ordered)) if ordered else None)
        self._ordered = ordered

    def __len__(self) -> int:
        return len(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    # -- matching ---------------------------------------------------------------------------------------

    def find(self, text: str) -> list[tuple[int, int, Term]]:
        """Non-overlapping (start, end, term) matches, left to right, the longest term at each place."""
        if self._pattern is None:
            return []
        return [(m.start(), m.end(), self._ordered[m.lastindex - 1]) for m in self._pattern.finditer(text)
                if m.lastindex]

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
            raw = path.read_bytes()
        except OSError as exc:
            raise GlossaryError(f"cannot read glossary {path}: {exc.strerror or exc}") from exc
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
    dutch, english = " ".join(dutch.split()), " ".join(english.split())
    if not dutch:
        raise GlossaryError(f"{origin}{where}: empty Dutch term")
    if not re.search(r"\w", dutch):
        raise GlossaryError(f"{origin}{where}: the Dutch term {dutch!r} has no letters or digits")
    return Term(dutch, english or dutch)


def parse_rows(text: str, name: str, suffix: str = "") -> list[Term]:
    """The terms of a TSV or CSV glossary; every bad row is an error that names its line."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    delimiter = "\t" if suffix in (".tsv", ".tab") or (suffix != ".csv" and "\t" in first) else ","
    terms: list[Term] = []
    header_seen = False
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        while cells and not cells[-1]:
            cells.pop()
        if not header_seen:
            header_seen = True
            if tuple(c.lower() for c in cells[:2]) in _HEADERS:
                continue
        if len(cells) > 2:
            raise GlossaryError(f"{name} line {number}: {len(cells)} columns, expected 2 (Dutch term, English "
                                f"term{'; is it comma-separated?' if delimiter == chr(9) else ''})")
        terms.append(_term(cells[0], cells[1] if len(cells) > 1 else "", name, f" line {number}"))
        if len(terms) > MAX_TERMS:
            raise GlossaryError(f"{name}: more than {MAX_TERMS} terms")
    if not terms:
        raise GlossaryError(f"{name}: glossary has no terms")
    return terms


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
