"""End to end through the real transformers code paths, on tiny random models of the real classes."""

from __future__ import annotations

import json

import pytest
from conftest import check_long_article, check_sample_article, long_article
from fakes import ScriptedBackend

from beknopt import Document, InputError, Pipeline, Result
from beknopt.cleaning.stage import CleanStage
from beknopt.split.stage import SplitStage
from beknopt.summarise import LeadSummariser, Summariser
from beknopt.translate import Translator


def test_sample_article_end_to_end(tiny_pipeline: Pipeline, sample_article: str) -> None:
    result = tiny_pipeline(sample_article, id="irak")
    assert isinstance(result, Result)
    check_sample_article(result)
    assert "date 2020-09" not in result.clean_text
    assert result.sentences[0] == (
        "De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen van 5200 tot 3000."
    )
    assert set(result.timings) >= {"clean", "split", "translate", "summarise", "total"}
    assert result.models["translation"].endswith("marian")
    assert result.models["summarization"].endswith("bart")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["id"] == "irak" and data["translation"] == result.translation
    assert data["settings"]["translate"]["architecture"] == "MarianMTModel"
    assert Document.from_dict(data).translations == result.translations


def test_abbreviations_are_not_split(tiny_pipeline: Pipeline) -> None:
    text = ("Het kabinet o.a. minister dhr. Jansen besloot m.b.t. de 5.200 militairen iets. "
            "Prof. dr. J.P. Balkenende was er ca. 12.30 uur.")
    result = tiny_pipeline(text)
    assert result.sentences == [
        "Het kabinet o.a. minister dhr. Jansen besloot m.b.t. de 5.200 militairen iets.",
        "Prof. dr. J.P. Balkenende was er ca. 12.30 uur.",
    ]
    assert len(result.translations) == 2


def test_3000_word_article_is_chunked_not_truncated(tiny_pipeline: Pipeline) -> None:
    article = long_article(3000)
    assert len(article.split()) >= 3000
    result = tiny_pipeline(article)
    assert result.metadata["date"] == "2024-05-01"
    check_long_article(result, article)


def test_run_many_streams_in_order_and_isolates_bad_articles(tiny_pipeline: Pipeline) -> None:
    items = [
        "Eerste artikel. Het gaat over Irak.",
        "",
        {"id": "json-1", "text": "Tweede artikel over Duitsland.", "title": "Duitsland"},
        {"id": "json-2", "body": 42},
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "Derde artikel.",
    ]
    results = list(tiny_pipeline.run_many(items, batch_size=4))
    assert [r.id for r in results] == ["article-1", "article-2", "json-1", "json-2", "article-5", "article-6"]
    assert [r.ok for r in results] == [True, False, True, False, False, True]
    assert results[1].error["stage"] == "clean" and "empty" in results[1].error["reason"]
    assert results[3].error == {"stage": "read", "reason": "json-2: no text field (expected 'text', 'html' "
                                                          "or 'body' with a string)"}
    assert results[4].error["stage"] == "clean" and "binary" in results[4].error["reason"]
    assert results[2].metadata["title"] == "Duitsland"
    assert all(len(r.translations) == len(r.sentences) > 0 for r in results if r.ok)


def test_run_many_can_raise_instead(tiny_pipeline: Pipeline) -> None:
    from beknopt import ArticleError

    with pytest.raises(ArticleError, match=r"article-1: text is empty \(contains only whitespace\) \(stage: clean\)"):
        list(tiny_pipeline.run_many(["  "], errors="raise"))


def test_single_call_raises_input_error(tiny_pipeline: Pipeline) -> None:
    with pytest.raises(InputError, match="empty"):
        tiny_pipeline("")


def test_stage_failure_is_isolated_to_the_article_that_caused_it() -> None:
    def respond(text, settings):
        if "kapot" in text:
            raise RuntimeError("CUDA out of memory")
        return "ok"

    translator = Translator(ScriptedBackend(respond, max_input_tokens=200))
    pipe = Pipeline([CleanStage(), SplitStage(), translator, LeadSummariser(1)])
    results = list(pipe.run_many(["Een goed artikel.", "Dit is kapot.", "Nog een goed artikel."]))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == {"stage": "translate", "reason": "RuntimeError: CUDA out of memory"}
    assert results[0].summary == "ok" and results[2].translations == ["ok"]


def test_custom_stage_can_be_dropped_in() -> None:
    def shout(docs: list[Document]) -> list[Document]:
        for doc in docs:
            doc.summary = doc.summary.upper()
        return docs

    backend = ScriptedBackend(lambda text, s: f"en:{text}", max_input_tokens=200)
    summary_backend = ScriptedBackend(lambda text, s: "a summary", max_input_tokens=200)
    pipe = Pipeline([CleanStage(extra_boilerplate=[r"^Lees ook:.*"]), SplitStage(), Translator(backend),
                     Summariser(summary_backend), shout])
    result = pipe("Lees ook: iets anders\n\nHet echte nieuws.")
    assert result.sentences == ["Het echte nieuws."]
    assert result.summary == "A SUMMARY"
    assert "shout" in pipe.describe()


def test_fingerprint_changes_with_settings(tiny_models) -> None:
    marian, bart = tiny_models
    a = Pipeline.from_pretrained(str(marian), str(bart), device="cpu", num_beams=1)
    b = Pipeline.from_pretrained(str(marian), str(bart), device="cpu", num_beams=2)
    c = Pipeline.from_pretrained(str(marian), summarizer="lead", device="cpu", num_beams=1)
    assert a.fingerprint() != b.fingerprint() != c.fingerprint()
    assert a.fingerprint() == Pipeline.from_pretrained(str(marian), str(bart), device="cpu",
                                                       num_beams=1).fingerprint()
    result = c("Eerste zin. Tweede zin. Derde zin. Vierde zin.")
    assert result.summary == " ".join(result.translations[:3])


def test_public_api_names_resolve_to_callables() -> None:
    import beknopt
    import beknopt.split.stage  # noqa: F401  (importing submodules must not shadow the exported functions)

    assert callable(beknopt.clean) and callable(beknopt.split_sentences)
    assert beknopt.clean("Een zin.").paragraphs == ["Een zin."]
    assert set(beknopt.__all__) >= {"Pipeline", "Result", "clean", "split_sentences", "Translator", "Summariser"}


def test_map_dataset_matches_run_many(tiny_pipeline: Pipeline, sample_article: str) -> None:
    from datasets import Dataset

    texts = [sample_article, "   ", "Een kort bericht. Met twee zinnen.", "Zonder waarschuwingen."]
    dataset = Dataset.from_dict({"text": texts, "source": ["a", "b", "c", "d"]})
    mapped = tiny_pipeline.map_dataset(dataset, batch_size=2)
    expected = list(tiny_pipeline.run_many(texts, batch_size=2))
    columns = mapped.to_dict()
    assert mapped.num_rows == 4 and columns["source"] == ["a", "b", "c", "d"]
    assert columns["translation"] == [r.translation if r.ok else None for r in expected]
    assert columns["summary"] == [r.summary for r in expected]
    assert columns["summary_chunks"] == [r.summary_chunks for r in expected]
    assert columns["warnings"] == [r.warnings for r in expected]
    assert columns["error"][1].startswith("clean: row-1: text is empty")
    assert [e is None for e in columns["error"]] == [True, False, True, True]
    with pytest.raises(Exception, match="no column 'body'"):
        tiny_pipeline.map_dataset(dataset, text_column="body")
