"""Reports (JSON, CSV, Markdown, offline HTML) and the ``beknopt eval`` command line."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from beknopt.eval import compare, evaluate, to_html, to_markdown, write_reports
from beknopt.eval.cli import main

DATA = Path(__file__).parent / "data" / "eval"


def test_reports_are_written_and_html_is_escaped_and_offline(tmp_path: Path) -> None:
    ids = ["<b>x&y</b>", "plain"]
    report = evaluate(
        ["Rutte <script>alert('x')</script> met 7 farmers.", ""],
        ["Rutte met farmers.", "Farmers."],
        sources=["Rutte met farmers.", "Farmers met."],
        ids=ids,
        n_bootstrap=20,
    )
    written = write_reports(report, tmp_path)
    assert sorted(p.name for p in written) == ["report.csv", "report.html", "report.json", "report.md"]

    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert set(data) >= {"config", "signatures", "systems", "ids", "comparison"}
    system = data["systems"][0]
    assert system["scores"]["rouge1_f"]["ci_low"] is not None
    assert system["empty_predictions"]["summary"] == {"count": 1, "ids": ["plain"]}
    assert system["documents"][0]["diagnostics"]["unsupported_numbers"] == ["7"]

    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text(encoding="utf-8"))))
    assert (
        [r["id"] for r in rows] == ids
        and rows[1]["empty"] == "summary"
        and rows[0]["unsupported_numbers"] == "7"
    )

    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| rougeLsum_f |" in md and "Empty summary predictions (scored as 0): 1 (plain)" in md

    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "</svg>" in html
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in html and "<b>x&y</b>" not in html
    assert "<script" not in html and "<link" not in html and "src=" not in html
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ElementTree.fromstring(svg)  # well-formed inline SVG


def test_compare_html_has_both_systems(tmp_path: Path) -> None:
    ref = (DATA / "translation.ref.txt").read_text(encoding="utf-8").splitlines()
    a = (DATA / "translation.hyp_a.txt").read_text(encoding="utf-8").splitlines()
    b = (DATA / "translation.hyp_b.txt").read_text(encoding="utf-8").splitlines()
    report = compare(a, b, ref, task="translation", n_bootstrap=50, names=("marian", "tiny"))
    html = write_reports(report, tmp_path, ["html"])[0].read_text(encoding="utf-8")
    assert "Paired bootstrap: tiny − marian" in html and html.count("<svg") >= 6
    assert "marian (x) vs tiny (y)" in html


def test_cli_summary_with_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "--predictions",
            str(DATA / "summary.pred_a.jsonl"),
            "--references",
            str(DATA / "summary.ref.jsonl"),
            "--source",
            str(DATA / "summary.src.jsonl"),
            "--bootstrap",
            "100",
            "--report",
            "json,md",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "| rouge1_f |" in stdout and "unsupported" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["config"]["n_bootstrap"] == 100


def test_cli_translation_and_compare(capsys: pytest.CaptureFixture[str]) -> None:
    ref = str(DATA / "translation.ref.txt")
    assert (
        main(
            [
                "-p",
                str(DATA / "translation.hyp_a.txt"),
                "-r",
                ref,
                "--task",
                "translation",
                "--bootstrap",
                "0",
            ]
        )
        == 0
    )
    assert "| bleu |" in capsys.readouterr().out
    code = main(
        [
            "--compare",
            str(DATA / "summary.pred_b.jsonl"),
            str(DATA / "summary.pred_a.jsonl"),
            "--references",
            str(DATA / "summary.ref.jsonl"),
            "--bootstrap",
            "200",
            "--no-stem",
            "--seed",
            "3",
        ]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "Paired bootstrap: summary.pred_a − summary.pred_b" in stdout and "stem:no" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--predictions", "P"], "--references"),
        (["-p", "nope.jsonl", "-r", str(DATA / "summary.ref.jsonl")], "no such file"),
        (["-p", str(DATA / "summary.pred_a.txt"), "-r", str(DATA / "translation.ref.txt")], "has 12 lines"),
        (
            [
                "-p",
                str(DATA / "summary.pred_a.jsonl"),
                "-r",
                str(DATA / "summary.ref.jsonl"),
                "--report",
                "md",
            ],
            "--report needs --out",
        ),
        (
            [
                "-p",
                str(DATA / "summary.pred_a.jsonl"),
                "-r",
                str(DATA / "summary.ref.jsonl"),
                "--out",
                "x",
                "--report",
                "pdf",
            ],
            "unknown --report format",
        ),
        (["-p", "a", "--compare", "a", "b", "-r", "r"], "not allowed with"),
        (
            [
                "-p",
                str(DATA / "summary.pred_a.jsonl"),
                "-r",
                str(DATA / "summary.ref.jsonl"),
                "--task",
                "both",
                "--pred-field",
                "summary",
            ],
            "TASK=NAME",
        ),
    ],
)
def test_cli_usage_and_input_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.mark.skipif(importlib.util.find_spec("bert_score") is not None, reason="bert-score is installed")
def test_cli_bertscore_without_package(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "-p",
        str(DATA / "summary.pred_a.jsonl"),
        "-r",
        str(DATA / "summary.ref.jsonl"),
        "--bertscore-model",
        "m",
    ]
    assert main(args) == 2
    assert "pip install bert-score" in capsys.readouterr().err


def test_cli_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--compare" in capsys.readouterr().out


def _partial_predictions(tmp_path: Path) -> Path:
    """summary.pred_a without nos-011/nos-012, plus one id the references do not have."""
    rows = [json.loads(line) for line in (DATA / "summary.pred_a.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["id"] not in ("nos-011", "nos-012")] + [{"id": "extra-1", "summary": "Nothing."}]
    path = tmp_path / "partial.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_ids_intersection_reports_what_was_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    partial = _partial_predictions(tmp_path)
    args = ["-p", str(partial), "-r", str(DATA / "summary.ref.jsonl"), "--source", str(DATA / "summary.src.jsonl"),
            "--bootstrap", "20"]
    assert main(args) == 2
    assert "--ids intersection" in capsys.readouterr().err  # strict is the default, and the error says the way out
    out = tmp_path / "out"
    assert main([*args, "--ids", "intersection", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    line = ("left out 2 of 12 references (nos-011, nos-012), 1 of 11 predictions (extra-1)")
    assert "# beknopt eval: 10 documents" in captured.out and line in captured.out and line in captured.err
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["ids"] == [f"nos-{i:03d}" for i in range(1, 11)]
    assert data["left_out"]["references"] == {"count": 2, "ids": ["nos-011", "nos-012"]}
    assert data["left_out"]["predictions"] == {"partial": {"count": 1, "ids": ["extra-1"]}}
    assert line in (out / "report.md").read_text(encoding="utf-8")
    assert line in (out / "report.html").read_text(encoding="utf-8")
    code = main(["--compare", str(partial), str(DATA / "summary.pred_b.jsonl"), "-r", str(DATA / "summary.ref.jsonl"),
                 "--bootstrap", "20", "--ids", "intersection", "--names", "a", "b"])
    assert code == 0
    assert ("left out 2 of 12 references (nos-011, nos-012), 1 of 11 predictions of a (extra-1), "
            "2 of 12 predictions of b (nos-011, nos-012)") in capsys.readouterr().out


def test_cli_every_option_has_help() -> None:
    from beknopt.eval.cli import build_parser

    undocumented = [a.option_strings for a in build_parser()._actions if a.option_strings and not a.help]
    assert undocumented == []


def test_html_report_layout(tmp_path: Path) -> None:
    """Without a browser: headline first, P/R and signatures collapsed, ticks, and titles that match the axes."""
    refs = [json.loads(line)["reference"] for line in (DATA / "summary.ref.jsonl").read_text().splitlines()]
    preds = (DATA / "summary.pred_a.txt").read_text(encoding="utf-8").splitlines()
    html = write_reports(evaluate(preds, refs, n_bootstrap=20), tmp_path, ["html"])[0].read_text(encoding="utf-8")
    assert re.search(r"<table[^>]*>", html).group(0) == "<table class=headline>"
    headline = html[html.index("<table class=headline>"):]
    headline = headline[: headline.index("</table>")]
    assert "rouge1_f" in headline and "rouge1_p" not in headline and "Signature" not in headline
    assert "<details class=pr><summary>Precision and recall</summary>" in html
    assert html.count("<details class=sig>") == 2  # under the scores and under the diagnostics
    # no sources: the length axis counts reference words, and the title says so
    assert "rougeLsum_f vs reference length" in html and "reference length (words)" in html
    assert "vs article length" not in html
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ticks = re.findall(r'font-size="9" fill="#444">([^<]+)</text>', svg)
        assert len(ticks) >= 6  # at least three per axis, not just the two ends
    docs = re.findall(r"<article class=doc data-id='([^']+)'>", html)
    assert docs == [str(i) for i in range(1, 13)]
    assert "<section class='col pred'>" in html and "<section class='col ref'>" in html


def test_nice_ticks() -> None:
    from beknopt.eval.report import nice_ticks

    assert nice_ticks(0.13, 0.91) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(22, 32) == [20, 25, 30, 35]  # beyond the data on both sides
    assert nice_ticks(0, 7, target=4, integer=True) == [0, 5, 10]
    assert nice_ticks(5, 5) == [4.5, 5.0, 5.5]  # one value still gets an axis around it


def test_markdown_and_html_name_the_unit() -> None:
    report = evaluate(["a b", "c"], ["a b", "c d"], task="translation", n_bootstrap=0, config={"unit": "sentences"})
    assert to_markdown(report).startswith("# beknopt eval: 2 sentences, task translation")
    assert "<h1>beknopt eval: 2 sentences, task translation</h1>" in to_html(report)
