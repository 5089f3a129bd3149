"""The process models run in: the cores it may use and the process-wide settings, applied once and on purpose.

Backends only read this state; nothing that builds a backend changes the process. See
:func:`apply_process_settings` for what is process-wide and why it is applied before the models load.
"""

from __future__ import annotations

import os

from beknopt.models import allocator
from beknopt.models.devices import ctranslate2_device, torch_device
from beknopt.models.errors import BackendOptionError, UnknownBackendError

UNTOUCHED = "untouched"


def available_cores() -> int:
    """CPU cores this process may use (cgroup/affinity aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def decoders_for(inter_threads: int | None, device: str) -> int:
    """CTranslate2's parallel decoders: ``inter_threads``, else 2 on a CPU with at least 2 cores and 1 elsewhere.

    On a 2-core CPU two single-threaded decoders were 1.3-1.5x faster than one decoder on two threads
    (``benchmarks/RESULTS.md``); on a GPU one decoder already keeps the device busy.
    """
    if inter_threads is None:
        inter_threads = 2 if device == "cpu" and available_cores() >= 2 else 1
    if inter_threads < 1:
        raise BackendOptionError(f"inter_threads must be at least 1, got {inter_threads}")
    return inter_threads


def apply_process_settings(*, backend: str, device: str, threads: int | None, inter_threads: int | None,
                           malloc_tuning: bool = True) -> dict[str, str]:
    """Apply what ``backend`` on ``device`` wants of the whole process, and return what was done.

    Call it once per backend kind a run loads (the name ``registry.resolve_backend`` gives for each model), with
    the options the backends get, before any backend is built. What is process-wide, and why:

    - transformers: ``threads`` sets torch's intra-op pool (``torch.set_num_threads``), which every torch model in
      the process shares. On CPU, :func:`allocator.tune_malloc` keeps glibc's large blocks in the heap
      instead of mapping fresh pages for every decoding step's logits (``mallopt`` is per process).
    - ctranslate2: on CPU, :func:`allocator.limit_arenas` caps glibc's malloc arenas at one per decoder (at
      least 2). glibc fixes the cap when a thread first needs an arena, so this must run before
      ``ctranslate2.Translator`` starts its threads. ``threads``/``inter_threads`` are CTranslate2's own,
      per translator, and are left to the backend.

    ``malloc_tuning=False`` (``backend_options={"malloc_tuning": False}``) or ``BEKNOPT_MALLOC_TUNING=0`` leaves the
    allocator alone. Applying twice is harmless: each allocator setting is applied once per process and the
    first call wins. The result (``{"backend", "device", "malloc"}``, plus ``"torch_threads"`` when set) is for
    ``beknopt info`` and logs, e.g. ``{"backend": "transformers", "device": "cpu", "malloc": "tuned"}``.
    """
    done = {"backend": backend}
    if backend == "transformers":
        if threads:
            import torch

            torch.set_num_threads(threads)
            done["torch_threads"] = str(threads)
        done["device"] = torch_device(device)
        done["malloc"] = allocator.tune_malloc() if malloc_tuning and done["device"] == "cpu" else UNTOUCHED
    elif backend == "ctranslate2":
        kind, index = ctranslate2_device(device)
        done["device"] = kind if kind == "cpu" else f"{kind}:{index}"
        decoders = decoders_for(inter_threads, kind)
        done["malloc"] = allocator.limit_arenas(max(2, decoders)) if malloc_tuning and kind == "cpu" else UNTOUCHED
    else:
        from beknopt.models.registry import backend_names

        if backend not in backend_names():
            raise UnknownBackendError(f"unknown backend '{backend}': choose one of {', '.join(backend_names())}")
        done["malloc"] = UNTOUCHED  # a backend registered elsewhere: nothing process-wide that we know of
    return done


def malloc_state(setting: str, *, device: str, malloc_tuning: bool) -> str:
    """What a backend reports as its ``malloc``: the status of allocator ``setting`` ("heap" or "arenas") in this
    process, or ``"untouched"`` when it was not applied (yet), is off for this backend, or the device is no CPU."""
    if not malloc_tuning or device != "cpu":
        return UNTOUCHED
    return allocator.applied(setting) or UNTOUCHED
