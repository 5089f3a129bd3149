"""``beknopt run`` end to end, in-process, on the tiny real models: inputs, outputs, resume, bad input, options.

The models load from the session's tiny Marian/BART folders; every run writes to a fresh temporary folder.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from beknopt import inputs
from beknopt.cli import app as cli_app
from beknopt.cli import main
from beknopt.cli import models as cli_models
from beknopt.cli.progress import Reporter
from beknopt.formats.markdown import escape_inline

ARTICLES = Path(__file__).parent / "data" / "cli" / "articles"
DUTCH = ("De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan voor het centrum. "
         "Volgens de wethouder komen er meer bomen en minder parkeerplaatsen.")
ENGLISH = ("The city council approved a new plan for the town centre yesterday. According to the alderman "
           "there will be more trees and fewer parking spaces in the years ahead.")
GOOD_IDS = {"politiek/kabinet.txt", "economie/markt.md", "web/pagina.html", "nos-2024-001", "feed-1",
            "data/feed.jsonl:2"}


pytestmark = pytest.mark.usefixtures("restore_torch_threads")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def outputs(outdir: Path, suffix: str = ".json") -> dict[str, dict | str]:
    """Article outputs by path relative to OUTDIR (the run's own .beknopt folder left out)."""
    found = {}
    for path in sorted(outdir.rglob(f"*{suffix}")):
        rel = path.relative_to(outdir).as_posix()
        if rel.startswith(".beknopt/"):
            continue
        found[rel] = json.loads(path.read_text(encoding="utf-8")) if suffix == ".json" else path.read_text()
    return found


def make_mixed_folder(root: Path) -> Path:
    """The good fixture articles plus one of every kind of bad input the issue lists."""
    shutil.copytree(ARTICLES, root)
    (root / "leeg.txt").write_bytes(b"")
    (root / "spaties.txt").write_text("  \n\t \n   \n", encoding="utf-8")
    (root / "plaatje.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (root / "kapot.txt").write_bytes(b"Dit is \x81\x8d kapotte tekst \x90 zonder codering.")
    (root / "oud.txt").write_bytes(("Het café in België meldt een grote coördinatie van de feestdagen. "
                                    "De eigenaar is tevreden over het seizoen.").encode("cp1252"))
    (root / "utf16.txt").write_bytes(DUTCH.encode("utf-16"))
    (root / "engels.txt").write_text(ENGLISH, encoding="utf-8")
    (root / "groot.txt").write_text((DUTCH + "\n\n") * 40, encoding="utf-8")  # > --max-bytes 4k
    (root / "web" / "alleen-scripts.htm").write_text(
        "<html><head><script>var x = 1;</script><style>p {color: red}</style></head>"
        "<body><script>alert('hallo')</script></body></html>", encoding="utf-8")
    (root / "data" / "zonder-tekst.json").write_text('{"id": "geen-tekst", "title": "Leeg"}', encoding="utf-8")
    with (root / "data" / "feed.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"id": "half", "text": "afgebroken\n\n')  # malformed line 3, then a blank line 4
        fh.write(json.dumps({"id": "feed-5", "text": DUTCH}) + "\n")
    (root / "notities.csv").write_text("not,an,article\n", encoding="utf-8")  # unsupported: ignored
    (root / ".verborgen.txt").write_text(DUTCH, encoding="utf-8")  # hidden: ignored
    os.symlink("lus.txt", root / "lus.txt")  # a link to itself
    os.symlink(".", root / "lusmap")  # a folder that links to itself
    return root


# ----------------------------------------------------------------------------------------------------


def test_mixed_folder_every_article_ends_as_one_result_or_one_error(tmp_path, capsys, model_args) -> None:
    src = make_mixed_folder(tmp_path / "in")
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "run", str(src), "-o", str(out), "--max-bytes", "4k", *model_args)

    assert code == 1
    assert stdout.strip().splitlines()[-1] == "9 done, 1 skipped, 10 failed"
    results = read_jsonl(out / "results.jsonl")
    errors = read_jsonl(out / "errors.jsonl")
    done = GOOD_IDS | {"feed-5", "oud.txt", "utf16.txt"}
    assert [r["id"] for r in results] == sorted(done, key=[r["id"] for r in results].index)  # no duplicates
    assert {r["id"] for r in results} == done
    by_id = {e["id"]: e for e in errors}
    assert len(errors) == 11 and len(by_id) == 11
    expected = {
        "leeg.txt": ("clean", "empty"),
        "spaties.txt": ("clean", "only whitespace"),
        "plaatje.txt": ("clean", "binary file (PNG image)"),
        "kapot.txt": ("clean", "cannot decode"),
        "groot.txt": ("read", "over the --max-bytes limit of 4,000"),
        "web/alleen-scripts.htm": ("clean", "no article text found in the HTML"),
        "geen-tekst": ("read", "no text field"),
        "data/feed.jsonl:3": ("read", "line 3: malformed JSON"),
        "lus.txt": ("read", "symlink loop"),
        "lusmap": ("read", "symlink loop"),
        "engels.txt": ("language", "not Dutch: detected en"),
    }
    for article_id, (stage, reason) in expected.items():
        record = by_id[article_id]
        assert record["stage"] == stage and reason in record["reason"], record
        assert record["outcome"] == ("skipped" if stage == "language" else "failed")
        assert record["path"].startswith(str(src))
    assert by_id["data/feed.jsonl:3"]["line"] == 3
    # every failure is also reported on stderr, with its stage
    assert "FAILED plaatje.txt [clean]" in stderr

    files = outputs(out)
    assert set(files) == {"politiek/kabinet.json", "economie/markt.json", "web/pagina.json", "data/artikel.json",
                          "data/feed/feed-1.json", "data/feed/line-2.json", "data/feed/feed-5.json",
                          "oud.json", "utf16.json"}
    assert all(f.endswith(".json") for f in files)
    assert not (out / "results.json").exists()
    # decoded with a warning
    assert any("Windows-1252" in w for w in files["oud.json"]["warnings"])
    assert "café in België" in files["oud.json"]["clean_text"]
    assert any("UTF-16" in w for w in files["utf16.json"]["warnings"])
    assert files["utf16.json"]["clean_text"].startswith("De gemeenteraad")
    # HTML: article text only, no scripts, styles or navigation
    page = files["web/pagina.json"]
    assert page["clean_text"].startswith("Door een storing in de seinen")
    assert page["metadata"]["title"] == "Treinverkeer rond Utrecht urenlang verstoord"
    for junk in ("gtag", "dataLayer", "color", "Koop nu", "Binnenland", "advertentie"):
        assert junk not in page["clean_text"]


def test_result_json_is_the_full_record(tmp_path, capsys, model_args) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "run", str(ARTICLES / "data" / "artikel.json"), "-o", str(out), *model_args)
    assert code == 0 and stdout.strip() == "1 done, 0 skipped, 0 failed"
    (record,) = read_jsonl(out / "results.jsonl")
    assert record == json.loads((out / "artikel.json").read_text(encoding="utf-8"))
    assert record["id"] == "nos-2024-001"
    assert record["source_path"] == str(ARTICLES / "data" / "artikel.json")
    assert record["metadata"] == {"title": "Nieuwe brug over de Waal geopend", "date": "2024-05-01",
                                  "url": "https://example.org/brug"}
    assert record["clean_text"].startswith("De nieuwe brug over de Waal")
    assert len(record["sentences"]) == len(record["translations"]) == 3
    assert record["translation"] and record["summary"]
    assert record["models"]["translation"].endswith("marian")
    assert record["models"]["summarization"].endswith("bart")
    assert {"clean", "language", "split", "translate", "summarise"} <= set(record["settings"])
    assert record["settings"]["translate"]["generation"]["num_beams"] == 1
    assert {"clean", "language", "split", "translate", "summarise", "total"} <= set(record["timings"])
    assert record["error"] is None and isinstance(record["warnings"], list)
    stamp = record["beknopt"]
    assert len(stamp["input_sha256"]) == 64 and stamp["settings"] and stamp["output"] == "artikel.json"


def test_markdown_format(tmp_path, capsys, model_args) -> None:
    out = tmp_path / "out"
    code, _, _ = run(capsys, "run", str(ARTICLES), "-o", str(out), "--format", "md", *model_args)
    assert code == 0
    pages = outputs(out, ".md")
    assert set(pages) == {"politiek/kabinet.md", "economie/markt.md", "web/pagina.md", "data/artikel.md",
                          "data/feed/feed-1.md", "data/feed/line-2.md"}
    page = pages["data/artikel.md"]
    record = json.loads((out / "data" / "artikel.json").read_text(encoding="utf-8"))
    assert record["title_en"] and page.startswith(f"# {escape_inline(record['title_en'])}\n")  # English heading
    assert "- **Dutch title:** Nieuwe brug over de Waal geopend\n" in page
    assert "- **Date:** 2024-05-01" in page and "## Summary" in page and "## Translation" in page
    # resuming with --format md rewrites a missing page; a json-only run removes pages that would be stale
    (out / "data" / "artikel.md").unlink()
    assert run(capsys, "run", str(ARTICLES), "-o", str(out), "--format", "md", *model_args)[1].strip() == \
        "0 done, 6 skipped, 0 failed"
    assert (out / "data" / "artikel.md").read_text() == page
    run(capsys, "run", str(ARTICLES), "-o", str(out), "--force", *model_args)
    assert outputs(out, ".md") == {}


def test_resume_skips_unchanged_and_redoes_changed(tmp_path, capsys, model_args) -> None:
    src = tmp_path / "in"
    shutil.copytree(ARTICLES, src)
    (src / "kort.txt").write_text(DUTCH, encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(src), "-o", str(out), *model_args]
    assert run(capsys, *args)[:2] == (0, "7 done, 0 skipped, 0 failed\n")
    first = outputs(out)
    results = (out / "results.jsonl").read_text(encoding="utf-8")
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}

    # unchanged input and settings: nothing is redone, results.jsonl is rebuilt identically
    assert run(capsys, *args)[:2] == (0, "0 done, 7 skipped, 0 failed\n")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.json")} == mtimes
    assert (out / "results.jsonl").read_text(encoding="utf-8") == results

    # one changed article is redone
    (src / "kort.txt").write_text(DUTCH + " Het plan kost tien miljoen euro.", encoding="utf-8")
    code, stdout, stderr = run(capsys, *args, "--verbose")
    assert stdout == "1 done, 6 skipped, 0 failed\n"
    assert "skipped: 6 unchanged since the last run, 0 not Dutch" in stderr
    assert outputs(out)["kort.json"]["sentences"][-1] == "Het plan kost tien miljoen euro."

    # an article that turns bad loses its old result: one error record, no stale output
    (src / "kort.txt").write_text("   ", encoding="utf-8")
    assert run(capsys, *args)[:2] == (1, "0 done, 6 skipped, 1 failed\n")
    assert not (out / "kort.json").exists()
    assert [e["id"] for e in read_jsonl(out / "errors.jsonl")] == ["kort.txt"]
    assert len(read_jsonl(out / "results.jsonl")) == 6
    # failures are retried on the next run (and fail the same way again)
    assert run(capsys, *args)[:2] == (1, "0 done, 6 skipped, 1 failed\n")
    (src / "kort.txt").unlink()

    # changed settings redo everything; so does --force
    assert run(capsys, *args, "--summary-length", "short")[1] == "6 done, 0 skipped, 0 failed\n"
    assert run(capsys, *args, "--summary-length", "short")[1] == "0 done, 6 skipped, 0 failed\n"
    assert run(capsys, *args, "--summary-length", "short", "--force")[1] == "6 done, 0 skipped, 0 failed\n"
    assert outputs(out)["politiek/kabinet.json"]["beknopt"]["settings"] != first["politiek/kabinet.json"][
        "beknopt"]["settings"]
    # a damaged output (not possible through beknopt's own writes, but a user may edit one) is redone
    (out / "web" / "pagina.json").write_text('{"id": "web/pag', encoding="utf-8")
    assert run(capsys, *args, "--summary-length", "short")[1] == "1 done, 5 skipped, 0 failed\n"


def test_path_escape_attempts_stay_inside_outdir(tmp_path, capsys, model_args) -> None:
    ids = ["../../ontsnapt", "/etc/passwd", "C:\\Windows\\system32\\x", "a/../../b", "..", ".", "",
           ".verborgen", "con", "NUL.txt", "x" * 300, "vraag?*<>|\"teken\x00\x1f", "ünïcödé/naam",
           "dubbel", "dubbel", "DUBBEL", "nieuws/2024/01/artikel"]
    src = tmp_path / "deep" / "in"
    src.mkdir(parents=True)
    with (src / "feed.jsonl").open("w", encoding="utf-8") as fh:
        for article_id in ids:
            fh.write(json.dumps({"id": article_id, "text": DUTCH}) + "\n")
    # and a file whose own name is odd
    (src / "-rf ; rm *.txt").write_text(DUTCH, encoding="utf-8")
    out = tmp_path / "deep" / "out"
    before = set(tmp_path.rglob("*"))
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert code == 0 and stdout == f"{len(ids) + 1} done, 0 skipped, 0 failed\n"

    created = set(tmp_path.rglob("*")) - before
    real_out = out.resolve()
    assert created and all(p.resolve().is_relative_to(real_out) for p in created)
    results = read_jsonl(out / "results.jsonl")
    # in discovery order: "-rf ..." sorts before "feed.jsonl"
    assert [r["id"] for r in results] == ["-rf ; rm *.txt"] + [i if i else "feed.jsonl:7" for i in ids]
    written = [r["beknopt"]["output"] for r in results]
    assert len(set(written)) == len(written)  # duplicates get their own file
    assert len({w.casefold() for w in written}) == len(written)
    for rel in written:
        path = out / rel
        assert path.is_file() and path.resolve().is_relative_to(real_out)
        assert not any(part.startswith(".") for part in Path(rel).parts)
        assert all(len(part.encode()) <= 125 for part in Path(rel).parts)
    assert "feed/ontsnapt.json" in written and "feed/etc/passwd.json" in written
    assert "feed/dubbel.json" in written and "feed/dubbel~2.json" in written and "feed/DUBBEL~3.json" in written


def test_globs_and_several_inputs(tmp_path, capsys, model_args) -> None:
    out = tmp_path / "out"
    pattern = str(ARTICLES / "**" / "*.txt")
    code, stdout, _ = run(capsys, "run", pattern, str(ARTICLES / "economie" / "markt.md"), "-o", str(out),
                          *model_args)
    assert code == 0 and stdout == "2 done, 0 skipped, 0 failed\n"
    assert [r["id"] for r in read_jsonl(out / "results.jsonl")] == ["politiek/kabinet.txt", "markt.md"]
    assert set(outputs(out)) == {"politiek/kabinet.json", "markt.json"}


def test_output_folder_inside_the_input_folder_is_not_read_back(tmp_path, capsys, model_args) -> None:
    src = tmp_path / "in"
    shutil.copytree(ARTICLES / "data", src)
    args = ["run", str(src), "-o", str(src / "uit"), *model_args]
    assert run(capsys, *args)[1] == "3 done, 0 skipped, 0 failed\n"
    assert run(capsys, *args)[1] == "0 done, 3 skipped, 0 failed\n"


@pytest.mark.parametrize(("policy", "line", "code"), [
    ("skip", "1 done, 1 skipped, 0 failed", 0),
    ("translate", "2 done, 0 skipped, 0 failed", 0),
    ("fail", "1 done, 0 skipped, 1 failed", 1),
])
def test_non_dutch_policies(tmp_path, capsys, model_args, policy, line, code) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "engels.txt").write_text(ENGLISH, encoding="utf-8")
    (src / "nederlands.txt").write_text(DUTCH, encoding="utf-8")
    out = tmp_path / "out"
    result = run(capsys, "run", str(src), "-o", str(out), "--on-non-dutch", policy, *model_args)
    assert result[:2] == (code, line + "\n")
    errors = read_jsonl(out / "errors.jsonl")
    if policy == "translate":
        assert errors == []
        warnings = outputs(out)["engels.json"]["warnings"]
        assert any(w.startswith("language: not Dutch: detected en") for w in warnings)
    else:
        (error,) = errors
        assert error["stage"] == "language" and error["reason"].startswith("not Dutch: detected en (")
        assert error["outcome"] == ("skipped" if policy == "skip" else "failed")


def test_unreadable_files_and_special_files(tmp_path, capsys, model_args, monkeypatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "goed.txt").write_text(DUTCH, encoding="utf-8")
    (src / "geheim.txt").write_text(DUTCH, encoding="utf-8")
    os.mkfifo(src / "pijp.txt")
    os.symlink("bestaat-niet.txt", src / "kapotte-link.txt")
    real_open = open

    def guarded_open(path, *args, **kwargs):  # root can read anything, so refuse like chmod 000 would
        if str(path).endswith("geheim.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(inputs.read, "open", guarded_open, raising=False)
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), *model_args)
    assert (code, stdout) == (1, "1 done, 0 skipped, 3 failed\n")
    reasons = {e["id"]: e["reason"] for e in read_jsonl(out / "errors.jsonl")}
    assert reasons == {"geheim.txt": "permission denied", "pijp.txt": "not a regular file",
                       "kapotte-link.txt": "broken symlink (its target does not exist)"}


def test_dry_run_lists_and_writes_nothing(tmp_path, capsys, model_args) -> None:
    src = make_mixed_folder(tmp_path / "in")
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), "--dry-run", "--max-bytes", "4k", *model_args)
    assert code == 0 and not out.exists()
    lines = stdout.splitlines()
    assert lines[-1] == "dry run: 9 to process, 1 to skip, 10 would fail"
    assert any(line.startswith("would process  politiek/kabinet.txt") for line in lines)
    assert any(line.startswith("would skip     engels.txt  (language: not Dutch") for line in lines)
    assert any(line.startswith("would fail     plaatje.txt  (clean:") for line in lines)
    assert any(line.startswith("would fail     data/feed.jsonl:3  (read: data/feed.jsonl line 3: malformed JSON")
               for line in lines)

    run(capsys, "run", str(ARTICLES), "-o", str(out), *model_args)
    code, stdout, _ = run(capsys, "run", str(ARTICLES), "-o", str(out), "--dry-run", *model_args)
    assert stdout.splitlines()[-1] == "dry run: 0 to process, 6 to skip, 0 would fail"
    assert "would skip     feed-1  (unchanged since the last run)" in stdout


def test_config_file_and_flags_override_it(tmp_path, capsys, tiny_models) -> None:
    marian, bart = tiny_models
    out = tmp_path / "out"
    config = tmp_path / "beknopt.toml"
    config.write_text(
        f'translation_model = "{marian}"\nsummarization_model = "{bart}"\ndevice = "cpu"\nbeams = 2\n'
        f'max_new_tokens = 12\nmax_summary_tokens = 8\nmin_summary_tokens = 2\noutput = "{out}"\n'
        f'inputs = ["{ARTICLES / "politiek"}"]\nformat = "md"\nmax_bytes = "1M"\n'
        f'extra_boilerplate = ["^Lees ook:.*"]\nquiet = true\n', encoding="utf-8")
    code, stdout, _ = run(capsys, "run", "--config", str(config), "--beams", "1")
    assert (code, stdout) == (0, "1 done, 0 skipped, 0 failed\n")
    record = outputs(out)["kabinet.json"]
    assert record["settings"]["translate"]["generation"]["num_beams"] == 1  # the flag wins
    assert record["settings"]["summarise"]["generation"]["num_beams"] == 1  # --beams covers summaries too
    assert record["settings"]["clean"]["extra_boilerplate"] == ["^Lees ook:.*"]
    assert (out / "kabinet.md").is_file()  # format from the file
    # the same settings from the file alone give a different fingerprint (beams 2): redone
    code, stdout, _ = run(capsys, "run", "--config", str(config))
    assert stdout == "1 done, 0 skipped, 0 failed\n"
    assert outputs(out)["kabinet.json"]["settings"]["translate"]["generation"]["num_beams"] == 2


@pytest.mark.parametrize(("content", "message"), [
    ('beams = 1\ntranslaton_model = "x"\n', "unknown key 'translaton_model' (did you mean 'translation_model'?)"),
    ('beams = "vier"\n', "'beams' must be a whole number"),
    ('beams = 0\n', "'beams' must be at least 1"),
    ('on_non_dutch = "maybe"\n', "'on_non_dutch' must be one of skip, translate, fail"),
    ("beams = \n", "is not valid TOML"),
])
def test_bad_config_is_a_usage_error(tmp_path, capsys, content, message) -> None:
    config = tmp_path / "beknopt.toml"
    config.write_text(content, encoding="utf-8")
    code, _, stderr = run(capsys, "run", str(ARTICLES), "-o", str(tmp_path / "out"), "--config", str(config))
    assert code == 2 and message in stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(tmp_path, capsys, model_args) -> None:
    out = str(tmp_path / "out")
    empty = tmp_path / "leeg"
    empty.mkdir()
    (empty / "notities.csv").write_text("a,b\n", encoding="utf-8")
    cases = [
        (["run", "-o", out], "no INPUT given"),
        (["run", str(ARTICLES)], "the output folder is required"),
        (["run", str(tmp_path / "bestaat-niet"), "-o", out], "no such file or folder"),
        (["run", str(tmp_path / "*.nope"), "-o", out], "no file matches"),
        (["run", str(empty), "-o", out], "no articles found"),
        (["run", str(ARTICLES), "-o", out, "--beams", "nul"], "must be a whole number"),
        (["run", str(ARTICLES), "-o", out, "--max-bytes", "veel"], "not a size"),
        (["run", str(ARTICLES), "-o", out, "--on-non-dutch", "maybe"], "must be one of skip, translate, fail"),
        (["run", str(ARTICLES), "-o", out, "--bogus"], "unrecognized arguments: --bogus"),
        (["run", str(ARTICLES), "-o", out, "-q", "-v"], "cannot be used together"),
        (["run", str(ARTICLES), "-o", out, "--config", str(tmp_path / "geen.toml")], "cannot read config file"),
        (["frobnicate"], "invalid choice"),
        (["run", str(ARTICLES), "-o", out, "--translation-model", str(tmp_path / "geen-model"),
          "--device", "cpu"], "does not exist"),
        (["run", str(ARTICLES), "-o", out, *model_args, "--backend", "nope"], "unknown backend 'nope'"),
    ]
    for argv, message in cases:
        code, stdout, stderr = run(capsys, *argv)
        assert code == 2, (argv, stderr)
        assert message in stderr, (argv, stderr)
    assert run(capsys)[0] == 2  # no command: help, usage error
    code, stdout, _ = run(capsys, "--help")
    assert code == 0 and "exit status" in stdout


def test_model_not_found_prints_the_clear_message(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, stderr = run(capsys, "run", str(ARTICLES), "-o", str(tmp_path / "out"), "--device", "cpu",
                          "--translation-model", "beknopt-test/bestaat-niet")
    assert code == 2
    assert "model 'beknopt-test/bestaat-niet' not found" in stderr and "beknopt models download" in stderr


def test_log_format_json_quiet_and_verbose(tmp_path, capsys, model_args) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "goed.txt").write_text(DUTCH, encoding="utf-8")
    (src / "leeg.txt").write_text("", encoding="utf-8")
    args = ["run", str(src), "-o", str(tmp_path / "out"), *model_args]

    code, stdout, stderr = run(capsys, *args, "--log-format", "json", "--verbose")
    assert code == 1 and stdout == "1 done, 0 skipped, 1 failed\n"
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["start", "article", "article", "finish"]
    assert events[1]["status"] == "done" and events[1]["id"] == "goed.txt"
    assert events[2]["status"] == "failed" and events[2]["stage"] == "clean"
    assert events[3]["done"] == 1 and events[3]["failed"] == 1 and events[3]["summary"] == stdout.strip()

    code, stdout, stderr = run(capsys, *args, "--quiet")
    assert stdout == "0 done, 1 skipped, 1 failed\n"
    assert "leeg.txt" not in stderr and "{" not in stderr

    code, stdout, stderr = run(capsys, *args, "--verbose")
    assert "skipped goed.txt (unchanged since the last run)" in stderr
    assert "FAILED leeg.txt [clean]" in stderr


class _Terminal:
    def __init__(self, tty: bool = True) -> None:
        self.text = ""
        self.tty = tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty


def test_progress_bar_only_on_a_terminal(monkeypatch) -> None:
    """The bar on a terminal of known width (one of unknown width gets plain lines: tests/test_progress.py),
    following the model work between the articles."""
    from beknopt.batch import BatchSummary, Outcome
    from beknopt.cli import progress as cli_progress

    monkeypatch.setattr(cli_progress, "terminal_size", lambda stream: (100, 24, False))
    assert not Reporter(stream=_Terminal(tty=False)).wants_progress
    assert not Reporter(stream=_Terminal(), quiet=True).wants_progress
    assert not Reporter(stream=_Terminal(), json_logs=True).wants_progress
    terminal = _Terminal()
    reporter = Reporter(stream=terminal)
    assert reporter.wants_progress and reporter.mode == "bar"
    reporter.start(4)
    reporter.begin("sentences", 40)
    reporter.advance("sentences", 16)
    assert " 40%|" in terminal.text and "translating 16/40 sentences, " in terminal.text and "ETA" in terminal.text
    for i in range(4):
        reporter.outcome(Outcome("done", f"a{i}", f"a{i}.txt", sentences=10))
    reporter.finish(BatchSummary(done=4))
    assert "100%|" in terminal.text and "articles 4/4" in terminal.text and "sentences/s" in terminal.text


# ----------------------------------------------------------------------------------------------------
# the other subcommands


def test_info(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, stdout, _ = run(capsys, "info")
    assert code == 0
    for expected in ("beknopt:", "torch:", "transformers:", "ctranslate2:", "device:", "model cache:",
                     "HF_HUB_OFFLINE:  on", "Helsinki-NLP/opus-mt-nl-en", "~  300 MB", "facebook/bart-large-cnn"):
        assert expected in stdout
    code, stdout, _ = run(capsys, "info", "--json")
    info = json.loads(stdout)
    assert info["hf_hub_offline"] is True and info["device"] in {"cpu", "mps"} | {"cuda"}
    assert info["versions"]["beknopt"] and {m["model"] for m in info["models"]} >= {"facebook/bart-large-cnn"}
    from beknopt.models.allocator import malloc_status

    assert info["cpu_malloc_tuning"] == malloc_status()  # "tuned" once a CPU model loaded in this process
    code, stdout, _ = run(capsys, "info")
    assert f"CPU malloc:      {malloc_status()}" in stdout


def test_models_download(tmp_path, capsys, monkeypatch) -> None:
    calls = []

    def fake_snapshot(model, local_dir):
        calls.append((model, local_dir))
        return str(local_dir or f"/cache/{model}")

    monkeypatch.setattr(cli_models, "_snapshot", fake_snapshot)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    code, stdout, _ = run(capsys, "models", "download")
    assert code == 0
    assert [m for m, _ in calls] == ["Helsinki-NLP/opus-mt-nl-en", "sshleifer/distilbart-cnn-12-6"]

    calls.clear()
    code, stdout, _ = run(capsys, "models", "download", "--preset", "all", "--dir", str(tmp_path))
    assert code == 0
    assert calls == [(m, tmp_path / m) for m in ["Helsinki-NLP/opus-mt-nl-en", "sshleifer/distilbart-cnn-6-6",
                                                 "sshleifer/distilbart-cnn-12-6", "facebook/bart-large-cnn"]]
    assert f"--translation-model {tmp_path / 'Helsinki-NLP/opus-mt-nl-en'}" in stdout

    calls.clear()
    run(capsys, "models", "download", "--summarization-model", "fast", "--translation-model", "org/nl-en")
    assert [m for m, _ in calls] == ["org/nl-en", "sshleifer/distilbart-cnn-6-6"]

    def failing(model, local_dir):
        raise OSError("Connection refused\nlong traceback")

    monkeypatch.setattr(cli_models, "_snapshot", failing)
    code, _, stderr = run(capsys, "models", "download", "--preset", "fast")
    assert code == 1 and "cannot download sshleifer/distilbart-cnn-6-6: OSError: Connection refused" in stderr

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, stderr = run(capsys, "models", "download")
    assert code == 1 and "offline mode is on (HF_HUB_OFFLINE=1)" in stderr


def test_snapshot_prefers_safetensors(monkeypatch, tmp_path) -> None:
    import huggingface_hub

    seen = {}
    monkeypatch.setattr(cli_models, "_repo_files",
                        lambda model: ["config.json", "model.safetensors", "pytorch_model.bin"])
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda **kw: seen.update(kw) or "/x")
    assert cli_models._snapshot("org/m", tmp_path) == "/x"
    assert "*.bin" in seen["ignore_patterns"] and "*.h5" in seen["ignore_patterns"]
    assert seen["local_dir"] == str(tmp_path) and seen["repo_id"] == "org/m"
    monkeypatch.setattr(cli_models, "_repo_files", lambda model: ["config.json", "pytorch_model.bin"])
    seen.clear()
    cli_models._snapshot("org/m", None)
    assert "*.bin" not in seen["ignore_patterns"] and "local_dir" not in seen


def test_downloaded_pickle_only_folder_gets_safetensors(tmp_path, capsys, tiny_models) -> None:
    import shutil

    import torch
    from safetensors.torch import load_file

    from beknopt.models import load_backend
    from beknopt.models.backend import GenerationSettings

    folder = tmp_path / "marian"
    shutil.copytree(tiny_models[0], folder)
    weights = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    torch.save(weights, folder / "pytorch_model.bin")
    assert cli_models.to_safetensors(folder) is True
    assert "wrote model.safetensors" in capsys.readouterr().out
    converted = load_file(folder / "model.safetensors")
    assert set(converted) <= set(weights) and all(torch.equal(converted[k], weights[k]) for k in converted)
    (out,) = load_backend(str(folder), device="cpu").generate(["Goedemorgen."], GenerationSettings(1, 4))
    assert isinstance(out, str)
    assert cli_models.to_safetensors(folder) is False  # already has them


def test_models_tiny_builds_models_that_run(tmp_path, capsys, monkeypatch, tiny_models) -> None:
    import beknopt.models.tiny as tiny

    marian, bart = tiny_models

    def fake_build(out_dir):  # building real ones takes seconds; the session already built a pair
        assert Path(out_dir) == tmp_path / "modellen"
        return marian, bart

    monkeypatch.setattr(tiny, "build_tiny_models", fake_build)
    code, stdout, _ = run(capsys, "models", "tiny", str(tmp_path / "modellen"))
    assert code == 0
    command = stdout.splitlines()[-1].split()
    assert command[:2] == ["beknopt", "run"]
    placeholders = {"ARTICLES": str(ARTICLES / "politiek"), "out": str(tmp_path / "out")}
    args = ["run", *(placeholders.get(a, a) for a in command[2:])]
    assert main([*args, "--max-new-tokens", "8", "--max-summary-tokens", "8", "--min-summary-tokens", "2",
                 "--beams", "1", "-q"]) == 0


def test_eval_and_convert_are_dispatched(capsys, monkeypatch) -> None:
    import sys
    import types

    seen = []
    for name in ("beknopt.eval.cli", "beknopt.models.convert"):
        module = types.ModuleType(name)
        module.main = lambda argv, name=name: seen.append((name, argv)) or 3
        monkeypatch.setitem(sys.modules, name, module)
    assert main(["eval", "--predictions", "out/", "--help"]) == 3
    assert main(["convert", "model", "--quantize", "int8"]) == 3
    assert seen == [("beknopt.eval.cli", ["--predictions", "out/", "--help"]),
                    ("beknopt.models.convert", ["model", "--quantize", "int8"])]
    monkeypatch.setitem(cli_app._DISPATCH, "convert", "beknopt.bestaat_niet")
    code, _, stderr = run(capsys, "convert", "x")
    assert code == 2 and "'beknopt convert' is not available" in stderr
