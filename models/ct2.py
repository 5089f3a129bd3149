"""The fast backend: a CTranslate2 ``Translator`` over a converted Marian/BART/PEGASUS/M2M-100/NLLB/T5 model.

CTranslate2 runs int8 matrix products with its own fused kernels and a light decoding loop, which is where a
CPU spends its time on this job. It sees tokens, not text, so the Hugging Face tokenizer saved next to the model
(by ``beknopt.models.convert``) does the text side: counts and tokens match the transformers backend exactly.
Batches are planned with the same ``plan_batches`` as the reference backend, so ``max_length_ratio`` caps each
batch the same way; CTranslate2's own token-budget batching (``batch_type="tokens"``) is kept as the inner bound.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from beknopt.models.backend import BatchSettings, GenerationSettings, TokenizedBackend, plan_batches
from beknopt.models.convert import METADATA_FILE, cached_conversion
from beknopt.models.devices import DTYPES, canonical_dtype, ctranslate2_device, require_ctranslate2
from beknopt.models.errors import BackendOptionError, ModelLoadError
from beknopt.models.families import config_class_for, detect_family
from beknopt.models.loading import (
    check_json_files,
    check_model_dir,
    first_line,
    has_tokenizer_files,
    is_ctranslate2_dir,
    model_context,
    model_source,
    one_line,
    weights_error,
)
from beknopt.models.presets import licence_record
from beknopt.models.registry import LANGUAGE_OPTIONS, Option, common, register_backend
from beknopt.models.runtime import available_cores, decoders_for, malloc_state

__all__ = ["COMPUTE_TYPES", "CTranslate2Backend", "available_cores", "check_converted_dir", "resolve_compute_type"]

COMPUTE_TYPES = ("auto", "default", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                 "float16", "bfloat16", "float32")


def resolve_compute_type(device: str, dtype: str = "auto", quantize: str | None = None,
                         compute_type: str | None = None) -> str:
    """int8 on CPU and int8_float16 on GPU by default; ``dtype``/``quantize`` map onto CTranslate2's types."""
    if compute_type is None:
        if quantize in {"int8", "dynamic-int8"}:
            compute_type = "int8" if device == "cpu" else {"float16": "int8_float16",
                                                           "bfloat16": "int8_bfloat16"}.get(
                DTYPES.get(dtype, ""), "int8_float16")
        elif quantize is not None:
            raise BackendOptionError(f"unknown quantisation '{quantize}' for the ctranslate2 backend: use int8")
        elif dtype != "auto":
            compute_type = canonical_dtype(dtype)
        else:
            compute_type = "int8" if device == "cpu" else "int8_float16"
    if compute_type not in COMPUTE_TYPES:
        raise BackendOptionError(f"unknown compute type '{compute_type}': choose one of {', '.join(COMPUTE_TYPES)}")
    supported = require_ctranslate2().get_supported_compute_types(device)
    if compute_type not in {"auto", "default"} and compute_type not in supported:
        raise BackendOptionError(f"compute type '{compute_type}' is not supported on {device} here "
                                 f"(supported: {', '.join(sorted(supported))})")
    return compute_type


@register_backend(
    "ctranslate2",
    options=(
        common("device", help="auto (cuda when CTranslate2 sees a GPU, else cpu), cpu, cuda or cuda:N"),
        common("dtype", help="float32, float16 or bfloat16 compute; auto: int8 on CPU, int8_float16 on a GPU"),
        common("quantize", help="int8 (or dynamic-int8): int8 weights, computed in dtype's float type on a GPU"),
        Option("compute_type", str, None, "a CTranslate2 compute type; overrides dtype and quantize"),
        common("threads", help="CPU threads of each decoder; default: the cores available / inter_threads"),
        Option("intra_threads", int, None, "CTranslate2's name for threads; wins when both are set"),
        common("inter_threads", help="decoders run in parallel; default 2 on a CPU with 2+ cores, else 1"),
        Option("quantization", str, None, "weight type of a conversion on first use; default: the compute type"),
        common("malloc_tuning", help="False: this model does without apply_process_settings' arena cap"),
        *LANGUAGE_OPTIONS,
    ),
)
class CTranslate2Backend(TokenizedBackend):
    """A converted seq2seq model run by ``ctranslate2.Translator``; implements ``Seq2SeqBackend``."""

    name = "ctranslate2"

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        quantize: str | None = None,
        compute_type: str | None = None,
        threads: int | None = None,
        intra_threads: int | None = None,
        inter_threads: int | None = None,
        quantization: str | None = None,
        malloc_tuning: bool = True,
        target_lang_token: str | None = None,
        source_lang: str | None = None,
    ) -> None:
        """``model`` is a converted dir, or an HF dir/hub id that is converted into the cache on first use.

        ``inter_threads`` (batches decoded in parallel, sharing one copy of the weights) defaults as
        :func:`beknopt.models.runtime.decoders_for` says. ``threads`` (alias ``intra_threads``) defaults to the
        cores available divided by ``inter_threads``; CTranslate2's own default of 4 oversubscribes small
        machines. Nothing process-wide happens here: on CPU, glibc's arena cap (peak memory 1.15-1.2 GB with it,
        1.65 GB without in the benchmark) must be set before this starts the Translator's threads, which is
        why ``beknopt.models.runtime.apply_process_settings`` does it before any backend is built.
        """
        ct2 = require_ctranslate2()
        self.model_id = model
        self.device, self.device_index = ctranslate2_device(device)
        self.compute_type_requested = resolve_compute_type(self.device, dtype, quantize, compute_type)
        source = Path(model_source(model))
        if source.is_dir() and is_ctranslate2_dir(source):
            self.model_dir = source
        else:
            if source.is_dir():  # the same safetensors-only, file-by-file checks as the transformers backend
                check_model_dir(model, source)
            try:
                self.model_dir = cached_conversion(model, quantization or _storage_type(self.compute_type_requested))
            except (SafetensorError, pickle.UnpicklingError) as exc:  # a hub snapshot's weights
                raise weights_error(model, exc, local=source.is_dir()) from exc
        check_converted_dir(model, self.model_dir)
        self.tokenizer = _load_tokenizer(self.model_dir)
        self.meta = _read_meta(self.model_dir, self.tokenizer)
        self.use_family(detect_family(self.meta.get("config_class") or config_class_for(self.tokenizer),
                                      self.tokenizer, target_lang_token=target_lang_token, source_lang=source_lang))
        self.inter_threads = decoders_for(inter_threads, self.device)
        self.intra_threads = intra_threads or threads or max(1, available_cores() // self.inter_threads)
        self.malloc_tuning = malloc_tuning
        try:
            self.translator = ct2.Translator(
                str(self.model_dir), device=self.device, device_index=self.device_index,
                compute_type=self.compute_type_requested, intra_threads=self.intra_threads,
                inter_threads=self.inter_threads,
            )
        except RuntimeError as exc:  # CTranslate2 reports a truncated or foreign model.bin as RuntimeError
            raise ModelLoadError(
                f"model '{model}': CTranslate2 could not load {self.model_dir / 'model.bin'} ({one_line(str(exc))}); "
                "if the file is damaged or truncated, convert the model again with `beknopt convert`"
            ) from exc
        self.compute_type = getattr(self.translator, "compute_type", self.compute_type_requested)
        self.max_input_tokens = min(int(self.meta.get("max_input_tokens") or model_context(None, self.tokenizer)),
                                    self.family.max_input_tokens or 1 << 30)
        self.defaults: dict[str, Any] = dict(self.meta.get("generation", {}))
        self.generation_defaults: dict[str, Any] = dict(self.meta.get("card", {}))
        # NLLB/M2M-100: the family's target language token; else the card's forced BOS (BART's <s>).
        prefix = self.family.forced_bos or self.meta.get("forced_bos_token")
        # BART: the decoder starts at </s> (converter's decoder_start_token) and must then emit <s>, as HF forces.
        self.target_prefix: list[str] | None = [prefix] if prefix else None
        # transformers spends the last allowed step on a forced </s>; CTranslate2 just stops, so one step less
        # gives the same text (and the same work) for the same max_new_tokens.
        self.forced_eos = bool(self.meta.get("forced_eos_token"))

    @property
    def malloc(self) -> str:
        """The arena cap this process has (``"arenas capped at N"``...), or ``"untouched"`` (not applied, off, or
        no CPU)."""
        return malloc_state("arenas", device=self.device, malloc_tuning=self.malloc_tuning)

    def _options(self, kwargs: dict[str, Any], batching: BatchSettings) -> dict[str, Any]:
        """GenerationSettings keywords (``None`` = model default) as ``translate_batch`` options."""
        merged = {**{k: v for k, v in self.defaults.items() if k in {"num_beams", "no_repeat_ngram_size",
                                                                     "length_penalty", "repetition_penalty"}},
                  **kwargs}
        limit = self.max_input_tokens - 2  # decoder positions are bounded by the same context
        max_len = max(1, min(int(merged.get("max_new_tokens", limit)), limit) - int(self.forced_eos))
        options: dict[str, Any] = {
            "beam_size": int(merged.get("num_beams", 1)),
            "max_decoding_length": max_len,
            "min_decoding_length": min(int(merged.get("min_new_tokens", 0) or 0), max_len),
            "max_input_length": 0,  # never truncate: inputs were checked against the context already
            "max_batch_size": batching.max_tokens,
            "batch_type": "tokens",
            "return_scores": False,
        }
        if merged.get("no_repeat_ngram_size"):
            options["no_repeat_ngram_size"] = int(merged["no_repeat_ngram_size"])
        if merged.get("repetition_penalty") is not None:
            options["repetition_penalty"] = float(merged["repetition_penalty"])
        if options["beam_size"] > 1 and merged.get("length_penalty") is not None:
            options["length_penalty"] = float(merged["length_penalty"])
        return options

    def generate(
        self, texts: Sequence[str], settings: GenerationSettings, batching: BatchSettings | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        batching = batching or BatchSettings()
        if not texts:
            return []
        ids, lengths = self.encode_checked(texts)
        outputs: list[str] = [""] * len(texts)
        # All batches are queued at once and CTranslate2 decodes inter_threads of them side by side; each
        # decoder gets its share of the requested batch, so as many inputs are in flight as with one decoder.
        if self.inter_threads > 1:
            batching = BatchSettings(max(1, batching.batch_size // self.inter_threads),
                                     max(1, batching.max_tokens // self.inter_threads))
        queued = []
        for batch in plan_batches(lengths, batching):
            options = self._options(settings.generate_kwargs(max(lengths[i] for i in batch)), batching)
            source = [self.tokenizer.convert_ids_to_tokens(ids[i]) for i in batch]
            prefix = [self.target_prefix] * len(batch) if self.target_prefix else None
            queued.append((batch, self.translator.translate_batch(source, target_prefix=prefix, asynchronous=True,
                                                                  **options)))
        for batch, pending in queued:  # in queue order: a batch is reported once it and those before it are done
            self.decode_into(outputs, batch, [self.tokenizer.convert_tokens_to_ids(r.result().hypotheses[0])
                                              for r in pending])
            if progress is not None:
                progress(len(batch))
        return outputs

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "model": self.model_id, "backend": self.name, "device": self.device,
            "compute_type": self.compute_type, "max_input_tokens": self.max_input_tokens,
            "architecture": self.meta.get("architecture", "unknown"),
            "intra_threads": self.intra_threads, "inter_threads": self.inter_threads,
        }
        if str(self.model_dir) != self.model_id:
            info["converted_dir"] = str(self.model_dir)
        if self.meta.get("quantization"):
            info["stored_as"] = self.meta["quantization"]
        info.update(self.family.describe())
        info.update(licence_record(self.model_id))
        return info


def _storage_type(compute_type: str) -> str:
    """Weights to store when converting on first use: what will be computed with, so loading needs no cast."""
    return compute_type if compute_type not in {"auto", "default"} else "int8"


def _read_meta(model_dir: Path, tokenizer: Any) -> dict[str, Any]:
    path = model_dir / METADATA_FILE
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    # Converted with ct2-transformers-converter directly: BART-style models (decoder starts at </s> and the
    # vocabulary has <s>) need <s> forced; Marian starts from a zero embedding and has no <s>.
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    bos = config.get("bos_token")
    bart_like = config.get("decoder_start_token") == config.get("eos_token") and bos in tokenizer.get_vocab()
    return {"forced_bos_token": bos if bart_like else None, "forced_eos_token": config.get("eos_token")}


def check_converted_dir(name: str, model_dir: Path) -> None:
    """A converted directory's JSON files must parse and its ``model.bin`` must not be empty: CTranslate2's own
    errors for these name neither the model nor the file."""
    check_json_files(name, model_dir)
    weights = model_dir / "model.bin"
    if weights.stat().st_size == 0:
        raise ModelLoadError(f"model '{name}': {weights} is empty; convert the model again with `beknopt convert`")


def _load_tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    hint = (f"no Hugging Face tokenizer in '{model_dir}': convert with `beknopt convert` (which saves it), or "
            "copy the original model's tokenizer files into that directory")
    if not has_tokenizer_files(model_dir):  # else transformers 5 quietly builds an empty tokenizer
        raise ModelLoadError(hint)
    try:
        return AutoTokenizer.from_pretrained(str(model_dir), trust_remote_code=False)
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise ModelLoadError(f"{hint} ({first_line(exc)})") from exc
