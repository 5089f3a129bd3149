"""The fast backend: a CTranslate2 ``Translator`` over a converted Marian/BART/PEGASUS model.

CTranslate2 runs int8 matrix products with its own fused kernels and a light decoding loop, which is where a
CPU spends its time on this job. It sees tokens, not text, so the Hugging Face tokenizer saved next to the model
(by ``beknopt.models.convert``) does the text side: counts and tokens match the transformers backend exactly.
Batches are planned with the same ``plan_batches`` as the reference backend, so ``max_length_ratio`` caps each
batch the same way; CTranslate2's own token-budget batching (``batch_type="tokens"``) is kept as the inner bound.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from beknopt.document import BeknoptError
from beknopt.models.allocator import limit_arenas
from beknopt.models.backend import BatchSettings, GenerationSettings, check_input_lengths, encode, plan_batches
from beknopt.models.convert import METADATA_FILE, _ctranslate2, cached_conversion
from beknopt.models.loading import (
    ModelLoadError,
    check_json_files,
    check_model_dir,
    first_line,
    has_tokenizer_files,
    is_ctranslate2_dir,
    model_source,
    one_line,
    weights_error,
)

COMPUTE_TYPES = ("auto", "default", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                 "float16", "bfloat16", "float32")


def available_cores() -> int:
    """CPU cores this process may use (cgroup/affinity aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def resolve_device(device: str) -> tuple[str, int]:
    """``auto`` is CUDA when CTranslate2 sees a GPU, else CPU; ``cuda:N`` selects device index N."""
    ct2 = _ctranslate2()
    gpus = ct2.get_cuda_device_count()
    if device == "auto":
        return ("cuda", 0) if gpus > 0 else ("cpu", 0)
    if device == "cpu":
        return "cpu", 0
    if device.startswith("cuda"):
        index = int(device.split(":", 1)[1]) if ":" in device else 0
        if index >= gpus:
            raise BeknoptError(f"device '{device}' requested but CTranslate2 sees {gpus} CUDA GPU(s); use cpu")
        return "cuda", index
    raise BeknoptError(f"device '{device}' is not supported by the ctranslate2 backend: use auto, cpu or cuda[:N]")


def resolve_compute_type(device: str, dtype: str = "auto", quantize: str | None = None,
                         compute_type: str | None = None) -> str:
    """int8 on CPU and int8_float16 on GPU by default; ``dtype``/``quantize`` map onto CTranslate2's types."""
    if compute_type is None:
        table = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
                 "bfloat16": "bfloat16", "bf16": "bfloat16"}
        if quantize in {"int8", "dynamic-int8"}:
            compute_type = "int8" if device == "cpu" else {"float16": "int8_float16",
                                                           "bfloat16": "int8_bfloat16"}.get(
                table.get(dtype, ""), "int8_float16")
        elif quantize is not None:
            raise BeknoptError(f"unknown quantisation '{quantize}' for the ctranslate2 backend: use int8")
        elif dtype != "auto":
            if dtype not in table:
                raise BeknoptError(f"unknown dtype '{dtype}': expected auto, float32, float16 or bfloat16")
            compute_type = table[dtype]
        else:
            compute_type = "int8" if device == "cpu" else "int8_float16"
    if compute_type not in COMPUTE_TYPES:
        raise BeknoptError(f"unknown compute type '{compute_type}': choose one of {', '.join(COMPUTE_TYPES)}")
    supported = _ctranslate2().get_supported_compute_types(device)
    if compute_type not in {"auto", "default"} and compute_type not in supported:
        raise BeknoptError(f"compute type '{compute_type}' is not supported on {device} here "
                           f"(supported: {', '.join(sorted(supported))})")
    return compute_type


class CTranslate2Backend:
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
    ) -> None:
        """``model`` is a converted dir, or an HF dir/hub id that is converted into the cache on first use.

        ``inter_threads`` (batches decoded in parallel, sharing one copy of the weights) defaults to 2 on a CPU
        with at least 2 cores and 1 on a GPU: on a 2-core CPU two single-threaded decoders were 1.3-1.5x faster
        than one decoder on two threads (``benchmarks/RESULTS.md``).
        ``threads`` (alias ``intra_threads``) defaults to the cores available divided by ``inter_threads``;
        CTranslate2's own default of 4 oversubscribes small machines. On CPU, ``malloc_tuning`` caps glibc's malloc
        arenas at one per decoder (``beknopt.models.allocator.limit_arenas``): the benchmark's peak memory was
        1.15-1.2 GB with the cap and 1.65 GB without.
        """
        ct2 = _ctranslate2()
        self.model_id = model
        self.device, self.device_index = resolve_device(device)
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
        if inter_threads is None:
            inter_threads = 2 if self.device == "cpu" and available_cores() >= 2 else 1
        if inter_threads < 1:
            raise BeknoptError(f"inter_threads must be at least 1, got {inter_threads}")
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads or threads or max(1, available_cores() // inter_threads)
        # Before the Translator starts its threads: glibc fixes the arena cap when a thread first needs an arena.
        self.malloc = (limit_arenas(max(2, self.inter_threads)) if malloc_tuning and self.device == "cpu"
                       else "untouched")
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
        self.max_input_tokens = int(self.meta.get("max_input_tokens") or _tokenizer_limit(self.tokenizer))
        self.defaults: dict[str, Any] = dict(self.meta.get("generation", {}))
        prefix = self.meta.get("forced_bos_token")
        # BART: the decoder starts at </s> (converter's decoder_start_token) and must then emit <s>, as HF forces.
        self.target_prefix: list[str] | None = [prefix] if prefix else None
        # transformers spends the last allowed step on a forced </s>; CTranslate2 just stops, so one step less
        # gives the same text (and the same work) for the same max_new_tokens.
        self.forced_eos = bool(self.meta.get("forced_eos_token"))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in encode(self.tokenizer, texts)]

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
        self, texts: Sequence[str], settings: GenerationSettings, batching: BatchSettings | None = None
    ) -> list[str]:
        batching = batching or BatchSettings()
        if not texts:
            return []
        ids = encode(self.tokenizer, texts)
        lengths = [len(x) for x in ids]
        check_input_lengths(lengths, self.max_input_tokens, self.model_id)
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
        for batch, pending in queued:
            hypotheses = [self.tokenizer.convert_tokens_to_ids(r.result().hypotheses[0]) for r in pending]
            decoded = self.tokenizer.batch_decode(hypotheses, skip_special_tokens=True)
            for index, text in zip(batch, decoded, strict=True):
                outputs[index] = text.strip()
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


def _tokenizer_limit(tokenizer: Any) -> int:
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 1_000_000 else 512
