"""Where and in what precision a model runs: one parser for device names and one dtype table, for both engines.

The two engines see the machine differently (torch also knows Apple's ``mps``; CTranslate2 counts its own CUDA
devices and wants the index apart), so each asks its own library what is there and hands the answer to the same
:func:`resolve_device`; the names a user may write and the errors for the wrong ones are the same for both.
Neither torch nor ctranslate2 is imported until a device is resolved.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from beknopt.engine.optional import require
from beknopt.models.errors import BackendOptionError, MissingCTranslate2Error

# dtype names a user may write -> the canonical name (torch's and CTranslate2's spelling alike).
DTYPES: dict[str, str] = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
                          "bfloat16": "bfloat16", "bf16": "bfloat16"}
_DEVICE = re.compile(r"(auto|cpu|mps|cuda)(?::(\d+))?")


def require_ctranslate2() -> ModuleType:
    """The ``ctranslate2`` module, or :class:`MissingCTranslate2Error` with the pip command that installs it."""
    return require("ctranslate2", feature="the ctranslate2 backend", install="pip install 'beknopt[ct2]'",
                   error=MissingCTranslate2Error)


def canonical_dtype(dtype: str) -> str:
    """``float32``, ``float16`` or ``bfloat16`` for any of their spellings; ``auto`` is the caller's to decide."""
    if dtype not in DTYPES:
        raise BackendOptionError(f"unknown dtype '{dtype}': expected auto, float32, float16 or bfloat16")
    return DTYPES[dtype]


def resolve_device(device: str, *, engine: str, cuda_devices: int, mps: bool | None = None) -> str:
    """``auto`` becomes cuda, then mps, then cpu; any other name must be one this machine and engine have.

    ``cuda_devices`` is how many CUDA GPUs ``engine`` sees; ``mps`` whether Apple's GPU is usable, or ``None``
    when the engine has no such device. The name comes back as given (``cuda:1`` stays ``cuda:1``).
    """
    match = _DEVICE.fullmatch(device)
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        expected = "auto, cpu, cuda, cuda:N or mps" if mps is not None else "auto, cpu, cuda or cuda:N"
        raise BackendOptionError(f"unknown device '{device}': expected {expected}")
    kind = match.group(1)
    if kind == "auto":
        return "cuda" if cuda_devices > 0 else "mps" if mps else "cpu"
    if kind == "mps" and mps is None:
        raise BackendOptionError(f"device '{device}' is not supported by the {engine} backend: use auto, cpu or "
                                 "cuda[:N]")
    if kind == "cuda":
        if cuda_devices == 0:
            raise BackendOptionError(f"device '{device}' requested but no CUDA GPU is available; use --device cpu")
        if int(match.group(2) or 0) >= cuda_devices:
            raise BackendOptionError(f"device '{device}' requested but {engine} sees {cuda_devices} CUDA GPU(s); "
                                     "use cuda:0 or --device cpu")
    return device


def split_device(device: str) -> tuple[str, int]:
    """``cuda:1`` -> ``("cuda", 1)``; a name without an index gets index 0 (CTranslate2 wants them apart)."""
    kind, _, index = device.partition(":")
    return kind, int(index or 0)


def torch_device(device: str = "auto") -> str:
    """``device`` resolved against what torch sees: CUDA GPUs and Apple's ``mps``."""
    import torch

    mps_backend = getattr(torch.backends, "mps", None)
    mps = mps_backend is not None and mps_backend.is_available()
    cuda = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return resolve_device(device, engine="transformers", cuda_devices=cuda, mps=mps)


def ctranslate2_device(device: str = "auto") -> tuple[str, int]:
    """``device`` resolved against the CUDA GPUs CTranslate2 sees, as (kind, index)."""
    gpus = require_ctranslate2().get_cuda_device_count()
    return split_device(resolve_device(device, engine="ctranslate2", cuda_devices=gpus))


def torch_dtype(dtype: str, device: str) -> Any:
    """``auto`` is float32 on CPU and float16 on a GPU; bf16 on CPU is opt-in (fast only with AMX/AVX512-BF16)."""
    import torch

    if dtype == "auto":
        return torch.float16 if device.startswith("cuda") else torch.float32
    name = canonical_dtype(dtype)
    if name == "float16" and device == "cpu":
        raise BackendOptionError("float16 is not supported for generation on CPU; use float32 or bfloat16")
    return getattr(torch, name)
