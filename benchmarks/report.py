"""Turn ``RESULTS.json`` (written by ``run.py``) into the tables of ``RESULTS.md``; prints Markdown to stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NAMES = {"a": "(a) naive transformers, fp32, one article at a time",
         "b": "(b) beknopt, transformers backend (fp32)",
         "c": "(c) beknopt, ctranslate2 backend (int8)",
         "d": "(d) beknopt, transformers backend, dynamic int8 (--quantize dynamic-int8)",
         "e": "(e) naive recipe + beknopt's CPU allocator tuning (not a beknopt system)"}


def summarise(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    work = report["work"]
    out: dict[str, dict[str, float]] = {}
    for key, runs in report["runs"].items():
        seconds = sum(r["seconds"] for r in runs) / len(runs)
        out[key] = {
            "seconds": seconds,
            "articles_per_min": 60 * work["articles"] / seconds,
            "sentences_per_s": work["sentences"] / seconds,
            "tokens_per_s": work["generated_tokens"] / seconds,
            "peak_rss_mb": max(r["process_peak_rss_mb"] for r in runs),
            "peak_gpu_mb": max((r["peak_gpu_mb"] for r in runs if r.get("peak_gpu_mb") is not None), default=None),
            "pre_share": sum(r["io_s"] + r["pre_s"] for r in runs) / sum(r["seconds"] for r in runs),
            "chunks": runs[0]["chunks"],
        }
    return out


def to_markdown(report: dict[str, Any]) -> str:
    rows = summarise(report)
    base = rows.get("a")
    gpu = report.get("machine", {}).get("device") == "cuda"
    names = NAMES if not gpu else {k: f"({k}) {v}" for k, v in report["systems"].items()}
    lines = ["| system | s / run | articles/min | sentences/s | generated tokens/s | peak RSS (own process) "
             + ("| peak GPU memory (own process) " if gpu else "")
             + "| × (a) articles/min | × (a) sentences/s | × (a) tokens/s |",
             "|---|---:|---:|---:|---:|---:|" + ("---:|" if gpu else "") + "---:|---:|---:|"]
    def ratio(r: dict[str, float], k: str) -> str:
        return f"{r[k] / base[k]:.2f}×" if base else "–"

    for key, r in rows.items():
        gpu_mb = "–" if r["peak_gpu_mb"] is None else f"{r['peak_gpu_mb']:,.0f} MB"  # None: no NVML (nvidia-ml-py)
        rss = f"{r['peak_rss_mb']:,.0f} MB" + (f" | {gpu_mb}" if gpu else "")
        lines.append(f"| {names[key]} | {r['seconds']:.1f} | {r['articles_per_min']:.2f} | "
                     f"{r['sentences_per_s']:.2f} | {r['tokens_per_s']:.1f} | {rss} | {ratio(r, 'articles_per_min')} | "
                     f"{ratio(r, 'sentences_per_s')} | {ratio(r, 'tokens_per_s')} |")
    lines += [f"\nsystem ({key}) failed: {error}" for key, error in report.get("errors", {}).items()]
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "RESULTS.json"
    data = json.loads(path.read_text())
    print(to_markdown(data))
    print()
    print(json.dumps(summarise(data), indent=2))
