"""Helpers for the ``beknopt serve`` tests: a real uvicorn server on a free loopback port, in a thread (sharing the
session's tiny models) or as a ``beknopt serve`` process (for kill -9 and SIGTERM)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

# conftest's tiny-model settings, with summaries long enough that the tiny BART (a 128-token context) gives a
# non-empty one for the sample article; the same settings as Pipeline keywords and as flags, so records match
TINY_SETTINGS = {"device": "cpu", "num_beams": 1, "summary_num_beams": 1, "max_new_tokens": 12,
                 "max_summary_tokens": 24, "min_summary_tokens": 4, "threads": 1}
TINY_FLAGS = ["--device", "cpu", "--beams", "1", "--max-new-tokens", "12", "--max-summary-tokens", "24",
              "--min-summary-tokens", "4", "--threads", "1"]


def tiny_flags(tiny_models: tuple[Path, Path]) -> list[str]:
    marian, bart = tiny_models
    return ["--translation-model", str(marian), "--summarization-model", str(bart), *TINY_FLAGS]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Any, timeout: float = 60, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on 127.0.0.1; yields the base URL; stops it in order after."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=10))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), timeout=60, what="uvicorn to start")
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def wait_ready(base: str, timeout: float = 60) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"{base}/health/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout=timeout, interval=0.1, what=f"{base}/health/ready")


def serve_process(args: list[str], state_dir: Path, port: int, log: Path) -> subprocess.Popen:
    """``beknopt serve`` in its own process, its log in ``log``; the caller waits for readiness and stops it."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "beknopt.cli", "serve", *args, "--port", str(port),
                             "--state-dir", str(state_dir)], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def wait_job(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    def done() -> dict | None:
        status = client.get(f"/v1/jobs/{job_id}").json()
        return status if status["status"] == "done" else None

    return wait_until(done, timeout=timeout, interval=0.1, what=f"job {job_id}")
