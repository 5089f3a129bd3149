"""Regression tests for issue 20's batch-runner items: nothing outside OUTDIR is moved, read or written through
a hostile journal or a link (items 2, 3, 5), one unwritable subfolder fails its own articles only (item 4),
files left out because they are inside OUTDIR are reported (item 6), and SIGTERM is answered while the models
load and ignored once the run is over (item 10).

Permission tests need real permission errors, which root does not get: the ``beknopt run`` subprocess then runs
without CAP_DAC_OVERRIDE (``setpriv``), so the permission bits count for it as for any user.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path, PurePosixPath

import pytest
from test_cli import read_jsonl, run
from test_data_safety import ANDER, DUTCH, run_lead, snapshot

from beknopt.batch.outdir import OutputFolder, OutputFolderError, WriteRefusedError

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

STAGED = "0123456789abcdef0123456789abcdef.jsonl"


def _folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    src, out, victim = tmp_path / "in", tmp_path / "out", tmp_path / "victim"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    victim.mkdir()
    return src, out, victim


def _no_models(tmp_path: Path) -> list[str]:
    """A translation model that does not exist: a run that gets past the folder checks fails on it instead."""
    return ["--translation-model", str(tmp_path / "geen-model")]


# ----------------------------------------------------------------------------------------------------
# 2. a crafted .beknopt/commit.json


def _craft_journal(out: Path, victim: Path) -> None:
    (victim / "results.jsonl").write_text('{"van": "de gebruiker"}\n', encoding="utf-8")
    (victim / "keep.txt").write_text("bewaren\n", encoding="utf-8")
    (out / ".beknopt" / "staged").mkdir(exist_ok=True)
    (out / ".beknopt" / "commit.json").write_text(json.dumps(
        {"results.jsonl": "../../../victim/results.jsonl", "digest.csv": "../../../victim/keep.txt"}),
        encoding="utf-8")


def test_item2_crafted_journal_is_refused(tmp_path, capsys, model_args) -> None:
    src, out, victim = _folders(tmp_path)
    run_lead(src, out)
    _craft_journal(out, victim)
    before = snapshot(victim)
    code, stdout, err = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert (code, stdout) == (2, "")
    assert "commit.json is not a journal beknopt wrote" in err and "nothing was moved" in err
    assert snapshot(victim) == before
    # the API refuses it the same way, and so does every later run until the journal is gone
    with pytest.raises(OutputFolderError, match="not a journal beknopt wrote"):
        OutputFolder(out)
    assert snapshot(victim) == before
    (out / ".beknopt" / "commit.json").unlink()
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert (code, stdout.strip()) == (0, "1 done, 0 skipped, 0 failed")
    assert snapshot(victim) == before


@pytest.mark.parametrize("plan", [{"results.jsonl": "../x.jsonl"}, {"results.jsonl": "sub/" + STAGED},
                                  {"notes.txt": STAGED}, {"results.jsonl": STAGED.upper()},
                                  {"results.jsonl": 7}, ["results.jsonl"]])
def test_item2_journal_names_other_than_its_own_are_refused(tmp_path, plan) -> None:
    out = tmp_path / "out"
    (out / ".beknopt" / "staged").mkdir(parents=True)
    (out / ".beknopt" / "commit.json").write_text(json.dumps(plan), encoding="utf-8")
    with pytest.raises(OutputFolderError, match="commit.json"):
        OutputFolder(out)
    assert (out / ".beknopt" / "commit.json").exists()  # refused, not acted on


def test_item2_a_linked_journal_or_staged_file_is_not_followed(tmp_path, capsys) -> None:
    src, out, victim = _folders(tmp_path)
    run_lead(src, out)
    (victim / "results.jsonl").write_text('{"van": "de gebruiker"}\n', encoding="utf-8")
    staged = out / ".beknopt" / "staged"
    staged.mkdir(exist_ok=True)
    # a staged name of the right shape that is a link to a user's file
    os.symlink(victim / "results.jsonl", staged / STAGED)
    (out / ".beknopt" / "commit.json").write_text(json.dumps({"results.jsonl": STAGED}), encoding="utf-8")
    before = snapshot(victim)
    with pytest.raises(OutputFolderError, match="is a symlink: beknopt did not stage it"):
        OutputFolder(out)
    assert not (out / "results.jsonl").is_symlink() and snapshot(victim) == before
    # the journal itself a link: refused before the models load
    (out / ".beknopt" / "commit.json").unlink()
    (victim / "plan.json").write_text(json.dumps({"results.jsonl": STAGED}), encoding="utf-8")
    os.symlink(victim / "plan.json", out / ".beknopt" / "commit.json")
    code, _, err = run(capsys, "run", str(src), "-o", str(out), *_no_models(tmp_path))
    assert code == 2 and "commit.json is in the way: it is not a regular file" in err
    assert snapshot(victim) == {**before, "plan.json": snapshot(victim)["plan.json"]}


def test_item2_an_interrupted_commit_is_still_completed(tmp_path) -> None:
    """What a real journal names still moves: the checks refuse only what beknopt would not have written."""
    src, out, _ = _folders(tmp_path)
    run_lead(src, out)
    staged = out / ".beknopt" / "staged"
    staged.mkdir(exist_ok=True)
    (staged / STAGED).write_text('{"id": "hersteld"}\n', encoding="utf-8")
    (out / ".beknopt" / "commit.json").write_text(json.dumps({"results.jsonl": STAGED,
                                                              "errors.jsonl": "f" * 32 + ".jsonl"}))
    OutputFolder(out).close()  # errors.jsonl's staged file is gone: moved by an earlier, interrupted recovery
    assert read_jsonl(out / "results.jsonl") == [{"id": "hersteld"}]
    assert not (out / ".beknopt" / "commit.json").exists() and not list(staged.iterdir())


# ----------------------------------------------------------------------------------------------------
# 3. .beknopt/staged (and tmp) as a link


@pytest.mark.parametrize("name", ["staged", "tmp"])
def test_item3_a_linked_staging_folder_is_a_usage_error_before_the_models(tmp_path, capsys, name) -> None:
    src, out, victim = _folders(tmp_path)
    (out / ".beknopt").mkdir(parents=True)
    os.symlink(victim, out / ".beknopt" / name)
    code, stdout, err = run(capsys, "run", str(src), "-o", str(out), *_no_models(tmp_path))
    assert (code, stdout) == (2, "")
    assert err.strip() == (f"beknopt: error: run: {out / '.beknopt' / name} is in the way: it is a symlink, not a "
                           "folder, and beknopt keeps its own files there; remove it, or choose another output folder")
    assert list(victim.iterdir()) == []
    with pytest.raises(OutputFolderError, match="is in the way: it is a symlink"):
        OutputFolder(out)
    assert list(victim.iterdir()) == []


def test_item3_staged_replaced_by_a_link_during_the_run_receives_nothing(tmp_path) -> None:
    _, out, victim = _folders(tmp_path)
    folder = OutputFolder(out)
    try:
        folder.add_result({"id": "a"})
        shutil.rmtree(out / ".beknopt" / "staged")
        os.symlink(victim, out / ".beknopt" / "staged")
        with pytest.raises(OutputFolderError, match="staged is in the way: it is a symlink"):
            folder.commit()
    finally:
        folder.close()
    assert list(victim.iterdir()) == []


# ----------------------------------------------------------------------------------------------------
# 4. an unwritable output subfolder


def _sub_tree(tmp_path: Path) -> tuple[Path, Path]:
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    for name, text in (("a", DUTCH), ("b", ANDER)):
        (src / f"{name}.txt").write_text(text, encoding="utf-8")
    for i in (1, 2, 3):
        (src / "sub" / f"a{i}.txt").write_text(DUTCH if i % 2 else ANDER, encoding="utf-8")
    return src, out


def test_item4_unwritable_subfolder_fails_only_its_articles(tmp_path, monkeypatch) -> None:
    """Unit level: the permission error injected where the kernel would raise it (rename into, unlink in sub/)."""
    src, out = _sub_tree(tmp_path)
    run_lead(src, out)
    sub = out / "sub"
    old = {p.name: p.read_bytes() for p in sub.iterdir()}
    real_replace, real_unlink = os.replace, os.unlink

    def denied(path) -> None:
        if Path(path).parent == sub:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "replace", lambda a, b, **k: (denied(b), real_replace(a, b, **k))[1])
    monkeypatch.setattr(os, "unlink", lambda p, **k: (denied(p), real_unlink(p, **k))[1])
    runner = run_lead(src, out, force=True)
    assert runner.summary.line() == "2 done, 0 skipped, 3 failed"
    errors = read_jsonl(out / "errors.jsonl")
    assert [e["id"] for e in errors] == ["sub/a1.txt", "sub/a2.txt", "sub/a3.txt"]
    for error in errors:
        assert error["stage"] == "write" and "Permission denied" in error["reason"]
        assert f"{out / 'sub' / Path(error['id']).stem}.json" in error["reason"]  # the output, not a temp file
        assert "could not be removed (Permission denied) and is left in place" in error["reason"]
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["a.txt", "b.txt"]
    assert {p.name: p.read_bytes() for p in sub.iterdir()} == old
    assert not list((out / ".beknopt" / "tmp").iterdir())


def test_item4_the_free_space_advice_only_when_space_ran_out(tmp_path, capsys, monkeypatch, model_args) -> None:
    src, out = _sub_tree(tmp_path)

    def refuse(self, record):
        raise PermissionError(errno.EACCES, "Permission denied", str(out / "results.jsonl"))

    monkeypatch.setattr(OutputFolder, "add_result", refuse)
    code, _, err = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert code == 1 and "Permission denied" in err and "free space" not in err
    assert "fix the cause and run the same command again to resume" in err


def _without_dac_override(tmp_path: Path) -> list[str]:
    """A command prefix that runs ``beknopt run`` without the right to ignore permission bits (root in CI)."""
    if os.name != "posix":
        pytest.skip("permission bits are POSIX")
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing: cannot drop CAP_DAC_OVERRIDE")
    prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o555)
    try:
        proc = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
                              capture_output=True, text=True, timeout=60)
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)
    if "PermissionError" not in proc.stderr:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here (setpriv: rc {proc.returncode}, {proc.stderr.strip()!r})")
    return prefix


def _cli(prefix: list[str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([*prefix, sys.executable, "-m", "beknopt.cli", "run", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_item4_a_read_only_subfolder_for_real(tmp_path, capsys, model_args) -> None:
    prefix = _without_dac_override(tmp_path)
    src, out = _sub_tree(tmp_path)
    assert run(capsys, "run", str(src), "-o", str(out), *model_args)[0] == 0
    sub = out / "sub"
    old = {p.name: p.read_bytes() for p in sub.iterdir()}
    sub.chmod(0o555)
    try:
        proc = _cli(prefix, str(src), "-o", str(out), *model_args, "--force")
    finally:
        sub.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "2 done, 0 skipped, 3 failed"
    assert "cannot write to" not in proc.stderr and "free space" not in proc.stderr
    errors = read_jsonl(out / "errors.jsonl")
    assert [(e["id"], e["stage"]) for e in errors] == [(f"sub/a{i}.txt", "write") for i in (1, 2, 3)]
    assert all("Permission denied" in e["reason"] for e in errors)
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["a.txt", "b.txt"]
    assert {p.name: p.read_bytes() for p in sub.iterdir()} == old


@pytest.mark.slow
def test_item4_a_read_only_state_folder_stops_before_the_models(tmp_path, capsys, model_args) -> None:
    prefix = _without_dac_override(tmp_path)
    src, out = _sub_tree(tmp_path)
    assert run(capsys, "run", str(src), "-o", str(out), *model_args)[0] == 0
    state = out / ".beknopt"
    before = snapshot(out)
    state.chmod(0o555)
    try:
        proc = _cli(prefix, str(src), "-o", str(out), *_no_models(tmp_path), timeout=120)
    finally:
        state.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (f"beknopt: error: run: cannot write to {state}: permission denied (beknopt keeps "
                                   "its state there); make it writable, or choose another output folder")
    assert snapshot(out) == before


def test_item4_a_read_only_state_file_is_a_usage_error(tmp_path, capsys, monkeypatch) -> None:
    """Unit level (root ignores permission bits): ``os.access`` answers as it would for a user."""
    src, out, _ = _folders(tmp_path)
    run_lead(src, out)
    manifest = out / ".beknopt" / "manifest"
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == manifest else real_access(p, mode, **k))
    code, _, err = run(capsys, "run", str(src), "-o", str(out), *_no_models(tmp_path))
    assert code == 2 and f"cannot write to {manifest}: permission denied" in err


# ----------------------------------------------------------------------------------------------------
# 5. resuming never reads through a link


def test_item5_linked_output_json_is_refused_not_resumed(tmp_path) -> None:
    src, out, victim = _folders(tmp_path)
    run_lead(src, out)
    data = json.loads((out / "a.json").read_text(encoding="utf-8"))
    data["summary"] = "GEHEIM van de gebruiker"  # a valid resume key: today it is copied into results.jsonl
    (victim / "x.json").write_text(json.dumps(data), encoding="utf-8")
    (out / "a.json").unlink()
    os.symlink(Path("..") / "victim" / "x.json", out / "a.json")
    before = snapshot(victim)
    runner = run_lead(src, out)
    assert runner.summary.line() == "0 done, 0 skipped, 1 failed"
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["stage"] == "write" and f"refusing to replace {out / 'a.json'}: it is a symlink" in error["reason"]
    assert "GEHEIM" not in (out / "results.jsonl").read_text(encoding="utf-8")
    assert snapshot(victim) == before and os.path.islink(out / "a.json")


def test_item5_a_linked_folder_on_the_way_is_not_read_either(tmp_path) -> None:
    src, out, victim = tmp_path / "in", tmp_path / "out", tmp_path / "victim"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.txt").write_text(DUTCH, encoding="utf-8")
    run_lead(src, out)
    shutil.move(out / "sub", victim)
    data = json.loads((victim / "x.json").read_text(encoding="utf-8"))
    data["summary"] = "GEHEIM"
    (victim / "x.json").write_text(json.dumps(data), encoding="utf-8")
    os.symlink(victim, out / "sub")
    before = snapshot(victim)
    runner = run_lead(src, out)
    assert runner.summary.line() == "0 done, 0 skipped, 1 failed"
    assert "symlink" in read_jsonl(out / "errors.jsonl")[0]["reason"]
    assert "GEHEIM" not in (out / "results.jsonl").read_text(encoding="utf-8")
    assert snapshot(victim) == before


def test_item5_read_inside_walks_without_links(tmp_path) -> None:
    from beknopt.batch.outdir import read_inside

    out, victim = tmp_path / "out", tmp_path / "victim"
    (out / "deel").mkdir(parents=True)
    victim.mkdir()
    (victim / "x.json").write_text("{}", encoding="utf-8")
    (out / "deel" / "eigen.json").write_text("[1]", encoding="utf-8")
    os.symlink(victim / "x.json", out / "link.json")
    os.symlink(victim, out / "map")
    os.mkfifo(out / "pijp.json")
    assert read_inside(out, PurePosixPath("deel/eigen.json")) == b"[1]"
    assert read_inside(out, PurePosixPath("nergens/a.json")) is None
    assert read_inside(out, PurePosixPath("weg.json")) is None
    for rel, why in (("link.json", "it is a symlink"), ("map/x.json", "symlink"), ("pijp.json", "not a regular"),
                     ("../victim/x.json", "plain paths")):
        with pytest.raises(WriteRefusedError, match=why):
            read_inside(out, PurePosixPath(rel))


# ----------------------------------------------------------------------------------------------------
# 6. inputs left out because they are inside OUTDIR


def test_item6_files_inside_outdir_are_reported_not_skipped_silently(tmp_path, capsys, monkeypatch,
                                                                      model_args) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text(DUTCH, encoding="utf-8")
    for name in ("x", "y", "z"):
        (tmp_path / "in" / "sub" / f"{name}.txt").write_text(ANDER, encoding="utf-8")
    for _attempt in range(2):  # the run's own outputs in in/sub are not counted the second time
        code, stdout, err = run(capsys, "run", "in", "-o", "in/sub", *model_args)
        assert code == 0 and stdout.strip().endswith("0 failed")
        assert "left out 3 files inside the output folder in/sub (-v lists them)" in err.splitlines()
    code, _, err = run(capsys, "run", "in", "-o", "in/sub", "-v", *model_args)
    lines = err.splitlines()
    at = lines.index("left out 3 files inside the output folder in/sub:")
    assert lines[at + 1:at + 4] == ["  in/sub/x.txt", "  in/sub/y.txt", "  in/sub/z.txt"]


def test_item6_no_articles_found_says_they_are_inside_outdir(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    for name in ("a", "b", "c"):
        Path("in", f"{name}.txt").write_text(DUTCH, encoding="utf-8")
    code, _, err = run(capsys, "run", "in/*.txt", "-o", "in", *_no_models(tmp_path))
    assert code == 2
    assert err.strip() == ("beknopt: error: run: no articles found in in/*.txt (looked for .txt .md .html .htm .json "
                           ".jsonl): 3 files were left out because they are inside the output folder in, which "
                           "beknopt never reads; choose another output folder")
    code, _, err = run(capsys, "run", "in/*.txt", "-o", "in", "-v", *_no_models(tmp_path))
    assert code == 2 and err.splitlines()[1:] == ["  left out: in/a.txt", "  left out: in/b.txt",
                                                  "  left out: in/c.txt"]


# ----------------------------------------------------------------------------------------------------
# 10. SIGTERM while the models load, and after the run

_SLOW_LOADING = """
import sys, time
from beknopt.pipeline import Pipeline
def loading(cls, config):
    print("LOADING", file=sys.stderr, flush=True)
    time.sleep(120)  # the models take their time: SIGTERM arrives in here
Pipeline.from_config = classmethod(loading)
from beknopt.cli import main
sys.exit(main(sys.argv[1:]))
"""

# delays the interpreter's exit after the command returned, so a SIGTERM sent at the counts line lands there
_SLOW_EXIT = "import atexit, time\natexit.register(time.sleep, 3)\n"


def _signal_at(proc: subprocess.Popen[str], stream, marker: str, timeout: float = 240) -> list[str]:
    """Send SIGTERM to ``proc`` when a line containing ``marker`` appears on ``stream``: no guessing with sleeps."""
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in stream:
            seen.append(line)
            if marker in line:
                proc.send_signal(signal.SIGTERM)
                break
        else:
            pytest.fail(f"{marker!r} never appeared: {''.join(seen)}")
    finally:
        watchdog.cancel()
    return seen


@pytest.mark.slow
def test_item10_sigterm_while_the_models_load_says_so(tmp_path) -> None:
    src, out, _ = _folders(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_LOADING, "run", str(src), "-o", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _signal_at(proc, proc.stderr, "LOADING")
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert stderr.strip() == "beknopt: error: terminated while loading the models; nothing was written"
    assert not out.exists()


@pytest.mark.slow
def test_item10_sigterm_after_the_counts_line_keeps_the_exit_status(tmp_path, model_args) -> None:
    src, out, _ = _folders(tmp_path)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_SLOW_EXIT, encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.Popen([sys.executable, "-m", "beknopt.cli", "run", str(src), "-o", str(out), *model_args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _signal_at(proc, proc.stdout, "1 done, 0 skipped, 0 failed")
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["a.txt"]
