"""The reference backend: a ``transformers`` tokenizer plus ``model.generate``.

transformers 5 has no ``translation``/``summarization`` pipelines any more, so this is the whole recipe:
tokenize a length-sorted batch with padding (never truncation), generate under ``torch.inference_mode`` and
decode, then put the outputs back in input order.

Three things make it faster than calling ``model.generate`` on its own, with the same tokens out: on CPU the
allocator keeps the pages of the large per-step tensors (``beknopt.models.allocator``), beam search gets a
cache that does not copy the cross-attention keys and values every step (:func:`beam_search_cache`), and on a
GPU attention avoids cuDNN's per-shape planning (:func:`attention_kernels`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.generation.utils import ALL_CACHE_NAMES

from beknopt.document import BeknoptError
from beknopt.models.allocator import tune_malloc
from beknopt.models.backend import BatchSettings, GenerationSettings, check_input_lengths, encode, plan_batches
from beknopt.models.loading import device_for, load_seq2seq, model_context, torch_dtype_for


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


class TransformersBackend:
    """A loaded ``transformers`` seq2seq model (Marian, BART, PEGASUS...)."""

    name = "transformers"

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        quantize: str | None = None,
        threads: int | None = None,
        malloc_tuning: bool = True,
    ) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.model_id = model
        self.device = device_for(device)
        self.malloc = tune_malloc() if malloc_tuning and self.device == "cpu" else "untouched"
        torch_dtype = torch_dtype_for(dtype, self.device)
        self.tokenizer, self.model = load_seq2seq(model, device=self.device, dtype=torch_dtype)
        self.dtype = str(torch_dtype).removeprefix("torch.")
        self.quantize = quantize
        if quantize == "dynamic-int8":
            if self.device != "cpu":
                raise BeknoptError("dynamic int8 quantisation is a CPU option; use dtype float16 on a GPU")
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        elif quantize is not None:
            raise BeknoptError(f"unknown quantisation '{quantize}' for the transformers backend: use dynamic-int8")
        self.max_input_tokens = model_context(self.model.config, self.tokenizer)
        # beknopt always passes explicit new-token limits; the card's absolute lengths would only conflict.
        generation_config = self.model.generation_config
        generation_config.max_length = None
        generation_config.min_length = None

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in encode(self.tokenizer, texts)]

    def generate(
        self, texts: Sequence[str], settings: GenerationSettings, batching: BatchSettings | None = None
    ) -> list[str]:
        import torch

        batching = batching or BatchSettings()
        ids = encode(self.tokenizer, texts)  # tokenised once; each batch is padded from these ids
        lengths = [len(x) for x in ids]
        check_input_lengths(lengths, self.max_input_tokens, self.model_id)
        outputs: list[str] = [""] * len(texts)
        for batch in plan_batches(lengths, batching):
            kwargs = settings.generate_kwargs(max(lengths[i] for i in batch))
            # Decoder positions are bounded by the same context as the encoder's.
            kwargs["max_new_tokens"] = min(kwargs.get("max_new_tokens", self.max_input_tokens),
                                           self.max_input_tokens - 2)
            enc = self.tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt").to(self.device)
            if kwargs.get("num_beams", 1) > 1:
                kwargs.update(beam_search_cache(self.model))
            with torch.inference_mode(), attention_kernels(self.device):
                generated = self.model.generate(**enc, **kwargs)
            decoded = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
            for index, text in zip(batch, decoded, strict=True):
                outputs[index] = text.strip()
        return outputs

    def describe(self) -> dict[str, Any]:
        info = {"model": self.model_id, "backend": self.name, "device": self.device, "dtype": self.dtype,
                "max_input_tokens": self.max_input_tokens, "architecture": type(self.model).__name__}
        if self.quantize:
            info["quantize"] = self.quantize
        return info
