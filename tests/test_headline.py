"""The English headline (``result.title_en``) and the summary format (paragraph or bullets)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from beknopt import CleanStage, LeadSummariser, Pipeline, SplitStage
from beknopt.batch import render_markdown
from beknopt.checks.stage import CheckStage
from beknopt.config import PipelineConfig
from beknopt.document import Document
from beknopt.options import ConfigError
from beknopt.summarise import format_summary

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

BODY = "De gemeente Utrecht plant 3.000 bomen. Bewoners zijn blij. Het kost 2 miljoen euro."


class Spy:
    """Wraps a real backend and records every text it is asked to translate."""

    def __init__(self, backend) -> None:
        self.backend, self.seen = backend, []

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def generate(self, texts, *args, **kwargs):
        self.seen.extend(texts)
        return self.backend.generate(texts, *args, **kwargs)


@pytest.fixture
def spied(tiny_models):
    marian, _ = tiny_models
    pipe = Pipeline.from_pretrained(str(marian), summarizer="lead", device="cpu", num_beams=1, max_new_tokens=8,
                                    checks=False, cache=False)
    translator = pipe.stages[[getattr(s, "name", "") for s in pipe.stages].index("translate")]
    spy = Spy(translator.backend)
    translator.model.backend = spy
    return pipe, translator, spy


def test_a_metadata_title_is_translated_on_its_own_once(spied) -> None:
    pipe, translator, spy = spied
    result = pipe({"id": "nos-1", "title": "Utrecht plant bomen", "text": BODY})
    assert result.title_en == translator.translate(["Utrecht plant bomen"])[0]
    assert spy.seen.count("Utrecht plant bomen") == 2  # once for the article, once for the line above
    assert "Utrecht plant bomen" not in result.sentences  # and not fed to the summary


def test_a_headline_first_line_is_translated_once_as_the_first_sentence(spied) -> None:
    pipe, _, spy = spied
    result = pipe("Utrecht plant bomen\n\n" + BODY)
    assert result.metadata["title"] == "Utrecht plant bomen" and result.sentences[0] == "Utrecht plant bomen"
    assert result.title_en == result.translations[0]
    assert spy.seen.count("Utrecht plant bomen") == 1


def test_no_title_no_english_title(spied) -> None:
    pipe, _, _ = spied
    assert pipe(BODY).title_en is None


def test_the_title_is_checked_like_a_sentence() -> None:
    doc = Document(id="a", metadata={"title": "Utrecht plant 3.000 bomen"}, paragraphs=["Tekst."],
                   sentences=["Tekst."], sentence_paragraphs=[0], translations=["Text."],
                   title_en="Utrecht plants 300 trees")
    CheckStage().process_one(doc)
    assert [(c["kind"], c["sentence"], c["field"], c["source"], c["output"]) for c in doc.checks] == [
        ("number", None, "title", "3.000", "300")]
    assert doc.warnings == [f"check: title: {doc.checks[0]['detail']}"]
    page = render_markdown(doc.to_dict())
    assert "- title (number): number changed" in page
    assert page.startswith("# Utrecht plants 300 trees\n") and "- **Dutch title:** Utrecht plant 3.000 bomen" in page


def test_format_summary_bullets_one_sentence_per_line() -> None:
    summary = "The city plants 3,000 trees. Residents are happy. It costs 2 million euros."
    assert format_summary(summary) == summary
    assert format_summary(summary, "bullets").splitlines() == [
        "The city plants 3,000 trees.", "Residents are happy.", "It costs 2 million euros."]


def scripted_translation(docs):
    """Stands in for the translator: English words for the Dutch (orchestration only)."""
    for doc in docs:
        if doc.ok:
            doc.translations = [f"Sentence {i + 1} in English." for i in range(len(doc.sentences))]
    return docs


scripted_translation.name = "translate"  # type: ignore[attr-defined]


def test_bullets_in_the_record_and_on_the_markdown_page() -> None:
    pipe = Pipeline([CleanStage(), SplitStage(), scripted_translation, LeadSummariser(2, summary_format="bullets")])
    result = pipe(BODY)
    assert result.summary == "Sentence 1 in English.\nSentence 2 in English."
    html = MarkdownIt().render(render_markdown(result.to_dict()))
    summary_html = html.split("<h2>Summary</h2>")[1].split("<h2>")[0]
    assert summary_html.count("<li>") == 2 and "Sentence 2 in English." in summary_html


def test_bullets_with_the_real_models_and_a_bad_format(tiny_models) -> None:
    marian, bart = tiny_models
    common = {"device": "cpu", "num_beams": 1, "summary_num_beams": 1, "max_new_tokens": 8,
              "max_summary_tokens": 40, "min_summary_tokens": 30}
    paragraph = Pipeline.from_pretrained(str(marian), str(bart), **common)
    bullets = Pipeline.from_pretrained(str(marian), str(bart), summary_format="bullets", **common)
    assert bullets.describe()["summarise"]["format"] == "bullets" and "format" not in paragraph.describe()["summarise"]
    one, many = paragraph(BODY), bullets(BODY)
    assert many.summary == format_summary(one.summary, "bullets")
    with pytest.raises(ConfigError, match="summary_format' must be one of paragraph, bullets"):
        PipelineConfig(summary_format="list")
