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
ARTICLES = HERE / ".articles"
TRANSLATION_RATIO = 1.3
SUMMARY_TOKENS = 80
SYSTEMS = {"a": "naive transformers (model-card recipe, fp32)", "b": "beknopt, transformers backend (fp32)",
           "c": "beknopt, ctranslate2 backend (int8)",
           "d": "beknopt, transformers backend, dynamic int8 (optional)",
           "e": "naive recipe with beknopt's CPU allocator tuning (how much of (b) is the allocator alone)"}


def forced_translation_tokens(longest_source: int) -> int:
    """The same rule as beknopt's ``max_length_ratio`` (``int(ratio * longest) + 8``), used by every system."""
    return int(TRANSLATION_RATIO * longest_source) + 8


# ---------------------------------------------------------------------------------------------------- setup


def ensure_models() -> None:
    sys.path.insert(0, str(HERE))
    import models as builders
    from beknopt.models.convert import convert

    if not (MARIAN / "model.safetensors").is_file():
        builders.build_marian(MARIAN)
    if not (BART / "model.safetensors").is_file():
        builders.build_bart(BART)
    for src, dst in ((MARIAN, MARIAN_CT2), (BART, BART_CT2)):
        if not (dst / "model.bin").is_file():
            convert(str(src), dst, quantization="int8", force=True)


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

    def __init__(self, key: str = "a", tune_allocator: bool = False) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.key = key
        if tune_allocator:
            from beknopt.models.allocator import tune_malloc

            tune_malloc()

        self.mt_tok = AutoTokenizer.from_pretrained(MARIAN)
        self.mt = AutoModelForSeq2SeqLM.from_pretrained(MARIAN)
        self.sum_tok = AutoTokenizer.from_pretrained(BART)
        self.sum = AutoModelForSeq2SeqLM.from_pretrained(BART)

    def run(self, articles: list[dict[str, Any]]) -> dict[str, Any]:
        stats = {"io_s": 0.0, "pre_s": 0.0, "chunks": 0}
        for article in articles:
            start = time.perf_counter()
            Path(article["path"]).read_text(encoding="utf-8")
            stats["io_s"] += time.perf_counter() - start
            sentences = article["sentences"]  # the article's sentences, as a simple splitter would give them
            batch = self.mt_tok(sentences, return_tensors="pt", padding=True)
            forced = forced_translation_tokens(batch["input_ids"].shape[1])
            out = self.mt.generate(**batch, min_new_tokens=forced, max_new_tokens=forced)
            english = self.mt_tok.batch_decode(out, skip_special_tokens=True)
            inputs = self.sum_tok(" ".join(english), return_tensors="pt", truncation=True, max_length=1024)
            summary = self.sum.generate(**inputs, min_new_tokens=SUMMARY_TOKENS, max_new_tokens=SUMMARY_TOKENS)
            self.sum_tok.batch_decode(summary, skip_special_tokens=True)
            stats["chunks"] += 1
        return stats


class Beknopt:
    """``Pipeline.from_pretrained`` on the same models; translation cache and degeneration retries off."""

    def __init__(self, key: str, translation: Path, summarization: Path, **options: Any) -> None:
        from beknopt import Pipeline
        from beknopt.models.backend import GenerationSettings

        self.key = key
        self.pipe = Pipeline.from_pretrained(
            str(translation), str(summarization), device="cpu", num_beams=4, summary_num_beams=4,
            min_summary_tokens=SUMMARY_TOKENS, max_summary_tokens=SUMMARY_TOKENS, cache=False, guard=False,
            **options,
        )
        translator = self.pipe.stages[2]
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


def make_system(key: str) -> Any:
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


class RssSampler:
    """Samples RSS every 10 ms during a run: the in-process peak of one system while others are loaded."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
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


def worker(key: str, articles: list[dict[str, Any]]) -> None:
    """One system in this process: load, then answer ``warmup`` / ``run`` lines on stdin with JSON lines."""
    before, start = rss_mb(), time.perf_counter()
    system = make_system(key)
    reply({"loaded": True, "seconds": time.perf_counter() - start, "rss_delta_mb": rss_mb() - before,
           "loaded_rss_mb": rss_mb()})
    for line in sys.stdin:
        command = line.strip()
        if command == "warmup":
            system.run(articles[:1])
            reply({"warm": True})
        elif command == "run":
            with RssSampler() as sampler:
                start = time.perf_counter()
                stats = system.run(articles)
                stats["seconds"] = time.perf_counter() - start
            stats["in_run_peak_rss_mb"] = sampler.peak
            stats["process_peak_rss_mb"] = peak_rss_mb()
            reply(stats)
        elif command == "quit":
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
             "--min-sentences", str(args.min_sentences)],
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
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()


def machine() -> dict[str, Any]:
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
            "torch_threads": torch.get_num_threads(), "os": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=12, help="number of articles (default 12)")
    p.add_argument("--min-sentences", type=int, default=6, help="sentences per article at least (default 6)")
    p.add_argument("--rounds", type=int, default=1, help="measured rounds per system, interleaved (default 1)")
    p.add_argument("--systems", default="a,b,c", help=f"comma-separated, from {', '.join(SYSTEMS)} (default a,b,c)")
    p.add_argument("--out", default=str(HERE / "RESULTS.json"))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    if args.worker:
        worker(args.worker, build_articles(args.articles, args.min_sentences))
        return 0

    keys = args.systems.split(",")
    unknown = [k for k in keys if k not in SYSTEMS]
    if unknown:
        raise SystemExit(f"unknown system(s) {', '.join(unknown)}: choose from {', '.join(SYSTEMS)}")
    t0 = time.perf_counter()
    ensure_models()
    articles = build_articles(args.articles, args.min_sentences)
    work = work_units(articles)
    print(f"setup {time.perf_counter() - t0:.0f}s; {work}", flush=True)
    workers: dict[str, Worker] = {}
    load: dict[str, dict[str, Any]] = {}
    try:
        for key in keys:  # one at a time, so loading is not measured under contention either
            workers[key] = Worker(key, args)
            load[key] = workers[key].ask(None)
        for key in keys:  # warm-up: one article each
            workers[key].ask("warmup")
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
        for r in range(args.rounds):
            order = keys[r % len(keys):] + keys[: r % len(keys)]  # rotate who goes first
            for key in order:
                stats = workers[key].ask("run")
                runs[key].append(stats)
                print(f"round {r + 1} system {key}: {stats['seconds']:.1f}s", flush=True)
    finally:
        for w in workers.values():
            w.close()
    report = {"command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
              "machine": machine(), "work": work, "load": load, "runs": runs,
              "articles": [{"id": a["id"], "sentences": len(a["sentences"])} for a in articles],
              "total_seconds": time.perf_counter() - t0}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} in {report['total_seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
