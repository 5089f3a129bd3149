"""Stage 3: Dutch to English, sentence by sentence.

MarianMT was trained on single sentences: whole paragraphs get truncated or loop. So the translator sees one
sentence at a time, but the sentences of every article in a batch are translated together in length-sorted,
token-budgeted batches (by the backend) and then put back in their articles, in order, one translation each.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from beknopt.document import Document
from beknopt.models.backend import BatchSettings, GenerationSettings, Seq2SeqBackend
from beknopt.split import split_long_sentence
from beknopt.stage import TRANSLATE, BatchStage

STAGE = TRANSLATE


class TranslationCache:
    """Sentence-level memo: same model, settings and sentence give the stored output without recomputing.

    News archives repeat a lot (datelines, standard phrases, re-published articles). Bounded LRU so a long batch
    job cannot grow it without limit. Each entry keeps the warnings its translation raised, so a cached sentence
    reports exactly what a fresh one would.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, str, str], tuple[str, tuple[str, ...]]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, str, str]) -> tuple[str, tuple[str, ...]] | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key: tuple[str, str, str], value: tuple[str, tuple[str, ...]]) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def degenerate_reason(source: str, output: str, *, max_repeats: int = 4, length_ratio: float = 3.0) -> str | None:
    """Why an output looks like a looping or runaway translation, or ``None`` when it looks sane.

    A word repeated ``max_repeats`` times in a row, a 2-4 word sequence occurring ``max_repeats`` times (more
    often than in the source), or an output ``length_ratio`` times longer than its source (in characters).
    """
    words = output.lower().split()
    run = 1
    for prev, cur in zip(words, words[1:], strict=False):
        run = run + 1 if cur == prev else 1
        if run >= max_repeats:
            return f"word '{cur}' repeated {run} times in a row"
    src_words = source.lower().split()
    for n in (2, 3, 4):
        grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        if not grams:
            break
        gram, count = grams.most_common(1)[0]
        src_count = sum(1 for i in range(len(src_words) - n + 1) if tuple(src_words[i : i + n]) == gram)
        if count >= max_repeats and count > src_count:
            return f"'{' '.join(gram)}' repeated {count} times"
    if len(output) > length_ratio * len(source) + 20:
        return f"output is {len(output) / max(1, len(source)):.1f}x longer than the source"
    return None


@dataclass
class TranslationReport:
    """Outputs for a list of sentences plus what went odd, keyed by sentence index (0-based)."""

    translations: list[str]
    warnings: dict[int, list[str]] = field(default_factory=dict)
    cache_hits: int = 0


class Translator(BatchStage):
    """Translation stage over a ``Seq2SeqBackend``; usable alone via ``translate`` or as ``stage(docs)``."""

    name = STAGE

    def __init__(
        self,
        backend: Seq2SeqBackend,
        *,
        num_beams: int = 4,
        max_new_tokens: int | None = 512,
        max_length_ratio: float | None = 2.0,
        batching: BatchSettings | None = None,
        cache: TranslationCache | None | bool = True,
        guard: bool = True,
    ) -> None:
        self.backend = backend
        self.settings = GenerationSettings(
            num_beams=num_beams, max_new_tokens=max_new_tokens, max_length_ratio=max_length_ratio
        )
        self.retry_settings = GenerationSettings(
            num_beams=num_beams,
            max_new_tokens=max_new_tokens,
            max_length_ratio=max_length_ratio,
            no_repeat_ngram_size=3,
            repetition_penalty=1.3,
        )
        self.batching = batching or BatchSettings(batch_size=32, max_tokens=4096)
        # An empty cache is falsy (it has __len__), so test the type, not truthiness.
        self.cache = TranslationCache() if cache is True else (cache if isinstance(cache, TranslationCache) else None)
        self.guard = guard
        self._settings_key = json.dumps(self.settings.to_dict(), sort_keys=True)

    @property
    def max_input_tokens(self) -> int:
        return self.backend.max_input_tokens

    def count_tokens(self, text: str) -> int:
        return self.backend.count_tokens([text])[0]

    def describe(self) -> dict[str, Any]:
        return {**self.backend.describe(), "generation": self.settings.to_dict(),
                "batch_size": self.batching.batch_size, "max_batch_tokens": self.batching.max_tokens,
                "degeneration_guard": self.guard, "cache": self.cache is not None}

    def translate(self, sentences: Sequence[str]) -> list[str]:
        """Translate sentences (one output each, same order); long ones are split and rejoined, not truncated."""
        return self.translate_report(sentences).translations

    def translate_report(self, sentences: Sequence[str]) -> TranslationReport:
        # Over-long sentences become several units whose outputs are joined again.
        units: list[str] = []
        owner: list[int] = []
        warnings: dict[int, list[str]] = {}
        lengths = self.backend.count_tokens(list(sentences))
        for index, (sentence, length) in enumerate(zip(sentences, lengths, strict=True)):
            pieces = [sentence]
            if length > self.max_input_tokens:
                pieces = split_long_sentence(sentence, self.max_input_tokens, self.count_tokens)
                warnings.setdefault(index, []).append(
                    f"{length} tokens, over the model's {self.max_input_tokens}; translated in {len(pieces)} parts"
                )
            units.extend(pieces)
            owner.extend([index] * len(pieces))

        outputs, unit_warnings, hits = self._translate_units(units)
        joined: list[list[str]] = [[] for _ in sentences]
        for unit_index, text in enumerate(outputs):
            joined[owner[unit_index]].append(text)
        for unit_index, messages in unit_warnings.items():
            warnings.setdefault(owner[unit_index], []).extend(messages)
        return TranslationReport([" ".join(parts) for parts in joined], warnings, hits)

    def _translate_units(self, units: list[str]) -> tuple[list[str], dict[int, list[str]], int]:
        outputs: list[str | None] = [None] * len(units)
        warnings: dict[int, list[str]] = {}
        todo: dict[str, list[int]] = {}
        hits = 0
        for i, unit in enumerate(units):
            cached = self.cache.get(self._key(unit)) if self.cache is not None else None
            if cached is not None:
                outputs[i], notes = cached
                if notes:
                    warnings[i] = list(notes)
                hits += 1
            elif unit.strip():
                todo.setdefault(unit, []).append(i)
            else:
                outputs[i] = ""
        distinct = list(todo)
        notes: dict[int, str] = {}
        results = self.backend.generate(distinct, self.settings, self.batching) if distinct else []
        if self.guard:
            bad = {j: r for j, (src, out) in enumerate(zip(distinct, results, strict=True))
                   if (r := degenerate_reason(src, out))}
            if bad:
                retried = self.backend.generate([distinct[j] for j in bad], self.retry_settings, self.batching)
                for j, new in zip(bad, retried, strict=True):
                    still = degenerate_reason(distinct[j], new)
                    note = f"degenerate output ({bad[j]}); retried with a no-repeat constraint"
                    if still:
                        note += f", still degenerate ({still})"
                    results[j] = new
                    notes[j] = note
        for j, (src, out) in enumerate(zip(distinct, results, strict=True)):
            if self.cache is not None:
                self.cache.put(self._key(src), (out, (notes[j],) if j in notes else ()))
            for i in todo[src]:
                outputs[i] = out
                if j in notes:
                    warnings.setdefault(i, []).append(notes[j])
        return [o or "" for o in outputs], warnings, hits

    def _key(self, sentence: str) -> tuple[str, str, str]:
        return (self.backend.model_id, self._settings_key, sentence)

    def process(self, docs: list[Document]) -> list[float]:
        """The sentences of all articles in one set of length-sorted batches; each article's share of the time
        is its share of the sentences."""
        flat = [s for d in docs for s in d.sentences]
        report = self.translate_report(flat)
        offset = 0
        for doc in docs:
            n = len(doc.sentences)
            doc.translations = report.translations[offset : offset + n]
            for i in range(offset, offset + n):
                for message in report.warnings.get(i, []):
                    doc.warn(STAGE, f"sentence {i - offset + 1}: {message}")
            offset += n
        return [float(len(d.sentences)) for d in docs]
