"""Issue 20, the core's items: hostile JSON, bad config, bad patterns, text that looks like HTML, and a user's
stage that raises. Each test is named after its item; the batch, glossary and service items have files of their
own (``test_hardening_batch.py``, ``test_hardening_glossary.py``, ``test_hardening_serve.py``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from test_cli import read_jsonl, run
from test_data_safety import lead_pipeline

from beknopt import Pipeline
from beknopt.config import PipelineConfig
from beknopt.document import Document, InputError, to_document
from beknopt.document.jsonio import MAX_JSON_DEPTH, JSONDepthError, load_json
from beknopt.inputs import discover, read_articles
from beknopt.options import ConfigError

DUTCH = ("De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan voor het centrum. "
         "Volgens de wethouder komen er meer bomen en minder parkeerplaatsen.")
DEEP = '{"text": "x", "y": ' + "[" * 100_000 + "]" * 100_000 + "}"

pytestmark = pytest.mark.usefixtures("restore_torch_threads")


# ----------------------------------------------------------------------------------------------------
# 1. Deeply nested JSON: one error record, the batch goes on


def test_item1_load_json_refuses_depth_past_the_limit_and_counts_no_brackets_inside_strings() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    nested = load_json(at_limit)  # exactly the limit parses
    for _ in range(MAX_JSON_DEPTH - 1):
        (nested,) = nested
    assert nested == []
    with pytest.raises(JSONDepthError, match=f"JSON nested deeper than {MAX_JSON_DEPTH} levels"):
        load_json("[" + at_limit + "]")
    with pytest.raises(JSONDepthError):
        load_json(DEEP.encode())
    brackets = json.dumps({"text": "[[[[{{{{" * 1000 + '\\" [[[ "', "n": [[1]]})
    assert load_json(brackets)["n"] == [[1]]
    # bytes are decoded as json.loads decodes them (UTF-16 here), then measured
    assert load_json('{"text": "één"}'.encode("utf-16")) == {"text": "één"}
    with pytest.raises(json.JSONDecodeError):
        load_json('{"text": ')  # malformed stays json's error, for the caller to word
    assert isinstance(JSONDepthError("x"), InputError)


def test_item1_deeply_nested_json_file_and_jsonl_line_are_error_records_and_the_rest_is_done(
        tmp_path: Path, capsys, model_args) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    (src / "z.json").write_text(DEEP, encoding="utf-8")
    (src / "feed.jsonl").write_text(json.dumps({"id": "goed", "text": DUTCH}) + "\n" + DEEP + "\n", encoding="utf-8")
    for counts in ("2 done, 0 skipped, 2 failed", "0 done, 2 skipped, 2 failed"):  # a re-run resumes the two
        code, stdout, _ = run(capsys, "run", str(src), "-o", str(out), "-q", *model_args)
        assert code == 1
        assert stdout.strip().splitlines()[-1] == counts
        errors = {e["id"]: e for e in read_jsonl(out / "errors.jsonl")}
        assert errors["z.json"]["reason"] == f"z.json: JSON nested deeper than {MAX_JSON_DEPTH} levels"
        assert errors["feed.jsonl:2"]["reason"] == (f"feed.jsonl line 2: JSON nested deeper than "
                                                    f"{MAX_JSON_DEPTH} levels")
        assert {e["stage"] for e in errors.values()} == {"read"}
        assert sorted(r["id"] for r in read_jsonl(out / "results.jsonl")) == ["a.txt", "goed"]


def test_item1_deeply_nested_json_line_on_stdin_is_one_error_record() -> None:
    stdin = io.BytesIO(json.dumps({"id": "goed", "text": DUTCH}).encode() + b"\n" + DEEP.encode() + b"\n")
    articles = list(read_articles(discover(["-"]), stdin=stdin))
    assert [a.id for a in articles] == ["goed", "stdin:2"]
    assert articles[0].error is None and articles[0].document.source == DUTCH
    assert articles[1].error == {"stage": "read", "reason": f"stdin line 2: JSON nested deeper than "
                                                            f"{MAX_JSON_DEPTH} levels"}


# ----------------------------------------------------------------------------------------------------
# 7. A config file that is not UTF-8: exit 2 and one line


def test_item7_config_file_not_utf8_is_one_line_exit_2_before_any_model_loads(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    config = tmp_path / "beknopt.toml"
    config.write_bytes(b'beams = 2\nsummary_length = "kort \xe9\xff"\n')
    code, _, err = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--config", str(config),
                       "--translation-model", str(tmp_path / "geen-model"))
    assert code == 2
    assert err.strip().splitlines() == [f"beknopt: error: config file {config} is not UTF-8 text (byte 0xe9 on "
                                        "line 2); save it as UTF-8"]
    assert not (tmp_path / "out").exists()


def test_item7_serve_config_file_not_utf8_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    config = tmp_path / "beknopt.toml"
    config.write_bytes(b"\xff\xfe beams = 2\n")
    code, _, err = run(capsys, "serve", "--config", str(config), "--translation-model", str(tmp_path / "geen"))
    assert code == 2
    assert err.strip().splitlines() == [f"beknopt: error: config file {config} is not UTF-8 text (byte 0xff on "
                                        "line 1); save it as UTF-8"]


# ----------------------------------------------------------------------------------------------------
# 9. A boilerplate pattern that does not compile: refused with the config, not per article


def test_item9_bad_extra_boilerplate_flag_is_exit_2_before_any_model_loads(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    code, _, err = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--extra-boilerplate", "(",
                       "--translation-model", str(tmp_path / "geen-model"))
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("beknopt: error: pipeline setting 'extra_boilerplate': invalid boilerplate pattern '(':")
    assert not (tmp_path / "out").exists()


def test_item9_bad_boilerplate_in_toml_and_api_is_a_config_error(tmp_path: Path, capsys) -> None:
    config = tmp_path / "beknopt.toml"
    config.write_text('extra_boilerplate = ["^Lees ook", "[unclosed"]\n', encoding="utf-8")
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(DUTCH, encoding="utf-8")
    code, _, err = run(capsys, "run", str(src), "-o", str(tmp_path / "out"), "--config", str(config),
                       "--translation-model", str(tmp_path / "geen-model"))
    assert code == 2 and "invalid boilerplate pattern '[unclosed'" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ConfigError, match=r"pipeline setting 'boilerplate': invalid boilerplate pattern '\*x'"):
        PipelineConfig(boilerplate=["*x"])
    from beknopt import CleanStage

    with pytest.raises(ValueError, match="invalid boilerplate pattern '\\('"):
        CleanStage(extra_boilerplate=["("])
    assert PipelineConfig(extra_boilerplate=["^Lees ook:"]).extra_boilerplate == ("^Lees ook:",)


# ----------------------------------------------------------------------------------------------------
# 19. A "text" field is text, however many tag-like strings it holds


TAGGY = ("Het kabinet wil <b>meer</b> geld voor <i>onderwijs</i>, schrijft de <krant> <vandaag>. "
         "De oppositie noemt het plan <onhaalbaar> en vraagt om een debat.")


def test_item19_a_text_field_with_tag_like_strings_is_read_as_text() -> None:
    doc = to_document({"id": "a", "text": TAGGY}, "x")
    assert doc.source_format == "text"
    (result,) = lead_pipeline().process([doc])
    assert result.ok, result.error
    assert "<krant>" in result.clean_text and "<b>meer</b>" in result.clean_text
    assert result.sentences[0].startswith("Het kabinet wil <b>meer</b>")


def test_item19_html_field_is_html_body_is_sniffed_and_format_wins() -> None:
    html = "<html><body><article><p>" + DUTCH + "</p><p>Tweede alinea over het plan.</p></article></body></html>"
    assert to_document({"html": html}, "x").source_format == "html"
    assert to_document({"body": html}, "x").source_format == "auto"
    assert to_document({"text": html, "format": "html"}, "x").source_format == "html"
    (result,) = lead_pipeline().process([to_document({"id": "h", "html": html}, "x")])
    assert result.ok and result.paragraphs == [DUTCH, "Tweede alinea over het plan."]
    with pytest.raises(InputError, match="no text field \\(expected 'text', 'html' or 'body' with a string\\)"):
        to_document({"id": "n", "html": 3}, "x")


def test_item19_a_json_file_with_tag_like_text_is_a_result_in_beknopt_run(tmp_path: Path) -> None:
    from beknopt.batch import BatchOptions, BatchRunner

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.json").write_text(json.dumps({"id": "a", "text": TAGGY}), encoding="utf-8")
    summary = BatchRunner(lead_pipeline(), BatchOptions(output=out)).run(
        read_articles(discover([str(src)], exclude=[out])))
    assert (summary.done, summary.failed) == (1, 0)
    (record,) = read_jsonl(out / "results.jsonl")
    assert "<onhaalbaar>" in record["clean_text"]


# ----------------------------------------------------------------------------------------------------
# 20. A user's stage that raises fails only its article, in run_many as in beknopt run


def _raising_stage(docs: list[Document]) -> list[Document]:
    for doc in docs:
        if doc.ok:
            doc.warn("mine", "seen")
            if "KAPOT" in doc.clean_text:
                raise KeyError("a bug in a custom stage")
    return docs


def test_item20_run_many_with_a_raising_user_stage_fails_only_that_article() -> None:
    base = lead_pipeline()
    pipe = Pipeline([base.stages[0], _raising_stage, *base.stages[1:]], batch_size=8)
    texts = [DUTCH, DUTCH, "KAPOT " + DUTCH, DUTCH, DUTCH, DUTCH, "KAPOT ook " + DUTCH, DUTCH]
    results = list(pipe.run_many(texts))
    assert [r.id for r in results] == [f"article-{i}" for i in range(1, 9)]
    assert [r.ok for r in results] == [True, True, False, True, True, True, False, True]
    assert results[2].error == {"stage": "pipeline", "reason": "unexpected KeyError: 'a bug in a custom stage'"}
    # the batch was bisected from the state before the stage: each good article went through it exactly once
    assert all(r.warnings.count("mine: seen") == 1 for r in results if r.ok)
    assert all(r.summary for r in results if r.ok)


def test_item20_an_expected_error_keeps_its_stage_and_interrupts_still_stop() -> None:
    def picky(docs: list[Document]) -> list[Document]:
        if any("FOUT" in d.clean_text for d in docs):
            raise ValueError("cannot handle this article")
        return docs

    picky.name = "picky"  # type: ignore[attr-defined]
    base = lead_pipeline()
    pipe = Pipeline([base.stages[0], picky, *base.stages[1:]], batch_size=4)
    results = list(pipe.run_many([DUTCH, "FOUT " + DUTCH, DUTCH]))
    assert [r.error for r in results] == [None, {"stage": "picky", "reason": "ValueError: cannot handle this article"},
                                          None]

    def interrupted(docs: list[Document]) -> list[Document]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(Pipeline([base.stages[0], interrupted]).run_many([DUTCH, DUTCH]))


def test_item20_an_engine_that_breaks_fails_its_batch_and_the_run_goes_on(tmp_path: Path) -> None:
    from beknopt.batch import BatchOptions, BatchRunner

    class Flaky:
        name = "flaky"
        window = 2

        def __init__(self) -> None:
            self.calls = 0

        def process(self, docs: list[Document]) -> None:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("lost the cluster")
            lead_pipeline().process(docs)

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(4):
        (src / f"a{i}.txt").write_text(DUTCH, encoding="utf-8")
    engine = Flaky()
    summary = BatchRunner(lead_pipeline(), BatchOptions(output=out), engine=engine).run(
        read_articles(discover([str(src)], exclude=[out])))
    assert (summary.done, summary.failed) == (2, 2)
    errors = read_jsonl(out / "errors.jsonl")
    assert [e["id"] for e in errors] == ["a0.txt", "a1.txt"]
    assert {e["stage"] for e in errors} == {"engine"}
    assert errors[0]["reason"] == "the flaky engine failed: ConnectionError: lost the cluster"


def test_item1_eval_inputs_read_deep_json_as_a_clear_error(tmp_path: Path) -> None:
    from beknopt.eval.inputs import EvalInputError, read_records

    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "a", "summary": "x"}) + "\n" + DEEP + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match=f"preds.jsonl: line 2: JSON nested deeper than {MAX_JSON_DEPTH} levels"):
        read_records(preds)
