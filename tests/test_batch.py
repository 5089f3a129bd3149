"""The batch runner's parts without models: discovery, readers, safe paths, config, language stage, streaming."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

import pytest

from beknopt import Document, Pipeline
from beknopt.batch import BatchOptions, BatchRunner, LanguageStage, OutputLockedError
from beknopt.batch.outdir import OutputFolder
from beknopt.inputs import (
    OutputKeys,
    check_inputs,
    count_articles,
    discover,
    read_articles,
    safe_component,
    safe_relpath,
)

DUTCH = "De gemeenteraad heeft gisteren een nieuw plan aangenomen. Er komen meer bomen in het centrum."


def fake_stage(docs: list[Document]) -> list[Document]:
    """Stands in for the four model stages: one 'sentence' per article, upper-cased as 'translation'."""
    for doc in docs:
        if not doc.ok:
            continue
        text = doc.source.decode("utf-8") if isinstance(doc.source, bytes) else doc.source
        if "ONVERWACHT" in text:
            raise KeyError("a bug in a custom stage")
        doc.clean_text, doc.sentences, doc.sentence_paragraphs = text, [text], [0]
        doc.translations, doc.summary = [text.upper()], text[:12]
    return docs


fake_stage.name = "fake"  # type: ignore[attr-defined]


def runner(out: Path, *, batch_size: int = 4, **kwargs) -> BatchRunner:
    return BatchRunner(Pipeline([fake_stage], batch_size=batch_size), BatchOptions(output=out, **kwargs))


def articles(*inputs: str | Path, max_bytes: int = 5_000_000, exclude=()):
    return read_articles(discover([str(i) for i in inputs], exclude=exclude), max_bytes=max_bytes)


# ----------------------------------------------------------------------------------------------------
# safe output paths


@pytest.mark.parametrize(("text", "expected"), [
    ("politiek/kabinet", "politiek/kabinet"),
    ("../../etc/passwd", "etc/passwd"),
    ("/etc/passwd", "etc/passwd"),
    ("a/./b/../c", "a/b/c"),
    ("C:\\Windows\\win.ini", "C_/Windows/win.ini"),
    ("..", "_"),
    ("", "_"),
    (".env", "env"),
    ("...", "_"),
    ("con", "_con"),
    ("Aux.txt", "_Aux.txt"),
    ("naam. ", "naam"),
    ("a\x00b\nc", "a_b_c"),
    ('v?r*g<e>n|"', "v_r_g_e_n__"),
    ("ünïcödé", "ünïcödé"),
])
def test_safe_relpath(text: str, expected: str) -> None:
    assert safe_relpath(text) == PurePosixPath(expected)


def test_safe_component_limits_length_and_keeps_names_distinct() -> None:
    a, b = safe_component("x" * 300), safe_component("x" * 299 + "y")
    assert len(a.encode()) <= 120 and len(b.encode()) <= 120 and a != b
    assert len(safe_component("é" * 200).encode()) <= 120
    deep = safe_relpath("/".join(str(i) for i in range(40)))
    assert len(deep.parts) == 16


def test_output_keys_are_unique_case_insensitively_and_repeatable() -> None:
    keys = OutputKeys()
    given = [keys.assign(PurePosixPath(k)) for k in ["a", "A", "a", "b/a", "a~2"]]
    assert [str(k) for k in given] == ["a", "A~2", "a~3", "b/a", "a~2~2"]


# ----------------------------------------------------------------------------------------------------
# discovery and reading


def test_discovery_is_sorted_recursive_and_skips_hidden_unsupported_and_the_output_folder(tmp_path) -> None:
    src = tmp_path / "in"
    for rel in ["b.txt", "a.md", "sub/z.html", "sub/y.htm", "sub/deeper/x.json", "feed.jsonl", "notes.csv",
                ".hidden.txt", ".git/config.txt", "out/old.json"]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text("x", encoding="utf-8")
    found = [str(s.rel) for s in discover([str(src)], exclude=[src / "out"])]
    assert found == ["a.md", "b.txt", "feed.jsonl", "sub/deeper/x.json", "sub/y.htm", "sub/z.html"]
    assert [str(s.rel) for s in discover([str(src / "sub" / "**" / "*.htm*")])] == ["y.htm", "z.html"]
    assert [str(s.rel) for s in discover([str(src / "b.txt")])] == ["b.txt"]
    assert count_articles(discover([str(src)])) == 7


def test_check_inputs(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("x")
    check_inputs([str(tmp_path / "a.txt"), str(tmp_path), str(tmp_path / "*.txt")])
    for bad, message in [([], "no INPUT"), ([str(tmp_path / "nope")], "no such file"),
                         ([str(tmp_path / "*.md")], "no file matches")]:
        with pytest.raises(Exception, match=message):
            check_inputs(bad)


def test_symlink_loops_and_broken_links_become_error_records(tmp_path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text(DUTCH)
    os.symlink("..", src / "sub" / "terug")  # folder loop
    os.symlink("zelf", src / "zelf")  # a link to itself, without an article suffix
    os.symlink("weg.txt", src / "kapot.txt")  # broken
    os.symlink("bestaat-niet", src / "nergens")  # broken, no suffix: still reported
    got = {a.id: (a.error or {}).get("reason") for a in articles(src)}
    assert got == {
        "kapot.txt": "broken symlink (its target does not exist)",
        "nergens": "broken symlink (its target does not exist)",
        "sub/a.txt": None,
        "sub/terug": "symlink loop: this folder links back to one it is inside",
        "zelf": "cannot follow link: symlink loop (too many levels of symbolic links)",
    }


def test_jsonl_reader(tmp_path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [
        "\ufeff" + json.dumps({"id": "een", "text": DUTCH, "title": "T", "url": "u"}),
        "",
        json.dumps({"body": DUTCH}),
        "[1, 2]",
        json.dumps({"id": "lang", "text": DUTCH * 20}),
        json.dumps({"id": 7, "text": DUTCH}),
        "   ",
        '{"id": "x", "text": "\\ud800"',
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = list(articles(feed, max_bytes=1000))
    # a line over --max-bytes is not parsed at all, so its id is its position
    assert [(a.id, a.line) for a in got] == [("een", 1), ("feed.jsonl:3", 3), ("feed.jsonl:4", 4),
                                             ("feed.jsonl:5", 5), ("7", 6), ("feed.jsonl:8", 8)]
    assert [str(a.out_key) for a in got] == ["feed/een", "feed/line-3", "feed/line-4", "feed/line-5", "feed/7",
                                             "feed/line-8"]
    ok = [a for a in got if a.error is None]
    assert [a.id for a in ok] == ["een", "feed.jsonl:3", "7"]
    assert ok[0].document.metadata == {"title": "T", "url": "u"}
    assert ok[0].document.source_path == str(feed)
    assert len({a.digest for a in ok}) == 3
    errors = {a.id: a.error["reason"] for a in got if a.error}
    assert errors["feed.jsonl:4"] == ("feed.jsonl line 4: expected a JSON object with a 'text', 'html' or 'body' "
                                      "field, got list")
    assert errors["feed.jsonl:5"] == "feed.jsonl line 5: too large: 1,887 bytes is over the --max-bytes limit of 1,000"
    assert errors["feed.jsonl:8"].startswith("feed.jsonl line 8: malformed JSON")
    assert count_articles(discover([str(feed)])) == len(got)


def test_single_file_readers(tmp_path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"id": "nos-1", "text": DUTCH, "date": "2024-01-01"}))
    (tmp_path / "b.json").write_text("[]")
    (tmp_path / "c.html").write_text("<p>hallo</p>")
    (tmp_path / "d.txt").write_bytes(DUTCH.encode("utf-16-be").join([b"\xfe\xff", b""]))
    (tmp_path / "e.txt").write_text("x" * 50)
    got = {a.id: a for a in articles(tmp_path)}
    assert got["nos-1"].error is None and got["nos-1"].document.metadata == {"date": "2024-01-01"}
    assert str(got["nos-1"].out_key) == "a"
    assert got["b.json"].error["reason"].startswith("b.json: expected a JSON object")
    assert got["c.html"].document.source_format == "html" and isinstance(got["c.html"].document.source, bytes)
    assert got["d.txt"].document.warnings == ["read: file is UTF-16 with a byte-order mark; decoded as UTF-16"]
    assert got["e.txt"].error is None
    (big,) = articles(tmp_path / "e.txt", max_bytes=40)
    assert big.error == {"stage": "read", "reason": "too large: 50 bytes is over the --max-bytes limit of 40"}


# ----------------------------------------------------------------------------------------------------
# the language stage


def test_language_stage_policies() -> None:
    english = "The city council approved a new plan for the town centre yesterday, with more trees."

    def run(policy: str, text: str) -> Document:
        doc = Document(id="a", source=text, clean_text=text)
        LanguageStage(policy)([doc])
        return doc

    assert run("skip", DUTCH).ok and run("fail", DUTCH).ok
    skipped = run("skip", english)
    assert skipped.error["stage"] == "language" and skipped.error["outcome"] == "skipped"
    assert skipped.error["reason"].startswith("not Dutch: detected en (")
    failed = run("fail", english)
    assert failed.error["stage"] == "language" and "outcome" not in failed.error
    kept = run("translate", english)
    assert kept.ok and kept.warnings[0].startswith("language: not Dutch: detected en")
    assert run("skip", "12345 678 --- !!!").error["reason"] == "cannot detect the language of text without letters"
    with pytest.raises(ValueError):
        LanguageStage("maybe")


# ----------------------------------------------------------------------------------------------------
# the runner, with a stand-in stage


def test_ten_thousand_articles_stream_with_bounded_read_ahead(tmp_path) -> None:
    src = tmp_path / "in"
    for folder in range(10):
        (src / f"map-{folder}").mkdir(parents=True)
        for i in range(1000):
            (src / f"map-{folder}" / f"{i:04d}.txt").write_text(f"{DUTCH} Artikel {folder}-{i}.")
    counters = {"read": 0, "written": 0, "lag": 0}

    def counted(stream):
        for article in stream:
            counters["read"] += 1
            counters["lag"] = max(counters["lag"], counters["read"] - counters["written"])
            yield article

    def written(outcome) -> None:
        counters["written"] += 1

    out = tmp_path / "out"
    batch = BatchRunner(Pipeline([fake_stage], batch_size=16), BatchOptions(output=out), on_outcome=written)
    summary = batch.run(counted(articles(src)))
    assert summary.line() == "10000 done, 0 skipped, 0 failed"
    # never more than one batch (plus the article being read) in memory, however long the folder
    assert counters["lag"] <= 16 + 1
    with (out / "results.jsonl").open(encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 10_000
    assert (out / "map-9" / "0999.json").is_file()


def test_unexpected_exception_in_a_stage_fails_only_its_article(tmp_path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, text in [("a.txt", DUTCH), ("b.txt", "ONVERWACHT " + DUTCH), ("c.txt", DUTCH)]:
        (src / name).write_text(text)
    summary = runner(tmp_path / "out").run(articles(src))
    assert summary.line() == "2 done, 0 skipped, 1 failed"
    (error,) = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert error == {"id": "b.txt", "path": str(src / "b.txt"), "line": None, "stage": "pipeline",
                     "reason": "unexpected KeyError: 'a bug in a custom stage'", "outcome": "failed"}


def test_output_folder_is_locked_and_leftover_temporary_files_are_cleared(tmp_path) -> None:
    out = tmp_path / "out"
    (out / ".beknopt" / "tmp").mkdir(parents=True)
    (out / ".beknopt" / "tmp" / "left-by-a-killed-run.tmp").write_text("{half")
    first = OutputFolder(out)
    assert list((out / ".beknopt" / "tmp").iterdir()) != [] and not (out / ".beknopt" / "tmp" /
                                                                     "left-by-a-killed-run.tmp").exists()
    with pytest.raises(OutputLockedError, match="another beknopt run is writing"):
        OutputFolder(out)
    first.close()
    OutputFolder(out).close()


def test_writes_never_follow_a_link_out_of_the_output_folder(tmp_path) -> None:
    src = tmp_path / "in"
    (src / "feed").mkdir(parents=True)
    (src / "feed" / "x.txt").write_text(DUTCH)
    (src / "y.txt").write_text(DUTCH)
    elsewhere = tmp_path / "elders"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere, out / "feed")  # planted inside OUTDIR, pointing out of it
    summary = runner(out).run(articles(src))
    assert summary.line() == "1 done, 0 skipped, 1 failed"
    assert list(elsewhere.iterdir()) == []
    (error,) = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert error["stage"] == "write" and "it is a symlink" in error["reason"]


def test_dry_run_without_a_language_stage_writes_nothing(tmp_path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH)
    (src / "b.json").write_text("{}")
    seen = []
    batch = BatchRunner(Pipeline([fake_stage]), BatchOptions(output=tmp_path / "out", dry_run=True),
                        on_outcome=seen.append)
    summary = batch.run(articles(src))
    assert summary.line() == "dry run: 1 to process, 0 to skip, 1 would fail" and summary.exit_code == 0
    assert [(o.status, o.dry_run) for o in seen] == [("done", True), ("failed", True)]
    assert not (tmp_path / "out").exists()


def test_links_into_the_output_folder_are_not_read(tmp_path) -> None:
    """A linked subfolder of OUTDIR and a linked OUTDIR file are left out, like OUTDIR itself."""
    src, out = tmp_path / "in", tmp_path / "out"
    (out / "deel").mkdir(parents=True)
    (out / "deel" / "oud.json").write_text('{"text": "uitvoer"}', encoding="utf-8")
    (out / "los.txt").write_text(DUTCH, encoding="utf-8")
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    os.symlink(out / "deel", src / "map")
    os.symlink(out / "los.txt", src / "link.txt")
    assert [s.rel.as_posix() for s in discover([str(src)], exclude=[out])] == ["a.txt"]
    assert [s.rel.as_posix() for s in discover([str(out / "deel")], exclude=[out])] == []
    assert sorted(s.rel.as_posix() for s in discover([str(src)])) == ["a.txt", "link.txt", "map/oud.json"]
