"""The check stage in the pipeline: findings in ``result.checks``, one warning each, in every output."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import SAMPLE_ARTICLE
from test_cli import read_jsonl, run

from beknopt import CleanStage, LeadSummariser, Pipeline, SplitStage
from beknopt.batch import render_markdown
from beknopt.checks.stage import CheckStage

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

DUTCH = "Het kabinet trekt 5.200 euro uit voor Kenneth McKenzie. De oppositie is verdeeld."
ENGLISH = {"Het kabinet trekt 5.200 euro uit voor Kenneth McKenzie.": "The cabinet sets aside 520 euros for Kenneth "
           "Mackenzie.", "De oppositie is verdeeld.": "The opposition is divided."}


def scripted_translation(docs):
    """Stands in for the translator: a fixed English sentence per Dutch sentence (orchestration only)."""
    for doc in docs:
        if doc.ok:
            doc.translations = [ENGLISH[s] for s in doc.sentences]
    return docs


scripted_translation.name = "translate"  # type: ignore[attr-defined]


def test_findings_become_checks_warnings_and_a_markdown_section() -> None:
    pipe = Pipeline([CleanStage(), SplitStage(), scripted_translation, CheckStage(), LeadSummariser(1)])
    result = pipe(DUTCH)
    assert [(c["kind"], c["sentence"], c["source"], c["output"]) for c in result.checks] == [
        ("number", 0, "5.200", "520"), ("name", 0, "Kenneth McKenzie", "")]
    assert all(c["stage"] == "translate" for c in result.checks)
    assert [w for w in result.warnings if w.startswith("check:")] == [
        f"check: sentence 1: {c['detail']}" for c in result.checks]
    assert result.to_dict()["checks"] == result.checks
    page = render_markdown(result.to_dict())
    assert "## Checks" in page and "sentence 1 (number): number changed: 5200 in the source, 520" in page


def test_the_real_pipeline_checks_every_sentence_and_can_be_told_not_to(tiny_models) -> None:
    """The tiny random model does not copy numbers: the sample article's numbers are reported missing."""
    marian, bart = tiny_models
    common = {"device": "cpu", "num_beams": 1, "summary_num_beams": 1, "max_summary_tokens": 24,
              "min_summary_tokens": 4, "max_new_tokens": 12}
    text = SAMPLE_ARTICLE.read_text(encoding="utf-8")
    result = Pipeline.from_pretrained(str(marian), str(bart), **common)(text)
    assert "check" in result.settings and result.checks
    for check in (c for c in result.checks if c["stage"] == "translate"):
        where = result.metadata["title"] if check.get("field") == "title" else result.sentences[check["sentence"]]
        assert check["kind"] in {"number", "name"} and check["source"] in where
    assert any(c["kind"] == "number" and c["source"] in {"5200", "3000"} for c in result.checks)
    unchecked = Pipeline.from_pretrained(str(marian), str(bart), checks=False, **common)(text)
    assert unchecked.checks == [] and "check" not in unchecked.settings
    assert unchecked.translations == result.translations


def test_checks_reach_results_and_the_digest(tmp_path, capsys, model_args) -> None:
    model_args = [*model_args, "--max-summary-tokens", "24", "--min-summary-tokens", "4"]  # the long sample
    out = tmp_path / "out"
    code, _, _ = run(capsys, "run", str(SAMPLE_ARTICLE.parent), "-o", str(out), *model_args)
    assert code == 0
    (record,) = read_jsonl(out / "results.jsonl")
    assert record["checks"] and json.loads((out / "2020-09-vs-troepen-irak.json").read_text())["checks"]
    (row,) = csv.DictReader(io.StringIO((out / "digest.csv").read_text(encoding="utf-8")))
    assert int(row["checks"]) == len(record["checks"])
    code, _, _ = run(capsys, "run", str(SAMPLE_ARTICLE.parent), "-o", str(tmp_path / "zonder"), "--no-checks",
                     *model_args)
    assert read_jsonl(tmp_path / "zonder" / "results.jsonl")[0]["checks"] == []
