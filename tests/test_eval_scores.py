"""The records behind every number: ``Score`` (value, interval, draws), ``Signature`` and ``Bootstrap``."""

from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from beknopt.eval import Bootstrap, Score, Signature
from beknopt.eval.scores import bootstrap_indices, mean_score


def test_signature_format() -> None:
    sig = Signature("rouge1", {"nrefs": 1, "stem": True, "split": None, "bs": 10})
    assert sig.format() == str(sig) == "rouge1|nrefs:1|stem:yes|bs:10"
    assert sig.extended(stem=False, rs=3).format() == "rouge1|nrefs:1|stem:no|bs:10|rs:3"  # replaced in place
    assert Signature(None, {"a": "x"}).format() == "a:x"


@pytest.mark.parametrize("metric", [BLEU, CHRF, TER])
def test_sacrebleu_signatures_convert_unchanged(metric: type) -> None:
    m = metric()
    m.corpus_score(["The house is red."], [["The house is red."]])
    theirs = m.get_signature()
    ours = Signature.from_sacrebleu(theirs)
    assert ours.format() == theirs.format()
    theirs.update("bs", 100)
    theirs.update("seed", 7)
    assert ours.extended(bs=100, seed=7).format() == theirs.format()
    assert ours.format().endswith("|version:" + theirs.info["version"])


def test_bootstrap_draw() -> None:
    assert Bootstrap.draw(5, 0, seed=1) is None
    bootstrap = Bootstrap.draw(5, 20, seed=1)
    assert bootstrap.size == 20 and bootstrap.seed == 1
    assert np.array_equal(bootstrap.indices, bootstrap_indices(5, 20, 1))


def test_score_keeps_its_draws_out_of_the_report() -> None:
    draws = np.array([0.1, 0.2, 0.3])
    score = Score("x", 0.2, 0.1, 0.3, "x|bs:3", draws)
    assert score.to_dict() == {"name": "x", "value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "signature": "x|bs:3"}
    assert "samples" not in repr(score) and score == Score("x", 0.2, 0.1, 0.3, "x|bs:3")
    assert score.format(2) == "0.20 [0.10, 0.30]"


def test_mean_score() -> None:
    assert mean_score("x", [None, None], None, "x") is None
    plain = mean_score("x", [1.0, None, 3.0], None, "x")
    assert plain.value == 2.0 and plain.ci_low is None and plain.samples is None
    resampled = mean_score("x", [1.0, None, 3.0, 2.0], Bootstrap.draw(4, 100, seed=3), "x")
    assert resampled.samples.shape == (100,) and resampled.ci_low <= resampled.value <= resampled.ci_high
