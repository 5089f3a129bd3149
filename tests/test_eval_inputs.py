"""Loaders and input checks of beknopt.eval: every mismatch is an EvalInputError with a useful message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beknopt.document import Document
from beknopt.eval import EvalInputError, compare, evaluate, load_inputs, read_records
from beknopt.eval.inputs import detect_format

DATA = Path(__file__).parent / "data" / "eval"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(tmp_path) == "run-dir"
    assert detect_format("a.jsonl") == "jsonl"
    assert detect_format("a.json") == "jsonl"
    assert detect_format("a.csv") == "csv"
    assert detect_format("a.txt") == "txt"


def test_jsonl_csv_and_txt_give_the_same_texts() -> None:
    via_jsonl = load_inputs(DATA / "summary.pred_a.jsonl", DATA / "summary.ref.jsonl")
    via_csv = load_inputs(DATA / "summary.pred_a.csv", DATA / "summary.ref.jsonl")
    via_txt = load_inputs(DATA / "summary.pred_a.txt", DATA / "summary.ref.txt")
    # The JSONL predictions are stored in reverse order: the join by id must undo that.
    assert via_jsonl.ids == via_csv.ids == [f"nos-{i:03d}" for i in range(1, 13)]
    assert via_jsonl.predictions == via_csv.predictions == via_txt.predictions
    assert via_jsonl.references == via_txt.references
    assert via_txt.ids == [str(i) for i in range(1, 13)]
    assert "Zoë Bakker" in via_jsonl.predictions["summary"][3]


def test_sources_are_aligned_by_id() -> None:
    inputs = load_inputs(
        DATA / "summary.pred_a.jsonl", DATA / "summary.ref.jsonl", sources=DATA / "summary.src.jsonl"
    )
    assert inputs.sources is not None and inputs.sources[1].startswith("About 5.200 farmers")


def test_field_overrides_and_missing_field(tmp_path: Path) -> None:
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "hyp": "x y"}, {"id": "b", "hyp": "z"}])
    ref = write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "gold": "x y"}, {"id": "b", "gold": "z"}])
    inputs = load_inputs(pred, ref, pred_fields={"summary": "hyp"}, ref_fields={"summary": "gold"})
    assert inputs.predictions["summary"] == ["x y", "z"]
    with pytest.raises(EvalInputError, match=r"no summary prediction field; tried 'summary', 'prediction'"):
        load_inputs(pred, ref, ref_fields={"summary": "gold"})


def test_line_count_mismatch_message(tmp_path: Path) -> None:
    pred = write_lines(tmp_path / "predictions.txt", [f"line {i}" for i in range(10)])
    ref = write_lines(tmp_path / "references.txt", [f"line {i}" for i in range(9)])
    with pytest.raises(EvalInputError) as err:
        load_inputs(pred, ref)
    assert str(err.value) == f"{pred} has 10 lines, {ref} has 9 lines"


def test_missing_extra_and_duplicate_ids(tmp_path: Path) -> None:
    ref = write_jsonl(tmp_path / "r.jsonl", [{"id": f"d{i}", "reference": "text"} for i in range(8)])
    missing = write_jsonl(tmp_path / "p.jsonl", [{"id": f"d{i}", "summary": "text"} for i in range(1)])
    with pytest.raises(
        EvalInputError,
        match=r"7 id\(s\) in .*r.jsonl have no prediction in .*p.jsonl: 'd1', 'd2', "
        r"'d3', 'd4', 'd5' and 2 more",
    ):
        load_inputs(missing, ref)
    extra = write_jsonl(tmp_path / "e.jsonl", [{"id": f"d{i}", "summary": "text"} for i in range(9)])
    with pytest.raises(EvalInputError, match=r"1 id\(s\) in .*e.jsonl are not in .*r.jsonl: 'd8'"):
        load_inputs(extra, ref)
    dup = write_jsonl(tmp_path / "dup.jsonl", [{"id": "d0", "summary": "a"}, {"id": "d0", "summary": "b"}])
    with pytest.raises(EvalInputError, match=r"dup.jsonl: 1 duplicate id\(s\): 'd0'"):
        load_inputs(dup, ref)


def test_bad_files(tmp_path: Path) -> None:
    ref = write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "reference": "text"}])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "summary": "x"}\n{not json\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="line 2 is not valid JSON"):
        load_inputs(bad, ref)
    with pytest.raises(EvalInputError, match="no such file"):
        load_inputs(tmp_path / "nope.jsonl", ref)
    some_ids = write_jsonl(tmp_path / "s.jsonl", [{"id": "a", "summary": "x"}, {"summary": "y"}])
    with pytest.raises(EvalInputError, match="have no 'id' field"):
        read_records(some_ids)
    empty_ref = write_jsonl(tmp_path / "er.jsonl", [{"id": "a", "reference": "  "}])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "summary": "x"}])
    with pytest.raises(EvalInputError, match="1 empty summary reference"):
        load_inputs(pred, empty_ref)


def test_empty_predictions_are_scored_and_reported(tmp_path: Path) -> None:
    pred = write_jsonl(
        tmp_path / "p.jsonl",
        [{"id": "a", "summary": "The cat sat."}, {"id": "b", "summary": ""}, {"id": "c", "summary": None}],
    )
    ref = write_jsonl(tmp_path / "r.jsonl", [{"id": i, "reference": "The cat sat."} for i in "abc"])
    inputs = load_inputs(pred, ref)
    report = evaluate(
        inputs.predictions["summary"], inputs.references["summary"], ids=inputs.ids, n_bootstrap=0
    )
    assert report.system.empty_predictions == {"summary": ["b", "c"]}
    assert [d.scores["rouge1_f"] for d in report.system.documents] == [1.0, 0.0, 0.0]
    assert report.system.scores["rouge1_f"].value == pytest.approx(1 / 3)
    assert report.to_dict()["systems"][0]["empty_predictions"]["summary"] == {"count": 2, "ids": ["b", "c"]}


def _record(doc_id: str, summary: str | None) -> Document:
    doc = Document(
        id=doc_id, source_path=f"{doc_id}.txt", clean_text="Rutte zei dat 5.200 boeren demonstreerden."
    )
    doc.sentences = ["Rutte zei dat 5.200 boeren demonstreerden."]
    doc.sentence_paragraphs = [0]
    doc.translations = ["Rutte said that 5,200 farmers protested."]
    doc.summary = summary
    return doc


@pytest.mark.parametrize("layout", ["results.jsonl", "per-article"])
def test_run_dir(tmp_path: Path, layout: str) -> None:
    run = tmp_path / "run"
    run.mkdir()
    docs = [_record("a", "Rutte said 5200 farmers protested."), _record("b", None)]
    if layout == "results.jsonl":
        write_jsonl(run / "results.jsonl", [d.to_dict() for d in docs])
    else:
        for d in docs:
            (run / f"{d.id}.json").write_text(d.to_json(), encoding="utf-8")
        (run / "manifest.json").write_text('{"settings": {}}', encoding="utf-8")  # not an article
    ref = write_jsonl(
        tmp_path / "refs.jsonl",
        [
            {"id": "b", "reference": "Farmers protested."},
            {"id": "a", "reference": "Rutte: 5,200 farmers protested."},
        ],
    )
    inputs = load_inputs(run, ref)
    assert inputs.ids == ["b", "a"]
    assert inputs.predictions["summary"] == ["", "Rutte said 5200 farmers protested."]
    assert inputs.sources == ["Rutte said that 5,200 farmers protested."] * 2  # the English translation
    assert inputs.original_sources == ["Rutte zei dat 5.200 boeren demonstreerden."] * 2
    both = load_inputs(
        run,
        write_jsonl(
            tmp_path / "both.jsonl",
            [
                {
                    "id": i,
                    "summary": "Farmers protested.",
                    "translation": "Rutte said that 5,200 farmers protested.",
                }
                for i in "ab"
            ],
        ),
        task="both",
    )
    assert both.predictions["translation"] == ["Rutte said that 5,200 farmers protested."] * 2


def test_datasets_local_file_and_hub_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    records = read_records(DATA / "summary.ref.jsonl", "datasets")
    assert records.ids is not None and records.ids[0] == "nos-001"
    assert records.rows[0]["reference"].startswith("Rutte says")
    assert (tmp_path / "cache").exists()

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(
        EvalInputError, match=r"someone/news: cannot load with datasets.load_dataset \(no network"
    ):
        read_records("someone/news", "datasets")


# --- join="intersection": score only the ids on both sides, and say what was left out ----------------------


def test_evaluate_intersection_scores_shared_ids_and_reports_the_rest() -> None:
    refs = ["The cat sat.", "A dog ran.", "Birds fly south."]
    preds = ["Birds fly.", "The cat sat.", "Something else."]  # own order; "x" has no reference, "b" no prediction
    with pytest.raises(EvalInputError, match=r"1 reference id\(s\) have no prediction: 'b'.*"
                       r"1 prediction id\(s\) have no reference: 'x'.*join='intersection'"):
        evaluate(preds, refs, ids=["a", "b", "c"], prediction_ids=["c", "a", "x"], n_bootstrap=0)
    report = evaluate(preds, refs, ids=["a", "b", "c"], prediction_ids=["c", "a", "x"], join="intersection",
                      n_bootstrap=0)
    assert report.ids == ["a", "c"]  # reference order
    assert [d.scores["rouge1_f"] for d in report.system.documents] == pytest.approx([1.0, 0.8])
    assert report.left_out.references == ["b"] and report.left_out.predictions == {"system": ["x"]}
    same = evaluate(["The cat sat.", "Birds fly."], ["The cat sat.", "Birds fly south."], ids=["a", "c"],
                    n_bootstrap=0)
    assert report.system.scores["rouge1_f"].value == same.system.scores["rouge1_f"].value
    data = report.to_dict()
    assert data["left_out"] == {"references": {"count": 1, "ids": ["b"]},
                                "predictions": {"system": {"count": 1, "ids": ["x"]}}}
    assert data["config"]["join"] == "intersection"
    # aligned lists (no prediction ids) leave nothing out, and strict stays the default
    assert not evaluate(refs, refs, n_bootstrap=0).left_out
    with pytest.raises(EvalInputError, match="unknown join"):
        evaluate(refs, refs, join="union", n_bootstrap=0)


def test_compare_intersection_keeps_ids_both_systems_predicted() -> None:
    refs = ["one two", "three four", "five six"]
    report = compare(["one two", "five six"], ["five", "three", "one", "extra"], refs, ids=["a", "b", "c"],
                     prediction_ids=(["a", "c"], ["c", "b", "a", "z"]), join="intersection", n_bootstrap=20,
                     names=("A", "B"))
    assert report.ids == ["a", "c"]
    assert report.left_out.references == ["b"]
    assert report.left_out.predictions == {"A": [], "B": ["b", "z"]}
    assert [d.scores["rouge1_f"] for d in report.systems[1].documents] == pytest.approx([2 / 3, 2 / 3])
    assert len(report.comparison) == len(report.system.scores)


def test_load_inputs_intersection(tmp_path: Path) -> None:
    ref = write_jsonl(tmp_path / "r.jsonl", [{"id": f"d{i}", "reference": f"text {i}"} for i in range(4)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "summary": f"summary {i}"} for i in ("d3", "d1", "new")])
    src = write_jsonl(tmp_path / "s.jsonl", [{"id": f"d{i}", "source": f"source {i}"} for i in range(4)])
    with pytest.raises(EvalInputError, match="--ids intersection scores only the ids on both sides"):
        load_inputs(pred, ref)
    inputs = load_inputs(pred, ref, sources=src, join="intersection")
    assert inputs.prediction_ids == ["d3", "d1", "new"] and inputs.ids == ["d0", "d1", "d2", "d3"]
    assert inputs.sources == ["source 3", "source 1", ""]  # in prediction order; "new" is left out anyway
    report = evaluate(inputs.predictions["summary"], inputs.references["summary"], inputs.sources, inputs.ids,
                      prediction_ids=inputs.prediction_ids, join="intersection", n_bootstrap=0)
    assert report.ids == ["d1", "d3"] and report.system.sources == ["source 1", "source 3"]
    assert report.left_out.references == ["d0", "d2"] and report.left_out.predictions == {"system": ["new"]}
    short_src = write_jsonl(tmp_path / "s1.jsonl", [{"id": "d3", "source": "source 3"}])
    with pytest.raises(EvalInputError, match=r"1 id\(s\) in .*p.jsonl have no source in .*s1.jsonl: 'd1'"):
        load_inputs(pred, ref, sources=short_src, join="intersection")
    lines = write_lines(tmp_path / "p.txt", ["a", "b"])
    with pytest.raises(EvalInputError, match=r"p.txt: no ids, so nothing to intersect by"):
        load_inputs(lines, ref, join="intersection")
