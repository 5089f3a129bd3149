"""Speed benchmark: naive transformers recipe vs beknopt (transformers backend) vs beknopt (ctranslate2 int8).

One command (``python benchmarks/run.py``) builds the architecture-exact random models (``models.py``), converts
the Marian and BART stand-ins to CTranslate2 int8 with ``beknopt convert``, writes Dutch news-like articles made
of FLORES-200 documents, then measures every system, interleaved round by round after a warm-up, and writes
``benchmarks/RESULTS.json`` (``report.py`` turns it into tables). Each system lives in its own worker process,
started once and driven over a pipe: process-wide settings (beknopt's CPU allocator tuning, torch threads) cannot
leak from one system into another, only one system runs at a time, and each worker's peak RSS is that system's.

Output lengths are forced (min = max new tokens) because random weights never emit EOS: every batch of
sentences decodes ``int(1.3 x longest source tokens) + 8`` tokens, every summary 80 tokens. All systems use the
model cards' decoding defaults otherwise (4 beams; BART: length penalty 2.0, no-repeat 3-grams).

``--device cuda`` runs the same workload on a GPU with the GPU systems (``GPU_SYSTEMS``): the naive recipe in
fp32 on the GPU, beknopt's transformers backend in fp16, and CTranslate2 in int8_float16 and float16 (converted
once to float16; CTranslate2 quantises to int8 when it loads).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODELS = HERE / ".models"
MARIAN = MODELS / "opus-mt-nl-en-random"
BART = MODELS / "distilbart-cnn-12-6-random"
MARIAN_CT2 = MODELS / "opus-mt-nl-en-random-ct2-int8"
BART_CT2 = MODELS / "distilbart-cnn-12-6-random-ct2-int8"
MARIAN_CT2_F16 = MODELS / "opus-mt-nl-en-random-ct2-float16"
BART_CT2_F16 = MODELS / "distilbart-cnn-12-6-random-ct2-float16"
ARTICLES = HERE / ".articles"
TRANSLATION_RATIO = 1.3
SUMMARY_TOKENS = 80
SYSTEMS = {"a": "naive transformers (model-card recipe, fp32)", "b": "beknopt, transformers backend (fp32)",
           "c": "beknopt, ctranslate2 backend (int8)",
           "d": "beknopt, transformers backend, dynamic int8 (optional)",
           "e": "naive recipe with beknopt's CPU allocator tuning (how much of (b) is the allocator alone)"}
GPU_SYSTEMS = {"a": "naive transformers on the GPU (model-card recipe, fp32)",
               "b": "beknopt, transformers backend (fp16)",
               "c": "beknopt, ctranslate2 backend (int8_float16, the GPU default)",
               "f": "beknopt, ctranslate2 backend (float16)"}


def forced_translation_tokens(longest_source: int) -> int:
    """The same rule as beknopt's ``max_length_ratio`` (``int(ratio * longest) + 8``), used by every system."""
    return int(TRANSLATION_RATIO * longest_source) + 8


# ---------------------------------------------------------------------------------------------------- setup


def ensure_models(device: str = "cpu") -> None:
    sys.path.insert(0, str(HERE))
    import models as builders
    from beknopt.models.convert import convert

    if not (MARIAN / "model.safetensors").is_file():
        builders.build_marian(MARIAN)
    if not (BART / "model.safetensors").is_file():
        builders.build_bart(BART)
    quantization, targets = (("float16", (MARIAN_CT2_F16, BART_CT2_F16)) if device == "cuda"
                             else ("int8", (MARIAN_CT2, BART_CT2)))
    for src, dst in zip((MARIAN, BART), targets, strict=True):
        if not (dst / "model.bin").is_file():
            convert(str(src), dst, quantization=quantization, force=True)


def build_articles(count: int, min_sentences: int) -> list[dict[str, Any]]:
    """Consecutive FLORES-200 documents (one per source URL) stacked as paragraphs until ``min_sentences``."""
    from importlib.resources import files

    path = files("beknopt.eval").joinpath("data", "flores200_devtest_nl_en", "flores200_devtest_nl_en_by_url.jsonl")
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ARTICLES.mkdir(exist_ok=True)
    articles: list[dict[str, Any]] = []
    paragraphs: list[list[str]] = []
    for doc in docs:
        paragraphs.append([s.strip() for s in doc["nl"] if s.strip()])
        if sum(len(p) for p in paragraphs) >= min_sentences:
            name = f"article-{len(articles) + 1:02d}"
            text = "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
            (ARTICLES / f"{name}.txt").write_text(text, encoding="utf-8")
            articles.append({"id": name, "path": str(ARTICLES / f"{name}.txt"),
                             "sentences": [s for p in paragraphs for s in p]})
            paragraphs = []
            if len(articles) == count:
                break
    return articles


# ---------------------------------------------------------------------------------------------------- systems


class Naive:
    """What a user writes from the model cards: tokenizer + ``model.generate``, fp32, one article at a time."""

    def __init__(self, key: str = "a", tune_allocator: bool = False, device: str = "cpu") -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.key = key
        self.device = device
        if tune_allocator:
            from beknopt.models.allocator import tune_malloc

            tune_malloc()

        self.mt_tok = AutoTokenizer.from_pretrained(MARIAN)
        self.mt = AutoModelForSeq2SeqLM.from_pretrained(MARIAN).to(device)
        self.sum_tok = AutoTokenizer.from_pretrained(BART)
        self.sum = AutoModelForSeq2SeqLM.from_pretrained(BART).to(device)

    def run(self, articles: list[dict[str, Any]]) -> dict[str, Any]:
        stats = {"io_s": 0.0, "pre_s": 0.0, "chunks": 0}
        for article in articles:
            start = time.perf_counter()
            Path(article["path"]).read_text(encoding="utf-8")
            stats["io_s"] += time.perf_counter() - start
            sentences = article["sentences"]  # the article's sentences, as a simple splitter would give them
            batch = self.mt_tok(sentences, return_tensors="pt", padding=True).to(self.device)
            forced = forced_translation_tokens(batch["input_ids"].shape[1])
            out = self.mt.generate(**batch, min_new_tokens=forced, max_new_tokens=forced)
            english = self.mt_tok.batch_decode(out, skip_special_tokens=True)
            inputs = self.sum_tok(" ".join(english), return_tensors="pt", truncation=True,
                                  max_length=1024).to(self.device)
            summary = self.sum.generate(**inputs, min_new_tokens=SUMMARY_TOKENS, max_new_tokens=SUMMARY_TOKENS)
            self.sum_tok.batch_decode(summary, skip_special_tokens=True)
            stats["chunks"] += 1
        return stats


class Beknopt:
    """``Pipeline.from_pretrained`` on the same models; translation cache and degeneration retries off."""

    def __init__(self, key: str, translation: Path, summarization: Path, device: str = "cpu",
                 **options: Any) -> None:
        from beknopt import Pipeline
        from beknopt.models.backend import GenerationSettings

        self.key = key
        self.pipe = Pipeline.from_pretrained(
            str(translation), str(summarization), device=device, num_beams=4, summary_num_beams=4,
            min_summary_tokens=SUMMARY_TOKENS, max_summary_tokens=SUMMARY_TOKENS, cache=False, guard=False,
            language_check=False, **options,  # the naive recipe checks no language either
        )
        translator = next(s for s in self.pipe.stages if s.name == "translate")
        # Forced length per length-sorted batch: ratio cap with an unreachable minimum (clamped to the cap).
        translator.settings = GenerationSettings(num_beams=4, min_new_tokens=1_000_000,
                                                 max_length_ratio=TRANSLATION_RATIO)

    def run(self, articles: list[dict[str, Any]]) -> dict[str, Any]:
        start = time.perf_counter()
        texts = [Path(a["path"]).read_text(encoding="utf-8") for a in articles]
        io = time.perf_counter() - start
        results = list(self.pipe.run_many(
            [{"id": a["id"], "text": t} for a, t in zip(articles, texts, strict=True)],
            batch_size=len(articles), errors="raise",
        ))
        pre = sum(r.timings.get("clean", 0.0) + r.timings.get("split", 0.0) for r in results)
        return {"io_s": io, "pre_s": pre, "chunks": sum(r.summary_chunks for r in results),
                "sentences": sum(len(r.sentences) for r in results)}


def make_system(key: str, device: str = "cpu") -> Any:
    if device == "cuda":
        return make_gpu_system(key)
    if key == "a":
        return Naive()
    if key == "b":
        return Beknopt("b", MARIAN, BART, backend="transformers")
    if key == "c":
        return Beknopt("c", MARIAN_CT2, BART_CT2, backend="ctranslate2")
    if key == "d":
        return Beknopt("d", MARIAN, BART, backend="transformers", quantize="dynamic-int8")
    if key == "e":
        return Naive("e", tune_allocator=True)
    raise SystemExit(f"unknown system {key!r}")


def make_gpu_system(key: str) -> Any:
    if key == "a":
        return Naive(device="cuda")
    if key == "b":
        return Beknopt("b", MARIAN, BART, device="cuda", backend="transformers", dtype="float16")
    if key == "c":
        return Beknopt("c", MARIAN_CT2_F16, BART_CT2_F16, device="cuda", backend="ctranslate2",
                       backend_options={"compute_type": "int8_float16"})
    if key == "f":
        return Beknopt("f", MARIAN_CT2_F16, BART_CT2_F16, device="cuda", backend="ctranslate2", dtype="float16")
    raise SystemExit(f"unknown GPU system {key!r}")


# ---------------------------------------------------------------------------------------------------- measuring


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gpu_memory_probe() -> Any:
    """A function giving this process's GPU memory in MB (NVML, as ``nvidia-smi`` shows it), or None."""
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
    except Exception:  # noqa: BLE001 - no NVML, no GPU column; the benchmark itself goes on
        return None
    pid = os.getpid()

    def used_mb() -> float:
        procs = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
        return sum((p.usedGpuMemory or 0) for p in procs if p.pid == pid) / 2**20

    return used_mb


class RssSampler:
    """Samples RSS (and GPU memory, given a probe) every 10 ms during a run: one system's in-process peak."""

    def __init__(self, gpu_probe: Any = None) -> None:
        self.peak = 0.0
        self.gpu_peak: float | None = None
        self._gpu_probe = gpu_probe
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            if self._gpu_probe is not None:
                self.gpu_peak = max(self.gpu_peak or 0.0, self._gpu_probe())
            self._stop.wait(0.01)

    def __enter__(self) -> RssSampler:
        self.peak = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def work_units(articles: list[dict[str, Any]]) -> dict[str, int]:
    """Useful output per article set, identical for every system: forced tokens per sentence plus summaries."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(MARIAN)
    sentences = [s for a in articles for s in a["sentences"]]
    lengths = [len(ids) for ids in tok(sentences)["input_ids"]]
    return {"articles": len(articles), "sentences": len(sentences), "source_tokens": sum(lengths),
            "generated_tokens": sum(forced_translation_tokens(n) for n in lengths) + SUMMARY_TOKENS * len(articles)}


def worker(key: str, articles: list[dict[str, Any]], device: str = "cpu") -> None:
    """One system in this process: load, then answer ``warmup`` / ``run`` lines on stdin with JSON lines.

    A system that fails (a GPU library that will not load, say) answers ``{"error": ...}`` and exits, so the
    driver can report it and go on with the others."""
    before, start = rss_mb(), time.perf_counter()
    try:
        system = make_system(key, device)
    except Exception as exc:  # noqa: BLE001 - reported to the driver, which records it in RESULTS.json
        reply({"error": f"loading failed: {type(exc).__name__}: {exc}"})
        return
    gpu_probe = gpu_memory_probe() if device == "cuda" else None
    reply({"loaded": True, "seconds": time.perf_counter() - start, "rss_delta_mb": rss_mb() - before,
           "loaded_rss_mb": rss_mb(), "loaded_gpu_mb": gpu_probe() if gpu_probe else None})
    for line in sys.stdin:
        command = line.strip()
        try:
            if command == "warmup":
                system.run(articles[:1])
                reply({"warm": True})
            elif command == "run":
                with RssSampler(gpu_probe) as sampler:
                    start = time.perf_counter()
                    stats = system.run(articles)
                    stats["seconds"] = time.perf_counter() - start
                stats["in_run_peak_rss_mb"] = sampler.peak
                stats["process_peak_rss_mb"] = peak_rss_mb()
                stats["peak_gpu_mb"] = sampler.gpu_peak
                reply(stats)
            elif command == "quit":
                return
        except Exception as exc:  # noqa: BLE001 - as above
            reply({"error": f"{command} failed: {type(exc).__name__}: {exc}"})
            return


def reply(data: dict[str, Any]) -> None:
    sys.stdout.write("BENCH " + json.dumps(data) + "\n")
    sys.stdout.flush()


class Worker:
    """The driver's handle on one system's process."""

    def __init__(self, key: str, args: argparse.Namespace) -> None:
        self.key = key
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", key, "--articles", str(args.articles),
             "--min-sentences", str(args.min_sentences), "--device", args.device],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )

    def ask(self, command: str | None) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        for line in self.proc.stdout:  # models may print on stdout; only our lines count
            if line.startswith("BENCH "):
                return json.loads(line[len("BENCH "):])
        raise SystemExit(f"system {self.key}: worker exited with code {self.proc.wait()}")

    def close(self) -> None:
        assert self.proc.stdin is not None
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()


def machine(device: str = "cpu") -> dict[str, Any]:
    import ctranslate2
    import tokenizers
    import torch
    import transformers

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    flags = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("flags")), [])
    simd = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8") if f in flags]
    return {"cpu": model, "cores": len(os.sched_getaffinity(0)), "simd": simd,
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "ctranslate2": ctranslate2.__version__, "tokenizers": tokenizers.__version__,
            "torch_threads": torch.get_num_threads(), "os": platform.platform(), "device": device,
            **(gpu_info() if device == "cuda" else {})}


def gpu_info() -> dict[str, Any]:
    import ctranslate2
    import torch

    props = torch.cuda.get_device_properties(0)
    return {"gpu": props.name, "gpu_memory_gb": round(props.total_memory / 2**30, 1),
            "cuda_torch": torch.version.cuda, "ctranslate2_cuda_devices": ctranslate2.get_cuda_device_count()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=12, help="number of articles (default 12)")
    p.add_argument("--min-sentences", type=int, default=6, help="sentences per article at least (default 6)")
    p.add_argument("--rounds", type=int, default=1, help="measured rounds per system, interleaved (default 1)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cpu (systems a-e) or cuda (systems a, b, c, f of GPU_SYSTEMS; default cpu)")
    p.add_argument("--systems", help="comma-separated (default a,b,c on cpu, a,b,c,f on cuda)")
    p.add_argument("--out", help="results file (default benchmarks/RESULTS.json, RESULTS-gpu.json with --device cuda)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    if args.worker:
        worker(args.worker, build_articles(args.articles, args.min_sentences), args.device)
        return 0

    args.out = args.out or str(HERE / ("RESULTS-gpu.json" if args.device == "cuda" else "RESULTS.json"))
    catalogue = GPU_SYSTEMS if args.device == "cuda" else SYSTEMS
    keys = (args.systems or ("a,b,c,f" if args.device == "cuda" else "a,b,c")).split(",")
    unknown = [k for k in keys if k not in catalogue]
    if unknown:
        raise SystemExit(f"unknown system(s) {', '.join(unknown)} on {args.device}: choose from {', '.join(catalogue)}")
    t0 = time.perf_counter()
    ensure_models(args.device)
    articles = build_articles(args.articles, args.min_sentences)
    work = work_units(articles)
    print(f"setup {time.perf_counter() - t0:.0f}s; {work}", flush=True)
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(args.device), "systems": {k: catalogue[k] for k in keys}, "work": work, "load": {},
        "runs": {}, "errors": {}, "articles": [{"id": a["id"], "sentences": len(a["sentences"])} for a in articles],
    }

    def save() -> None:  # after every step, so a run cut short still leaves what it measured
        report["total_seconds"] = time.perf_counter() - t0
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")

    workers: dict[str, Worker] = {}

    def ask(key: str, command: str | None) -> dict[str, Any] | None:
        answer = workers[key].ask(command)
        if "error" in answer:
            print(f"system {key}: {answer['error']}", flush=True)
            report["errors"][key] = answer["error"]
            workers.pop(key).close()
            save()
            return None
        return answer

    try:
        for key in keys:  # one at a time, so loading is not measured under contention either
            workers[key] = Worker(key, args)
            if (loaded := ask(key, None)) is not None:
                report["load"][key] = loaded
        for key in list(workers):  # warm-up: one article each
            ask(key, "warmup")
        report["runs"] = {k: [] for k in workers}
        for r in range(args.rounds):
            live = [k for k in keys if k in workers]
            order = live[r % len(live):] + live[: r % len(live)] if live else []  # rotate who goes first
            for key in order:
                if (stats := ask(key, "run")) is not None:
                    report["runs"][key].append(stats)
                    print(f"round {r + 1} system {key}: {stats['seconds']:.1f}s", flush=True)
                    save()
    finally:
        for w in workers.values():
            w.close()
    report["runs"] = {k: v for k, v in report["runs"].items() if v}
    save()
    print(f"wrote {args.out} in {report['total_seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
