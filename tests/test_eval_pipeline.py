"""`beknopt eval-pipeline`: the pipeline run over FLORES and WikiLingua items, then scored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sacrebleu

from beknopt.eval.inputs import EvalInputError
from beknopt.eval.pipeline_eval import evaluate_pipeline, flores_documents, read_summary_items

WIKILINGUA = Path(__file__).parent / "data" / "wikilingua_nl" / "gem_wiki_lingua_dutch_nl_dummy.jsonl"


def test_flores_copy_is_complete() -> None:
    docs = flores_documents()
    assert len(docs) == 281
    assert sum(len(d["nl"]) for d in docs) == sum(len(d["en"]) for d in docs) == 1012


def test_read_summary_items_and_errors(tmp_path: Path) -> None:
    items = read_summary_items(WIKILINGUA)
    assert [it["id"] for it in items][:2] == ["gem-dummy-train-0", "gem-dummy-train-1"]
    assert len(items) == 6 and all(it["source"] and it["reference"] for it in items)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "source_nl": "Tekst."}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"bad.jsonl:1: no text in field\(s\) summary_en"):
        read_summary_items(bad)


def test_evaluate_pipeline_scores_translation_and_summaries(tiny_pipeline) -> None:
    items = read_summary_items(WIKILINGUA)[:2]
    evaluation = evaluate_pipeline(tiny_pipeline, flores_docs=4, summary_items=items, n_bootstrap=50)
    data = json.loads(json.dumps(evaluation.to_dict()))
    docs = flores_documents(4)
    n_lines = sum(len(d["en"]) for d in docs)
    assert data["counts"]["flores_documents"] == 4 and data["counts"]["flores_lines"] == n_lines
    assert data["counts"]["summary_documents"] == 2 and data["failures"] == []
    translation = evaluation.translation.system
    # line-aligned with the references, and equal to sacrebleu on the same lines
    refs = [s.strip() for d in docs for s in d["en"]]
    assert len(evaluation.translation.ids) == len(evaluation.translations) == len(refs)
    assert all(evaluation.translations)
    bleu = sacrebleu.corpus_bleu(evaluation.translations, [refs]).score
    assert translation.scores["bleu"].value == pytest.approx(bleu)
    assert set(translation.scores) >= {"bleu", "chrf", "ter"}
    assert "tok:13a" in translation.scores["bleu"].signature
    summary = evaluation.summary.system
    assert {"rouge1_f", "rouge2_f", "rougeL_f", "rougeLsum_f"} <= set(summary.scores)
    assert "stem:yes" in summary.scores["rouge1_f"].signature
    # what produced the numbers travels with them
    assert data["pipeline"]["models"]["translate"].endswith("marian")
    assert data["pipeline"]["settings"]["translate"]["architecture"] == "MarianMTModel"
    assert len(data["pipeline"]["fingerprint"]) == 16
    assert data["timings"]["translate_seconds"] > 0 and data["timings"]["summary_pipeline_seconds"] > 0


def test_failed_article_is_scored_as_empty_not_dropped(tiny_pipeline) -> None:
    items = [{"id": "ok", "source": "Het kabinet besloot woensdag.", "reference": "The cabinet decided."},
             {"id": "leeg", "source": "   ", "reference": "Nothing."}]
    evaluation = evaluate_pipeline(tiny_pipeline, flores_docs=0, summary_items=items, n_bootstrap=0)
    assert evaluation.translation is None
    assert evaluation.failures == [{"id": "leeg", "stage": "clean",
                                    "reason": "leeg: text is empty (contains only whitespace)"}]
    assert evaluation.summary.ids == ["ok", "leeg"]
    assert evaluation.summaries[1] == "" and evaluation.summary.system.empty_predictions["summary"] == ["leeg"]


def test_eval_pipeline_command(tiny_models, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from beknopt.cli import main

    marian, bart = tiny_models
    out = tmp_path / "scores"
    code = main(["eval-pipeline", "--out", str(out), "--flores-docs", "2", "--summaries", str(WIKILINGUA),
                 "--translation-model", str(marian), "--summarization-model", str(bart), "--device", "cpu",
                 "--beams", "1", "--max-summary-tokens", "16", "--min-summary-tokens", "2", "--bootstrap", "20",
                 "--threads", "1"])
    assert code == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    n_refs = sum(len(d["en"]) for d in flores_documents(2))
    assert report["counts"] == {"flores_documents": 2, "flores_lines": n_refs,
                                "flores_sentences": report["counts"]["flores_sentences"], "summary_documents": 6}
    assert report["pipeline"]["settings"]["translate"]["generation"]["num_beams"] == 1
    assert len((out / "translations.txt").read_text(encoding="utf-8").splitlines()) == n_refs
    assert len((out / "summaries.jsonl").read_text(encoding="utf-8").splitlines()) == 6
    for task in ("translation", "summary"):
        assert {p.name for p in (out / task).iterdir()} == {"report.json", "report.csv", "report.md", "report.html"}
    printed = capsys.readouterr().out
    assert "bleu" in printed.lower() and "rouge" in printed.lower()
    # FLORES lines are segments (the splitter may cut one into several sentences), not documents
    assert f"# beknopt eval: {n_refs} segments, task translation" in printed
    assert "# beknopt eval: 6 documents, task summary" in printed
    # the top-level report.html that --help promises: what ran, then both tasks
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>beknopt eval-pipeline</h1>" in html and "fingerprint" in html
    assert "<section class=task data-task=translation>" in html and "<section class=task data-task=summary>" in html
    assert f"beknopt eval: {n_refs} segments, task translation" in html and "<script" not in html


def test_eval_pipeline_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from beknopt.cli import main

    assert main(["eval-pipeline", "--out", str(tmp_path), "--flores-docs", "0"]) == 2
    assert "nothing to evaluate" in capsys.readouterr().err
    assert main(["eval-pipeline", "--out", str(tmp_path), "--translation-model", str(tmp_path / "missing"),
                 "--summarizer", "lead"]) == 2
    assert "does not exist" in capsys.readouterr().err
