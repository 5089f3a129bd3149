"""A real ``kill -9`` in the middle of ``beknopt run``, then a re-run: the same outputs as one uninterrupted run.

The interrupted run is a subprocess (the only one in the CLI tests); the re-run and the reference run are
in-process. ``--batch-size 1`` makes the subprocess write one article at a time, so it can be killed between
(or during) writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import flores_documents
from test_cli import outputs, read_jsonl

from beknopt.cli import main

N_GOOD = 40


def _without_timings(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "timings"}


def _article_files(outdir: Path) -> list[Path]:
    return [p for p in outdir.rglob("*.json") if ".beknopt" not in p.relative_to(outdir).parts]


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_torch_threads")]


def test_killed_run_then_rerun_equals_an_uninterrupted_run(tmp_path, capsys, tiny_models) -> None:
    src = tmp_path / "in"
    (src / "deel").mkdir(parents=True)
    for i, doc in enumerate(flores_documents()[:N_GOOD]):
        folder = src / "deel" if i % 2 else src
        (folder / f"artikel-{i:03d}.txt").write_text(" ".join(doc["nl"][:3]), encoding="utf-8")
    (src / "leeg.txt").write_text("", encoding="utf-8")
    (src / "plaatje.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (src / "engels.txt").write_text("The council met on Monday to discuss the budget for next year. "
                                    "Several members asked for more money for schools.", encoding="utf-8")
    marian, bart = tiny_models
    args = [str(src), "--translation-model", str(marian), "--summarization-model", str(bart),
            "--device", "cpu", "--threads", "1", "--beams", "1", "--max-new-tokens", "12",
            "--max-summary-tokens", "8", "--min-summary-tokens", "2", "--batch-size", "1", "--format", "md"]

    killed = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "beknopt.cli", "run", *args, "-o", str(killed), "-q"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if killed.is_dir() and len(_article_files(killed)) >= 5:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"finished or died before it could be killed: {proc.communicate()}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    # what the kill left: only complete article files; no results/errors yet (those need a complete run)
    partial = _article_files(killed)
    assert 5 <= len(partial) < N_GOOD
    for path in partial:
        assert json.loads(path.read_text(encoding="utf-8"))["beknopt"]["input_sha256"]
    for path in killed.rglob("*.md"):
        assert path.read_text(encoding="utf-8").startswith("# ")
    assert not (killed / "results.jsonl").exists() and not (killed / "errors.jsonl").exists()
    assert not [p for p in killed.rglob("*.tmp") if ".beknopt" not in p.relative_to(killed).parts]

    # the re-run skips what was finished and does the rest
    code = main(["run", *args, "-o", str(killed), "-q"])
    line = capsys.readouterr().out.strip()
    done, skipped = N_GOOD - len(partial), len(partial) + 1
    assert (code, line) == (1, f"{done} done, {skipped} skipped, 2 failed")
    assert not list((killed / ".beknopt").glob("tmp/*"))

    fresh = tmp_path / "fresh"
    assert main(["run", *args, "-o", str(fresh), "-q"]) == 1
    assert capsys.readouterr().out.strip() == f"{N_GOOD} done, 1 skipped, 2 failed"

    got, want = outputs(killed), outputs(fresh)
    assert set(got) == set(want) and len(got) == N_GOOD
    assert {k: _without_timings(v) for k, v in got.items()} == {k: _without_timings(v) for k, v in want.items()}
    assert outputs(killed, ".md") == outputs(fresh, ".md")
    assert [_without_timings(r) for r in read_jsonl(killed / "results.jsonl")] == \
        [_without_timings(r) for r in read_jsonl(fresh / "results.jsonl")]
    assert (killed / "errors.jsonl").read_text() == (fresh / "errors.jsonl").read_text()
    assert [e["id"] for e in read_jsonl(fresh / "errors.jsonl")] == ["engels.txt", "leeg.txt", "plaatje.txt"]
