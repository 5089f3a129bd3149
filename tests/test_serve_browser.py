"""The editor's page of ``beknopt serve`` in headless Chromium (Debian's, driven by Playwright), against a real
server with the tiny models: submit the sample article, wait through the progress indicator for the headline
and summary, click a summary sentence and see the Dutch and English sentences it rests on highlighted.

The tiny random models' summaries rest on no sentence, so where a record's summary sentences have no sources
the first test gives them some on the way to the page (``page.route``); the last test needs no such help: its
server translates with the trained copy model (``tests/data/models/copy-marian``) and summarises with the lead
summariser, so the provenance, the headline and the number flag on the page are all the server's own.
A screenshot is kept under the test's ``tmp_path`` and in
``tests/artifacts/`` (git-ignored). Without ``/usr/bin/chromium`` or the ``playwright`` package it skips;
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_ARTICLE, require_chromium
from serve_util import TINY_SETTINGS, running

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'beknopt[serve]')")
require_chromium()

from playwright.sync_api import expect  # noqa: E402

from beknopt import Pipeline  # noqa: E402
from beknopt.serve import ServeSettings, create_app  # noqa: E402

VIEWPORT = {"width": 1366, "height": 900}  # a laptop screen
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.usefixtures("restore_torch_threads")


@pytest.fixture(scope="module")
def base(tiny_models, tmp_path_factory) -> Iterator[str]:
    marian, bart = tiny_models
    pipe = Pipeline.from_pretrained(str(marian), str(bart), **TINY_SETTINGS)
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), batch_wait_ms=400)
    with running(create_app(pipe, settings)) as url:
        yield url



@pytest.fixture
def page(browser: Any, base: str) -> Iterator[Any]:
    """A page that fails the test on any request to anywhere but the server, on a dialog or a script error."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    fetched: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    yield page
    context.close()
    assert fetched and all(url.startswith(base + "/") for url in fetched), fetched  # nothing from a network
    assert problems == []


def _with_record(page: Any, change: Any) -> None:
    """Pass /v1/summarize's real answer through ``change(record)`` on its way to the page."""
    def handle(route: Any) -> None:
        response = route.fetch()
        record = response.json()
        if response.status == 200:
            change(record)
        route.fulfill(response=response, body=json.dumps(record), content_type="application/json")

    page.route("**/v1/summarize", handle)


def _give_sources(record: dict) -> None:
    parts = record.get("summary_sentences") or [{"text": record["summary"], "sources": [], "support": 0.0}]
    if not any(p["sources"] for p in parts):
        parts = [{"text": parts[0]["text"], "sources": [0, 2], "support": 0.61},
                 {"text": "Second sentence of the summary.", "sources": [5], "support": 0.2}]
    record["summary_sentences"] = parts
    record["summary"] = " ".join(p["text"] for p in parts)
    record.setdefault("checks", []).append({"stage": "check", "kind": "summary-support", "sentence": 1,
                                            "source": "", "output": "", "detail": "weakly supported"})


def _keep_screenshot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def test_the_page_summarises_the_sample_and_shows_what_a_sentence_rests_on(page, base, tmp_path) -> None:
    _with_record(page, _give_sources)
    page.goto(base + "/")
    page.wait_for_load_state("load")
    expect(page.locator("#service-info")).not_to_be_empty()  # filled from /v1/info once it answers
    page.fill("#article-text", SAMPLE_ARTICLE.read_text(encoding="utf-8"))
    page.click("#summarise")
    page.wait_for_selector("#progress", state="visible")  # the indicator while the models work
    assert page.locator("#summarise").is_disabled()
    page.wait_for_selector("#result", state="visible", timeout=120_000)
    assert page.locator("#progress").is_hidden() and page.locator("#summarise").is_enabled()

    assert page.locator("#headline").inner_text() == "(no headline)"  # no title_en, no title: said so
    assert page.locator("#meta").inner_text().startswith("2020-09")
    sentences = page.locator("#summary .summary-sentence")
    assert sentences.count() == 2
    dutch, english = page.locator("#source .sentence"), page.locator("#translation .sentence")
    assert dutch.count() == english.count() > 10
    assert page.locator("#source p").count() == 10  # the article's paragraphs kept
    assert dutch.nth(0).inner_text().startswith("De Verenigde Staten zullen deze maand")

    sentences.nth(0).click()
    lit = page.locator("#source .sentence.source-of")
    assert [lit.nth(i).get_attribute("data-index") for i in range(lit.count())] == ["0", "2"]
    assert page.locator("#translation .sentence.source-of").count() == 2
    assert "selected" in sentences.nth(0).get_attribute("class")
    sentences.nth(1).press("Enter")  # the keyboard works too, and the highlight moves
    lit = page.locator("#source .sentence.source-of")
    assert lit.count() == 1 and lit.nth(0).get_attribute("data-index") == "5"
    assert "flagged" in sentences.nth(1).get_attribute("class")  # the summary-support flag

    # the number check on the first sentence: 5200 is marked in the Dutch and the sentence flagged
    marks = page.locator("#source .sentence[data-index='0'] mark.flag")
    assert "5200" in [marks.nth(i).inner_text() for i in range(marks.count())]
    assert "flagged" in dutch.nth(0).get_attribute("class")
    flags = page.locator("#flags li")
    assert flags.count() >= 3 and page.locator("#flags-count").inner_text() == str(flags.count())
    page.click("#flags-block > summary")  # a long list is folded; it opens
    assert flags.nth(0).is_visible() and "5200" in flags.nth(0).inner_text()

    # readable on a laptop: Dutch and English side by side, the summary above them, nothing wider than the screen
    left, right = page.locator("#source").bounding_box(), page.locator("#translation").bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
    assert page.locator("#summary").bounding_box()["y"] < left["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    _keep_screenshot(page, tmp_path / "serve-page.png")


def test_without_provenance_the_page_shows_the_plain_summary(page, base) -> None:
    def old_record(record: dict) -> None:
        for name in ("title_en", "summary_sentences"):
            record.pop(name, None)
        record["metadata"]["title"] = "Kabinet valt"

    _with_record(page, old_record)
    page.goto(base + "/")
    page.fill("#article-text", "De gemeenteraad van Utrecht heeft dinsdag ingestemd met de bouw van 2500 nieuwe "
                               "woningen. Wethouder Jansen noemde het besluit een belangrijke stap.")
    page.click("#summarise")
    page.wait_for_selector("#result", state="visible", timeout=120_000)
    assert page.locator("#headline").inner_text() == "Kabinet valt"
    assert "Dutch headline" in page.locator("#meta").inner_text()
    assert page.locator("#summary .summary-sentence").count() == 0
    assert page.locator("#summary").inner_text().strip() != ""


def test_article_text_is_shown_as_text_never_run_as_markup(page, base) -> None:
    evil = '<img src=x onerror="window.__owned=1"><b>vet</b>'

    def hostile(record: dict) -> None:
        record["title_en"] = evil
        record["summary_sentences"] = [{"text": evil, "sources": [0], "support": 1.0}]
        record["translations"][0] = evil

    _with_record(page, hostile)
    page.goto(base + "/")
    page.fill("#article-text", "Het college van Groningen wil meer fietspaden aanleggen. De raad stemt in mei.")
    page.click("#summarise")
    page.wait_for_selector("#result", state="visible", timeout=120_000)
    assert page.locator("#headline").inner_text() == evil
    assert page.locator("#summary .summary-sentence").inner_text() == evil
    assert page.locator("#translation .sentence").nth(0).inner_text() == evil
    assert page.locator("#result img, #result b").count() == 0
    assert page.evaluate("window.__owned") is None


def test_an_error_is_shown_to_the_editor(page, base) -> None:
    page.goto(base + "/")
    page.click("#summarise")
    assert "Paste a Dutch article" in page.locator("#message").inner_text()
    page.fill("#article-text", "The council met on Monday to discuss the budget for next year. Several members "
                               "asked for more money for schools and roads in the north of the city.")
    page.click("#summarise")
    page.wait_for_selector("#message", state="visible")
    # a locator assertion, not wait_for_function: the page's CSP forbids the eval that polling would need
    expect(page.locator("#message")).to_contain_text("not Dutch", timeout=60_000)
    assert page.locator("#result").is_hidden()


def test_an_opened_html_file_is_sent_as_it_is_and_cleaned_by_the_server(page, base) -> None:
    html = Path(__file__).parent / "data" / "cli" / "articles" / "web" / "pagina.html"
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.headers.get("content-type", ""))
            if request.url.endswith("/v1/summarize") else None)
    page.goto(base + "/")
    page.set_input_files("#article-file", str(html))
    expect(page.locator("#article-text")).to_have_value(re.compile("Treinverkeer"))
    page.click("#summarise")
    page.wait_for_selector("#result", state="visible", timeout=120_000)
    assert sent == ["text/html"]  # the file's own bytes, so the server's cleaner sees the page as it is
    # the page's <title> became the article's title, so there is a headline (its English, from the tiny model);
    # scripts, navigation and footer are gone from the Dutch text
    assert page.locator("#headline").inner_text() not in ("", "(no headline)")
    dutch = page.locator("#source").inner_text()
    assert dutch.startswith("Door een storing in de seinen") and "Koop nu" not in dutch and "rechten" not in dutch


@pytest.fixture(scope="module")
def copy_base(copy_marian, tmp_path_factory) -> Iterator[str]:
    pipe = Pipeline.from_pretrained(str(copy_marian), summarizer="lead", lead_sentences=2, device="cpu",
                                    num_beams=1, threads=1)
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("copy-state"), batch_wait_ms=50)
    with running(create_app(pipe, settings)) as url:
        yield url


def test_real_provenance_and_flags_from_a_model_that_copies(browser, copy_base, tmp_path) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(copy_base + "/")
        page.fill("#article-text", "Utrecht plant bomen\n\nDe gemeente plant dit jaar 3.000 bomen in Overvecht. "
                                   "Bewoners zijn blij met het plan.\n\nDe wethouder noemt het een goede dag.")
        page.click("#summarise")
        page.wait_for_selector("#result", state="visible", timeout=120_000)
        assert page.locator("#headline").inner_text() == "Utrecht plant bomen"  # title_en: the copied headline
        sentences = page.locator("#summary .summary-sentence")
        assert sentences.count() == 2
        sentences.nth(1).click()  # the lead summary's second sentence rests on the article's second sentence
        lit = page.locator("#source .sentence.source-of")
        assert [lit.nth(i).get_attribute("data-index") for i in range(lit.count())] == ["1"]
        assert page.locator("#translation .sentence.source-of").inner_text().startswith("De gemeente plant")
        # the copied "3.000" reads as 3 in English: the number check flags it, and the page marks it
        marks = page.locator("#source .sentence[data-index='1'] mark.flag")
        assert "3.000" in [marks.nth(i).inner_text() for i in range(marks.count())]
        _keep_screenshot(page, tmp_path / "serve-page-copy-model.png")
    finally:
        context.close()
    assert errors == []
