"""Regression tests for the data-loss and batch-abort defects found under adversarial testing.

beknopt must never delete or overwrite a file it did not write, never follow a link out of OUTDIR, keep going
past odd file names and odd Python inputs, commit results.jsonl and errors.jsonl together, escape what it
puts into Markdown, and say clearly (with the documented exit status) why a run cannot start or stopped.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import flores_documents
from test_cli import read_jsonl, run

from beknopt import Pipeline
from beknopt.batch import BatchOptions, BatchRunner, LanguageStage, render_markdown
from beknopt.batch.outdir import OutputFolder, WriteRefusedError
from beknopt.cli import main
from beknopt.document import Document
from beknopt.inputs import discover, read_articles

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

DUTCH = ("De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan voor het centrum. "
         "Volgens de wethouder komen er meer bomen en minder parkeerplaatsen.")
ANDER = ("Het kabinet heeft woensdag besloten om het aantal militairen in Irak terug te brengen. "
         "De Tweede Kamer debatteert volgende week over het besluit.")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links not followed) with a hash of its bytes or its link target."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def copy_translation(docs: list[Document]) -> list[Document]:
    """Stands in for the translator (this module tests the batch runner's files, not the models)."""
    for doc in docs:
        if doc.ok:
            doc.translations = list(doc.sentences)
    return docs


copy_translation.name = "translate"  # type: ignore[attr-defined]


def lead_pipeline() -> Pipeline:
    """The real cleaning and splitting stages and the model-free lead summariser: no models to load."""
    from beknopt import CleanStage, LeadSummariser, SplitStage

    return Pipeline([CleanStage(), SplitStage(), copy_translation, LeadSummariser(1)], batch_size=2)


def run_lead(src: Path, out: Path, **options) -> BatchRunner:
    runner = BatchRunner(lead_pipeline(), BatchOptions(output=out, **options))
    runner.run(read_articles(discover([str(src)], exclude=[out])))
    return runner


# ----------------------------------------------------------------------------------------------------
# 1. OUTDIR and the inputs


def test_outdir_holding_the_input_file_is_refused_and_nothing_is_touched(tmp_path, capsys, monkeypatch,
                                                                         model_args) -> None:
    monkeypatch.chdir(tmp_path)
    Path("artikel.md").write_text(DUTCH, encoding="utf-8")
    Path("feed.json").write_text(json.dumps({"text": ANDER}), encoding="utf-8")
    before = snapshot(tmp_path)
    for inputs in (["artikel.md"], ["feed.json"], ["."], [str(tmp_path)]):
        for extra in ([], ["--format", "md"]):
            code, out, err = run(capsys, "run", *inputs, "-o", ".", *model_args, *extra)
            assert code == 2 and out == ""
            assert "is, or contains, the input" in err and "beknopt-out" in err
            assert snapshot(tmp_path) == before  # not even .beknopt/ was created


def test_outdir_equal_to_the_input_folder_is_refused(tmp_path, capsys, model_args) -> None:
    same = tmp_path / "same"
    same.mkdir()
    (same / "a.txt").write_text(DUTCH, encoding="utf-8")
    (same / "a.json").write_text(json.dumps({"text": ANDER}), encoding="utf-8")
    before = snapshot(same)
    code, _, err = run(capsys, "run", str(same), "-o", str(same), *model_args)
    assert code == 2 and f"-o {same / 'beknopt-out'}" in err
    assert snapshot(same) == before
    # the way the message suggests: outputs in a subfolder, which the walk leaves out
    out = same / "beknopt-out"
    for attempt in range(2):
        code, stdout, _ = run(capsys, "run", str(same), "-o", str(out), *model_args)
        assert code == 0
        assert stdout.strip() == ("2 done, 0 skipped, 0 failed" if attempt == 0 else "0 done, 2 skipped, 0 failed")
    assert {k: v for k, v in snapshot(same).items() if not k.startswith("beknopt-out/")} == before
    assert sorted(r["id"] for r in read_jsonl(out / "results.jsonl")) == ["a.json", "a.txt"]


def test_a_glob_never_reads_the_runs_own_outputs(tmp_path, capsys, model_args) -> None:
    od5 = tmp_path / "od5"
    od5.mkdir()
    (od5 / "stuk.md").write_text(DUTCH, encoding="utf-8")
    pattern, out = f"{od5}/**/*.md", od5 / "out"
    for attempt in range(3):
        code, stdout, _ = run(capsys, "run", pattern, "-o", str(out), "--format", "md", *model_args)
        assert code == 0
        assert stdout.strip() == ("1 done, 0 skipped, 0 failed" if attempt == 0 else "0 done, 1 skipped, 0 failed")
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["stuk.md"]
    assert (out / "stuk.md").read_text(encoding="utf-8").startswith("# ")


def test_files_beknopt_did_not_write_are_never_overwritten_or_deleted(tmp_path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    (src / "b.txt").write_text(ANDER, encoding="utf-8")
    out.mkdir()
    (out / "a.json").write_text('{"mijn": "eigen bestand"}', encoding="utf-8")  # the user's, in the way
    (out / "b.md").write_text("mijn aantekeningen\n", encoding="utf-8")  # the user's: not a stale output
    users = snapshot(out)

    runner = run_lead(src, out)
    assert runner.summary.line() == "1 done, 0 skipped, 1 failed"
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["id"] == "a.txt" and error["stage"] == "write"
    assert "refusing to overwrite" in error["reason"] and "beknopt did not write it" in error["reason"]
    assert {k: v for k, v in snapshot(out).items() if k in users} == users
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["b.txt"]

    # beknopt's own files are replaced and removed as before: Markdown on, then off again
    (out / "a.json").unlink()
    (out / "b.md").unlink()
    run_lead(src, out, markdown=True, force=True)
    assert (out / "a.md").read_text(encoding="utf-8").startswith("# a.txt")
    run_lead(src, out, force=True)
    assert not (out / "a.md").exists() and not (out / "b.md").exists()
    manifest = (out / ".beknopt" / "manifest").read_text(encoding="utf-8").splitlines()
    assert "+ a.json" in manifest and "+ a.md" in manifest and "- a.md" in manifest


def test_a_users_results_file_in_outdir_stops_the_run_before_the_models_load(tmp_path, capsys) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    out.mkdir()
    (out / "results.jsonl").write_text('{"van": "iemand anders"}\n', encoding="utf-8")
    before = snapshot(out)
    # no models exist at this path: the folder check must come first
    code, _, err = run(capsys, "run", str(src), "-o", str(out), "--translation-model", str(tmp_path / "geen"))
    assert code == 2 and "results.jsonl exists and beknopt did not write it" in err
    assert snapshot(out) == before


def test_folders_written_before_the_manifest_are_still_resumed(tmp_path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    run_lead(src, out)
    (out / ".beknopt" / "manifest").unlink()  # as an older beknopt left it
    (src / "a.txt").write_text(ANDER, encoding="utf-8")  # changed: its stamped JSON must be replaced
    runner = run_lead(src, out)
    assert runner.summary.line() == "1 done, 0 skipped, 0 failed"
    assert json.loads((out / "a.json").read_text(encoding="utf-8"))["clean_text"] == ANDER


# ----------------------------------------------------------------------------------------------------
# 2. links inside OUTDIR


def test_removing_stale_outputs_never_follows_a_link_out_of_outdir(tmp_path) -> None:
    src, out, victim = tmp_path / "in", tmp_path / "out", tmp_path / "victim"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.txt").write_text("", encoding="utf-8")  # fails: its stale outputs would be removed
    (src / "y.txt").write_text(DUTCH, encoding="utf-8")
    victim.mkdir()
    stamp = {"beknopt": {"output": "sub/x.json"}}  # even a file that looks like beknopt's own
    (victim / "x.json").write_text(json.dumps(stamp), encoding="utf-8")
    (victim / "x.md").write_text("# niet van beknopt\n", encoding="utf-8")
    out.mkdir()
    os.symlink(victim, out / "sub")
    before = snapshot(victim)
    runner = run_lead(src, out)
    assert runner.summary.line() == "1 done, 0 skipped, 1 failed"
    assert snapshot(victim) == before
    assert os.path.islink(out / "sub")


def test_the_output_folder_api_refuses_links_and_foreign_files(tmp_path) -> None:
    from pathlib import PurePosixPath

    out, elsewhere = tmp_path / "out", tmp_path / "elders"
    elsewhere.mkdir()
    (elsewhere / "doel.json").write_text("{}", encoding="utf-8")
    out.mkdir()
    os.symlink(elsewhere / "doel.json", out / "link.json")
    os.symlink(elsewhere, out / "map")
    (out / "eigen.json").write_text("{}", encoding="utf-8")
    folder = OutputFolder(out)
    try:
        with pytest.raises(WriteRefusedError, match="it is a symlink"):
            folder.write(PurePosixPath("link.json"), b"{}")
        with pytest.raises(WriteRefusedError, match="symlink"):
            folder.write(PurePosixPath("map/nieuw.json"), b"{}")
        with pytest.raises(WriteRefusedError, match="beknopt did not write it"):
            folder.write(PurePosixPath("eigen.json"), b"{}")
        assert not folder.remove(PurePosixPath("link.json"))
        assert not folder.remove(PurePosixPath("map/doel.json"))
        assert not folder.remove(PurePosixPath("eigen.json"))
        written = folder.write(PurePosixPath("deel/nieuw.json"), b"[1]")
        assert written.read_bytes() == b"[1]"
        assert folder.remove(PurePosixPath("deel/nieuw.json")) and not written.exists()
    finally:
        folder.close()
    assert (elsewhere / "doel.json").read_text() == "{}" and (out / "eigen.json").read_text() == "{}"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["doel.json"]


def test_state_folder_replaced_by_a_link_is_a_usage_error(tmp_path, capsys) -> None:
    src, out, victim = tmp_path / "in", tmp_path / "out", tmp_path / "victim"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    (victim / "tmp").mkdir(parents=True)
    (victim / "tmp" / "bewaar.tmp").write_text("van de gebruiker", encoding="utf-8")
    out.mkdir()
    os.symlink(victim, out / ".beknopt")
    code, _, err = run(capsys, "run", str(src), "-o", str(out), "--translation-model", str(tmp_path / "geen"))
    assert code == 2 and ".beknopt is in the way" in err
    assert (victim / "tmp" / "bewaar.tmp").read_text(encoding="utf-8") == "van de gebruiker"


# ----------------------------------------------------------------------------------------------------
# 3. file names that are not UTF-8


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_does_not_abort_the_batch(tmp_path, capsys, model_args) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "goed.txt").write_text(DUTCH, encoding="utf-8")
    raw = os.path.join(os.fsencode(src), b"caf\xe9.txt")
    with open(raw, "wb") as fh:
        fh.write(ANDER.encode("utf-8"))
    with open(os.path.join(os.fsencode(src), b"leeg\xff.txt"), "wb"):
        pass  # empty: an error record, with a printable id
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert (code, stdout.strip()) == (1, "2 done, 0 skipped, 1 failed")
    results = read_jsonl(out / "results.jsonl")
    assert [r["id"] for r in results] == ["caf\\xe9.txt", "goed.txt"]
    assert results[0]["clean_text"] == ANDER and results[0]["source_path"].endswith("caf\\xe9.txt")
    assert (out / "caf_xe9.json").is_file()
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["id"] == "leeg\\xff.txt" and "empty" in error["reason"]
    # the re-run finds the same output for the odd name and resumes it
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert (code, stdout.strip()) == (1, "0 done, 2 skipped, 1 failed")


# ----------------------------------------------------------------------------------------------------
# 4. run_many and odd Python inputs


def test_run_many_turns_every_unusable_item_into_an_error_result(tiny_pipeline) -> None:
    results = list(tiny_pipeline.run_many([DUTCH, None, 42, {"id": "x", "text": 7}, b"", ANDER]))
    assert [r.id for r in results] == ["article-1", "article-2", "article-3", "x", "article-5", "article-6"]
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    assert results[1].error == {"stage": "read", "reason": "article-2: cannot make an article from NoneType: "
                                                           "pass str, bytes, dict or Document"}
    assert "int" in results[2].error["reason"] and "no text field" in results[3].error["reason"]
    assert results[0].summary and results[5].summary


def test_a_failing_generator_still_yields_what_it_gave_then_raises(tiny_pipeline) -> None:
    def feed():
        yield DUTCH
        yield ANDER
        raise ConnectionError("de feed viel weg")

    got = []
    with pytest.raises(ConnectionError, match="de feed viel weg"):
        for result in tiny_pipeline.run_many(feed(), batch_size=16):
            got.append(result)
    assert [(r.id, r.ok, r.clean_text) for r in got] == [("article-1", True, DUTCH), ("article-2", True, ANDER)]


# ----------------------------------------------------------------------------------------------------
# 5. results.jsonl and errors.jsonl commit together

_KILL_AT_ERRORS_RENAME = """
import os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_data_safety import run_lead
real = os.replace
def replace(src, dst, *a, **k):
    if str(dst).endswith("errors.jsonl"):
        os._exit(9)  # killed right after results.jsonl was renamed into place
    return real(src, dst, *a, **k)
os.replace = replace
run_lead(Path(sys.argv[1]), Path(sys.argv[2]))
"""


@pytest.mark.slow
def test_a_kill_between_the_two_summary_renames_never_counts_an_article_twice(tmp_path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text("", encoding="utf-8")  # fails now, succeeds after the user fixes it
    (src / "b.txt").write_text(DUTCH, encoding="utf-8")
    run_lead(src, out)
    assert [e["id"] for e in read_jsonl(out / "errors.jsonl")] == ["a.txt"]

    (src / "a.txt").write_text(ANDER, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", _KILL_AT_ERRORS_RENAME, str(src), str(out),
                           str(Path(__file__).parent)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    assert (out / ".beknopt" / "commit.json").is_file()  # the commit point was passed

    # the next run's first step (opening OUTDIR) finishes the commit before anything else
    OutputFolder(out).close()
    assert not (out / ".beknopt" / "commit.json").exists()
    results = [r["id"] for r in read_jsonl(out / "results.jsonl")]
    errors = [e["id"] for e in read_jsonl(out / "errors.jsonl")]
    assert results == ["a.txt", "b.txt"] and errors == []
    assert not list((out / ".beknopt" / "staged").iterdir())


# ----------------------------------------------------------------------------------------------------
# 6. Markdown escaping


HOSTILE = {"title": "<script>alert(1)</script>", "author": '<img src=x onerror="alert(2)">',
           "url": "javascript:alert(3)"}


def _html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


def test_markdown_pages_escape_everything_from_the_article() -> None:
    data = {"id": "x", "metadata": HOSTILE, "summary": "Zie [hier](javascript:alert(4)) <b>vet</b>\n# kop",
            "translation": "<iframe src=x></iframe>\n\n- geen lijst", "warnings": ["clean: <svg onload=x>"]}
    page = render_markdown(data)
    html = _html(page)
    for tag in ("<script", "<img", "<iframe", "<svg", "<b>", "<a ", "<li>geen lijst", "<h1>kop"):
        assert tag not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "onerror=&quot;alert(2)&quot;" in html
    assert html.startswith("<h1>&lt;script&gt;") and html.count("<h1>") == 1
    assert "Zie [hier](javascript:alert(4))" in html.replace("&quot;", '"')
    assert "- geen lijst" in html


def test_eval_markdown_report_escapes_system_names(tmp_path, capsys) -> None:
    data = Path(__file__).parent / "data" / "eval"
    report = tmp_path / "report"
    code = main(["eval", "--compare", str(data / "summary.pred_a.jsonl"), str(data / "summary.pred_b.jsonl"),
                 "--references", str(data / "summary.ref.jsonl"), "--names", "<script>a</script>",
                 "<img src=x onerror=y>", "--out", str(report), "--bootstrap", "50"])
    capsys.readouterr()
    assert code == 0
    html = _html((report / "report.md").read_text(encoding="utf-8"))
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;a&lt;/script&gt;" in html


# ----------------------------------------------------------------------------------------------------
# 9. exit statuses and messages


def _one_article(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    return src


@pytest.mark.parametrize("what", ["lock", "results", "manifest"])
def test_state_files_replaced_by_folders_are_usage_errors(tmp_path, capsys, what) -> None:
    src, out = _one_article(tmp_path), tmp_path / "out"
    path = {"lock": out / ".beknopt" / "lock", "results": out / "results.jsonl",
            "manifest": out / ".beknopt" / "manifest"}[what]
    path.mkdir(parents=True)
    code, stdout, err = run(capsys, "run", str(src), "-o", str(out), "--translation-model", str(tmp_path / "geen"))
    assert (code, stdout) == (2, "")
    assert err.strip() == (f"beknopt: error: run: {path} is in the way: it is not a regular file (a folder or a "
                           "link); move it, or choose another output folder")


def test_an_outdir_that_cannot_be_made_is_a_usage_error_and_creates_nothing(tmp_path, capsys) -> None:
    src = _one_article(tmp_path)
    (tmp_path / "bestand").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "run", str(src), "-o", str(tmp_path / "bestand" / "out"))
    assert code == 2 and "is not a folder" in err


def test_a_read_only_outdir_is_a_usage_error(tmp_path, capsys, monkeypatch) -> None:
    src, out = _one_article(tmp_path), tmp_path / "out"
    out.mkdir()
    # root ignores permission bits, so the read-only answer is given the way a non-root user gets it
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == out else real_access(p, mode, **k))
    code, _, err = run(capsys, "run", str(src), "-o", str(out))
    assert code == 2 and err.strip() == f"beknopt: error: run: cannot write to the output folder {out}: " \
                                        f"permission denied on {out}"
    assert list(out.iterdir()) == []


def test_a_full_disk_still_prints_the_final_counts(tmp_path, capsys, monkeypatch, model_args) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a", "b", "c"):
        (src / f"{name}.txt").write_text(DUTCH if name != "b" else "", encoding="utf-8")

    def full(self, record):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(OutputFolder, "add_error", full)
    code, stdout, err = run(capsys, "run", str(src), "-o", str(out), *model_args, "--batch-size", "1")
    assert code == 1
    assert stdout.strip().splitlines()[-1] == "1 done, 0 skipped, 1 failed"  # b failed; its record could not be written
    assert "No space left on device" in err and "run the same command again to resume" in err
    assert not (out / "results.jsonl").exists()
    assert not list((out / ".beknopt" / "tmp").iterdir())


@pytest.mark.slow
def test_sigterm_stops_like_ctrl_c_with_a_message_and_its_exit_status(tmp_path, tiny_models) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i, doc in enumerate(flores_documents()[:30]):
        (src / f"artikel-{i:03d}.txt").write_text(" ".join(doc["nl"][:3]), encoding="utf-8")
    marian, bart = tiny_models
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "beknopt.cli", "run", str(src), "-o", str(out), "--translation-model", str(marian),
         "--summarization-model", str(bart), "--device", "cpu", "--threads", "1", "--beams", "1",
         "--max-new-tokens", "12", "--max-summary-tokens", "8", "--min-summary-tokens", "2", "--batch-size", "1",
         "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if out.is_dir() and len(list(out.glob("artikel-*.json"))) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"finished or died before it could be stopped: {proc.communicate()}"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == ("beknopt: error: terminated: finished articles are kept; run the "
                                               "same command again to resume")
    assert not list((out / ".beknopt" / "tmp").iterdir())
    done = len(list(out.glob("artikel-*.json")))
    assert 2 <= done < 30
    assert main(["run", str(src), "-o", str(out), "--translation-model", str(marian), "--summarization-model",
                 str(bart), "--device", "cpu", "--threads", "1", "--beams", "1", "--max-new-tokens", "12",
                 "--max-summary-tokens", "8", "--min-summary-tokens", "2", "-q"]) == 0
    assert len(read_jsonl(out / "results.jsonl")) == 30


# ----------------------------------------------------------------------------------------------------
# 10. short texts and the language check


@pytest.mark.parametrize("text", ["Dodental van tsunami in Indonesië loopt op tot 832", "Kabinet valt over stikstof",
                                  "Die regering het vandag besluit om belasting te verhoog"])
def test_a_short_text_is_never_skipped_on_a_guess(text) -> None:
    doc = Document(id="kop", source=text, clean_text=text)
    LanguageStage("skip", threshold=0.2)([doc])
    assert doc.ok
    (warning,) = doc.warnings
    assert warning.startswith("language: detected ") and "too short to be sure; treated as Dutch" in warning


def test_short_text_in_a_clearly_other_language_is_still_skipped() -> None:
    text = "This is an English headline about the weather"
    doc = Document(id="kop", source=text, clean_text=text)
    LanguageStage("skip")([doc])
    assert doc.error["outcome"] == "skipped" and doc.error["reason"].startswith("not Dutch: detected en (0.9")


