"""Golden outputs: what ``beknopt run`` and ``beknopt eval`` write must not change unless we mean it to.

The tiny models are seeded and the runs single-threaded, so every file is reproducible (timings aside, which
are dropped). Everything runs inside a temporary folder with relative paths, so the recorded paths and the
settings fingerprints do not depend on where the test runs.

After an intended change of output, regenerate the record and review its diff:

    HF_HUB_OFFLINE=1 .venv/bin/python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA

from beknopt.cli import main

GOLDEN = DATA / "golden" / "outputs.json"
RUN_FLAGS = ["--translation-model", "models/marian", "--summarization-model", "models/bart", "--device", "cpu",
             "--beams", "1", "--max-new-tokens", "12", "--max-summary-tokens", "24", "--min-summary-tokens", "4",
             "--threads", "1", "-q"]

pytestmark = pytest.mark.usefixtures("restore_torch_threads")


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in ("timings", "seconds")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return _without_timings(json.loads(text))
    if path.suffix == ".jsonl":
        return [_without_timings(json.loads(line)) for line in text.splitlines() if line.strip()]
    return text


def _collect(folder: Path) -> dict[str, Any]:
    """Every file a command wrote under ``folder``, but beknopt's own state folder."""
    return {p.relative_to(folder).as_posix(): _read(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and ".beknopt" not in p.relative_to(folder).parts}


def produce(work: Path, tiny_models: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Run the recorded commands in ``work`` (the current folder) and gather what they wrote and printed."""
    marian, bart = tiny_models
    shutil.copytree(marian, work / "models" / "marian")
    shutil.copytree(bart, work / "models" / "bart")
    shutil.copytree(DATA / "cli" / "articles", work / "articles")
    shutil.copytree(DATA / "articles", work / "sample")
    shutil.copytree(DATA / "eval", work / "eval")
    bad = work / "bad"  # one of each kind of error record: read, clean, language (skipped)
    bad.mkdir()
    (bad / "leeg.txt").write_text("", encoding="utf-8")
    (bad / "engels.txt").write_text("The city council approved a new plan for the town centre yesterday. According "
                                    "to the alderman there will be more trees and fewer parking spaces.",
                                    encoding="utf-8")
    (bad / "feed.jsonl").write_text('{"id": "kapot", "text": \n{"id": "geen-tekst"}\n', encoding="utf-8")
    commands = {
        "run-json": ["run", "articles", "sample", "bad", "-o", "out-json", *RUN_FLAGS],
        "run-md": ["run", "articles", "sample", "bad", "-o", "out-md", "--format", "md", *RUN_FLAGS],
        "eval-summary": ["eval", "--predictions", "eval/summary.pred_a.jsonl", "--references",
                         "eval/summary.ref.jsonl", "--source", "eval/summary.src.jsonl", "--out", "eval-summary"],
        "eval-translation": ["eval", "--predictions", "eval/translation.hyp_a.txt", "--references",
                             "eval/translation.ref.txt", "--task", "translation", "--out", "eval-translation"],
        "eval-compare": ["eval", "--compare", "eval/summary.pred_a.jsonl", "eval/summary.pred_b.jsonl",
                         "--references", "eval/summary.ref.jsonl", "--out", "eval-compare"],
    }
    record: dict[str, Any] = {}
    for name, args in commands.items():
        code = main(args)
        printed = capsys.readouterr().out
        out = work / args[args.index("-o" if "-o" in args else "--out") + 1]
        record[name] = {"exit": code, "stdout": printed, "files": _collect(out)}
    return record


def test_outputs_are_unchanged(tmp_path, monkeypatch, capsys, tiny_models, request) -> None:
    monkeypatch.chdir(tmp_path)
    got = produce(tmp_path, tiny_models, capsys)
    if request.config.getoption("--update-golden"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name]["exit"] == want[name]["exit"], name
        assert got[name]["stdout"] == want[name]["stdout"], name
        assert sorted(got[name]["files"]) == sorted(want[name]["files"]), name
        for path, content in want[name]["files"].items():
            assert got[name]["files"][path] == content, f"{name}: {path} changed"
    results = got["run-json"]["files"]["results.jsonl"]
    assert len(results) == 7 and all(r["summary"] for r in results)
    assert any(r["summary_chunks"] > 1 for r in results)  # the sample article goes through map-reduce
    errors = got["run-json"]["files"]["errors.jsonl"]
    assert [(e["stage"], e["outcome"]) for e in errors] == [("language", "skipped"), ("read", "failed"),
                                                            ("read", "failed"), ("clean", "failed")]
