"""The transformers backend's two CPU speed-ups: the beam-search cache and the allocator tuning.

Both must leave the output token for token unchanged; the allocator tuning must really keep large blocks in the
heap (checked with glibc's own counters in a fresh process, since the setting is process-wide), and only
``apply_process_settings`` may apply it, never building a backend.
"""

from __future__ import annotations

import ctypes
import os
import platform

import pytest
from conftest import fresh_python

DUTCH = ["Het kabinet besloot woensdag om de belasting op energie te verlagen.", "Hallo.",
         "De burgemeester van Utrecht opende gisteren een nieuwe brug over de rivier."]


def _load(model_dir, scramble: bool = False):
    import torch

    from beknopt.models.loading import load_seq2seq

    tokenizer, model = load_seq2seq(str(model_dir), device="cpu", dtype=torch.float32)
    if scramble:  # the tiny models' small initial weights give flat, input-blind outputs: make beams compete
        generator = torch.Generator().manual_seed(7)
        with torch.no_grad():
            for param in model.parameters():
                if param.dim() > 1:
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    return tokenizer, model


class _NoReorderCache:
    """A broken cache that never reorders: proves the test inputs really make beams change parents."""

    @staticmethod
    def make(model):
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache
        from transformers.generation.utils import ALL_CACHE_NAMES

        class Broken(EncoderDecoderCache):
            def reorder_cache(self, beam_idx) -> None:
                return None

        return {ALL_CACHE_NAMES[0]: Broken(DynamicCache(config=model.config), DynamicCache(config=model.config))}


@pytest.mark.parametrize("which", ["marian", "bart"])
def test_beam_search_cache_gives_the_same_tokens_as_plain_generate(tiny_models, which) -> None:
    import torch

    from beknopt.models.hf import beam_search_cache

    marian, bart = tiny_models
    tokenizer, model = _load(marian if which == "marian" else bart, scramble=True)
    texts = DUTCH if which == "marian" else [" ".join(DUTCH), "A short one.", DUTCH[2]]
    enc = tokenizer(texts, return_tensors="pt", padding=True)
    assert (enc["attention_mask"] == 0).any()  # padded: the batch mixes lengths
    settings = {"num_beams": 4, "max_new_tokens": 16, "min_length": 0, "no_repeat_ngram_size": 3}
    with torch.inference_mode():
        plain = model.generate(**enc, **settings)
        fast = model.generate(**enc, **settings, **beam_search_cache(model))
        broken = model.generate(**enc, **settings, **_NoReorderCache.make(model))
    assert torch.equal(plain, fast)
    assert not torch.equal(plain, broken)  # beams did move, so skipping the wrong reorder would have shown


def test_beam_search_cache_reorders_self_attention_only(tiny_models) -> None:
    import torch

    from beknopt.models.hf import beam_search_cache

    _, bart = tiny_models
    _, model = _load(bart)
    (cache,) = beam_search_cache(model).values()
    keys = torch.arange(4 * 2 * 3 * 2, dtype=torch.float32).reshape(4, 2, 3, 2)
    cache.self_attention_cache.update(keys.clone(), keys.clone(), 0)
    cache.cross_attention_cache.update(keys.clone(), keys.clone(), 0)
    cache.reorder_cache(torch.tensor([1, 1, 0, 3]))
    assert torch.equal(cache.self_attention_cache.layers[0].keys, keys[[1, 1, 0, 3]])
    assert torch.equal(cache.cross_attention_cache.layers[0].keys, keys)


def test_backend_uses_the_beam_cache_only_for_beam_search(tiny_models, monkeypatch) -> None:
    import beknopt.models.hf as hf
    from beknopt.models import BatchSettings, GenerationSettings, load_backend

    marian, _ = tiny_models
    backend = load_backend(str(marian), device="cpu")
    calls: list[int] = []
    real = hf.beam_search_cache
    monkeypatch.setattr(hf, "beam_search_cache", lambda model: calls.append(1) or real(model))
    batching = BatchSettings(batch_size=2)
    beam = backend.generate(DUTCH, GenerationSettings(num_beams=4, max_new_tokens=8), batching)
    assert len(calls) == 2  # one fresh cache per batch: 3 inputs in batches of 2
    backend.generate(DUTCH, GenerationSettings(num_beams=1, max_new_tokens=8), batching)
    assert len(calls) == 2
    monkeypatch.setattr(hf, "beam_search_cache", lambda model: {})
    assert backend.generate(DUTCH, GenerationSettings(num_beams=4, max_new_tokens=8), batching) == beam


# ------------------------------------------------------------------------------------------------ allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
needs_glibc = pytest.mark.skipif(
    not GLIBC or not hasattr(ctypes.CDLL("libc.so.6") if GLIBC else None, "mallinfo2"),
    reason="allocator tuning is glibc-only; the check reads glibc's mallinfo2",
)

# glibc's malloc, free and mallinfo2 (its counters), for the fresh-process probes below
LIBC = """
import ctypes, sys

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
"""

PROBE = LIBC + """
from beknopt.models.allocator import malloc_status, tune_malloc

before = malloc_status()
status = tune_malloc() if sys.argv[1] == "tune" else "not asked"
again = tune_malloc() if sys.argv[1] == "tune" else "not asked"
block = libc.malloc(48 << 20)
mmapped = libc.mallinfo2().hblkhd
libc.free(block)
print(before.split(" ")[0], status, again, "mmapped" if mmapped >= 48 << 20 else "heap", sep="|")
"""


def _probe(mode: str, **env: str) -> list[str]:
    run_env = {k: v for k, v in os.environ.items() if k != "BEKNOPT_MALLOC_TUNING"} | env
    return fresh_python(PROBE, mode, env=run_env, timeout=60).stdout.strip().split("|")


@needs_glibc
def test_malloc_tuning_keeps_a_48_mb_block_in_the_heap() -> None:
    assert _probe("tune") == ["tuned", "tuned", "tuned", "heap"]
    assert _probe("leave") == ["tuned", "not asked", "not asked", "mmapped"]  # glibc's default: mmap above 32 MB


@needs_glibc
def test_malloc_tuning_can_be_switched_off_by_environment() -> None:
    assert _probe("tune", BEKNOPT_MALLOC_TUNING="0") == ["off", "off (BEKNOPT_MALLOC_TUNING=0)",
                                                         "off (BEKNOPT_MALLOC_TUNING=0)", "mmapped"]


def test_process_settings_tune_malloc_for_a_cpu_backend_unless_told_not_to(tiny_models) -> None:
    """The tuning is applied by ``apply_process_settings`` (before the models load), and a backend reports it."""
    from beknopt.models import apply_process_settings, load_backend

    marian, _ = tiny_models
    assert load_backend(str(marian), device="cpu", malloc_tuning=False).malloc == "untouched"
    assert apply_process_settings(backend="transformers", device="cpu", threads=None, inter_threads=None,
                                  malloc_tuning=False)["malloc"] == "untouched"
    done = apply_process_settings(backend="transformers", device="cpu", threads=None, inter_threads=None)
    tuned = load_backend(str(marian), device="cpu").malloc
    assert done == {"backend": "transformers", "device": "cpu", "malloc": tuned}
    if GLIBC and os.environ.get("BEKNOPT_MALLOC_TUNING", "") != "0":
        assert tuned == "tuned"
    else:
        assert tuned.startswith(("off", "unsupported"))
    assert load_backend(str(marian), device="cpu", malloc_tuning=False).malloc == "untouched"


PROCESS_PROBE = LIBC + """
import torch
from beknopt.models import apply_process_settings, load_backend
from beknopt.models.allocator import applied

def heap_keeps_48_mb():
    block = libc.malloc(48 << 20)
    mmapped = libc.mallinfo2().hblkhd
    libc.free(block)
    return "mmapped" if mmapped >= 48 << 20 else "heap"

start = torch.get_num_threads()
backend = load_backend(sys.argv[1], device="cpu", threads=start + 1)  # loading alone changes nothing
loaded = [torch.get_num_threads() == start, applied("heap"), backend.malloc, heap_keeps_48_mb()]
done = apply_process_settings(backend="transformers", device="cpu", threads=start + 1, inter_threads=None,
                              malloc_tuning=sys.argv[2] == "tune")
applied_ = [torch.get_num_threads() == start + 1, done["torch_threads"] == str(start + 1), done["malloc"],
            heap_keeps_48_mb()]
print(*loaded, *applied_, sep="|")
"""


@needs_glibc
def test_only_apply_process_settings_changes_threads_and_malloc(tiny_models) -> None:
    """In a fresh process: building a backend leaves torch's threads and malloc alone; the explicit call sets both
    (and ``malloc_tuning=False`` leaves malloc alone)."""
    marian, _ = tiny_models
    env = {k: v for k, v in os.environ.items() if k != "BEKNOPT_MALLOC_TUNING"}
    out = fresh_python(PROCESS_PROBE, str(marian), "tune", env=env, timeout=120).stdout.strip().splitlines()[-1]
    assert out.split("|") == ["True", "None", "untouched", "mmapped", "True", "True", "tuned", "heap"]
    out = fresh_python(PROCESS_PROBE, str(marian), "leave", env=env, timeout=120).stdout.strip().splitlines()[-1]
    assert out.split("|") == ["True", "None", "untouched", "mmapped", "True", "True", "untouched", "mmapped"]


ARENA_PROBE = """
import ctypes, sys, threading
from beknopt.models.allocator import limit_arenas, malloc_status

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
status = limit_arenas(int(sys.argv[1])) if sys.argv[1] != "leave" else "not asked"
# Eight threads alive at once, each allocating: glibc gives each its own arena unless capped (8 per core).
gate = threading.Barrier(8)
def work():
    libc.malloc(4096)
    gate.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(status, malloc_status(), sep="|")
sys.stdout.flush()
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


def _arena_probe(arg: str, **env: str) -> tuple[list[str], int]:
    run_env = {k: v for k, v in os.environ.items() if k not in {"BEKNOPT_MALLOC_TUNING", "MALLOC_ARENA_MAX"}} | env
    out = fresh_python(ARENA_PROBE, arg, env=run_env, timeout=60)
    return out.stdout.strip().split("|"), out.stderr.count("Arena ")


@needs_glibc
def test_arena_cap_keeps_decoder_threads_to_that_many_arenas() -> None:
    (status, overall), arenas = _arena_probe("2")
    assert (status, overall, arenas) == ("arenas capped at 2", "arenas capped at 2", 2)
    (status, _), arenas = _arena_probe("leave")
    assert status == "not asked" and arenas > 2  # what the cap prevents: more arenas, each keeping its memory
    (status, overall), arenas = _arena_probe("2", BEKNOPT_MALLOC_TUNING="0")
    assert (status, overall) == ("off (BEKNOPT_MALLOC_TUNING=0)",) * 2 and arenas > 2


def test_arena_cap_refuses_zero() -> None:
    from beknopt.models.allocator import limit_arenas

    with pytest.raises(ValueError, match="at least 1"):
        limit_arenas(0)


# ------------------------------------------------------------------------------------------------ GPU attention


def test_attention_kernels_leave_out_cudnn_on_a_gpu_only() -> None:
    """cuDNN attention plans every new shape, and decoding makes a new shape each step; the others need no plan."""
    import torch

    from beknopt.models.hf import attention_kernels

    cuda = torch.backends.cuda
    before = (cuda.cudnn_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled())
    with attention_kernels("cuda:0"):
        assert (cuda.cudnn_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled()) == (
            False, True, True)
        assert cuda.math_sdp_enabled()
    assert (cuda.cudnn_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled()) == before
    with attention_kernels("cpu"):
        assert (cuda.cudnn_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled()) == before
