"""Stage 3: Dutch to English, sentence by sentence.

MarianMT was trained on single sentences: whole paragraphs get truncated or loop. So the translator sees one
sentence at a time, but the sentences of every article in a batch are translated together in length-sorted,
token-budgeted batches (by the backend) and then put back in their articles, in order, one translation each.

How a list of sentences becomes translations is composed from small parts (as argos-translate composes a
cached translation around another), each with one job and the same method, ``translate(units)``:
:class:`ModelTranslation` runs the model, :class:`GuardedTranslation` retries looping outputs of another
translation, :class:`CachedTranslation` remembers another's outputs. :class:`Translator` is the stage: it
splits over-long sentences, puts the outputs back in their articles, and picks the parts from its settings.
Each ``translate`` also takes the stage's ``progress`` sink down to the model, which reports every batch of
sentences it finishes (cache hits never reach the model, so they are not counted).
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from beknopt.document import Document, title_is_first_paragraph
from beknopt.engine.progress import NO_PROGRESS, RETRIES, SENTENCES, Progress, generate_reporting
from beknopt.models.backend import BatchSettings, GenerationSettings, Seq2SeqBackend
from beknopt.split import split_long_sentence
from beknopt.stage import TRANSLATE, BatchStage
from beknopt.translate.glossary import HONOURED, MISSING, REPAIRED, Glossary, GlossaryHit, Term

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


@dataclass(frozen=True)
class Translation:
    """One unit's output, what went odd while making it, and whether it came from the cache."""

    text: str
    notes: tuple[str, ...] = ()
    cached: bool = False
    glossary: tuple[GlossaryHit, ...] = ()  # the glossary terms of the unit and what became of them


class SentenceTranslation(Protocol):
    """Units (sentences or parts of one, duplicates allowed) in, one ``Translation`` each out, same order;
    model work is reported to ``progress``."""

    def translate(self, units: Sequence[str], progress: Progress = NO_PROGRESS) -> list[Translation]: ...


class ModelTranslation:
    """The model itself: each distinct unit generated once, in the backend's length-sorted batches."""

    def __init__(self, backend: Seq2SeqBackend, settings: GenerationSettings, batching: BatchSettings) -> None:
        self.backend, self.settings, self.batching = backend, settings, batching

    def generate(self, units: Sequence[str], settings: GenerationSettings, progress: Progress = NO_PROGRESS,
                 task: str = SENTENCES) -> list[str]:
        """One output per unit; the distinct units are one ``task`` of ``progress``."""
        distinct = list(dict.fromkeys(units))
        progress.begin(task, len(distinct))
        generated = generate_reporting(self.backend, distinct, settings, self.batching, progress, task)
        outputs = dict(zip(distinct, generated, strict=True))
        return [outputs[u] for u in units]

    def translate(self, units: Sequence[str], progress: Progress = NO_PROGRESS) -> list[Translation]:
        return [Translation(text) for text in self.generate(units, self.settings, progress)] if units else []


class GuardedTranslation:
    """Retry outputs that loop or run away (``degenerate_reason``) once, with a no-repeat constraint, and say so
    in the notes; a model that loops on a sentence usually loops on it every time, so retrying is cheap."""

    def __init__(self, model: ModelTranslation, retry_settings: GenerationSettings) -> None:
        self.model, self.retry_settings = model, retry_settings

    def translate(self, units: Sequence[str], progress: Progress = NO_PROGRESS) -> list[Translation]:
        results = self.model.translate(units, progress)
        bad = {i: reason for i, (src, out) in enumerate(zip(units, results, strict=True))
               if (reason := degenerate_reason(src, out.text))}
        if not bad:
            return results
        retried = self.model.generate([units[i] for i in bad], self.retry_settings, progress, RETRIES)
        for (i, reason), new in zip(bad.items(), retried, strict=True):
            note = f"degenerate output ({reason}); retried with a no-repeat constraint"
            if still := degenerate_reason(units[i], new):
                note += f", still degenerate ({still})"
            results[i] = Translation(new, (*results[i].notes, note))
        return results


class CachedTranslation:
    """Serve repeated units from a ``TranslationCache`` (keyed by model, settings and unit), translate the rest
    with ``inner`` and remember them, notes included, so a cached unit reports what a fresh one would."""

    def __init__(self, inner: SentenceTranslation, cache: TranslationCache, key: Callable[[str], Any]) -> None:
        self.inner, self.cache, self.key = inner, cache, key

    def translate(self, units: Sequence[str], progress: Progress = NO_PROGRESS) -> list[Translation]:
        results: list[Translation | None] = []
        misses: list[int] = []
        for i, unit in enumerate(units):
            hit = self.cache.get(self.key(unit))
            results.append(Translation(hit[0], hit[1], cached=True) if hit is not None else None)
            if hit is None:
                misses.append(i)
        fresh = self.inner.translate([units[i] for i in misses], progress)
        stored: set[str] = set()
        for i, result in zip(misses, fresh, strict=True):
            results[i] = result
            if units[i] not in stored:
                self.cache.put(self.key(units[i]), (result.text, result.notes))
                stored.add(units[i])
        return [r for r in results if r is not None]


class GlossaryTranslation:
    """Enforce a :class:`~beknopt.translate.glossary.Glossary` around another translation: each unit goes in with its
    terms already in English; a unit whose output lacks a term is translated again as written, and a Dutch term
    copied into that output is replaced ("repaired"); the output that honours more terms is kept. Each hit's
    status travels with the translation, so a missed term is never silent."""

    def __init__(self, inner: SentenceTranslation, glossary: Glossary) -> None:
        self.inner, self.glossary = inner, glossary

    def _honoured(self, text: str, found: dict[Term, tuple[str, int]]) -> set[Term]:
        return {t for t, (_, n) in found.items() if self.glossary.count_in(text, t) >= n}

    def translate(self, units: Sequence[str], progress: Progress = NO_PROGRESS) -> list[Translation]:
        prepared = [self.glossary.prepare(unit) for unit in units]
        results = self.inner.translate([text for text, _ in prepared], progress)
        short = [i for i, ((_, found), result) in enumerate(zip(prepared, results, strict=True))
                 if len(self._honoured(result.text, found)) < len(found)]
        retried = dict(zip(short, self.inner.translate([units[i] for i in short], progress), strict=True))
        out = []
        for i, ((_, found), result) in enumerate(zip(prepared, results, strict=True)):
            text, notes, honoured, repaired = result.text, result.notes, self._honoured(result.text, found), set()
            if i in retried:
                candidate, fixed = retried[i].text, set()
                for term in found:
                    candidate, n = self.glossary.repair(candidate, term)
                    if n:
                        fixed.add(term)
                better = self._honoured(candidate, found)
                if len(better) > len(honoured):
                    text, notes, honoured, repaired = candidate, retried[i].notes, better, better & fixed
            hits = tuple(GlossaryHit(t.dutch, t.english, first, n,
                                     REPAIRED if t in repaired else HONOURED if t in honoured else MISSING)
                         for t, (first, n) in found.items())
            out.append(Translation(text, notes, result.cached, hits))
        return out


@dataclass
class TranslationReport:
    """Outputs for a list of sentences plus what went odd, keyed by sentence index (0-based)."""

    translations: list[str]
    warnings: dict[int, list[str]] = field(default_factory=dict)
    cache_hits: int = 0
    glossary: dict[int, list[GlossaryHit]] = field(default_factory=dict)


class Translator(BatchStage):
    """Translation stage over a ``Seq2SeqBackend``; usable alone via ``translate`` or as ``stage(docs)``.

    ``guard`` wraps the model in a :class:`GuardedTranslation`, ``cache`` wraps that in a
    :class:`CachedTranslation` (``True`` for a new bounded cache, or a ``TranslationCache`` to share one).
    The model reports each batch of sentences to ``progress`` (set by ``Pipeline.process``, or by a caller).
    """

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
        glossary: Glossary | None = None,
    ) -> None:
        self.backend = backend
        self.batching = batching or BatchSettings(batch_size=32, max_tokens=4096)
        self.model = ModelTranslation(backend, GenerationSettings(
            num_beams=num_beams, max_new_tokens=max_new_tokens, max_length_ratio=max_length_ratio), self.batching)
        self.retry_settings = GenerationSettings(
            num_beams=num_beams,
            max_new_tokens=max_new_tokens,
            max_length_ratio=max_length_ratio,
            no_repeat_ngram_size=3,
            repetition_penalty=1.3,
        )
        self.guard = guard
        translation: SentenceTranslation = GuardedTranslation(self.model, self.retry_settings) if guard else self.model
        # An empty cache is falsy (it has __len__), so test the type, not truthiness.
        self.cache = TranslationCache() if cache is True else (cache if isinstance(cache, TranslationCache) else None)
        self._settings_key = json.dumps(self.settings.to_dict(), sort_keys=True)
        # the whole description, not only the model id: one model asked for another target language (or with
        # another source language) must not be served this one's cached outputs
        described = backend.describe()
        self._model_key = json.dumps(described, sort_keys=True, default=str)
        self._licence = described.get("licence")
        if self.cache is not None:
            translation = CachedTranslation(translation, self.cache, self._key)
        # outermost, so the cache keys on what the model really saw (the sentence with its terms in English)
        self.glossary = glossary or None
        if self.glossary is not None:
            translation = GlossaryTranslation(translation, self.glossary)
        self.translation = translation

    @property
    def settings(self) -> GenerationSettings:
        """The model's generation settings (recorded in ``describe()``)."""
        return self.model.settings

    @settings.setter
    def settings(self, value: GenerationSettings) -> None:
        self.model.settings = value
        self._settings_key = json.dumps(value.to_dict(), sort_keys=True)

    @property
    def max_input_tokens(self) -> int:
        return self.backend.max_input_tokens

    def count_tokens(self, text: str) -> int:
        return self.backend.count_tokens([text])[0]

    def describe(self) -> dict[str, Any]:
        return {**self.backend.describe(), "generation": self.settings.to_dict(),
                "batch_size": self.batching.batch_size, "max_batch_tokens": self.batching.max_tokens,
                "degeneration_guard": self.guard, "cache": self.cache is not None,
                **({"glossary": self.glossary.describe()} if self.glossary is not None else {})}

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

        todo = [i for i, unit in enumerate(units) if unit.strip()]  # blank units translate to ""
        results = dict(zip(todo, self.translation.translate([units[i] for i in todo], self.progress), strict=True))
        joined: list[list[str]] = [[] for _ in sentences]
        glossary: dict[int, list[GlossaryHit]] = {}
        for unit_index in range(len(units)):
            result = results.get(unit_index)
            joined[owner[unit_index]].append(result.text if result is not None else "")
            if result is not None and result.notes:
                warnings.setdefault(owner[unit_index], []).extend(result.notes)
            if result is not None and result.glossary:
                glossary.setdefault(owner[unit_index], []).extend(result.glossary)
        hits = sum(r.cached for r in results.values())
        return TranslationReport([" ".join(parts) for parts in joined], warnings, hits, glossary)

    def _key(self, sentence: str) -> tuple[str, str, str]:
        return (self._model_key, self._settings_key, sentence)

    def process(self, docs: list[Document]) -> list[float]:
        """The sentences of all articles (and the titles that are not their first paragraph) in one set of
        length-sorted batches; each article's share of the time is its share of the sentences."""
        flat = [s for d in docs for s in d.sentences]
        headline_first = [title_is_first_paragraph(d) for d in docs]
        titled = [d for d, first in zip(docs, headline_first, strict=True) if d.metadata.get("title") and not first]
        report = self.translate_report(flat + [str(d.metadata["title"]) for d in titled])
        offset = 0
        for doc, first in zip(docs, headline_first, strict=True):
            n = len(doc.sentences)
            doc.translations = report.translations[offset : offset + n]
            if self._licence:  # in every result, so no one publishes with such a model unawares
                doc.warn(STAGE, f"the translation model {self.backend.model_id} is licensed {self._licence}")
            for i in range(offset, offset + n):
                for message in report.warnings.get(i, []):
                    doc.warn(STAGE, f"sentence {i - offset + 1}: {message}")
                for hit in report.glossary.get(i, []):
                    _record_glossary(doc, hit, i - offset)
            if first:  # the headline was translated once, as the article's first sentences
                doc.title_en = " ".join(t for t, p in zip(doc.translations, doc.sentence_paragraphs, strict=True)
                                        if p == 0)
            offset += n
        for index, doc in enumerate(titled, start=offset):
            doc.title_en = report.translations[index]
            for message in report.warnings.get(index, []):
                doc.warn(STAGE, f"title: {message}")
            for hit in report.glossary.get(index, []):
                _record_glossary(doc, hit, None)
        return [float(len(d.sentences)) for d in docs]


def _record_glossary(doc: Document, hit: GlossaryHit, sentence: int | None) -> None:
    """Every hit goes into ``doc.glossary``; a term the output does not honour as asked is also a check."""
    where = f"sentence {sentence + 1}" if sentence is not None else "title"
    doc.glossary.append({"sentence": sentence, **hit.to_dict()})
    if hit.status == HONOURED:
        return
    wanted = "kept as it is" if hit.term == hit.english else f"translated as '{hit.english}'"
    detail = (f"glossary term '{hit.term}' should be {wanted}, but the translation does not have it"
              if hit.status == MISSING else
              f"glossary term '{hit.term}' was copied untranslated; replaced by '{hit.english}'")
    doc.checks.append({"stage": STAGE, "kind": "glossary", "sentence": sentence, "source": hit.found,
                       "output": hit.english if hit.status == REPAIRED else "", "detail": detail})
    doc.warn(STAGE, f"{where}: {detail}")
