"""Stage 4: an English summary of the translation.

BART-style models have a fixed context (1,024 tokens); feeding more raises an IndexError or is silently cut.
Long input is therefore packed, on sentence boundaries, into chunks that fit; each chunk is summarised and the
partial summaries are summarised again (map-reduce) until one summary remains. The chunk count is recorded.
Partial summaries are capped at a third of the context so every reduce round shrinks the text.

A model can return nothing usable (an empty string, whitespace, special tokens only). Empty partial summaries
are left out with a warning and the others carry on; when nothing usable comes back for a document its article
fails with a reason that says so, because an editor must never get a "summary" the model did not write. With
``lead_fallback=n`` the first ``n`` sentences are used instead, with a warning that says why. A document leaves
the reduce loop as soon as it has nothing left to summarise, so the loop never spins on zero chunks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from beknopt.config import SUMMARY_FORMATS
from beknopt.document import BeknoptError, Document, title_is_first_paragraph
from beknopt.engine.progress import CHUNKS, generate_reporting
from beknopt.models.backend import BatchSettings, GenerationSettings, Seq2SeqBackend
from beknopt.split import split_long_sentence, split_sentences
from beknopt.stage import SUMMARISE, BatchStage

STAGE = SUMMARISE
# (min_new_tokens, max_new_tokens) of the final summary; "medium" is the CNN/DailyMail setting of the BART cards.
# Length is a summary policy, not a property of a model: it lives with the summariser.
LENGTH_PRESETS: dict[str, tuple[int, int]] = {"short": (20, 60), "medium": (56, 142), "long": (100, 256)}

# Special tokens a backend may leave in its output when it decodes without skipping them.
_SPECIAL_TOKENS = re.compile(r"</?s>|<pad>|<unk>|<mask>|<\|endoftext\|>|<extra_id_\d+>|\[(?:PAD|CLS|SEP|UNK|MASK)\]")


class SummaryError(BeknoptError):
    """The model gave no usable summary for a text (``Summariser.summarise`` raises it)."""


@dataclass
class SummaryOutput:
    """A summary plus how it was made: chunks at the first level, reduce rounds, warnings.

    ``error`` is set, and ``summary`` empty, when no usable summary could be made for the document;
    ``fallback`` is true when ``summary`` holds the lead sentences instead (``Summariser(lead_fallback=n)``).
    """

    summary: str
    chunks: int
    levels: int = 1
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    fallback: bool = False  # the summary is the lead sentences, not the model's


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def is_usable(text: str) -> bool:
    """False for model output with no words in it: empty, whitespace, punctuation or special tokens only."""
    return bool(re.search(r"\w", _SPECIAL_TOKENS.sub("", text)))


def _comparable(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def repeats_headline(doc: Document, summary: str) -> bool:
    """Is ``summary`` nothing but the article's headline (as written, or as translated)? A model that has
    learnt that the first line is a good summary does this on short articles; an editor needs to know."""
    title = str(doc.metadata.get("title") or "").strip()
    if not title:
        return False
    candidates = {_comparable(title), _comparable(doc.title_en or "")}
    if title_is_first_paragraph(doc):
        candidates.add(_comparable(" ".join(t for t, p in zip(doc.translations, doc.sentence_paragraphs,
                                                               strict=False) if p == 0)))
    return _comparable(summary) in candidates - {""}


def _check_format(summary_format: str) -> str:
    if summary_format not in SUMMARY_FORMATS:
        raise BeknoptError(f"unknown summary format '{summary_format}': choose {', '.join(SUMMARY_FORMATS)}")
    return summary_format


def _describe_format(described: dict[str, Any], summary_format: str) -> dict[str, Any]:
    """Only a format other than the default is recorded, so existing outputs keep their fingerprint."""
    return described if summary_format == "paragraph" else {**described, "format": summary_format}


def format_summary(summary: str, summary_format: str = "paragraph") -> str:
    """``paragraph``: the summary as the model wrote it; ``bullets``: one sentence per line, for editors who
    paste a summary into a list (the Markdown page shows each line as a bullet)."""
    if summary_format != "bullets":
        return summary
    return "\n".join(s.strip() for s in split_sentences(summary, lang="en") if s.strip())


def _empty_reason(level: int, n_chunks: int, first_chunks: int) -> str:
    """What an editor reads when the model returned nothing usable for any chunk of a round."""
    if level == 1:
        if n_chunks == 1:
            return "the model returned an empty summary"
        return f"the model returned empty summaries for all {n_chunks} chunks"
    if n_chunks == 1:
        return (f"the model returned an empty summary in reduce round {level}, when combining the partial "
                f"summaries of the {first_chunks} chunks")
    return f"the model returned empty summaries for all {n_chunks} chunks in reduce round {level}"


def pack_chunks(sentences: Sequence[str], budget: int, count_tokens: Any, overhead: int = 0) -> list[list[str]]:
    """Greedily pack sentences into chunks whose token count (plus ``overhead``) stays within ``budget``.

    A sentence that alone exceeds the budget is split at clause boundaries, then by words, never cut off.
    """
    lengths = count_tokens(list(sentences)) if sentences else []
    chunks: list[list[str]] = []
    current: list[str] = []
    used = overhead
    for sentence, length in zip(sentences, lengths, strict=True):
        body = length - overhead
        if body + overhead > budget:
            pieces = split_long_sentence(sentence, budget, lambda s: count_tokens([s])[0])
            parts = list(zip(pieces, [n - overhead for n in count_tokens(pieces)], strict=True))
        else:
            parts = [(sentence, body)]
        for piece, piece_len in parts:
            if current and used + piece_len + 1 > budget:
                chunks.append(current)
                current, used = [], overhead
            current.append(piece)
            used += piece_len + 1  # +1: a joining space can merge into a token boundary differently
    if current:
        chunks.append(current)
    return _verify_chunks(chunks, budget, count_tokens)


def _verify_chunks(chunks: list[list[str]], budget: int, count_tokens: Any) -> list[list[str]]:
    """Re-count joined chunks (tokens can merge across a joining space) and halve any that ended up too long."""
    out: list[list[str]] = []
    todo = list(reversed(chunks))
    while todo:
        chunk = todo.pop()
        if len(chunk) > 1 and count_tokens([" ".join(chunk)])[0] > budget:
            half = len(chunk) // 2
            todo.extend([chunk[half:], chunk[:half]])
        else:
            out.append(chunk)
    return out


class Summariser(BatchStage):
    """Abstractive summariser over a ``Seq2SeqBackend`` with map-reduce for long input."""

    name = STAGE

    def __init__(
        self,
        backend: Seq2SeqBackend,
        *,
        length: str = "medium",
        min_new_tokens: int | None = None,
        max_new_tokens: int | None = None,
        num_beams: int = 4,
        no_repeat_ngram_size: int = 3,
        length_penalty: float | None = 2.0,
        batching: BatchSettings | None = None,
        max_levels: int = 6,
        lead_fallback: int | None = None,
        summary_format: str = "paragraph",
    ) -> None:
        """``lead_fallback=n``: when the model returns nothing usable, use the first ``n`` sentences (with a
        warning) instead of failing the article; off by default so a summary is always the model's."""
        if length not in LENGTH_PRESETS:
            raise BeknoptError(f"unknown summary length '{length}': choose {', '.join(LENGTH_PRESETS)}")
        preset_min, preset_max = LENGTH_PRESETS[length]
        lo = preset_min if min_new_tokens is None else min_new_tokens
        hi = preset_max if max_new_tokens is None else max_new_tokens
        if lo > hi:
            raise BeknoptError(f"min summary length {lo} is larger than max length {hi}")
        self.backend = backend
        self.length = length
        self.final = GenerationSettings(
            num_beams=num_beams, min_new_tokens=lo, max_new_tokens=hi,
            no_repeat_ngram_size=no_repeat_ngram_size or None, length_penalty=length_penalty,
        )
        self.overhead = backend.count_tokens([""])[0]
        self.budget = backend.max_input_tokens
        cap = max(8, self.budget // 3)
        self.partial = GenerationSettings(
            num_beams=num_beams, min_new_tokens=min(lo, cap), max_new_tokens=min(hi, cap),
            no_repeat_ngram_size=no_repeat_ngram_size or None, length_penalty=length_penalty,
        )
        self.batching = batching or BatchSettings(batch_size=8, max_tokens=8192)
        self.max_levels = max_levels
        if lead_fallback is not None and lead_fallback < 1:
            raise BeknoptError(f"lead_fallback needs at least 1 sentence, got {lead_fallback}")
        self.lead_fallback = lead_fallback
        self.summary_format = _check_format(summary_format)

    def describe(self) -> dict[str, Any]:
        described = {**self.backend.describe(), "length": self.length, "generation": self.final.to_dict(),
                     "partial_generation": self.partial.to_dict(), "batch_size": self.batching.batch_size}
        if self.lead_fallback is not None:  # only when set, so existing outputs keep their fingerprint
            described["lead_fallback"] = self.lead_fallback
        return _describe_format(described, self.summary_format)

    def summarise(self, text: str | Sequence[str]) -> SummaryOutput:
        """Summarise English text (a string, split into sentences here, or a list of sentences).

        Raises :class:`SummaryError` when the model returns nothing usable and there is no ``lead_fallback``.
        """
        sentences = split_sentences(text, lang="en") if isinstance(text, str) else list(text)
        out = self.summarise_many([sentences])[0]
        if out.error is not None:
            raise SummaryError(out.error)
        return out

    def summarise_many(self, documents: Sequence[Sequence[str]]) -> list[SummaryOutput]:
        """Summarise several documents; every level's chunks of all documents go to the model together (one
        ``chunks`` task of the stage's ``progress`` per round).

        A document that gets no usable summary comes back with ``error`` set (or the lead fallback); the others
        are not affected.
        """
        results: list[SummaryOutput | None] = [None] * len(documents)
        originals: dict[int, list[str]] = {}
        pending: dict[int, list[str]] = {}
        first_chunks: dict[int, int] = {}
        notes: dict[int, list[str]] = {}  # warnings gathered on the way, reported whatever the outcome
        for i, sentences in enumerate(documents):
            sentences = [s for s in sentences if s.strip()]
            if sentences:
                pending[i] = originals[i] = sentences
                notes[i] = []
            else:
                results[i] = SummaryOutput("", 0, 0, error="nothing to summarise: the translation is empty")
        trimmed: dict[int, int] = {}
        level = 0
        while pending:
            level += 1
            chunked = {i: pack_chunks(s, self.budget, self.backend.count_tokens, self.overhead)
                       for i, s in pending.items()}
            for i, c in chunked.items():
                first_chunks.setdefault(i, len(c))
            for i in [i for i, c in chunked.items() if not c]:  # cannot happen with non-empty sentences
                results[i] = self._give_up(originals[i], "nothing left to summarise", first_chunks[i], level)
                del pending[i]
            if level > self.max_levels:
                for i in list(pending):
                    results[i] = self._give_up(
                        originals[i], f"summary did not converge after {_plural(self.max_levels, 'reduce round')} "
                        f"({_plural(len(chunked[i]), 'chunk')} left)", first_chunks[i], level - 1)
                    del pending[i]
                break
            finals = [i for i in pending if len(chunked[i]) == 1]
            partials = [i for i in pending if len(chunked[i]) > 1]
            texts = [" ".join(chunk) for i in partials for chunk in chunked[i]]
            if finals or partials:  # one task per round: its final summaries and its partial ones
                self.progress.begin(CHUNKS, len(finals) + len(texts))
            if finals:
                outs = self._generate([" ".join(chunked[i][0]) for i in finals], self.final)
                for i, out in zip(finals, outs, strict=True):
                    if is_usable(out):
                        results[i] = SummaryOutput(out, first_chunks[i], level)
                    else:
                        results[i] = self._give_up(
                            originals[i], _empty_reason(level, 1, first_chunks[i]), first_chunks[i], level)
                    del pending[i]
            if partials:
                outs = iter(self._generate(texts, self.partial))
                for i in partials:
                    n = len(chunked[i])
                    usable = [out for out in (next(outs) for _ in range(n)) if is_usable(out)]
                    pieces = [self._fit_partial(out, trimmed, i) for out in usable]
                    sentences = [s for piece in pieces for s in split_sentences(piece, lang="en") if s.strip()]
                    if not sentences:
                        results[i] = self._give_up(
                            originals[i], _empty_reason(level, n, first_chunks[i]), first_chunks[i], level)
                        del pending[i]
                        continue
                    if len(usable) < n:
                        empty = n - len(usable)
                        notes[i].append(
                            f"the model returned {'an empty summary' if empty == 1 else 'empty summaries'} for "
                            f"{empty} of {n} chunks in round {level}: the summary leaves "
                            f"{'that chunk' if empty == 1 else 'those chunks'} out"
                        )
                    pending[i] = sentences
        done: list[SummaryOutput] = []
        for i, result in enumerate(results):
            if result is None:  # every document leaves the loop with a result; a gap is a bug, never output
                raise RuntimeError(f"summariser lost document {i}")
            result.warnings[:0] = notes.get(i, [])
            if i in trimmed:
                result.warnings.append(
                    f"{trimmed[i]} partial summaries re-tokenised longer than their {self.partial.max_new_tokens}"
                    "-token cap and were shortened to it"
                )
            if result.chunks > 1 and result.error is None and not result.fallback:
                result.warnings.append(
                    f"input longer than the model's {self.budget}-token context: summarised in {result.chunks} "
                    f"chunks and {result.levels} rounds (map-reduce)"
                )
            done.append(result)
        return done

    def _generate(self, texts: list[str], settings: GenerationSettings) -> list[str]:
        """The model over ``texts``, each finished batch reported to the stage's ``progress`` as chunks."""
        return generate_reporting(self.backend, texts, settings, self.batching, self.progress, CHUNKS)

    def _give_up(self, sentences: list[str], reason: str, chunks: int, level: int) -> SummaryOutput:
        """No usable summary: the lead sentences with a warning if a fallback was given, else an error."""
        if self.lead_fallback is None:
            return SummaryOutput("", chunks, level, error=reason)
        n = self.lead_fallback
        return SummaryOutput(" ".join(sentences[:n]), chunks, level, fallback=True, warnings=[
            f"{reason}: the summary is the first {_plural(min(n, len(sentences)), 'sentence')} (lead) instead"])

    def _fit_partial(self, text: str, trimmed: dict[int, int], doc_index: int) -> str:
        """Keep a partial summary within its token cap, so every reduce round is guaranteed to shrink.

        Decoding and re-encoding can make a text longer in tokens than the model generated (broken byte
        sequences, merges across spaces); without this a reduce round could fail to make progress.
        """
        cap = self.partial.max_new_tokens or self.budget
        if self.backend.count_tokens([text])[0] - self.overhead <= cap:
            return text
        words = text.split()
        lo, hi = 0, len(words)
        while lo < hi:  # the longest word prefix within the cap
            mid = (lo + hi + 1) // 2
            if self.backend.count_tokens([" ".join(words[:mid])])[0] - self.overhead <= cap:
                lo = mid
            else:
                hi = mid - 1
        trimmed[doc_index] = trimmed.get(doc_index, 0) + 1
        return " ".join(words[:lo])

    def process(self, docs: list[Document]) -> None:
        """Every level's chunks of all articles go to the model together; each article gets an equal share of
        the time."""
        outputs = self.summarise_many([d.translations for d in docs])
        for doc, out in zip(docs, outputs, strict=True):
            doc.summary_chunks = out.chunks
            for message in out.warnings:
                doc.warn(STAGE, message)
            if out.error is not None:
                doc.fail(STAGE, out.error)
            elif out.summary and not out.fallback and repeats_headline(doc, out.summary):
                doc.fail(STAGE, "the model's summary only repeats the headline")
            else:
                doc.summary = format_summary(out.summary, self.summary_format)


class LeadSummariser(BatchStage):
    """Extractive baseline: the first ``n`` translated sentences. Needs no model; the standard news baseline."""

    name = STAGE

    def __init__(self, n: int = 3, *, summary_format: str = "paragraph") -> None:
        if n < 1:
            raise BeknoptError(f"lead summary needs at least 1 sentence, got {n}")
        self.n = n
        self.summary_format = _check_format(summary_format)

    def describe(self) -> dict[str, Any]:
        return _describe_format({"model": f"lead-{self.n}", "backend": "extractive"}, self.summary_format)

    def summarise(self, text: str | Sequence[str]) -> SummaryOutput:
        sentences = split_sentences(text, lang="en") if isinstance(text, str) else list(text)
        return SummaryOutput(" ".join(sentences[: self.n]), 0, 0)

    def process(self, docs: list[Document]) -> None:
        for doc in docs:
            summary = self.summarise(doc.translations).summary
            if not is_usable(summary):
                doc.fail(STAGE, "nothing to summarise: the translation is empty")
                continue
            doc.summary = format_summary(summary, self.summary_format)
            doc.summary_chunks = 0
