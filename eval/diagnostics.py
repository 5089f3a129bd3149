"""Reference-free summary diagnostics: length, compression, novelty, redundancy and faithfulness flags.

ROUGE says how close a summary is to one reference; these say what kind of summary it is (copying or
abstracting, repeating itself) and point at the cheapest-to-spot hallucinations: numbers and capitalised names
that occur nowhere in the source. The flags are heuristics for a human to check, not a verdict.

Numbers are compared by value so that "5,200", "5.200" and "5200" match (Dutch and English thousands
separators), "3,5" matches "3.5", "5.2 million" matches "5.200.000", and single-word English numbers
("twelve") match digits. A name is a capitalised word (not a common sentence-initial word) whose
accent-folded, lowercased form is not a word of the source texts; the English translation and the Dutch
original are both searched.

``Diagnostics`` is the same as a ``Metric``: corpus means with intervals, plus the faithfulness rates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .metric import Metric, MetricResult, Sources, Values, document_sources
from .scores import Bootstrap, Score, Signature, package_version, resampling_fields

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


@dataclass
class SummaryDiagnostics:
    """Per-document diagnostics; ratios are ``None`` where undefined (no source, or too short a summary).

    ``numbers``/``names`` count distinct numbers/names in the summary; the ``unsupported_*`` lists hold the
    distinct ones found in none of the sources (empty when no source was given).
    """

    summary_words: int
    source_words: int | None
    compression_ratio: float | None
    novel_1: float | None
    novel_2: float | None
    novel_3: float | None
    repeated_3: float | None
    numbers: int = 0
    names: int = 0
    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def words(text: str) -> list[str]:
    """Lowercased word tokens (letters and digits; punctuation splits)."""
    return WORD_RE.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def novel_ngram_ratio(summary: Sequence[str], source: Sequence[str], n: int) -> float | None:
    """Share of the summary's n-gram occurrences that never occur in the source."""
    grams = ngrams(summary, n)
    if not grams:
        return None
    seen = set(ngrams(source, n))
    return sum(g not in seen for g in grams) / len(grams)


def repeated_ngram_ratio(tokens: Sequence[str], n: int = 3) -> float | None:
    """Share of n-gram occurrences that repeat an earlier one: 1 - distinct / total (0 = no redundancy)."""
    grams = ngrams(tokens, n)
    if not grams:
        return None
    return 1.0 - len(set(grams)) / len(grams)


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
            values.add(
                _decimal(re.sub(r"[., ]", "", head) + "." + tail)
            )  # last separator is the decimal point
    return {v for v in values if v is not None}


def extract_numbers(text: str, number_words: dict[str, int] = NUMBER_WORDS) -> list[tuple[str, set[Decimal]]]:
    """Numbers in digits (a following million/miljoen etc. also reads as the product) and number words."""
    found: list[tuple[str, set[Decimal]]] = []
    for match in NUMBER_RE.finditer(text):
        values = number_values(match.group())
        following = re.match(r"\s*([^\W\d_]+)", text[match.end() :])
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


def extract_names(text: str) -> list[str]:
    """Capitalised words that are not common sentence-initial words ("Rutte's" -> "Rutte")."""
    names = []
    for match in NAME_RE.finditer(text):
        token = re.sub(r"[’']s?$", "", match.group()).strip("-’'")
        if not token or not token[0].isupper() or token.lower() in NOT_NAMES:
            continue
        if token.lower() in NUMBER_WORDS:
            continue
        names.append(token)
    return names


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def diagnose(summary: str, sources: Sequence[str | None]) -> SummaryDiagnostics:
    """Diagnostics of one summary; ``sources[0]`` is the text it was made from (for length and novelty), the
    rest (e.g. the Dutch original) are only searched for numbers and names."""
    summary_tokens = words(summary)
    main = sources[0] if sources else None
    source_tokens = words(main) if main else None
    n_summary = len(summary_tokens)
    n_source = len(source_tokens) if source_tokens is not None else None

    novel = {n: None for n in (1, 2, 3)}
    if source_tokens is not None:
        novel = {n: novel_ngram_ratio(summary_tokens, source_tokens, n) for n in (1, 2, 3)}

    texts = [s for s in sources if s]
    unsupported_numbers: list[str] = []
    unsupported_names: list[str] = []
    numbers = extract_numbers(summary)
    names = extract_names(summary)
    n_numbers = len(_unique(tok for tok, _ in numbers))
    n_names = len(_unique(names))
    if texts:
        source_values: set[Decimal] = set()
        source_words: set[str] = set()
        for text in texts:
            for _, values in extract_numbers(text, SOURCE_NUMBER_WORDS):
                source_values |= values
            source_words |= {fold(w) for w in WORD_RE.findall(text)}
            source_words |= {fold(w) for w in re.findall(r"[^\W\d_][\w\-]*", text)}  # hyphenated words whole
        unsupported_numbers = _unique(tok for tok, values in numbers if not values & source_values)
        unsupported_names = _unique(
            name
            for name in names
            if fold(name) not in source_words
            and not all(fold(p) in source_words for p in name.split("-") if p)
        )
    return SummaryDiagnostics(
        summary_words=n_summary,
        source_words=n_source,
        compression_ratio=(n_source / n_summary) if n_source is not None and n_summary else None,
        novel_1=novel[1],
        novel_2=novel[2],
        novel_3=novel[3],
        repeated_3=repeated_ngram_ratio(summary_tokens, 3),
        numbers=n_numbers,
        names=n_names,
        unsupported_numbers=unsupported_numbers,
        unsupported_names=unsupported_names,
    )


DIAGNOSTIC_FIELDS = (
    "summary_words",
    "source_words",
    "compression_ratio",
    "novel_1",
    "novel_2",
    "novel_3",
    "repeated_3",
)


def corpus_rates(diagnostics: Sequence[SummaryDiagnostics]) -> dict[str, float | None]:
    """Faithfulness rates: share of documents with a flag, and share of numbers/names that are flagged."""
    n = len(diagnostics)
    numbers = sum(d.numbers for d in diagnostics)
    names = sum(d.names for d in diagnostics)
    return {
        "docs_with_unsupported_numbers": sum(bool(d.unsupported_numbers) for d in diagnostics) / n
        if n
        else None,
        "docs_with_unsupported_names": sum(bool(d.unsupported_names) for d in diagnostics) / n if n else None,
        "unsupported_number_rate": sum(len(d.unsupported_numbers) for d in diagnostics) / numbers
        if numbers
        else None,
        "unsupported_name_rate": sum(len(d.unsupported_names) for d in diagnostics) / names
        if names
        else None,
    }


# Corpus share of documents with a flag: the per-document value is 1.0 when the list is not empty.
FLAGS = {"docs_with_unsupported_numbers": "unsupported_numbers", "docs_with_unsupported_names": "unsupported_names"}


class Diagnostics(Metric):
    """The summary diagnostics as a metric: means of the per-document diagnostics (with intervals) and the
    faithfulness rates of :func:`corpus_rates` (without: they are ratios of corpus totals).

    Without sources only ``summary_words`` and ``repeated_3`` are defined, and nothing is flagged in the
    corpus scores. ``source_label`` names what the sources are (``source``, ``translation``; ``none``).
    """

    names = (*DIAGNOSTIC_FIELDS, *FLAGS, "unsupported_number_rate", "unsupported_name_rate")
    section = "diagnostics"

    def __init__(self, source_label: str = "source") -> None:
        self.source_label = source_label

    def diagnose(self, predictions: Sequence[str], sources: Sources | None = None) -> list[SummaryDiagnostics]:
        docs = document_sources(sources, len(predictions))
        return [diagnose(p, docs[i] if docs is not None else [None]) for i, p in enumerate(predictions)]

    @staticmethod
    def _has_source(sources: Sources | None) -> bool:
        docs = document_sources(sources, len(sources)) if sources is not None else None
        return docs is not None and any(d and d[0] is not None for d in docs)

    @staticmethod
    def _values(diagnostics: Sequence[SummaryDiagnostics], with_source: bool) -> Values:
        values: Values = {key: [getattr(d, key) for d in diagnostics] for key in DIAGNOSTIC_FIELDS}
        if with_source:
            values.update({key: [float(bool(getattr(d, attr))) for d in diagnostics] for key, attr in FLAGS.items()})
        return values

    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        return self._values(self.diagnose(predictions, sources), self._has_source(sources))

    def corpus(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
               bootstrap: Bootstrap | None = None, values: Values | None = None) -> dict[str, Score]:
        """Means and rates; the rates need each document's counts, so the documents are always diagnosed."""
        return self.score(predictions, references, sources, bootstrap=bootstrap).scores

    def score(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None, *,
              bootstrap: Bootstrap | None = None) -> MetricResult:
        """The means and rates, with each document's ``SummaryDiagnostics`` as ``details``."""
        found = self.diagnose(predictions, sources)
        with_source = self._has_source(sources)
        values = self._values(found, with_source)
        scores = self.aggregate(values, bootstrap)
        if with_source:
            for key, value in corpus_rates(found).items():
                if key not in scores and value is not None:
                    scores[key] = Score(key, value, None, None, self.signature(key).format())
        return MetricResult(scores, values, details=found)

    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        return Signature(name, {
            "tok": "beknopt-words",
            "case": "lc",
            "src": self.source_label,
            "agg": "mean",
            **resampling_fields(bootstrap),
            "beknopt": package_version("beknopt"),
        })
