"""Parity of beknopt.eval with the reference implementations, and the content of the signatures."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import fresh_python
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from beknopt.eval import MissingDependencyError, evaluate, load_inputs
from beknopt.eval.metrics import BERTScore
from beknopt.split import split_sentences

DATA = Path(__file__).parent / "data" / "eval"
REF_TXT = DATA / "translation.ref.txt"
HYPS = [DATA / "translation.hyp_a.txt", DATA / "translation.hyp_b.txt"]


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def sacrebleu_cli(ref: Path, hyp: Path, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "sacrebleu", str(ref), "-i", str(hyp), *args, "-w", "6"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    return result.stdout.strip().splitlines()


@pytest.mark.parametrize("stem", [True, False])
def test_rouge_equals_rouge_scorer(stem: bool) -> None:
    inputs = load_inputs(DATA / "summary.pred_a.jsonl", DATA / "summary.ref.jsonl")
    preds, refs = inputs.predictions["summary"], inputs.references["summary"]
    report = evaluate(preds, refs, ids=inputs.ids, stem=stem, n_bootstrap=0)

    types = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=stem)
    nl = "\n".join
    direct = [
        scorer.score(nl(split_sentences(r, lang="en")), nl(split_sentences(p, lang="en")))
        for p, r in zip(preds, refs, strict=True)
    ]
    plain = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=stem)
    for t in types:
        for short, attr in (("p", "precision"), ("r", "recall"), ("f", "fmeasure")):
            expected = [getattr(d[t], attr) for d in direct]
            got = [doc.scores[f"{t}_{short}"] for doc in report.system.documents]
            assert got == pytest.approx(expected, abs=1e-12), (t, short)
            assert report.system.scores[f"{t}_{short}"].value == pytest.approx(
                float(np.mean(expected)), abs=1e-12
            )
    # ROUGE-L is scored on the unchanged texts; the splitting only matters for Lsum.
    assert [d.scores["rougeL_f"] for d in report.system.documents] == pytest.approx(
        [plain.score(r, p)["rougeL"].fmeasure for p, r in zip(preds, refs, strict=True)], abs=1e-12
    )


def test_rouge_lsum_differs_from_rouge_l_on_multi_sentence_text() -> None:
    pred = ["the police arrested two men. the mayor spoke to residents."]
    ref = ["The mayor spoke to residents. The police arrested two men."]
    report = evaluate(pred, ref, n_bootstrap=0)
    assert report.system.scores["rougeLsum_f"].value == pytest.approx(1.0)
    assert report.system.scores["rougeL_f"].value < 1.0


@pytest.mark.parametrize("hyp", HYPS, ids=lambda p: p.stem)
def test_corpus_scores_equal_sacrebleu_command_line(hyp: Path) -> None:
    report = evaluate(lines(hyp), lines(REF_TXT), task="translation", n_bootstrap=0)
    cli = {
        item["name"]: item
        for item in json.loads("\n".join(sacrebleu_cli(REF_TXT, hyp, "-m", "bleu", "chrf", "ter")))
    }
    scores = report.system.scores
    assert round(scores["bleu"].value, 6) == pytest.approx(cli["BLEU"]["score"], abs=1e-6)
    assert round(scores["chrf"].value, 6) == pytest.approx(cli["chrF2"]["score"], abs=1e-6)
    assert round(scores["ter"].value, 6) == pytest.approx(cli["TER"]["score"], abs=1e-6)
    assert scores["bleu"].signature.startswith(cli["BLEU"]["signature"].split("|")[0])
    for key, name in (("bleu", "BLEU"), ("chrf", "chrF2"), ("ter", "TER")):
        # Same settings as the command line; ours adds the bootstrap fields only when resampling.
        assert scores[key].signature == cli[name]["signature"]


@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_sentence_scores_equal_sacrebleu_sentence_level(metric: str) -> None:
    hyp = HYPS[0]
    report = evaluate(lines(hyp), lines(REF_TXT), task="translation", n_bootstrap=0)
    expected = [float(x) for x in sacrebleu_cli(REF_TXT, hyp, "-m", metric, "-sl", "-b")]
    got = [round(d.scores[metric], 6) for d in report.system.documents]
    assert got == pytest.approx(expected, abs=1e-6)


def test_the_loaded_txt_files_match_what_sacrebleu_reads() -> None:
    inputs = load_inputs(HYPS[0], REF_TXT, task="translation")
    report = evaluate(
        inputs.predictions["translation"], inputs.references["translation"], task="translation", n_bootstrap=0
    )
    direct = BLEU().corpus_score(lines(HYPS[0]), [lines(REF_TXT)]).score
    assert report.system.scores["bleu"].value == direct
    assert report.system.scores["chrf"].value == CHRF().corpus_score(lines(HYPS[0]), [lines(REF_TXT)]).score
    assert report.system.scores["ter"].value == TER().corpus_score(lines(HYPS[0]), [lines(REF_TXT)]).score


def test_signatures() -> None:
    summ = evaluate(
        ["A cat sat on the mat."],
        ["The cat sat on a mat."],
        sources=["The cat sat on the mat."],
        n_bootstrap=50,
        seed=7,
    )
    sigs = summ.signatures
    assert sigs["rouge1_f"].startswith("rouge1|")
    for part in (
        "nrefs:1",
        "stem:yes",
        "tok:rouge-score-default",
        "case:lc",
        "version:rouge-score-0.1.2",
        "bs:50",
        "rs:7",
        "beknopt:",
    ):
        assert part in sigs["rouge1_f"]
    assert "split:beknopt-en" in sigs["rougeLsum_f"] and "split:" not in sigs["rouge2_f"]
    assert "stem:no" in evaluate(["a b"], ["a b"], stem=False, n_bootstrap=0).signatures["rougeL_f"]
    assert "novel_2|tok:beknopt-words" in sigs["novel_2"]

    tr = evaluate(["Het huis."], ["The house."], task="translation", n_bootstrap=20, seed=3)
    assert tr.signatures["bleu"].startswith(
        "nrefs:1|bs:20|seed:3|case:mixed|eff:no|tok:13a|smooth:exp|version:"
    )
    assert "nc:6|nw:0" in tr.signatures["chrf"]
    assert "tok:tercom" in tr.signatures["ter"]
    assert "eff:yes" in tr.sentence_signatures["bleu"]
    assert json.loads(json.dumps(tr.to_dict()))["signatures"] == tr.signatures


def test_newlines_in_translations_are_spaces() -> None:
    joined = evaluate(
        ["The house is red.\n\nIt is old."],
        ["The house is red. It is old."],
        task="translation",
        n_bootstrap=0,
    )
    assert joined.system.scores["bleu"].value == pytest.approx(100.0)


@pytest.mark.skipif(importlib.util.find_spec("bert_score") is not None, reason="bert-score is installed")
def test_bertscore_without_package_is_a_clear_error() -> None:
    with pytest.raises(MissingDependencyError, match="pip install bert-score"):
        BERTScore("roberta-large").per_document(["a"], ["a"])
    with pytest.raises(MissingDependencyError):
        evaluate(["a"], ["a"], n_bootstrap=0, bertscore_model="roberta-large")


def test_eval_package_loads_its_names_lazily() -> None:
    """Reading the bundled data imports ``beknopt.eval``; that must not need the metric libraries."""
    code = ("import sys; from importlib.resources import files; "
            "files('beknopt.eval').joinpath('data').is_dir(); "
            "print('rouge_score' in sys.modules, 'sacrebleu' in sys.modules); "
            "import beknopt.eval as ev; ev.evaluate; "
            "print('rouge_score' in sys.modules, sorted(ev.__all__) == ev.__all__)")
    assert fresh_python(code).stdout.split() == ["False", "False", "True", "True"]
    import beknopt.eval as ev

    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        ev.nothing_here  # noqa: B018
