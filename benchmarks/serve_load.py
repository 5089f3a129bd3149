"""Load benchmark of ``beknopt serve``: N concurrent clients on loopback, against the batch path, same articles.

One command (``python benchmarks/serve_load.py``) measures, on the same articles with the same model flags:

- ``beknopt run FEED.jsonl -o OUT`` as a subprocess, once: wall time including model loading and writing;
- then ``--rounds`` interleaved rounds (so a busy moment of a shared machine hits both alike) of
  ``Pipeline.run_many`` in this process (models loaded and warm: the batch core) and of ``beknopt serve`` in a
  subprocess (started once, warm): ``--clients`` threads (default 8), each with its own HTTP connection, post
  the articles one at a time to ``/v1/summarize`` until all are done.

It prints articles/minute of each, the service's ratio to both (the median round against ``run_many``, every
round's ratio too), p50/p95 latency per request, the error count and the mean articles per model batch (from
the service's ``/metrics``), and writes them as JSON (``--json``). The articles are the CLI fixtures
(``tests/data/cli/articles``: text, Markdown, HTML, JSON, JSONL), the sample article (``tests/data/articles``)
and FLORES-200 documents (as ``tests/conftest.py``'s ``flores_documents()`` builds them), repeated up to
``--articles``; ``--no-cache`` is added to the flags, so that no round is served from the translation cache of
the one before. Without model flags it builds the tiny offline models (``beknopt.models.tiny``), so it runs
anywhere; their output is gibberish, and the figures measure the service's overhead and batching, not
translation quality. A benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI_ARTICLES = ROOT / "tests" / "data" / "cli" / "articles"
SAMPLE = ROOT / "tests" / "data" / "articles" / "2020-09-vs-troepen-irak.txt"
# the tests' tiny-model settings: greedy, short generations (random weights never stop by themselves)
TINY_FLAGS = ["--device", "cpu", "--beams", "1", "--max-new-tokens", "12", "--max-summary-tokens", "24",
              "--min-summary-tokens", "4"]


def load_articles(limit: int) -> list[dict[str, Any]]:
    """Real articles as ``/v1/summarize`` JSON bodies (``text`` or ``html``), repeated up to ``limit``."""
    base: list[dict[str, Any]] = []
    for path in sorted(CLI_ARTICLES.rglob("*")):
        if path.suffix in (".txt", ".md"):
            base.append({"id": path.stem, "text": path.read_text(encoding="utf-8")})
        elif path.suffix in (".html", ".htm"):
            base.append({"id": path.stem, "html": path.read_text(encoding="utf-8")})
        elif path.suffix == ".json":
            base.append(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".jsonl":
            base += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    base.append({"id": SAMPLE.stem, "text": SAMPLE.read_text(encoding="utf-8")})
    flores = files("beknopt.eval").joinpath("data", "flores200_devtest_nl_en", "flores200_devtest_nl_en_by_url.jsonl")
    for i, line in enumerate(flores.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            base.append({"id": f"flores-{i}", "text": " ".join(s.strip() for s in json.loads(line)["nl"])})
    articles = []
    for i in range(limit):
        item = dict(base[i % len(base)])
        item["id"] = f"{item.get('id', 'article')}-{i}"
        articles.append(item)
    return articles


def _pipeline_input(item: dict[str, Any]) -> dict[str, Any]:
    """The same article for ``run_many`` and ``beknopt run``: ``html`` becomes text with format html."""
    if "html" in item:
        return {**{k: v for k, v in item.items() if k != "html"}, "text": item["html"], "format": "html"}
    return item


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def build_pipeline(model_flags: list[str]) -> Any:
    from beknopt.config import PipelineConfig
    from beknopt.options import RUN_OPTIONS, add_options
    from beknopt.pipeline import Pipeline

    parser = argparse.ArgumentParser(argument_default=argparse.SUPPRESS)
    add_options(parser, RUN_OPTIONS)
    pipe = Pipeline.from_config(PipelineConfig.from_options(vars(parser.parse_args(model_flags))))
    list(pipe.run_many([_pipeline_input(articles) for articles in load_articles(1)]))  # warm-up
    return pipe


def bench_run_many(pipe: Any, articles: list[dict[str, Any]], batch_size: int | None = None) -> dict[str, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    results = list(pipe.run_many((_pipeline_input(a) for a in articles), batch_size=batch_size))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "articles": len(results),
            "failed": sum(r.error is not None for r in results)}


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) a process has used so far; Linux only, else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_cli_run(model_flags: list[str], articles: list[dict[str, Any]], work: Path) -> dict[str, Any]:
    feed = work / "in" / "feed.jsonl"
    feed.parent.mkdir(parents=True)
    feed.write_text("".join(json.dumps(_pipeline_input(a), ensure_ascii=False) + "\n" for a in articles),
                    encoding="utf-8")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "beknopt.cli", "run", str(feed), "-o", str(work / "out"), "-q",
                           *model_flags], capture_output=True, text=True, env=_env())
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"beknopt run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    errors = (work / "out" / "errors.jsonl").read_text().splitlines()
    return {"seconds": seconds, "articles": len(articles), "failed": len(errors)}


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``beknopt serve`` in a subprocess, started once and kept warm across rounds."""

    def __init__(self, model_flags: list[str], work: Path, batch_wait_ms: float) -> None:
        import httpx

        self.base = f"http://127.0.0.1:{_free_port()}"
        work.mkdir(parents=True, exist_ok=True)
        self.log_path = work / "serve.log"
        self._log = self.log_path.open("wb")
        port = self.base.rsplit(":", 1)[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "beknopt.cli", "serve", *model_flags, "--port", port,
                                      "--state-dir", str(work / "state"), "--batch-wait-ms", str(batch_wait_ms),
                                      "-q"], env=_env(), stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"beknopt serve did not become ready; see {self.log_path}")
            time.sleep(0.2)
        httpx.post(f"{self.base}/v1/summarize", json=load_articles(1)[0], timeout=300)  # warm-up

    def batch_means(self) -> tuple[float, float]:
        import httpx

        text = httpx.get(f"{self.base}/metrics", timeout=10).text
        values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
        return float(values["beknopt_batch_articles_sum"]), float(values["beknopt_batch_articles_count"])

    def stop(self) -> int:
        self.proc.terminate()  # SIGTERM: the orderly stop, exit 0
        code = self.proc.wait(120)
        self._log.close()
        return code


def bench_serve(server: Server, articles: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    """``clients`` threads, each with its own connection, post the articles one at a time until all are done."""
    import httpx

    todo = list(reversed(articles))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    transport_errors: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=server.base, timeout=300) as http:
            while True:
                with lock:
                    if not todo:
                        return
                    item = todo.pop()
                start = time.perf_counter()
                try:
                    status = http.post("/v1/summarize", json=item).status_code
                except httpx.HTTPError as exc:
                    with lock:
                        transport_errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

    before, cpu = server.batch_means(), process_cpu(server.proc.pid)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    after, cpu_after = server.batch_means(), process_cpu(server.proc.pid)
    batches = after[1] - before[1]
    return {"seconds": seconds, "cpu": cpu_after - cpu if cpu is not None and cpu_after is not None else None,
            "articles": len(latencies), "statuses": statuses, "latencies": latencies,
            "transport_errors": transport_errors, "mean_batch": (after[0] - before[0]) / batches if batches else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default: 8)")
    parser.add_argument("--articles", type=int, default=96, help="articles per measurement (default: 96)")
    parser.add_argument("--batch-wait-ms", type=float, default=10.0, help="the server's --batch-wait-ms")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-cli", action="store_true", help="leave out the beknopt run subprocess")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of run_many and serve (default: 3)")
    parser.add_argument("model_flags", nargs=argparse.REMAINDER,
                        help="after --: model and pipeline flags for all three (default: the tiny models)")
    args = parser.parse_args(argv)
    flags = [f for f in args.model_flags if f != "--"]
    rounds = []
    with tempfile.TemporaryDirectory(prefix="beknopt-serve-load-") as tmp:
        work = Path(tmp)
        if not flags:
            from beknopt.models.tiny import build_tiny_models

            marian, bart = build_tiny_models(work / "models")
            flags = ["--translation-model", str(marian), "--summarization-model", str(bart), *TINY_FLAGS]
        if "--no-cache" not in flags:
            flags.append("--no-cache")  # every round translates every sentence: none is served from the last
        articles = load_articles(args.articles)
        print(f"{len(articles)} articles, {args.clients} clients, {args.rounds} rounds, flags: {' '.join(flags)}",
              flush=True)
        cli = None if args.no_cli else bench_cli_run(flags, articles, work / "run")
        if cli is not None:
            print(f"beknopt run: {cli['seconds']:.1f} s", flush=True)
        pipe = build_pipeline(flags)
        server = Server(flags, work / "serve", args.batch_wait_ms)
        try:
            for r in range(args.rounds):  # interleaved, so a busy moment of the machine hits both alike
                batch = bench_run_many(pipe, articles)
                served = bench_serve(server, articles, args.clients)
                same_size = bench_run_many(pipe, articles, batch_size=args.clients)
                rounds.append((batch, served, same_size))
                print(f"round {r + 1}: run_many {batch['seconds']:.1f} s ({batch['cpu']:.1f} s CPU), serve "
                      f"{served['seconds']:.1f} s ({served['cpu'] or 0:.1f} s CPU, {served['mean_batch']:.1f} "
                      f"articles per batch), run_many --batch-size {args.clients} {same_size['seconds']:.1f} s",
                      flush=True)
        finally:
            exit_code = server.stop()

    def per_minute(result: dict[str, Any]) -> float:
        return 60 * result["articles"] / result["seconds"]

    ratios = sorted(per_minute(s_) / per_minute(b) for b, s_, _ in rounds)
    median = rounds[sorted(range(len(rounds)), key=lambda i: per_minute(rounds[i][1]) / per_minute(rounds[i][0]))
                    [len(rounds) // 2]]
    batch, served, _ = median
    latencies = [x for _, s_, _ in rounds for x in s_["latencies"]]
    # CPU seconds per article: what a busy shared machine changes least (wall time depends on who else runs)
    cpu_ratios = sorted(b["cpu"] / s_["cpu"] for b, s_, _ in rounds if s_["cpu"])
    statuses: dict[str, int] = {}
    for _, s_, _ in rounds:
        for status, n in s_["statuses"].items():
            statuses[str(status)] = statuses.get(str(status), 0) + n
    errors = sum(n for status, n in statuses.items() if status != "200") + sum(
        len(s_["transport_errors"]) for _, s_, _ in rounds)
    done = len(rounds) * len(articles)
    figures = {
        "articles": len(articles), "clients": args.clients, "rounds": args.rounds,
        "batch_wait_ms": args.batch_wait_ms, "cores": os.cpu_count(), "python": platform.python_version(),
        "run_many_per_minute": round(per_minute(batch), 1), "run_many_failed": batch["failed"],
        "beknopt_run_per_minute": round(per_minute(cli), 1) if cli else None,
        "beknopt_run_failed": cli["failed"] if cli else None,
        "serve_per_minute": round(per_minute(served), 1),
        "ratio_to_run_many": round(statistics.median(ratios), 3),
        "ratio_to_run_many_all_rounds": [round(x, 3) for x in ratios],
        "ratio_to_beknopt_run": round(per_minute(served) / per_minute(cli), 3) if cli else None,
        "run_many_cpu_seconds_per_article": round(sum(b["cpu"] for b, _, _ in rounds) / done, 4),
        "serve_cpu_seconds_per_article": round(sum(s_["cpu"] or 0 for _, s_, _ in rounds) / done, 4),
        "cpu_efficiency_ratio": round(statistics.median(cpu_ratios), 3) if cpu_ratios else None,
        # the core at the batch size 8 clients allow at most: what is left is the service's own overhead
        "ratio_to_run_many_same_batch_size": round(statistics.median(
            per_minute(s_) / per_minute(m) for _, s_, m in rounds), 3),
        "p50_seconds": round(percentile(latencies, 0.5), 3), "p95_seconds": round(percentile(latencies, 0.95), 3),
        "errors": errors, "statuses": statuses,
        "mean_articles_per_batch": round(statistics.mean(s_["mean_batch"] for _, s_, _ in rounds), 2),
        "serve_exit_code_after_sigterm": exit_code,
    }
    print(f"Pipeline.run_many      {figures['run_many_per_minute']:8.1f} articles/min (median round; "
          f"{batch['failed']} failed)")
    if cli is not None:
        print(f"beknopt run (CLI)      {figures['beknopt_run_per_minute']:8.1f} articles/min, wall incl. model "
              f"load ({cli['failed']} failed)")
    versus_cli = f", {figures['ratio_to_beknopt_run']:.2f}x beknopt run" if cli else ""
    print(f"beknopt serve, {args.clients} clients {figures['serve_per_minute']:8.1f} articles/min: "
          f"{figures['ratio_to_run_many']:.2f}x run_many (rounds: {figures['ratio_to_run_many_all_rounds']})"
          f"{versus_cli}; p50 {figures['p50_seconds']:.3f} s, p95 {figures['p95_seconds']:.3f} s; {errors} errors; "
          f"{figures['mean_articles_per_batch']} articles per model batch; exit {exit_code} after SIGTERM")
    print(f"against run_many --batch-size {args.clients} (the largest batch {args.clients} clients can make): "
          f"{figures['ratio_to_run_many_same_batch_size']:.2f}x")
    print(f"CPU seconds per article: run_many {figures['run_many_cpu_seconds_per_article']}, serve "
          f"{figures['serve_cpu_seconds_per_article']} (the service's server process only; median ratio "
          f"{figures['cpu_efficiency_ratio']})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
