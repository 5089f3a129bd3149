"""Keep freed memory inside the process while a CPU model decodes.

PyTorch's CPU tensors come straight from ``malloc``. glibc serves every block above its mmap threshold (at most
32 MB) with a fresh ``mmap`` and hands it back with ``munmap`` when the tensor dies, so each decoding step
faults in brand-new zeroed pages for its largest tensors: the logits of every beam over a 50,000-67,000-token
vocabulary (34 MB for 32 sentences x 4 beams on opus-mt-nl-en) and the copies the search makes of them. On a
2-core machine that page-faulting took as long as the model's matrix products in a batch of 32 sentences
(``benchmarks/RESULTS.md``). Turning off mmap for large blocks and the trimming of the heap top lets those pages
be reused step after step, which is what jemalloc or tcmalloc (PyTorch's CPU tuning guide) achieve by being
preloaded. The cost: the process keeps its peak heap instead of returning it to the OS until it exits.

CTranslate2 has the opposite problem. Each of its decoder threads frees its buffers into its own malloc arena,
and glibc creates up to 8 arenas per core, each keeping the memory it once held: on a 2-core machine the
benchmark's CTranslate2 run with two decoders peaked at 1.65 GB with glibc's defaults and at 1.15-1.2 GB with
the arenas capped at two. :func:`limit_arenas` caps them at one per decoder; the measured cost in speed was
within run-to-run noise (``benchmarks/RESULTS.md``).

Both change the whole process, so each is applied once, only on Linux with glibc, only for CPU inference, and
only when asked: ``beknopt.models.runtime.apply_process_settings`` calls them before the models load, never a
backend. ``BEKNOPT_MALLOC_TUNING=0`` (or ``malloc_tuning=False`` there) leaves the allocator alone.
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
_M_ARENA_MAX = -8
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
        if "heap" not in _state:
            _state["heap"] = _apply()
        return _state["heap"]


def limit_arenas(count: int) -> str:
    """Cap glibc's malloc arenas for the process at ``count`` and say what happened: ``"arenas capped at N"``,
    ``"off (...)"`` or ``"unsupported (...)"``.

    glibc fixes the cap the first time a thread needs a new arena after it is set, so the first call wins; call
    it before the threads that should share arenas start.
    """
    if count < 1:
        raise ValueError(f"arena count must be at least 1, got {count}")
    with _lock:
        if "arenas" not in _state:
            mallopt = _mallopt()
            if isinstance(mallopt, str):
                _state["arenas"] = mallopt
            elif mallopt(_M_ARENA_MAX, count) != 1:
                _state["arenas"] = "unsupported (mallopt refused M_ARENA_MAX)"
            else:
                _state["arenas"] = f"arenas capped at {count}"
        return _state["arenas"]


def applied(setting: str) -> str | None:
    """What ``"heap"`` (:func:`tune_malloc`) or ``"arenas"`` (:func:`limit_arenas`) did in this process, or
    ``None`` before it was asked for."""
    if setting not in {"heap", "arenas"}:
        raise ValueError(f"unknown allocator setting '{setting}': expected heap or arenas")
    with _lock:
        return _state.get(setting)


def malloc_status() -> str:
    """What :func:`tune_malloc` and :func:`limit_arenas` did in this process, or what loading a CPU model does."""
    done = [_state[key] for key in ("heap", "arenas") if key in _state]
    if done:
        return "; ".join(dict.fromkeys(done))  # "off (...)" once, not twice
    mallopt = _mallopt()
    return mallopt if isinstance(mallopt, str) else (
        f"tuned when a run starts on the CPU (before its models load): heap kept (transformers), arenas capped "
        f"(ctranslate2); {ENV_VAR}=0 turns it off")


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
