"""Stage 4: an English summary of the translation.

BART-style models have a fixed context (1,024 tokens); feeding more raises an IndexError or is silently cut.
Long input is therefore packed, on sentence boundaries, into chunks that fit; each chunk is summarised and the
partial summaries are summarised again (map-reduce) until one summary remains. The chunk count is recorded.
Partial summaries are capped at a third of the context so every reduce round shrinks the text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from beknopt.document import BeknoptError, Document
from beknopt.models.backend import BatchSettings, GenerationSettings, Seq2SeqBackend
from beknopt.models.registry import LENGTH_PRESETS
from beknopt.split import split_long_sentence, split_sentences

STAGE = "summarise"


@dataclass
class SummaryOutput:
    """A summary plus how it was made: chunks at the first level, reduce rounds, warnings."""

    summary: str
    chunks: int
    levels: int = 1
    warnings: list[str] = field(default_factory=list)


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


class Summariser:
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
    ) -> None:
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

    def describe(self) -> dict[str, Any]:
        return {**self.backend.describe(), "length": self.length, "generation": self.final.to_dict(),
                "partial_generation": self.partial.to_dict(), "batch_size": self.batching.batch_size}

    def summarise(self, text: str | Sequence[str]) -> SummaryOutput:
        """Summarise English text (a string, split into sentences here, or a list of sentences)."""
        sentences = split_sentences(text, lang="en") if isinstance(text, str) else list(text)
        return self.summarise_many([sentences])[0]

    def summarise_many(self, documents: Sequence[Sequence[str]]) -> list[SummaryOutput]:
        """Summarise several documents; every level's chunks of all documents go to the model together."""
        results: list[SummaryOutput | None] = [None] * len(documents)
        pending: dict[int, list[str]] = {}
        first_chunks: dict[int, int] = {}
        for i, sentences in enumerate(documents):
            sentences = [s for s in sentences if s.strip()]
            if sentences:
                pending[i] = sentences
            else:
                results[i] = SummaryOutput("", 0, 0, ["nothing to summarise: the translation is empty"])
        trimmed: dict[int, int] = {}
        level = 0
        while pending:
            level += 1
            if level > self.max_levels:
                raise BeknoptError(f"summary did not converge after {self.max_levels} reduce rounds")
            chunked = {i: pack_chunks(s, self.budget, self.backend.count_tokens, self.overhead)
                       for i, s in pending.items()}
            finals = [i for i, c in chunked.items() if len(c) == 1]
            partials = [i for i, c in chunked.items() if len(c) > 1]
            for i, c in chunked.items():
                first_chunks.setdefault(i, len(c))
            if finals:
                outs = self.backend.generate([" ".join(chunked[i][0]) for i in finals], self.final, self.batching)
                for i, out in zip(finals, outs, strict=True):
                    results[i] = SummaryOutput(out, first_chunks[i], level)
                    del pending[i]
            if partials:
                texts = [" ".join(chunk) for i in partials for chunk in chunked[i]]
                outs = iter(self.backend.generate(texts, self.partial, self.batching))
                for i in partials:
                    pieces = [self._fit_partial(next(outs), trimmed, i) for _ in chunked[i]]
                    pending[i] = [s for piece in pieces for s in split_sentences(piece, lang="en")]
        done = [r for r in results if r is not None]
        for i, count in trimmed.items():
            results[i].warnings.append(  # type: ignore[union-attr]
                f"{count} partial summaries re-tokenised longer than their {self.partial.max_new_tokens}-token cap "
                "and were shortened to it"
            )
        for r in done:
            if r.chunks > 1:
                r.warnings.append(
                    f"input longer than the model's {self.budget}-token context: summarised in {r.chunks} "
                    f"chunks and {r.levels} rounds (map-reduce)"
                )
        return done

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

    def __call__(self, docs: list[Document]) -> list[Document]:
        live = [d for d in docs if d.ok]
        start = time.perf_counter()
        outputs = self.summarise_many([d.translations for d in live])
        elapsed = time.perf_counter() - start
        for doc, out in zip(live, outputs, strict=True):
            doc.summary = out.summary
            doc.summary_chunks = out.chunks
            for message in out.warnings:
                doc.warn(STAGE, message)
            doc.timings[STAGE] = round(elapsed / max(1, len(live)), 6)
        return docs


class LeadSummariser:
    """Extractive baseline: the first ``n`` translated sentences. Needs no model; the standard news baseline."""

    name = STAGE

    def __init__(self, n: int = 3) -> None:
        if n < 1:
            raise BeknoptError(f"lead summary needs at least 1 sentence, got {n}")
        self.n = n

    def describe(self) -> dict[str, Any]:
        return {"model": f"lead-{self.n}", "backend": "extractive"}

    def summarise(self, text: str | Sequence[str]) -> SummaryOutput:
        sentences = split_sentences(text, lang="en") if isinstance(text, str) else list(text)
        return SummaryOutput(" ".join(sentences[: self.n]), 0, 0)

    def __call__(self, docs: list[Document]) -> list[Document]:
        for doc in docs:
            if doc.ok:
                doc.summary = self.summarise(doc.translations).summary
                doc.summary_chunks = 0
                doc.timings[STAGE] = 0.0
        return docs
