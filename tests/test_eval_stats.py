"""Bootstrap intervals are reproducible; paired tests behave on identical and clearly different systems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beknopt.eval import EvalReport, compare, evaluate, load_inputs, to_json

DATA = Path(__file__).parent / "data" / "eval"


@pytest.fixture(scope="module")
def summaries() -> dict:
    a = load_inputs(
        DATA / "summary.pred_a.jsonl", DATA / "summary.ref.jsonl", sources=DATA / "summary.src.jsonl"
    )
    b = load_inputs(DATA / "summary.pred_b.jsonl", DATA / "summary.ref.jsonl")
    return {
        "a": a.predictions["summary"],
        "b": b.predictions["summary"],
        "ref": a.references["summary"],
        "src": a.sources,
        "ids": a.ids,
    }


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


def test_bootstrap_is_deterministic_with_a_seed(summaries: dict) -> None:
    def run(seed: int) -> EvalReport:
        return evaluate(
            summaries["a"], summaries["ref"], summaries["src"], summaries["ids"], seed=seed, n_bootstrap=200
        )

    first, second = run(12345), run(12345)
    assert to_json(first) == to_json(second)
    other = run(54321)
    assert other.system.scores["rouge1_f"].value == first.system.scores["rouge1_f"].value
    assert other.system.scores["rouge1_f"].ci_low != first.system.scores["rouge1_f"].ci_low
    score = first.system.scores["rouge1_f"]
    assert score.ci_low is not None and score.ci_low < score.value < score.ci_high


def test_translation_bootstrap_deterministic_and_brackets_the_score() -> None:
    hyp, ref = _lines("translation.hyp_a.txt"), _lines("translation.ref.txt")
    one = evaluate(hyp, ref, task="translation", n_bootstrap=300, seed=1)
    assert to_json(one) == to_json(evaluate(hyp, ref, task="translation", n_bootstrap=300, seed=1))
    assert to_json(one) != to_json(evaluate(hyp, ref, task="translation", n_bootstrap=300, seed=2))
    for key in ("bleu", "chrf", "ter"):
        s = one.system.scores[key]
        assert s.ci_low <= s.value <= s.ci_high


def test_no_bootstrap_no_interval(summaries: dict) -> None:
    report = evaluate(summaries["a"], summaries["ref"], n_bootstrap=0)
    assert report.system.scores["rouge2_f"].ci_low is None


def test_identical_systems(summaries: dict) -> None:
    report = compare(summaries["a"], summaries["a"], summaries["ref"], n_bootstrap=300)
    assert report.comparison
    for c in report.comparison:
        assert c.difference == 0.0 and c.ci_low == 0.0 and c.ci_high == 0.0
        assert c.p_value == pytest.approx(1.0)
    assert report.config["systems"] == ["A", "B"]


def test_clearly_better_system_is_significant(summaries: dict) -> None:
    report = compare(
        summaries["b"],
        summaries["a"],
        summaries["ref"],
        ids=summaries["ids"],
        n_bootstrap=1000,
        names=("weak", "strong"),
    )
    by_metric = {c.metric: c for c in report.comparison}
    for key in ("rouge1_f", "rouge2_f", "rougeL_f", "rougeLsum_f"):
        c = by_metric[key]
        assert c.difference > 0 and c.ci_low > 0 and c.p_value < 0.05, key
        assert "test:paired-bs" in c.signature
    hyp_a, hyp_b, ref = (
        _lines("translation.hyp_a.txt"),
        _lines("translation.hyp_b.txt"),
        _lines("translation.ref.txt"),
    )
    tr = {c.metric: c for c in compare(hyp_b, hyp_a, ref, task="translation", n_bootstrap=500).comparison}
    assert tr["bleu"].p_value < 0.05 and tr["bleu"].difference > 0
    assert tr["ter"].p_value < 0.05 and tr["ter"].difference < 0  # lower TER is better
    data = json.loads(to_json(compare(hyp_b, hyp_a, ref, task="translation", n_bootstrap=50)))
    assert {s["name"] for s in data["systems"]} == {"A", "B"} and len(data["comparison"]) == 3
