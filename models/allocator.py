"""Keep freed memory inside the process while a CPU model decodes.

PyTorch's CPU tensors come straight from ``malloc``. glibc serves every block above its mmap threshold (at most
32 MB) with a fresh ``mmap`` and hands it back with ``munmap`` when the tensor dies, so each decoding step
faults in brand-new zeroed pages for its largest tensors: the logits of every beam over a 50,000-67,000-token
vocabulary (34 MB for 32 sentences x 4 beams on opus-mt-nl-en) and the copies the search makes of them. On a
2-core machine that page-faulting took as long as the model's matrix products in a batch of 32 sentences
(``benchmarks/RESULTS.md``). Turning off mmap for large blocks and the trimming of the heap top lets those pages
be reused step after step, which is what jemalloc or tcmalloc (PyTorch's CPU tuning guide) achieve by being
preloaded. The cost: the process keeps its peak heap instead of returning it to the OS until it exits.

This changes the whole process, so it is applied once, only on Linux with glibc, only for CPU inference, and
``BEKNOPT_MALLOC_TUNING=0`` (or ``malloc_tuning=False`` on the transformers backend) leaves the allocator alone.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
from collections.abc import Callable

ENV_VAR = "BEKNOPT_MALLOC_TUNING"
# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4
_TOP_PAD = 64 << 20  # grow the heap in 64 MB steps rather than one page-rounded block at a time
_TRIM_THRESHOLD = 1 << 30  # keep up to 1 GB of free heap top instead of returning it after every step

_lock = threading.Lock()
_state: dict[str, str] = {}


def disabled_by_env() -> bool:
    return os.environ.get(ENV_VAR, "").strip().lower() in {"0", "false", "no", "off"}


def tune_malloc() -> str:
    """Apply the settings once per process and say what happened: ``"tuned"``, ``"off (...)"`` or
    ``"unsupported (...)"``."""
    with _lock:
        if "status" not in _state:
            _state["status"] = _apply()
        return _state["status"]


def malloc_status() -> str:
    """What :func:`tune_malloc` did in this process, or what it will do when a CPU model loads."""
    if "status" in _state:
        return _state["status"]
    mallopt = _mallopt()
    return mallopt if isinstance(mallopt, str) else f"tuned when a CPU model loads ({ENV_VAR}=0 turns it off)"


def _mallopt() -> Callable[[int, int], int] | str:
    """glibc's ``mallopt``, or why it cannot be used here."""
    if disabled_by_env():
        return f"off ({ENV_VAR}=0)"
    if platform.system() != "Linux":
        return f"unsupported ({platform.system()})"
    libc_name, _ = platform.libc_ver()
    if libc_name != "glibc":
        return f"unsupported (libc is {libc_name or 'unknown'}, not glibc)"
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError) as exc:
        return f"unsupported (cannot reach mallopt: {exc})"
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt


def _apply() -> str:
    mallopt = _mallopt()
    if isinstance(mallopt, str):
        return mallopt
    failed = [name for name, param, value in (("M_MMAP_MAX", _M_MMAP_MAX, 0),
                                              ("M_TRIM_THRESHOLD", _M_TRIM_THRESHOLD, _TRIM_THRESHOLD),
                                              ("M_TOP_PAD", _M_TOP_PAD, _TOP_PAD))
              if mallopt(param, value) != 1]
    if failed:
        return f"unsupported (mallopt refused {', '.join(failed)})"
    return "tuned"
