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
   ``beknopt eval``'s ROUGE). Sources are *chosen* by the mean of ROUGE-1 and ROUGE-2 *precision* of the summary
   sentence against them (ROUGE-1 alone for a one-word sentence): the share of its words and word pairs that
   the sources contain, clipped counts as in ROUGE. For one source it is exactly
   ``RougeScorer(["rouge1", "rouge2"], use_stemmer=True).score(source, sentence)``'s precision; for several,
   their n-gram counts are added (word pairs across two sources are not made up).
3. **Greedy cover.** The best single source comes first (ties: higher ROUGE-1 F1, then the earlier sentence).
   A sentence that fuses several source sentences then takes, one at a time, the source that raises the score
   most, while the gain is at least ``MIN_GAIN``, the new source covers a word pair of the sentence that the
   others do not (shared function words alone add no source), and it has fewer than ``MAX_SOURCES``.
4. **Support** is the share of the sentence's words that lie in a stretch of at least ``MIN_RUN`` (4)
   consecutive words copied from one of its sources (the whole sentence, for one shorter than that): the
   "extractive fragment coverage" of Grusky et al. (2018), with fragments found greedily left to right, longest
   first. Against SummEval's expert judgements (``eval/README.md``, "Checking the checks") it agrees better with
   faithfulness than the ROUGE precision that chooses the sources (summary-level Spearman with consistency on 25
   articles: 0.453 against 0.402), because a summary that recombines the article's words into new claims keeps
   its word overlap but loses its long copied stretches. A summary's support
   (:func:`summary_support`, ``beknopt eval``'s ``support`` metric) is its sentences' support weighted by their
   number of words.

Alignment is always against ``result.translations``, never against the partial summaries of a map-reduce
summary, so a long article's summary points at the article's own sentences.

Checks (when ``config.checks`` is on) go to ``result.checks`` as ``kind: "summary-support"`` records (``stage``
``summarise``; ``sentence`` indexes ``summary_sentences``; ``source`` is the best source's English sentence) and
one warning each: support below ``SUPPORT_THRESHOLD``, and each number or name of the sentence found in no source
sentence (English or Dutch), by ``beknopt.checks.unsupported``, the same function as ``beknopt eval``'s
summary diagnostics.

Limits
------
Lexical overlap is evidence of provenance, not of faithfulness: a sentence that copies the source's words with
the meaning changed ("not" dropped inside a copied stretch, two copied halves wrongly joined) still scores
high, and a correct paraphrase with new words scores low. Stemming helps with inflection only, not synonyms;
non-ASCII letters are dropped by ROUGE's tokenizer (both sides alike). ``SUPPORT_THRESHOLD`` is calibrated on
SummEval's expert consistency scores of 400 English news summaries (``beknopt.eval.human.calibrate_threshold``):
it is the value that best separates the summaries experts judged inconsistent (mean consistency below 4) from
the others when a summary is flagged for any sentence below it. There, 21 of the 53 flagged summaries (40%)
were judged inconsistent (against 9.5% of all) and 21 of the 38 inconsistent ones (55%) were flagged; a warning
is a reason to read the sentence against its sources, not a verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from beknopt.checks.finding import Finding
from beknopt.checks.unsupported import SourceFacts, find_unsupported
from beknopt.document import Document
from beknopt.split import split_sentences
from beknopt.stage import PROVENANCE, SUMMARISE, DocumentStage

__all__ = ["MAX_SOURCES", "MIN_GAIN", "MIN_RUN", "SUPPORT_THRESHOLD", "Aligner", "ProvenanceStage",
           "SummarySentence", "align_summary", "copied_share", "split_summary", "summary_findings",
           "summary_support", "text_support"]

SUPPORT_THRESHOLD = 0.45  # calibrated on SummEval (see Limits): a summary sentence below it is flagged
MIN_GAIN = 0.1  # a further source must raise the ROUGE precision by this much to be listed
MAX_SOURCES = 3
MIN_RUN = 4  # the shortest copied stretch of words that counts as support
METHOD = ("rouge-score tokenizer with Porter stemmer; sources by mean ROUGE-1/ROUGE-2 precision, greedy cover; "
          "support: share of words in copied stretches of 4+ words")
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


def _tokens(text: str) -> list[str]:
    return _tokenizer().tokenize(text)


def _grams(tokens: Sequence[str]) -> Grams:
    return Counter((t,) for t in tokens), Counter(zip(tokens, tokens[1:], strict=False))


def copied_share(tokens: Sequence[str], sources: Sequence[Sequence[str]], *, min_run: int = MIN_RUN) -> float:
    """The share of ``tokens`` inside stretches of at least ``min_run`` (at most the whole sentence) consecutive
    tokens that one of ``sources`` holds in the same order: greedy from the left, the longest stretch first."""
    if not tokens:
        return 0.0
    need = min(min_run, len(tokens))
    where: dict[str, list[tuple[int, int]]] = {}
    for s, source in enumerate(sources):
        for j, token in enumerate(source):
            where.setdefault(token, []).append((s, j))
    covered = i = 0
    while i < len(tokens):
        longest = 0
        for s, j in where.get(tokens[i], ()):
            source, n = sources[s], 0
            while i + n < len(tokens) and j + n < len(source) and tokens[i + n] == source[j + n]:
                n += 1
            longest = max(longest, n)
        if longest >= need:
            covered += longest
            i += longest
        else:
            i += 1
    return covered / len(tokens)


def summary_support(sentences: Sequence[SummarySentence | Mapping[str, Any]]) -> float | None:
    """A summary's support: its sentences' support weighted by their number of words (``None``: no words)."""
    weighted = total = 0.0
    for sentence in sentences:
        text, support = ((sentence.text, sentence.support) if isinstance(sentence, SummarySentence)
                         else (sentence["text"], sentence["support"]))
        words = len(_tokens(text))
        weighted += support * words
        total += words
    return weighted / total if total else None


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


def text_support(summary: str, source: str) -> float | None:
    """The support of ``summary`` against an English ``source`` text (split with beknopt's English splitter)."""
    sentences = [s for s in split_sentences(source, lang="en") if s.strip()]
    return summary_support(align_summary(summary, sentences))


class Aligner:
    """The English source sentences of one article, tokenised once, to align summary sentences against."""

    def __init__(self, sources: Sequence[str], *, min_gain: float = MIN_GAIN, max_sources: int = MAX_SOURCES) -> None:
        if max_sources < 1:
            raise ValueError(f"max_sources must be at least 1, got {max_sources}")
        self.sources = list(sources)
        self.min_gain = min_gain
        self.max_sources = max_sources
        self._tokens = [_tokens(s) for s in self.sources]
        self._grams = [_grams(t) for t in self._tokens]

    def score(self, sentence: str, sources: Sequence[int]) -> float:
        """Mean ROUGE-1/ROUGE-2 precision of ``sentence`` against the given source sentences (see module doc):
        what chooses the sources."""
        return self._score(_grams(_tokens(sentence)), sources)

    def support(self, sentence: str, sources: Sequence[int]) -> float:
        """The share of the sentence's words in stretches of ``MIN_RUN``+ words copied from the given sources."""
        return copied_share(_tokens(sentence), [self._tokens[i] for i in sources])

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
        tokens = _tokens(sentence)
        grams = _grams(tokens)
        if not tokens or not self.sources:
            return SummarySentence(sentence, [], 0.0)
        singles = [(self._score(grams, [i]), _f1(grams[0], self._grams[i][0]), -i) for i in range(len(self.sources))]
        best_score, _, best = max(singles)
        if best_score <= 0:
            return SummarySentence(sentence, [], 0.0)
        chosen, precision = [-best], best_score
        while len(chosen) < self.max_sources and precision < 1.0:
            gains = [(self._score(grams, [*chosen, i]), -i) for i in range(len(self.sources))
                     if i not in chosen and self._adds_pair(grams[1], chosen, i)]
            if not gains:
                break
            score, neg = max(gains)
            if score - precision < self.min_gain:
                break
            chosen.append(-neg)
            precision = score
        return SummarySentence(sentence, chosen, copied_share(tokens, [self._tokens[i] for i in chosen]))


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
