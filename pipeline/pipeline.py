"""The ``Pipeline``: an ordered list of stages plus batching across articles.

Articles are taken from the input a batch at a time and flow through every stage together, so the sentences
of many articles share the translator's length-sorted batches. Results stream out in input order; a failing
article is marked (``result.error``) and the rest of its batch goes on.

:func:`build_pipeline` is the one function that turns a :class:`~beknopt.config.PipelineConfig` into stages;
``from_pretrained``, ``from_config``, the CLI, the Ray actors and ``eval-pipeline`` all go through it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from beknopt.config import PipelineConfig
from beknopt.document import ArticleInput, BeknoptError, Document, InputError, Result, to_document
from beknopt.stage import CLEAN, LANGUAGE, TRANSLATE, BatchStage, run_stage, stage_name, stage_settings

if TYPE_CHECKING:
    from beknopt.engine.progress import Progress
    from beknopt.engine.ray import RaySettings
    from beknopt.translate.glossary import Glossary

Stage = Callable[[list[Document]], list[Document]]
# timings that describe the whole batch (or the sum), not one stage's work on the article
_BATCH_TIMINGS = frozenset({"total", "batch_seconds", "batch_articles"})


class ArticleError(BeknoptError):
    """An article failed in a stage; the message names the article, the stage and the reason."""

    @classmethod
    def from_document(cls, doc: Document) -> ArticleError:
        stage, reason = (doc.error or {}).get("stage", "?"), (doc.error or {}).get("reason", "unknown error")
        named = reason if reason.startswith(f"{doc.id}:") else f"{doc.id}: {reason}"
        return cls(f"{named} (stage: {stage})")


def _same(pipeline: Pipeline) -> Pipeline:
    return pipeline


def _article(item: Any, default_id: str) -> Document:
    """``to_document``, with unusable input turned into a failed document rather than an exception."""
    try:
        return to_document(item, default_id)
    except (InputError, TypeError) as exc:
        given = item.get("id") if isinstance(item, Mapping) else None
        failed = Document(id=str(given or default_id))
        reason = str(exc) if isinstance(exc, InputError) else f"{failed.id}: {exc}"
        failed.fail("read", reason)
        return failed


def _bad_row(doc_id: str, value: Any) -> Document:
    doc = Document(id=doc_id)
    doc.fail("read", f"{doc_id}: text is {type(value).__name__}, not a string")
    return doc


class Pipeline:
    """Clean, split, translate and summarise Dutch articles; build one with ``from_pretrained``."""

    def __init__(self, stages: Sequence[Stage], *, batch_size: int = 16) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.stages = list(stages)
        self.batch_size = batch_size
        self.config: PipelineConfig | None = None  # set by build_pipeline
        self._built_stages: list[str] = []
        self._glossary: Glossary | None = None  # the config's glossary as build_pipeline read it

    @classmethod
    def from_pretrained(cls, translation_model: str | None = None, summarization_model: str | None = None,
                        **settings: Any) -> Pipeline:
        """Load the models (hub id, preset name or local directory) and wire the stages.

        ``settings`` are the fields of :class:`~beknopt.config.PipelineConfig` (``device``, ``num_beams``,
        ``summary_length``, ``on_non_dutch``...; an unknown name is an error); the defaults live there.
        Like the command line, this applies the config's process-wide settings first (``threads``, the CPU
        allocator): see :func:`beknopt.engine.runtime.apply_process_settings`.
        """
        if translation_model is not None:
            settings["translation_model"] = translation_model
        if summarization_model is not None:
            settings["summarization_model"] = summarization_model
        return cls.from_config(PipelineConfig.from_kwargs(**settings))

    @classmethod
    def from_config(cls, config: PipelineConfig) -> Pipeline:
        """Apply the config's process-wide settings, then build it (the entry points' way in)."""
        from beknopt.engine.runtime import apply_process_settings

        apply_process_settings(config)
        return build_pipeline(config)

    def factory(self) -> Callable[[], Pipeline]:
        """A picklable way to rebuild this pipeline elsewhere (a Ray actor): its config when the stages are
        still the ones it made, else the pipeline itself (shipped whole, models included)."""
        if self.config is not None and [stage_name(s) for s in self.stages] == self._built_stages:
            config = self.config
            if isinstance(config.glossary, str):  # the terms travel, not the path: a Ray node may lack the file
                terms = self._glossary  # as loaded when built, so the rebuilt pipeline has the same fingerprint
                config = dataclasses.replace(config, glossary=terms.to_mapping() if terms else None, keep_terms=())
            return functools.partial(Pipeline.from_config, config)
        return functools.partial(_same, self)

    def only(self, *names: str) -> Pipeline:
        """A pipeline with just the named stages, same objects and order (e.g. ``only("split", "translate")``)."""
        known = [stage_name(s) for s in self.stages]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise BeknoptError(f"no stage named {', '.join(unknown)}; this pipeline has {', '.join(known)}")
        return Pipeline([s for s in self.stages if stage_name(s) in names], batch_size=self.batch_size)

    def describe(self) -> dict[str, Any]:
        """Every stage's model and settings: recorded in each result and used to decide what to redo."""
        return {stage_name(stage): stage_settings(stage) for stage in self.stages}

    def models(self, described: dict[str, Any] | None = None) -> dict[str, str]:
        """The model each stage runs, by stage name (stages without a model are left out)."""
        described = self.describe() if described is None else described
        return {name: info["model"] for name, info in described.items()
                if isinstance(info, dict) and info.get("model")}

    def fingerprint(self) -> str:
        """A short hash of ``describe()``: equal fingerprints mean the same models and settings."""
        blob = json.dumps(self.describe(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def __call__(self, article: ArticleInput, *, id: str | None = None) -> Result:
        """Process one article; raises ``InputError``/``ArticleError`` when it cannot be processed."""
        doc = to_document(article, id or "article")
        if id is not None:
            doc.id = id
        (result,) = self.process([doc])
        if result.error is not None:
            stage, reason = result.error["stage"], result.error["reason"]
            if stage in {"read", CLEAN, LANGUAGE}:  # the input itself is unusable (empty, binary, not Dutch)
                raise InputError(reason)
            raise ArticleError.from_document(result)
        return result

    def run_many(
        self,
        articles: Iterable[ArticleInput],
        *,
        batch_size: int | None = None,
        errors: str = "return",
        engine: str = "local",
        ray: RaySettings | None = None,
    ) -> Iterator[Result]:
        """Stream results in input order, ``batch_size`` articles at a time (memory stays bounded).

        ``errors="return"`` yields failed articles with ``result.error`` set; ``"raise"`` stops at the first.
        ``engine="ray"`` runs the batches on Ray Data actors (``ray`` says where and how many); the results
        are the same as the local engine's.
        """
        if errors not in {"return", "raise"}:
            raise ValueError(f"errors must be 'return' or 'raise', got {errors!r}")
        if engine not in {"local", "ray"}:
            raise ValueError(f"engine must be 'local' or 'ray', got {engine!r}")
        size = batch_size or self.batch_size
        process: Callable[[list[Document]], Any] = self.process
        ray_engine = None
        if engine == "ray":
            from beknopt.engine.ray import RayEngine, RaySettings

            settings = ray or RaySettings()
            ray_engine = RayEngine(self.factory(), settings, batch_size=size)
            process, size = ray_engine.process, ray_engine.window
        try:
            yield from self._stream(articles, size, errors, process)
        finally:
            if ray_engine is not None:
                ray_engine.shutdown()

    def _stream(self, articles: Iterable[ArticleInput], size: int, errors: str,
                process: Callable[[list[Document]], Any]) -> Iterator[Result]:
        counter = itertools.count(1)
        iterator = iter(articles)
        while True:
            docs: list[Document] = []
            failure: BaseException | None = None
            while len(docs) < size:
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - re-raised below, once the articles pulled are done
                    failure = exc
                    break
                docs.append(_article(item, f"article-{next(counter)}"))
            if docs:
                process(docs)
            for doc in docs:
                if errors == "raise" and doc.error is not None:
                    raise ArticleError.from_document(doc)
                yield doc
            if failure is not None:
                raise failure
            if len(docs) < size:
                return

    def map_dataset(
        self, dataset: Any, *, text_column: str = "text", id_column: str | None = None, batch_size: int | None = None
    ) -> Any:
        """Run the pipeline over a Hugging Face ``datasets.Dataset`` with ``Dataset.map(batched=True)``.

        Returns the dataset with new columns ``clean_text``, ``translation``, ``summary``, ``summary_chunks``,
        ``warnings`` and ``error`` (``None`` when the row succeeded); rows are never dropped. The results are
        those of ``run_many`` on the same texts. The map's cache fingerprint includes ``fingerprint()``, so
        changed models or settings are never served from a stale cache.
        """
        if text_column not in dataset.column_names:
            raise BeknoptError(f"dataset has no column '{text_column}' (columns: {', '.join(dataset.column_names)})")
        size = batch_size or self.batch_size

        def run(batch: dict[str, list[Any]], indices: list[int]) -> dict[str, list[Any]]:
            ids = batch[id_column] if id_column else [f"row-{i}" for i in indices]
            docs = [Document(id=str(i), source=t) if isinstance(t, str | bytes) else _bad_row(str(i), t)
                    for i, t in zip(ids, batch[text_column], strict=True)]
            results = self.process(docs)
            return {
                "clean_text": [r.clean_text for r in results],
                "translation": [r.translation if r.ok else None for r in results],
                "summary": [r.summary for r in results],
                "summary_chunks": [r.summary_chunks for r in results],
                "warnings": [list(r.warnings) for r in results],
                "error": [f"{r.error['stage']}: {r.error['reason']}" if r.error else None for r in results],
            }

        from datasets import Features, List, Value

        features = Features({**dataset.features, "clean_text": Value("string"), "translation": Value("string"),
                             "summary": Value("string"), "summary_chunks": Value("int64"),
                             "warnings": List(Value("string")), "error": Value("string")})
        seed = f"{getattr(dataset, '_fingerprint', '')}|{self.fingerprint()}|{text_column}|{id_column}|{size}"
        return dataset.map(run, batched=True, batch_size=size, with_indices=True,
                           features=features, new_fingerprint=hashlib.sha256(seed.encode()).hexdigest()[:16],
                           desc="beknopt")

    def process(self, docs: list[Document], progress: Progress | None = None) -> list[Document]:
        """Run every stage over one batch of documents, isolating failures to the articles that caused them.

        ``progress`` (:mod:`beknopt.engine.progress`) hears from the model stages as they go: it is their ``progress``
        for the duration of this call, then theirs is put back (threads sharing one pipeline with different sinks
        would mix their reports)."""
        described = self.describe()
        models = self.models(described)
        for doc in docs:
            doc.models.update({("translation" if k == TRANSLATE else "summarization"): v
                               for k, v in models.items()})
            doc.settings = described
        start = time.perf_counter()
        for stage in self.stages:
            if not any(d.ok for d in docs):
                break
            if progress is None or not isinstance(stage, BatchStage):
                run_stage(stage, docs)
                continue
            previous, stage.progress = stage.progress, progress
            try:
                run_stage(stage, docs)
            finally:
                stage.progress = previous
        wall = round(time.perf_counter() - start, 6)
        for doc in docs:  # what each number means: docs/cli.md, "Timings"
            doc.timings["total"] = round(sum(v for k, v in doc.timings.items() if k not in _BATCH_TIMINGS), 6)
            doc.timings["batch_seconds"] = wall
            doc.timings["batch_articles"] = len(docs)
        return docs


def _summary_choice(config: PipelineConfig) -> dict[str, Any]:
    """The summary settings of ``config`` that a model card also has defaults for."""
    return {"num_beams": config.summary_num_beams, "no_repeat_ngram_size": config.no_repeat_ngram_size,
            "length": config.summary_length, "min_new_tokens": config.min_summary_tokens,
            "max_new_tokens": config.max_summary_tokens}


def build_pipeline(config: PipelineConfig) -> Pipeline:
    """The stages a config describes, models loaded: clean, language (unless ``language_check`` is off),
    split, translate, check (unless ``checks`` is off), summarise, provenance (its checks only with ``checks``).
    Builds only: nothing process-wide changes."""
    from beknopt.cleaning.language import LanguageStage
    from beknopt.cleaning.stage import CleanStage
    from beknopt.models.backend import BatchSettings
    from beknopt.models.presets import summary_generation
    from beknopt.models.registry import load_backend, resolve_summary_model, resolve_translation_model
    from beknopt.split.stage import SplitStage
    from beknopt.summarise import LeadSummariser, Summariser
    from beknopt.translate import Translator
    from beknopt.translate.glossary import load_glossary

    glossary = load_glossary(config.glossary, config.keep_terms)  # before the models: a bad file fails fast
    options = {"device": config.device, "dtype": config.dtype, "quantize": config.quantize,
               "threads": config.threads, **({"inter_threads": config.inter_threads} if config.inter_threads else {}),
               **config.backend_options}
    # Language tokens go to the translation model only (only when set, so any backend without them still loads).
    languages = {k: v for k, v in (("target_lang_token", config.target_lang_token),
                                   ("source_lang", config.source_lang)) if v is not None}
    translator = Translator(
        load_backend(resolve_translation_model(config.translation_model), config.backend, **options, **languages),
        num_beams=config.num_beams,
        max_new_tokens=config.max_new_tokens, batching=BatchSettings(config.translation_batch_size,
                                                                      config.max_batch_tokens),
        cache=config.cache, guard=config.guard, glossary=glossary,
    )
    summary_stage: Stage
    if config.summarizer == "lead":
        summary_stage = LeadSummariser(config.lead_sentences, summary_format=config.summary_format)
    else:
        summary_backend = load_backend(resolve_summary_model(config.summarization_model), config.backend, **options)
        # The model card's own beams, penalties and lengths, wherever the user kept beknopt's defaults.
        default = PipelineConfig()
        summary_stage = Summariser(
            summary_backend, **summary_generation(
                getattr(summary_backend, "generation_defaults", {}), _summary_choice(config), _summary_choice(default)),
            summary_format=config.summary_format,
            batching=BatchSettings(config.summary_batch_size,
                                   max(config.max_batch_tokens, summary_backend.max_input_tokens)),
        )
    stages: list[Stage] = [CleanStage(boilerplate=config.boilerplate, extra_boilerplate=config.extra_boilerplate)]
    if config.language_check:
        stages.append(LanguageStage(config.on_non_dutch, config.dutch_threshold))
    stages += [SplitStage(max_tokens=translator.max_input_tokens, count_tokens=translator.count_tokens), translator]
    if config.checks:
        from beknopt.checks.stage import CheckStage

        stages.append(CheckStage(glossary))
    stages.append(summary_stage)
    from beknopt.checks.provenance import ProvenanceStage

    stages.append(ProvenanceStage(checks=config.checks))
    pipeline = Pipeline(stages, batch_size=config.batch_size)
    pipeline.config = config
    pipeline._built_stages = [stage_name(s) for s in stages]
    pipeline._glossary = glossary
    return pipeline
