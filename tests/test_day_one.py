"""What a newsroom engineer trips over on day one: language checks in the API, headlines, honest reasons,
standard input and output, the editor's digest. Real tiny models throughout."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import read_jsonl, run

from beknopt.cleaning import clean
from beknopt.formats.markdown import escape_inline

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

DUTCH = ("De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan voor het centrum. "
         "Volgens de wethouder komen er meer bomen en minder parkeerplaatsen.")
ENGLISH = "This is an English article about the weather. It is raining in London and the trains are late."


# ----------------------------------------------------------------------------------------------------
# the language check belongs to the pipeline


def test_the_api_checks_the_language_like_the_cli(tiny_pipeline) -> None:
    dutch, english = tiny_pipeline.run_many([DUTCH, ENGLISH])
    assert dutch.ok
    assert english.error == {"stage": "language", "reason": "not Dutch: detected en (1.00)", "outcome": "skipped"}
    from datasets import Dataset

    mapped = tiny_pipeline.map_dataset(Dataset.from_dict({"text": [DUTCH, ENGLISH]}))
    assert mapped["error"][0] is None and mapped["error"][1] == "language: not Dutch: detected en (1.00)"


def test_the_language_policy_and_switch_reach_the_api(tiny_models) -> None:
    from beknopt import Pipeline

    marian, bart = tiny_models
    common = {"device": "cpu", "num_beams": 1, "summary_num_beams": 1, "max_summary_tokens": 8,
              "min_summary_tokens": 2, "max_new_tokens": 8}
    kept = Pipeline.from_pretrained(str(marian), str(bart), on_non_dutch="translate", **common)
    (result,) = kept.run_many([ENGLISH])
    assert result.ok and result.warnings[0].startswith("language: not Dutch: detected en")
    unchecked = Pipeline.from_pretrained(str(marian), str(bart), language_check=False, **common)
    assert "language" not in unchecked.describe() and unchecked.run_many([ENGLISH]).__next__().ok


# ----------------------------------------------------------------------------------------------------
# headlines


@pytest.mark.parametrize(("text", "title"), [
    ("Dodental van tsunami in Indonesië loopt op tot 832\n\nDe regering meldt meer doden.",
     "Dodental van tsunami in Indonesië loopt op tot 832"),
    ("# Huizenprijzen stijgen opnieuw\n\nDe prijs steeg. Dat is veel.", "Huizenprijzen stijgen opnieuw"),
    ("Waarom stijgen de prijzen?\nDe prijs steeg. Dat is veel.", "Waarom stijgen de prijzen?"),
    ("De prijs steeg vorig jaar met tien procent.\n\nDat is veel.", None),  # a sentence, not a headline
    ("Kabinet valt over stikstof", None),  # no body after it
    ("titel: Uit de kop\n\nKop in de tekst\n\nDe prijs steeg.", "Uit de kop"),  # the header wins
    ("dit begint klein\n\nDe prijs steeg.", None),
    ("Een kop die veel te lang is om nog een kop te zijn want hij heeft meer dan twintig woorden en gaat "
     "maar door en door\n\nDe prijs steeg.", None),
])
def test_a_headline_like_first_line_becomes_the_title(text, title) -> None:
    assert clean(text).metadata.get("title") == title


def test_the_markdown_page_is_headed_by_the_headline(tmp_path, capsys, model_args) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "stuk.txt").write_text("Utrecht plant meer bomen\n\n" + DUTCH, encoding="utf-8")
    code, _, _ = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--format", "md", *model_args)
    assert code == 0
    page = (tmp_path / "out" / "stuk.md").read_text(encoding="utf-8")
    record = json.loads((tmp_path / "out" / "stuk.json").read_text(encoding="utf-8"))
    assert record["metadata"]["title"] == "Utrecht plant meer bomen" and record["source_format"] == "text"
    # headed by the English headline: the first line's translation, with the Dutch one under it
    assert record["title_en"] == record["translations"][0]
    assert page.startswith(f"# {escape_inline(record['title_en'])}\n")
    assert "- **Dutch title:** Utrecht plant meer bomen\n" in page


# ----------------------------------------------------------------------------------------------------
# reasons that say what is wrong


def test_reasons_say_what_is_empty_and_where(tmp_path, capsys, model_args, tiny_pipeline) -> None:
    src = tmp_path / "in"
    src.mkdir()
    lines = [{"id": "a", "text": DUTCH}, {"id": "b", "text": DUTCH}, {"id": "c", "body": DUTCH},
             {"text": ""}, {"id": "e", "body": "  "}]
    (src / "feed.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    (src / "los.json").write_text(json.dumps({"id": "los", "text": ""}), encoding="utf-8")
    # an "html" field is HTML; a "text" field is text, tags or not (issue 20, item 19)
    (src / "html.json").write_text(json.dumps({"id": "html", "html": f"<html><body><p>{DUTCH}</p></body></html>"}),
                                   encoding="utf-8")
    (src / "leeg.txt").write_text("", encoding="utf-8")
    code, stdout, _ = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), *model_args)
    assert code == 1
    reasons = {e["id"]: e["reason"] for e in read_jsonl(tmp_path / "out" / "errors.jsonl")}
    assert reasons == {"feed.jsonl:4": "feed.jsonl line 4: text is empty", "e": "feed.jsonl line 5: body is empty",
                       "los": "los.json: text is empty", "leeg.txt": f"{src / 'leeg.txt'}: file is empty"}
    formats = {r["id"]: r["source_format"] for r in read_jsonl(tmp_path / "out" / "results.jsonl")}
    assert formats == {"a": "text", "b": "text", "c": "text", "html": "html"}  # what was read, not "auto"
    (_, empty) = tiny_pipeline.run_many([DUTCH, ""])
    assert empty.error == {"stage": "clean", "reason": "article-2: text is empty"}


def test_a_bad_flag_is_reported_without_a_doubled_prefix(capsys) -> None:
    code, _, err = run(capsys, "run", "--beams", "x")
    assert code == 2 and err.strip() == "beknopt: error: run: argument --beams: must be a whole number, got 'x'"


# ----------------------------------------------------------------------------------------------------
# standard input and output


def test_jsonl_on_stdin_to_jsonl_on_stdout(tmp_path, capsys, monkeypatch, model_args) -> None:
    feed = "\n" + json.dumps({"id": "a", "text": DUTCH}) + "\n" + json.dumps({"id": "b", "text": ""}) + "\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(feed.encode("utf-8"))))
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, write_through=True))
    code = run(capsys, "run", "-", "-o", "-", *model_args)[0]
    records = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert code == 1
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[0]["summary"] and records[0]["source_path"] == "<stdin>"
    assert records[1] == {"id": "b", "path": "<stdin>", "line": 3, "stage": "read",
                          "reason": "stdin line 3: text is empty", "outcome": "failed"}
    assert not list(tmp_path.iterdir())  # nothing written to disk


@pytest.mark.slow
def test_a_text_article_through_a_shell_pipeline(tmp_path, tiny_models) -> None:
    """``cat artikel.txt | beknopt run - -o -``: a real process, real pipes; the counts go to stderr."""
    marian, bart = tiny_models
    proc = subprocess.run(
        [sys.executable, "-m", "beknopt.cli", "run", "-", "-o", "-", "--translation-model", str(marian),
         "--summarization-model", str(bart), "--device", "cpu", "--beams", "1", "--max-new-tokens", "12",
         "--max-summary-tokens", "8", "--min-summary-tokens", "2", "-q"],
        input=("Utrecht plant meer bomen\n\n" + DUTCH).encode("utf-8"), capture_output=True, timeout=180,
        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (record,) = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert record["id"] == "stdin" and record["metadata"]["title"] == "Utrecht plant meer bomen"
    assert proc.stderr.decode("utf-8").strip().splitlines()[-1] == "1 done, 0 skipped, 0 failed"
    assert not list(tmp_path.iterdir())


def test_markdown_needs_an_output_folder(capsys) -> None:
    code, _, err = run(capsys, "run", "-", "-o", "-", "--format", "md")
    assert code == 2 and "--format md needs an output folder" in err


# ----------------------------------------------------------------------------------------------------
# the editor's digest


def test_the_digest_lists_every_result_in_input_order(tmp_path, capsys, model_args) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Utrecht plant meer bomen\n\n" + DUTCH, encoding="utf-8")
    (src / "b.json").write_text(json.dumps({"id": "nos-1", "title": "Kop", "date": "2024-05-01",
                                            "url": "https://nos.nl/1", "text": DUTCH}), encoding="utf-8")
    (src / "c.txt").write_text("", encoding="utf-8")
    digest = tmp_path / "voor-de-redactie.csv"
    for line in ("2 done, 0 skipped, 1 failed", "0 done, 2 skipped, 1 failed"):  # resumed: the same digest
        code, stdout, _ = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--digest", str(digest),
                              *model_args)
        assert (code, stdout.strip()) == (1, line)
        rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "digest.csv").read_text(encoding="utf-8"))))
        assert [(r["id"], r["title"], r["date"], r["url"]) for r in rows] == [
            ("a.txt", "Utrecht plant meer bomen", "", ""), ("nos-1", "Kop", "2024-05-01", "https://nos.nl/1")]
        # the random tiny summariser's sentences rest on nothing: summary-support checks, counted like the others
        assert all(r["summary"] and r["checks"].isdigit() and r["warnings"].isdigit() for r in rows)
        assert digest.read_text(encoding="utf-8") == (tmp_path / "out" / "digest.csv").read_text(encoding="utf-8")
    jsonl = tmp_path / "digest.jsonl"
    code, _, _ = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--digest", str(jsonl), *model_args)
    assert [r["id"] for r in read_jsonl(jsonl)] == ["a.txt", "nos-1"]


def test_the_digest_never_replaces_a_file_that_is_not_a_digest(tmp_path, capsys, model_args) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    mine = tmp_path / "planning.csv"
    mine.write_text("datum,onderwerp\n2024-05-01,verkiezingen\n", encoding="utf-8")
    code, _, err = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--digest", str(mine), *model_args)
    assert code == 2 and "is not a beknopt digest" in err
    assert mine.read_text(encoding="utf-8") == "datum,onderwerp\n2024-05-01,verkiezingen\n"
    assert not (tmp_path / "out").exists()
    code, _, err = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--digest", str(tmp_path / "d.txt"))
    assert code == 2 and "must end in .csv or .jsonl" in err


def test_digest_rows_come_from_the_record(tmp_path: Path) -> None:
    from beknopt.batch.digest import digest_row

    row = digest_row({"id": "x", "metadata": {"title": "T"}, "title_en": "The T", "summary": "S",
                      "warnings": ["a", "b"], "checks": [{"kind": "number"}]})
    assert row == {"id": "x", "title": "T", "title_en": "The T", "date": "", "url": "", "summary": "S",
                   "warnings": 2, "checks": 1}


def test_a_digest_written_before_the_english_title_column_is_still_replaced(tmp_path: Path) -> None:
    from beknopt.batch.digest import check_digest_path
    from beknopt.batch.errors import OutputFolderError

    old = tmp_path / "old.csv"
    old.write_text("id,title,date,url,summary,warnings,checks\r\nx,T,,,S,0,0\r\n", encoding="utf-8")
    assert check_digest_path(old) == ".csv"
    mine = tmp_path / "mine.csv"
    mine.write_text("id,title,notes\n", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not a beknopt digest"):
        check_digest_path(mine)


# ----------------------------------------------------------------------------------------------------
# timings that add up


def test_per_article_timings_add_up(tiny_pipeline) -> None:
    long_one = " ".join([DUTCH] * 4)  # more sentences: a larger share of the translation time
    results = list(tiny_pipeline.run_many([DUTCH, long_one, DUTCH], batch_size=3))
    stages = ("clean", "language", "split", "translate", "check", "summarise", "provenance")
    for r in results:
        assert set(r.timings) == {*stages, "total", "batch_seconds", "batch_articles"}
        assert r.timings["total"] == pytest.approx(sum(r.timings[s] for s in stages), abs=1e-5)
        assert r.timings["batch_articles"] == 3 and r.timings["batch_seconds"] == results[0].timings["batch_seconds"]
    assert sum(r.timings["total"] for r in results) <= results[0].timings["batch_seconds"] + 1e-3
    assert results[1].timings["translate"] > results[0].timings["translate"]  # shares follow the sentences
