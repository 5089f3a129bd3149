"""The ``Metric`` base class: a new metric is one small class, and the harness scores it like the built-ins."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from conftest import fresh_python

from beknopt.engine.optional import MissingPackageError
from beknopt.eval import Bootstrap, Diagnostics, Metric, Rouge, default_metrics, evaluate, score_system
from beknopt.eval.metric import Sources, Values, document_sources
from beknopt.eval.metrics import LOWER_IS_BETTER, BERTScore, MissingDependencyError, Ter
from beknopt.eval.scores import Signature, resampling_fields

PREDS = ["Rutte met 7 farmers in The Hague.", "The cabinet fell.", "Farmers protested again and again."]
REFS = ["Rutte met farmers.", "The cabinet resigned on Friday.", "Farmers protested."]
SOURCES = ["Rutte met farmers in The Hague.", "The cabinet fell on Friday.", "Farmers protested in 2019."]


class WordCount(Metric):
    """A toy metric: words per prediction, and how many more than the reference."""

    names = ("pred_words", "extra_words")

    def per_document(self, predictions: Sequence[str], references: Sequence[str], sources: Sources | None = None
                     ) -> Values:
        counts = [len(p.split()) for p in predictions]
        return {"pred_words": counts,
                "extra_words": [c - len(r.split()) for c, r in zip(counts, references, strict=True)]}

    def signature(self, name: str, bootstrap: Bootstrap | None = None) -> Signature:
        return Signature(name, {"tok": "whitespace", **resampling_fields(bootstrap)})


def test_a_new_metric_needs_only_per_document_and_signature() -> None:
    metric = WordCount()
    result = metric.score(PREDS, REFS)
    assert result.documents == {"pred_words": [7, 3, 5], "extra_words": [4, -2, 3]}
    assert list(result.scores) == ["pred_words", "extra_words"]
    assert result.scores["pred_words"].value == pytest.approx(5.0)
    assert result.scores["pred_words"].ci_low is None and result.scores["pred_words"].samples is None
    assert result.scores["pred_words"].signature == "pred_words|tok:whitespace"
    assert metric.corpus(PREDS, REFS) == result.scores
    assert result.details is None and result.sentence_signatures == {}

    bootstrap = Bootstrap.draw(len(PREDS), 200, seed=4)
    resampled = metric.corpus(PREDS, REFS, bootstrap=bootstrap)["pred_words"]
    assert resampled.signature == "pred_words|tok:whitespace|bs:200|rs:4"
    assert resampled.ci_low <= resampled.value <= resampled.ci_high and len(resampled.samples) == 200


def test_the_harness_loop_scores_any_metric_list() -> None:
    ids = ["a", "b", "c"]
    bootstrap = Bootstrap.draw(3, 50, seed=1)
    signatures: dict[str, str] = {}
    system = score_system("toy", {"summary": PREDS}, {"summary": REFS}, ids, [WordCount(), Diagnostics()], bootstrap,
                          sources=SOURCES, sentence_signatures=signatures)
    assert list(system.scores) == ["pred_words", "extra_words"]
    assert [d.scores for d in system.documents] == [{"pred_words": 7, "extra_words": 4},
                                                    {"pred_words": 3, "extra_words": -2},
                                                    {"pred_words": 5, "extra_words": 3}]
    assert set(system.samples) == {"pred_words", "extra_words"}  # draws for paired tests, diagnostics aside
    assert system.diagnostics["docs_with_unsupported_numbers"].value == pytest.approx(1 / 3)
    assert system.documents[0].diagnostics.unsupported_numbers == ["7"]
    assert [d.length for d in system.documents] == [6, 5, 4]  # source words
    assert signatures == {}


def test_every_built_in_score_carries_its_metric_signature() -> None:
    bootstrap = Bootstrap.draw(len(PREDS), 30, seed=2)
    for metric in default_metrics(("summary", "translation"), source_label="translation"):
        result = metric.score(PREDS, REFS, SOURCES, bootstrap=bootstrap)
        assert result.scores and [n for n in metric.names if n in result.scores] == list(result.scores)
        for name, score in result.scores.items():
            expected = metric.signature(name, bootstrap if score.ci_low is not None else None)
            assert score.signature == expected.format(), name
        assert metric.corpus(PREDS, REFS, SOURCES, bootstrap=bootstrap) == result.scores
    report = evaluate(PREDS, REFS, task="translation", n_bootstrap=0)
    assert report.sentence_signatures == {n: s for m in default_metrics(("translation",))
                                          for n, s in m.sentence_signatures().items()}
    assert {"ter"} == LOWER_IS_BETTER and Ter.lower_is_better


def test_rouge_metric_matches_evaluate() -> None:
    report = evaluate(PREDS, REFS, n_bootstrap=0, stem=False)
    values = Rouge(stem=False).per_document(PREDS, REFS)
    assert values == {k: [d.scores[k] for d in report.system.documents] for k in Rouge.names}


def test_diagnostics_metric_sources() -> None:
    metric = Diagnostics(source_label="translation")
    without = metric.score(PREDS, REFS)
    assert list(without.scores) == ["summary_words", "repeated_3"]
    assert "src:translation" in without.scores["summary_words"].signature
    # the Dutch original is only searched: with it alone nothing is reported as flagged
    only_original = metric.score(PREDS, REFS, [(None, s) for s in SOURCES])
    assert list(only_original.scores) == ["summary_words", "repeated_3"]
    assert only_original.details[0].unsupported_numbers == ["7"]
    full = metric.score(PREDS, REFS, SOURCES)
    assert {"unsupported_number_rate", "docs_with_unsupported_names"} <= set(full.scores)
    assert full.scores["unsupported_number_rate"].ci_low is None  # a ratio of corpus totals
    assert metric.corpus(PREDS, REFS, SOURCES) == full.scores
    assert metric.per_document(PREDS, REFS, SOURCES)["docs_with_unsupported_numbers"] == [1.0, 0.0, 0.0]


def test_document_sources() -> None:
    assert document_sources(None, 2) is None
    assert document_sources(["a", None, ("b", "c")], 3) == [["a"], [None], ["b", "c"]]
    with pytest.raises(ValueError, match="2 sources for 3 documents"):
        document_sources(["a", "b"], 3)


def test_bertscore_signature_needs_a_score_and_its_error_is_the_shared_one() -> None:
    with pytest.raises(ValueError, match="known once it has scored"):
        BERTScore("m").signature("bertscore_f")
    assert issubclass(MissingDependencyError, MissingPackageError)


def test_metric_modules_do_not_import_torch() -> None:
    code = "import sys, beknopt.eval.metrics, beknopt.eval.harness; print('torch' in sys.modules)"
    assert fresh_python(code).stdout.split() == ["False"]
