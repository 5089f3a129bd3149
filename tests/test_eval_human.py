"""``beknopt eval --human``: metric–human agreement on the shipped SummEval articles, checked against a direct
rouge-score + scipy computation, a coefficient worked out by hand, and the calibration of beknopt's support flag.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from conftest import DATA
from rouge_score.rouge_scorer import RougeScorer
from scipy.stats import spearmanr

from beknopt.checks.provenance import SUPPORT_THRESHOLD
from beknopt.eval.cli import main
from beknopt.eval.human import (
    METRICS,
    Judgement,
    calibrate_threshold,
    correlate,
    evaluate_human,
    read_judgements,
)
from beknopt.eval.inputs import EvalInputError

SUMMEVAL = DATA / "summeval"
FILES = {"references": SUMMEVAL / "references.jsonl", "sources": SUMMEVAL / "sources.jsonl"}


@pytest.fixture(scope="module")
def report():
    return evaluate_human(SUMMEVAL / "human.jsonl", **FILES, n_bootstrap=50)


def _row(report, metric: str, aspect: str, level: str = "summary"):
    (found,) = [c for c in report.correlations if (c.metric, c.aspect, c.level) == (metric, aspect, level)]
    return found


def test_the_shipped_articles_are_400_judgements_of_16_systems_on_25_articles(report) -> None:
    assert (len(report.judgements), len(report.articles), len(report.systems)) == (400, 25, 16)
    assert report.metrics == list(METRICS) and report.aspects == ["coherence", "consistency", "fluency", "relevance"]
    assert len(report.correlations) == len(METRICS) * 4 * 2
    assert all(len(j.references) == 11 and j.source for j in report.judgements)


def test_rouge_equals_rouge_score_and_scipy_to_1e9(report) -> None:
    """The setup of the published SummEval figures, computed directly: F1 against each of the 11 references,
    averaged; Spearman per article across systems (scipy), averaged over the articles."""
    scorer = RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    direct = {"rouge1": [], "rouge2": []}
    for j in report.judgements:
        scores = [scorer.score(ref, j.prediction) for ref in j.references]
        for name, values in direct.items():
            values.append(statistics.mean(s[name].fmeasure for s in scores))
    for name in direct:
        assert report.scores[name] == pytest.approx(direct[name], abs=1e-12)
        for aspect in report.aspects:
            per_article = []
            for article in report.articles:
                xs, ys = zip(*[(v, j.human[aspect]) for v, j in zip(direct[name], report.judgements, strict=True)
                               if j.id == article], strict=True)
                if len(set(xs)) > 1 and len(set(ys)) > 1:  # undefined for a constant side: left out, as published
                    per_article.append(spearmanr(xs, ys).statistic)
            expected = statistics.mean(per_article)
            assert abs(_row(report, name, aspect).spearman - expected) < 1e-9
            assert _row(report, name, aspect).n == len(per_article) == (24 if aspect == "consistency" else 25)


def test_support_agrees_with_consistency_better_than_the_overlap_baseline(report) -> None:
    """Issue 23's target: at least the plain baseline's 0.42 (mean of ROUGE-1/2 precision against the source),
    computed here the same way, and better than ROUGE itself."""
    scorer = RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    baseline = []
    for article in report.articles:
        rows = [j for j in report.judgements if j.id == article]
        values = [statistics.mean(((s := scorer.score(j.source, j.prediction))["rouge1"].precision,
                                   s["rouge2"].precision)) for j in rows]
        humans = [j.human["consistency"] for j in rows]
        if len(set(humans)) > 1:
            baseline.append(spearmanr(values, humans).statistic)
    support = _row(report, "support", "consistency")
    assert support.n == len(baseline) == 24
    assert statistics.mean(baseline) == pytest.approx(0.419, abs=5e-4)
    assert support.spearman >= 0.45 > statistics.mean(baseline)
    assert support.spearman > max(_row(report, m, "consistency").spearman for m in ("rouge1", "rouge2", "rougeL"))
    low, high = support.ci["spearman"]
    assert low < support.spearman < high
    assert _row(report, "support", "consistency", "system").n == 16


def test_one_coefficient_by_hand() -> None:
    """Two articles, four systems, no ties: Spearman = 1 - 6 Σd² / (n(n² - 1)) per article, then the mean."""
    judgements = [Judgement(a, s, "x", {"consistency": h}) for a, hs in (("a", (1, 2, 3, 4)), ("b", (4, 1, 2, 3)))
                  for s, h in zip("WXYZ", hs, strict=True)]
    metric = [0.1, 0.3, 0.2, 0.9,  # article a: ranks 1 3 2 4 against 1 2 3 4, Σd² = 2
              0.5, 0.4, 0.1, 0.2]  # article b: ranks 4 3 1 2 against 4 1 2 3, Σd² = 0 + 4 + 1 + 1 = 6
    (summary, system) = correlate(judgements, {"m": metric}, n_bootstrap=0)
    by_hand = statistics.mean([1 - 6 * 2 / (4 * 15), 1 - 6 * 6 / (4 * 15)])  # 0.8 and 0.4
    assert summary.level == "summary" and summary.spearman == pytest.approx(by_hand) and summary.n == 2
    # system means: W 0.3, X 0.35, Y 0.15, Z 0.55 against 2.5, 1.5, 2.5, 3.5 (ranks 2 3 1 4 / 2.5 1 2.5 4)
    expected = spearmanr([0.3, 0.35, 0.15, 0.55], [2.5, 1.5, 2.5, 3.5]).statistic
    assert system.level == "system" and system.spearman == pytest.approx(expected) and system.n == 4
    assert summary.ci == {"spearman": None, "kendall": None, "pearson": None}


def test_support_threshold_is_the_value_calibrated_on_the_experts() -> None:
    """SUPPORT_THRESHOLD is what the data says, and the README's sentence about a warning holds."""
    found = calibrate_threshold(read_judgements(SUMMEVAL / "human.jsonl", sources=FILES["sources"]))
    assert found.threshold == SUPPORT_THRESHOLD == 0.45
    assert (found.flagged, found.inconsistent, found.total) == (53, 38, 400)
    assert round(found.precision * found.flagged) == round(found.recall * found.inconsistent) == 21


def test_cli_writes_json_md_and_html_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "agreement"
    code = main(["--human", str(SUMMEVAL / "human.jsonl"), "--source", str(FILES["sources"]), "--metrics",
                 "support,numbers", "--bootstrap", "20", "--out", str(out)])
    assert code == 0
    table = capsys.readouterr().out
    assert "| support | consistency | 0.451 |" in table
    data = json.loads((out / "human.json").read_text(encoding="utf-8"))
    assert data["counts"] == {"judgements": 400, "articles": 25, "systems": 16}
    assert len(data["correlations"]) == 2 * 4 * 2
    assert set(data["correlations"][0]) == {"metric", "aspect", "level", "spearman", "kendall", "pearson", "ci", "n"}
    assert "bs:20" in data["signature"] and "rs:12345" in data["signature"]
    html = (out / "human.html").read_text(encoding="utf-8")
    assert html.count('<table class="heatmap"') == 2 and "<svg" in html and "<script" not in html
    assert (out / "human.md").read_text(encoding="utf-8").startswith("# Metric–human agreement")


def test_cli_and_reader_errors_exit_2_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "system": "s", "prediction": "p"}) + "\n", encoding="utf-8")
    assert main(["--human", str(bad)]) == 2
    assert "row 1: 'human' must be an object of aspect scores" in capsys.readouterr().err
    assert main(["--human", str(SUMMEVAL / "human.jsonl"), "--metrics", "rouge1"]) == 2
    assert "rouge1 needs references for every judgement" in capsys.readouterr().err
    assert main(["--human", str(SUMMEVAL / "human.jsonl"), "--report", "csv", "--out", str(tmp_path)]) == 2
    assert "--human reports are json,md,html" in capsys.readouterr().err
    assert main(["--predictions", str(bad)]) == 2  # outside --human, references stay required
    assert "--references" in capsys.readouterr().err
    twice = tmp_path / "twice.jsonl"
    row = {"id": "a", "system": "s", "prediction": "p", "human": {"c": 1}}
    twice.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match="a second judgement of system 's' on article 'a'"):
        read_judgements(twice)


def test_csv_judgements_take_every_other_column_as_an_aspect(tmp_path: Path) -> None:
    path = tmp_path / "judged.csv"
    path.write_text("id,system,prediction,source,consistency,relevance\n"
                    "a,s1,The mayor will build homes.,The mayor will build homes in the city.,5,4\n"
                    "a,s2,Something else entirely.,The mayor will build homes in the city.,1,2\n", encoding="utf-8")
    (first, second) = read_judgements(path)
    assert first.human == {"consistency": 5.0, "relevance": 4.0} and first.source.startswith("The mayor")
    report = evaluate_human(path, n_bootstrap=0)
    assert report.metrics == ["support", "numbers", "names"]
    assert report.scores["support"] == [1.0, 0.0]
