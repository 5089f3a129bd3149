"""The reference backend: a ``transformers`` tokenizer plus ``model.generate``.

transformers 5 has no ``translation``/``summarization`` pipelines any more, so this is the whole recipe:
tokenize a length-sorted batch with padding (never truncation), generate under ``torch.inference_mode`` and
decode, then put the outputs back in input order.

Three things make it faster than calling ``model.generate`` on its own, with the same tokens out: on CPU the
allocator keeps the pages of the large per-step tensors (``beknopt.models.allocator``, set up by
``beknopt.models.runtime.apply_process_settings`` before the model loads), beam search gets a
cache that does not copy the cross-attention keys and values every step (:func:`beam_search_cache`), and on a
GPU attention avoids cuDNN's per-shape planning (:func:`attention_kernels`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.generation.utils import ALL_CACHE_NAMES

from beknopt.models.backend import BatchSettings, GenerationSettings, TokenizedBackend, plan_batches
from beknopt.models.devices import torch_device, torch_dtype
from beknopt.models.errors import BackendOptionError
from beknopt.models.families import detect_family
from beknopt.models.loading import load_seq2seq, model_context
from beknopt.models.presets import card_defaults, licence_record
from beknopt.models.registry import LANGUAGE_OPTIONS, common, register_backend
from beknopt.models.runtime import malloc_state


class BeamSearchCache(EncoderDecoderCache):
    """An encoder-decoder cache whose beam-search reorder leaves the cross-attention part alone.

    Every decoding step, beam search reorders the whole cache so each surviving beam carries its parent's keys
    and values. The cross-attention part is computed from the encoder output, which is the same for all beams
    of one input, and beams never move between inputs: reordering it copies (batch x beams x source length x
    d_model x layers x 2) floats per step and changes nothing. transformers does it anyway; this cache skips it,
    so the output is token for token the same.
    """

    def reorder_cache(self, beam_idx: Any) -> None:
        self.self_attention_cache.reorder_cache(beam_idx)


def beam_search_cache(model: Any) -> dict[str, Any]:
    """``generate`` keyword arguments with a fresh :class:`BeamSearchCache`; empty for a decoder-only model."""
    if not getattr(model.config, "is_encoder_decoder", False):
        return {}
    config = model.config
    cache = BeamSearchCache(DynamicCache(config=config), DynamicCache(config=config))
    return {ALL_CACHE_NAMES[0]: cache}  # "cache" in current 5.x, "past_key_values" in 5.0


def attention_kernels(device: str) -> contextlib.AbstractContextManager[Any]:
    """On a GPU, run attention without cuDNN's kernels; elsewhere, change nothing.

    PyTorch prefers cuDNN's fused attention for fp16/bf16 on recent GPUs, and cuDNN builds an execution plan for
    every new shape. Decoding meets a new shape at every step (the keys grow by one token) and every batch, so
    on an H200 a 24-article job in fp16 spent 23.5 s on its first pass and 4.2 s once the plans were cached
    (``benchmarks/RESULTS.md``). Flash and memory-efficient attention need no plans.
    """
    if not device.startswith("cuda"):
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


@register_backend(
    "transformers",
    options=(
        common("device", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps"),
        common("dtype", help="auto (float32 on CPU, float16 on a GPU), float32, float16 or bfloat16"),
        common("quantize", help="dynamic-int8: int8 linear layers, CPU only"),
        common("malloc_tuning", help="False: this model does without apply_process_settings' heap tuning"),
        *LANGUAGE_OPTIONS,
    ),
    ignores={
        "threads": "torch's thread pool is process-wide, so apply_process_settings sets it",
        "inter_threads": "parallel decoders are CTranslate2's; transformers decodes one batch at a time",
    },
)
class TransformersBackend(TokenizedBackend):
    """A loaded ``transformers`` seq2seq model (Marian, BART, PEGASUS...)."""

    name = "transformers"

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        quantize: str | None = None,
        malloc_tuning: bool = True,
        target_lang_token: str | None = None,
        source_lang: str | None = None,
    ) -> None:
        """Load ``model``; changes nothing process-wide (``beknopt.models.runtime.apply_process_settings`` does).

        ``target_lang_token``/``source_lang`` override what :mod:`beknopt.models.families` detects."""
        import torch

        self.model_id = model
        self.device = torch_device(device)
        self.malloc_tuning = malloc_tuning
        dtype_ = torch_dtype(dtype, self.device)
        self.tokenizer, self.model = load_seq2seq(model, device=self.device, dtype=dtype_)
        self.dtype = str(dtype_).removeprefix("torch.")
        self.quantize = quantize
        if quantize == "dynamic-int8":
            if self.device != "cpu":
                raise BackendOptionError("dynamic int8 quantisation is a CPU option; use dtype float16 on a GPU")
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        elif quantize is not None:
            raise BackendOptionError(f"unknown quantisation '{quantize}' for the transformers backend: use "
                                     "dynamic-int8")
        self.use_family(detect_family(type(self.model.config).__name__, self.tokenizer,
                                      target_lang_token=target_lang_token, source_lang=source_lang))
        self.max_input_tokens = min(model_context(self.model.config, self.tokenizer),
                                    self.family.max_input_tokens or 1 << 30)
        # beknopt always passes explicit new-token limits; the card's absolute lengths would only conflict, but
        # they are kept (with its beams and penalties) for the summariser to follow when the user sets none.
        generation_config = self.model.generation_config
        self.generation_defaults = card_defaults(generation_config.to_diff_dict(), generation_config.to_dict())
        generation_config.max_length = None
        generation_config.min_length = None

    @property
    def malloc(self) -> str:
        """The heap tuning this process has (``"tuned"``...), or ``"untouched"`` (not applied, off, or no CPU)."""
        return malloc_state("heap", device=self.device, malloc_tuning=self.malloc_tuning)

    def generate(
        self, texts: Sequence[str], settings: GenerationSettings, batching: BatchSettings | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        import torch

        batching = batching or BatchSettings()
        ids, lengths = self.encode_checked(texts)  # each batch is padded from these ids
        outputs: list[str] = [""] * len(texts)
        for batch in plan_batches(lengths, batching):
            kwargs = settings.generate_kwargs(max(lengths[i] for i in batch))
            # Decoder positions are bounded by the same context as the encoder's.
            kwargs["max_new_tokens"] = min(kwargs.get("max_new_tokens", self.max_input_tokens),
                                           self.max_input_tokens - 2)
            enc = self.tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt").to(self.device)
            if kwargs.get("num_beams", 1) > 1:
                kwargs.update(beam_search_cache(self.model))
            if (forced := self.forced_bos_id()) is not None:  # NLLB/M2M-100: the output starts in English
                kwargs["forced_bos_token_id"] = forced
            with torch.inference_mode(), attention_kernels(self.device):
                generated = self.model.generate(**enc, **kwargs)
            self.decode_into(outputs, batch, generated)
            if progress is not None:
                progress(len(batch))
        return outputs

    def describe(self) -> dict[str, Any]:
        info = {"model": self.model_id, "backend": self.name, "device": self.device, "dtype": self.dtype,
                "max_input_tokens": self.max_input_tokens, "architecture": type(self.model).__name__}
        if self.quantize:
            info["quantize"] = self.quantize
        info.update(self.family.describe())
        info.update(licence_record(self.model_id))
        return info
