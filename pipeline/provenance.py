"""Provenance of every summary sentence: which source sentences it rests on, and how well.

An editor cannot publish a machine summary without knowing where each of its sentences came from. This stage
runs after the summariser and fills ``result.summary_sentences``: the summary split into sentences, each as
``{"text", "sources", "support"}``, where ``sources`` are indices into ``result.sentences`` /
``result.translations`` (best first) and ``support`` is in [0, 1].

Method
------
1. **Sentences.** If the summary is, whitespace aside, a sequence of whole translated sentences (the lead
   summariser, or a model that copied), it is cut exactly there: each piece's source is the sentence it copies
   (the next one in article order is preferred, so a lead summary maps to sentences 0, 1, 2...) with support
   1.0. Otherwise it is cut by beknopt's own splitter in English mode (``split_sentences(lang="en")``).
2. **Scores.** Every summary sentence and every English source sentence is tokenised once with
   ``rouge-score``'s own tokenizer (lowercase, ASCII letters and digits, Porter stemmer: the settings of
   ``beknopt eval``'s ROUGE). The score of a summary sentence against a set of source sentences is the mean of
   its ROUGE-1 and ROUGE-2 *precision* against them (ROUGE-1 alone for a one-word sentence): the share of the
   summary sentence's words and word pairs that the sources contain, clipped counts as in ROUGE. For one source
   it is exactly ``RougeScorer(["rouge1", "rouge2"], use_stemmer=True).score(source, sentence)``'s precision;
   for several, their n-gram counts are added (word pairs across two sources are not made up).
3. **Greedy cover.** The best single source comes first (ties: higher ROUGE-1 F1, then the earlier sentence).
   A sentence that fuses several source sentences then takes, one at a time, the source that raises the score
   most, while the gain is at least ``MIN_GAIN``, the new source covers a word pair of the sentence that the
   others do not (shared function words alone add no source), and it has fewer than ``MAX_SOURCES``.
   ``support`` is the score of the sentence against all its sources.

Alignment is always against ``result.translations``, never against the partial summaries of a map-reduce
summary, so a long article's summary points at the article's own sentences.

Checks (when ``config.checks`` is on) go to ``result.checks`` as ``kind: "summary-support"`` records (``stage``
``summarise``; ``sentence`` indexes ``summary_sentences``; ``source`` is the best source's English sentence) and
one warning each: support below ``SUPPORT_THRESHOLD``, and each number or name of the sentence found in no source
sentence (English or Dutch), by ``beknopt.checks.unsupported``, the same function as ``beknopt eval``'s
summary diagnostics.

Limits
------
Lexical overlap is evidence of provenance, not of faithfulness: a sentence that reuses the source's words with
the meaning changed ("not" dropped, roles swapped, two facts wrongly joined) still scores high, and a correct
paraphrase with new words scores low. Stemming helps with inflection only, not synonyms; non-ASCII letters
are dropped by ROUGE's tokenizer (both sides alike). Function words count, so an unrelated sentence rarely
scores 0. The threshold is a hint for a reader, set so that the copied and lightly edited sentences of
extractive-style summaries pass and mostly-new sentences do not; it is not calibrated against human judgements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from beknopt.checks.finding import Finding
from beknopt.checks.unsupported import SourceFacts, find_unsupported
from beknopt.document import Document
from beknopt.split import split_sentences
from beknopt.stage import PROVENANCE, SUMMARISE, DocumentStage

__all__ = ["MAX_SOURCES", "MIN_GAIN", "SUPPORT_THRESHOLD", "Aligner", "ProvenanceStage", "SummarySentence",
           "align_summary", "split_summary", "summary_findings"]

SUPPORT_THRESHOLD = 0.35  # a summary sentence below this is recorded as weakly supported
MIN_GAIN = 0.1  # a further source must raise the support by this much to be listed
MAX_SOURCES = 3
METHOD = "rouge-score tokenizer with Porter stemmer; mean of ROUGE-1/ROUGE-2 precision; greedy cover"
KIND = "summary-support"


@dataclass(frozen=True)
class SummarySentence:
    """One sentence of a summary with the source sentences it rests on (best first) and its support."""

    text: str
    sources: list[int]
    support: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "sources": list(self.sources), "support": round(self.support, 4)}


@cache
def _tokenizer() -> Any:
    from rouge_score.tokenizers import DefaultTokenizer

    return DefaultTokenizer(use_stemmer=True)


def _rouge_version() -> str:
    try:
        return version("rouge-score")
    except PackageNotFoundError:  # pragma: no cover - rouge-score is a dependency
        return "unknown"


Grams = tuple[Counter[tuple[str, ...]], Counter[tuple[str, ...]]]


def _grams(text: str) -> Grams:
    tokens = _tokenizer().tokenize(text)
    return Counter((t,) for t in tokens), Counter(zip(tokens, tokens[1:], strict=False))


def _precision(pred: Counter[tuple[str, ...]], *targets: Counter[tuple[str, ...]]) -> float:
    """ROUGE-n precision of ``pred`` against the summed n-gram counts of ``targets`` (clipped counts)."""
    total = sum(pred.values())
    if not total:
        return 0.0
    return sum(min(n, sum(t[g] for t in targets)) for g, n in pred.items()) / total


def _f1(pred: Counter[tuple[str, ...]], target: Counter[tuple[str, ...]]) -> float:
    overlap = sum((pred & target).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(target.values())
    return 2 * precision * recall / (precision + recall)


class Aligner:
    """The English source sentences of one article, tokenised once, to align summary sentences against."""

    def __init__(self, sources: Sequence[str], *, min_gain: float = MIN_GAIN, max_sources: int = MAX_SOURCES) -> None:
        if max_sources < 1:
            raise ValueError(f"max_sources must be at least 1, got {max_sources}")
        self.sources = list(sources)
        self.min_gain = min_gain
        self.max_sources = max_sources
        self._grams = [_grams(s) for s in self.sources]

    def score(self, sentence: str, sources: Sequence[int]) -> float:
        """Mean ROUGE-1/ROUGE-2 precision of ``sentence`` against the given source sentences (see module doc)."""
        return self._score(_grams(sentence), sources)

    def _score(self, grams: Grams, sources: Sequence[int]) -> float:
        one, two = grams
        p1 = _precision(one, *(self._grams[i][0] for i in sources))
        if not two:
            return p1
        return (p1 + _precision(two, *(self._grams[i][1] for i in sources))) / 2

    def _adds_pair(self, pairs: Counter[tuple[str, ...]], chosen: Sequence[int], candidate: int) -> bool:
        """Does ``candidate`` cover a word pair of the sentence the chosen sources do not? (Shared function
        words alone never make a sentence rest on one more source.)"""
        covered = {g for i in chosen for g in self._grams[i][1] if g in pairs}
        return any(g in pairs and g not in covered for g in self._grams[candidate][1])

    def align(self, sentence: str) -> SummarySentence:
        """The sources of one summary sentence, best first, by greedy cover (see the module docstring)."""
        grams = _grams(sentence)
        if not sum(grams[0].values()) or not self.sources:
            return SummarySentence(sentence, [], 0.0)
        singles = [(self._score(grams, [i]), _f1(grams[0], self._grams[i][0]), -i) for i in range(len(self.sources))]
        best_score, _, best = max(singles)
        if best_score <= 0:
            return SummarySentence(sentence, [], 0.0)
        chosen, support = [-best], best_score
        while len(chosen) < self.max_sources and support < 1.0:
            gains = [(self._score(grams, [*chosen, i]), -i) for i in range(len(self.sources))
                     if i not in chosen and self._adds_pair(grams[1], chosen, i)]
            if not gains:
                break
            score, neg = max(gains)
            if score - support < self.min_gain:
                break
            chosen.append(-neg)
            support = score
        return SummarySentence(sentence, chosen, min(1.0, support))


def _tile(summary: str, sources: Sequence[str]) -> list[tuple[str, int]] | None:
    """The summary as whole source sentences joined by whitespace, or None where it is not one."""
    text = " ".join(summary.split())
    norm = [" ".join(s.split()) for s in sources]
    out: list[tuple[str, int]] = []
    pos, prev = 0, -1
    while pos < len(text):
        fits = [i for i, s in enumerate(norm)
                if s and text.startswith(s, pos) and (pos + len(s) == len(text) or text[pos + len(s)] == " ")]
        if not fits:
            return None
        following = next((i for i in range(prev + 1, len(norm)) if norm[i]), None)
        pick = following if following in fits else max(fits, key=lambda i: (len(norm[i]), -i))
        out.append((norm[pick], pick))
        pos += len(norm[pick]) + 1
        prev = pick
    return out


def split_summary(summary: str, sources: Sequence[str] = ()) -> list[str]:
    """The summary's sentences: cut at copied source sentences when it is made of them, else by the splitter."""
    tiled = _tile(summary, sources) if sources else None
    if tiled is not None:
        return [text for text, _ in tiled]
    return [s for s in split_sentences(summary, lang="en") if s.strip()]


def align_summary(summary: str, sources: Sequence[str], *, min_gain: float = MIN_GAIN,
                  max_sources: int = MAX_SOURCES) -> list[SummarySentence]:
    """Each sentence of ``summary`` with the indices of the English ``sources`` it rests on and its support."""
    if not summary.strip():
        return []
    tiled = _tile(summary, sources) if sources else None
    if tiled is not None:
        return [SummarySentence(text, [i], 1.0) for text, i in tiled]
    aligner = Aligner(sources, min_gain=min_gain, max_sources=max_sources)
    return [aligner.align(s) for s in split_summary(summary)]


def summary_findings(sentences: Sequence[SummarySentence], sources: Sequence[str], facts: SourceFacts, *,
                     threshold: float = SUPPORT_THRESHOLD) -> list[Finding]:
    """Low support and numbers/names found in no source, one ``summary-support`` finding each."""
    findings = []
    for k, sentence in enumerate(sentences):
        best = sources[sentence.sources[0]] if sentence.sources else ""
        if sentence.support < threshold:
            findings.append(Finding(SUMMARISE, KIND, k, best, sentence.text,
                                    f"support {sentence.support:.2f} below {threshold:.2f}"))
        found = find_unsupported(sentence.text, facts)
        for number in found.unsupported_numbers:
            findings.append(Finding(SUMMARISE, KIND, k, best, sentence.text, f"number {number} in no source sentence"))
        for name in found.unsupported_names:
            findings.append(Finding(SUMMARISE, KIND, k, best, sentence.text, f"name {name} in no source sentence"))
    return findings


class ProvenanceStage(DocumentStage):
    """Fill ``summary_sentences`` after the summary; with ``checks`` also record weakly supported sentences."""

    name = PROVENANCE

    def __init__(self, *, threshold: float = SUPPORT_THRESHOLD, checks: bool = True, min_gain: float = MIN_GAIN,
                 max_sources: int = MAX_SOURCES) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"support threshold must be in [0, 1], got {threshold}")
        self.threshold = threshold
        self.checks = checks
        self.min_gain = min_gain
        self.max_sources = max_sources

    def describe(self) -> dict[str, Any]:
        return {"method": METHOD, "rouge_score": _rouge_version(), "threshold": self.threshold,
                "min_gain": self.min_gain, "max_sources": self.max_sources, "checks": self.checks}

    def process_one(self, doc: Document) -> None:
        sentences = align_summary(doc.summary or "", doc.translations, min_gain=self.min_gain,
                                  max_sources=self.max_sources)
        doc.summary_sentences = [s.to_dict() for s in sentences]
        if not self.checks:
            return
        facts = SourceFacts.of([*doc.translations, *doc.sentences])
        rounded = [SummarySentence(s.text, s.sources, round(s.support, 4)) for s in sentences]
        for finding in summary_findings(rounded, doc.translations, facts, threshold=self.threshold):
            doc.checks.append(finding.to_dict())
            doc.warn(self.name, f"summary sentence {finding.sentence + 1}: {finding.detail}")
