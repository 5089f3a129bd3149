"""Find and load models: a hub id (cached, ``HF_HUB_OFFLINE`` respected) or a local directory.

Loading never runs remote code and prefers safetensors. A model that cannot be found raises one error that
names it and says how to fetch it ahead of time, instead of a deep ``OSError`` from the hub client.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from beknopt.document import BeknoptError


class ModelNotFoundError(BeknoptError):
    """The named model is neither a local directory nor reachable (or cached) on the Hugging Face hub."""


class ModelLoadError(BeknoptError):
    """The model was found but could not be loaded (unsupported architecture, broken files)."""


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def not_found_message(name: str, reason: str = "") -> str:
    where = "offline mode is on (HF_HUB_OFFLINE=1) and it is not in the local cache" if hub_offline() else (
        "it is not a local directory and could not be fetched from the Hugging Face hub"
    )
    detail = f" ({reason})" if reason else ""
    return (
        f"model '{name}' not found: {where}{detail}. Pre-download it on a machine with network access with "
        f"`beknopt models download` (or `hf download {name} --local-dir DIR`) and pass the directory instead."
    )


def is_ctranslate2_dir(path: str | Path) -> bool:
    """A CTranslate2 conversion holds ``model.bin`` and no PyTorch/safetensors weights."""
    p = Path(path)
    return (p / "model.bin").is_file() and not any(
        (p / n).exists() for n in ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
    )


def model_source(name: str) -> str:
    """The local directory ``name`` names, or ``name`` as a hub id; a path-like name that is no directory is
    an error here, rather than a confusing hub lookup of "./models/x"."""
    local = Path(name).expanduser()
    if local.is_dir():
        return str(local)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelNotFoundError(f"model directory '{name}' does not exist")
    return name


def device_for(device: str = "auto") -> str:
    """Resolve ``auto`` to cuda, then mps, then cpu; reject devices this machine does not have."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BeknoptError(f"device '{device}' requested but no CUDA GPU is available; use --device cpu")
    if device not in {"cpu", "mps"} and not device.startswith("cuda"):
        raise BeknoptError(f"unknown device '{device}': expected auto, cpu, cuda, cuda:N or mps")
    return device


def torch_dtype_for(dtype: str, device: str) -> Any:
    """``auto`` is float32 on CPU and float16 on a GPU; bf16 on CPU is opt-in (fast only with AMX/AVX512-BF16)."""
    import torch

    table = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
             "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
    if dtype == "auto":
        return torch.float16 if device.startswith("cuda") else torch.float32
    if dtype not in table:
        raise BeknoptError(f"unknown dtype '{dtype}': expected auto, float32, float16 or bfloat16")
    if table[dtype] is torch.float16 and device == "cpu":
        raise BeknoptError("float16 is not supported for generation on CPU; use float32 or bfloat16")
    return table[dtype]


def load_seq2seq(name: str, *, device: str, dtype: Any) -> tuple[Any, Any]:
    """Load tokenizer and seq2seq model from a local dir or hub id, with errors that name the model."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    source = model_source(name)
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
    except OSError as exc:
        raise ModelNotFoundError(not_found_message(name, first_line(exc))) from exc
    except ValueError as exc:
        raise ModelLoadError(f"model '{name}': unsupported or broken config: {first_line(exc)}") from exc
    if not getattr(config, "is_encoder_decoder", False):
        raise ModelLoadError(
            f"model '{name}' is a {type(config).__name__} model, not a sequence-to-sequence (encoder-decoder) "
            "model such as Marian, BART or PEGASUS"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForSeq2SeqLM.from_pretrained(source, dtype=dtype, **kwargs)
    except OSError as exc:
        raise ModelNotFoundError(not_found_message(name, first_line(exc))) from exc
    model.to(device)
    model.eval()
    return tokenizer, model


def model_context(config: Any, tokenizer: Any) -> int:
    """The longest input the model accepts, in tokens (position embeddings bound it, the tokenizer may too)."""
    limits = [getattr(config, "max_position_embeddings", None)]
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
        limits.append(tok_max)
    values = [v for v in limits if isinstance(v, int) and v > 0]
    return min(values) if values else 512


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
