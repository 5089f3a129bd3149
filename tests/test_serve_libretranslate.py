"""Issue 24: ``beknopt serve``'s LibreTranslate-compatible API, through the real clients (``libretranslatepy``,
``libretranslate-aio``, plain ``requests`` with LibreTranslate's documented payloads) against a real uvicorn
server on 127.0.0.1.

The translation model is the stored copy-trained Marian (``copy_marian``), which gives back its input: what a
client gets is then known in advance, so the tests can assert the text, the layout and the markup exactly, and
see the glossary (a Dutch term comes back as its English one) and the checks (a Dutch thousands point copied
verbatim reads as another number in English) at work.
"""

from __future__ import annotations

import json
import threading
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_util import running, wait_until

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'beknopt[serve]')")
libretranslatepy = pytest.importorskip("libretranslatepy", reason="pip install libretranslatepy")
libretranslate_aio = pytest.importorskip("libretranslate_aio", reason="pip install libretranslate-aio")
requests = pytest.importorskip("requests")

from beknopt import Document, Pipeline  # noqa: E402
from beknopt.cleaning.stage import CleanStage  # noqa: E402
from beknopt.serve import ServeSettings, create_app  # noqa: E402
from beknopt.split.stage import SplitStage  # noqa: E402

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

GLOSSARY = {"Tweede Kamer": "House of Representatives"}
# Sentences the copy model gives back unchanged (tests/test_copy_model.py), laid out as a desk would send them.
BRUG = ("Om 12.30 uur opende minister Anna de Vries in Utrecht de nieuwe brug over de Waal. "
        "De brug is 840 meter lang en kostte 25 procent meer dan gepland.")
BUSSEN = "In 2023 reden er elke dag 64 bussen en 310 auto's over de oude brug."
ENGLISH = "The council met on Monday to discuss the budget for next year and the repair of the roads."
SUPPORTED = "this server translates Dutch (nl) to English (en); source may be nl or auto, target en"


def _pipeline(copy_marian, **settings) -> Pipeline:
    return Pipeline.from_pretrained(str(copy_marian), summarizer="lead", device="cpu", num_beams=1, threads=1,
                                    glossary=GLOSSARY, **settings)


@pytest.fixture(scope="module")
def pipe(copy_marian) -> Pipeline:
    return _pipeline(copy_marian)


@pytest.fixture(scope="module")
def base(pipe, tmp_path_factory) -> str:
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), max_body=20_000, max_bytes=5_000,
                             batch_wait_ms=5)
    with running(create_app(pipe, settings)) as url:
        yield url


@pytest.fixture(scope="module")
def keyed(pipe, tmp_path_factory) -> str:
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), api_keys=("sleutel-een", "sleutel-twee"))
    with running(create_app(pipe, settings)) as url:
        yield url


def _lt_error(response: requests.Response | httpx.Response, status: int) -> str:
    """LibreTranslate's error shape: ``{"error": "<a string>"}``, nothing else, no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    return body["error"]


def _urllib_error(call) -> tuple[int, str]:
    """What libretranslatepy (urllib) raises for an error answer: the status and the body's ``error``."""
    with pytest.raises(urllib.error.HTTPError) as caught:
        call()
    body = json.loads(caught.value.read())
    assert set(body) == {"error"}
    return caught.value.code, body["error"]


# -- the clients ------------------------------------------------------------------------------------------------


def test_libretranslatepy_translates_detects_and_lists_languages(base) -> None:
    lt = libretranslatepy.LibreTranslateAPI(f"{base}/")
    assert lt.translate("Goedemorgen.", "nl", "en") == "Goedemorgen."
    assert lt.translate("De Tweede Kamer stemde in 2023 in met het plan.", "nl", "en") == (
        "De House of Representatives stemde in 2023 in met het plan.")  # the glossary applies
    assert lt.translate(BRUG, "auto", "en") == BRUG
    (detected,) = lt.detect("De gemeenteraad van Utrecht vergaderde dinsdag over de begroting.")
    assert detected["language"] == "nl" and 50 < detected["confidence"] <= 100  # percent, as LibreTranslate's
    assert lt.detect(ENGLISH)[0]["language"] == "en"
    assert lt.languages() == [{"code": "nl", "name": "Dutch", "targets": ["en"]},
                              {"code": "en", "name": "English", "targets": []}]


def test_libretranslatepy_reads_libretranslate_errors(base) -> None:
    lt = libretranslatepy.LibreTranslateAPI(base)
    assert _urllib_error(lambda: lt.translate("Hallo.", "de", "en")) == (400, f"de is not supported: {SUPPORTED}")
    assert _urllib_error(lambda: lt.translate("Hallo.", "nl", "fr")) == (400, f"fr is not supported: {SUPPORTED}")
    assert _urllib_error(lambda: lt.translate("", "nl", "en")) == (400, "Invalid request: missing q parameter")
    status, reason = _urllib_error(lambda: lt.translate(ENGLISH, "auto", "en"))
    assert status == 400 and reason.startswith("q: not Dutch: detected en") and reason.endswith(SUPPORTED)


def test_libretranslate_aio_lists_html_auto_and_settings(base) -> None:
    with libretranslate_aio.LibreTranslate(base) as lt:
        listed = lt.translate([BRUG, "Goedemorgen.", "   "], "nl", "en")  # a form with q given three times
        assert listed.translated_text == [BRUG, "Goedemorgen.", ""] and listed.detected_language is None
        html = '<p class="lead">De <b>Tweede Kamer</b> stemt.</p>'
        assert lt.translate(html, "nl", "en", format="html").translated_text == (
            '<p class="lead">De <b>House of Representatives</b> stemt.</p>')
        auto = lt.translate([BUSSEN, "Goedemorgen."], "auto", "en", alternatives=2)
        assert auto.translated_text == [BUSSEN, "Goedemorgen."]
        assert [d.language for d in auto.detected_language] == ["nl", "nl"]
        assert 50 < auto.detected_language[0].confidence <= 100
        assert auto.alternatives == [[], []]  # one translation per sentence: no alternatives to offer
        assert [d.language for d in lt.detect(BUSSEN)] == ["nl"]
        assert [(x.code, x.targets) for x in lt.languages()] == [("nl", ["en"]), ("en", [])]
        settings = lt.frontend_settings()
        assert settings.char_limit == 5_000 and not settings.api_keys and not settings.key_required
        assert (settings.language.source.code, settings.language.target.code) == ("nl", "en")
        assert lt.health() is True
        with pytest.raises(libretranslate_aio.BadRequestError, match="missing target parameter") as caught:
            lt.translate("Hallo.", "nl", "")
        assert caught.value.status_code == 400
        with pytest.raises(libretranslate_aio.ForbiddenError, match="Suggestions are disabled"):
            lt.suggest("Hallo.", "Hello.", "nl", "en")


def test_documented_json_and_form_payloads_with_requests(base) -> None:
    """LibreTranslate's README example (JSON) and a browser's FormData (multipart) get the same answer."""
    payload = {"q": BRUG, "source": "nl", "target": "en", "format": "text", "api_key": ""}
    answer = requests.post(f"{base}/translate", json=payload, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["translatedText"] == BRUG and "detectedLanguage" not in answer.json()
    multipart = requests.post(f"{base}/translate", files={k: (None, v) for k, v in payload.items()}, timeout=60)
    assert multipart.status_code == 200, multipart.text
    assert multipart.json()["translatedText"] == BRUG
    query = requests.post(f"{base}/translate", params={"source": "nl", "target": "en"}, data={"q": BUSSEN},
                          timeout=60)  # Flask's request.values: the query string counts too
    assert query.json()["translatedText"] == BUSSEN
    assert answer.headers["x-content-type-options"] == "nosniff"  # the service's security headers
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_a_form_field_charset_is_only_ever_a_text_encoding(base) -> None:
    """As for request bodies (issue 20, item 12): a multipart field declaring a codec that is not a text
    encoding is refused, never run; a declared windows-1252 field is decoded as such."""
    def field(charset: str, value: bytes) -> bytes:
        return (b'--xx\r\nContent-Disposition: form-data; name="q"\r\nContent-Type: text/plain; charset='
                + charset.encode() + b"\r\n\r\n" + value + b'\r\n--xx\r\nContent-Disposition: form-data; '
                b'name="source"\r\n\r\nnl\r\n--xx\r\nContent-Disposition: form-data; name="target"\r\n\r\n'
                b"en\r\n--xx--\r\n")

    headers = {"Content-Type": "multipart/form-data; boundary=xx"}
    for charset in ("unicode_escape", "punycode", "rot13"):
        refused = requests.post(f"{base}/translate", data=field(charset, b"\\ud800"), headers=headers, timeout=60)
        assert refused.status_code == 415, (charset, refused.text)
        assert f"charset '{charset}'" in refused.json()["error"]
    latin = requests.post(f"{base}/translate", data=field("windows-1252", BRUG.encode("cp1252")), headers=headers,
                          timeout=60)
    assert latin.status_code == 200 and latin.json()["translatedText"] == BRUG


# -- what the answer holds --------------------------------------------------------------------------------------


def test_paragraphs_and_line_breaks_are_kept(base) -> None:
    texts = [f"{BRUG}\n\n{BUSSEN}",  # paragraphs
             "Regel een.\nRegel twee.\nRegel drie.",  # one line each, no blank line
             f"Kop van het stuk\n\n{BUSSEN}\n\n- punt een\n- punt twee"]  # a heading and a list
    answer = httpx.post(f"{base}/translate", json={"q": texts, "source": "nl", "target": "en"}, timeout=60).json()
    assert answer["translatedText"] == texts


def test_html_keeps_its_markup_and_leaves_code_alone(base) -> None:
    html = ('<h1 id="kop">De Tweede Kamer</h1>\n<p>In 2023 stemde de <a href="/tk?x=1&amp;y=2">Tweede Kamer</a> '
            'in &amp; besloot.</p><!-- niet vertalen: Tweede Kamer -->'
            '<script>var t = "Tweede Kamer";</script><pre>Tweede Kamer</pre>'
            '<p translate="no">Tweede Kamer</p> en de <code>Tweede Kamer</code>.')
    answer = httpx.post(f"{base}/translate", json={"q": html, "source": "nl", "target": "en", "format": "html"},
                        timeout=60).json()
    assert answer["translatedText"] == html.replace(">De Tweede Kamer<", ">De House of Representatives<").replace(
        ">Tweede Kamer</a>", ">House of Representatives</a>")
    assert [g["status"] for g in answer["beknopt"]["glossary"]] == ["honoured", "honoured"]
    page = ("<!DOCTYPE html><html><head><title>Tweede Kamer</title><style>p{}</style></head>"
            "<body><p>Goedemorgen.</p></body></html>")
    answer = httpx.post(f"{base}/translate", json={"q": page, "source": "auto", "target": "en", "format": "html"},
                        timeout=60).json()
    assert answer["translatedText"] == ("<!DOCTYPE html>\n<html><head><title>House of Representatives</title>"
                                        "<style>p{}</style></head><body><p>Goedemorgen.</p></body></html>")
    assert answer["detectedLanguage"]["language"] == "nl"
    empty = httpx.post(f"{base}/translate", json={"q": "<p> 12 </p><hr>", "source": "nl", "target": "en",
                                                  "format": "html"}, timeout=60).json()
    assert empty["translatedText"] == "<p> 12 </p><hr>"  # no text to translate: the markup as it came


def test_checks_and_glossary_come_back_in_the_beknopt_field(base) -> None:
    q = "De Tweede Kamer stemde in met het plan. Het bedrijf ontsloeg 5.200 medewerkers."
    answer = httpx.post(f"{base}/translate", data={"q": q, "source": "nl", "target": "en"}, timeout=60).json()
    assert answer["translatedText"] == q.replace("Tweede Kamer", "House of Representatives")
    extra = answer["beknopt"]
    assert extra["checks"] == [{"stage": "translate", "kind": "number", "sentence": 1, "source": "5.200",
                                "output": "5.200", "detail": "number changed: 5200 in the source, 5.2 in the "
                                "translation"}]
    assert extra["glossary"][0]["term"] == "Tweede Kamer" and extra["glossary"][0]["status"] == "honoured"
    assert "check: sentence 2: number changed: 5200 in the source, 5.2 in the translation" in extra["warnings"]


# -- errors, limits, auth ---------------------------------------------------------------------------------------


def test_bad_requests_get_libretranslate_errors(base) -> None:
    def post(**kwargs) -> httpx.Response:
        return httpx.post(f"{base}/translate", timeout=60, **kwargs)

    assert _lt_error(post(json={"source": "nl", "target": "en"}), 400) == "Invalid request: missing q parameter"
    assert _lt_error(post(data={"q": "Hallo.", "target": "en"}), 400) == "Invalid request: missing source parameter"
    assert _lt_error(post(json={"q": "Hallo.", "source": "en", "target": "nl"}), 400) == (
        f"en is not supported: {SUPPORTED}")
    assert _lt_error(post(json={"q": "Hallo.", "source": "nl", "target": "en", "format": "xml"}), 400) == (
        "xml format is not supported: format may be text or html")
    assert _lt_error(post(json={"q": [1, 2], "source": "nl", "target": "en"}), 400) == (
        "Invalid request: q must be a string or a list of strings")
    assert _lt_error(post(json={"q": "Hallo.", "source": "nl", "target": "en", "alternatives": "veel"}), 400)
    assert _lt_error(post(content=b"{kapot", headers={"Content-Type": "application/json"}), 400).startswith(
        "Invalid JSON format")
    assert _lt_error(post(json=["q"]), 400) == "Invalid JSON format: expected a JSON object"
    assert _lt_error(post(content=b"q=%ff&source=nl&target=en",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}), 400).startswith(
        "Invalid request: the form is not valid UTF-8")
    cleaned_away = _lt_error(post(json={"q": ["Goedemorgen.", "Lees ook:"], "source": "nl", "target": "en"}), 400)
    assert cleaned_away.startswith("Invalid request: q[1]: no text left after cleaning")
    assert _lt_error(httpx.get(f"{base}/translate"), 405) == "GET is not allowed on /translate"
    assert _lt_error(httpx.post(f"{base}/detect", data={}), 400) == "Invalid request: missing q parameter"
    assert httpx.post(f"{base}/detect", data={"q": "12345"}).json() == [{"confidence": 0.0, "language": "en"}]


def test_not_ready_is_503_with_retry_after(pipe, tmp_path) -> None:
    loaded = threading.Event()

    def load() -> Pipeline:
        loaded.wait(30)
        return pipe

    with running(create_app(load, ServeSettings(state_dir=tmp_path))) as url, httpx.Client(base_url=url) as client:
        for answer in (client.post("/translate", data={"q": BUSSEN, "source": "nl", "target": "en"}),
                       client.get("/languages"), client.get("/frontend/settings"), client.get("/health")):
            assert _lt_error(answer, 503) == "the models are still loading" and answer.headers["retry-after"] == "2"
        loaded.set()
        wait_until(lambda: client.get("/health").status_code == 200, what="ready")
        assert client.get("/health").json() == {"status": "ok"}
        answer = client.post("/translate", json={"q": ["12:30", BUSSEN], "source": "auto", "target": "en"}).json()
        assert answer["translatedText"] == ["12:30", BUSSEN]  # no letters: nothing to detect, translated as is
        assert answer["detectedLanguage"][0] == {"confidence": 0.0, "language": "nl"}


def test_limits_are_the_services(base) -> None:
    over_chars = _lt_error(httpx.post(f"{base}/translate", json={"q": ["woord " * 500, "woord " * 400],
                                                                 "source": "nl", "target": "en"}), 400)
    assert over_chars == "Invalid request: request (5400) exceeds text limit (5000)"  # charLimit: --max-bytes
    body = "q=" + "a" * 20_001 + "&source=nl&target=en"
    too_big = requests.post(f"{base}/translate", data=body, timeout=60,  # sent whole before reading: drained
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "--max-body" in _lt_error(too_big, 413)


def test_api_keys_as_field_or_bearer_with_libretranslate_403(keyed) -> None:
    q = {"q": BUSSEN, "source": "nl", "target": "en"}
    assert _urllib_error(lambda: libretranslatepy.LibreTranslateAPI(keyed).translate(BUSSEN, "nl", "en"))[0] == 403
    assert _urllib_error(lambda: libretranslatepy.LibreTranslateAPI(keyed, api_key="fout").detect(BUSSEN)) == (
        403, "Invalid API key")
    assert libretranslatepy.LibreTranslateAPI(keyed, api_key="sleutel-twee").translate(BUSSEN, "nl", "en") == BUSSEN
    assert "API key is required" in _lt_error(httpx.post(f"{keyed}/translate", json=q), 403)
    assert httpx.post(f"{keyed}/translate", json={**q, "api_key": "sleutel-een"}).json()["translatedText"] == BUSSEN
    assert httpx.post(f"{keyed}/translate", json=q, headers={"Authorization": "Bearer sleutel-een"}).status_code == 200
    assert _lt_error(httpx.post(f"{keyed}/translate", json=q, headers={"Authorization": "Bearer fout"}), 403) == (
        "Invalid API key")
    with libretranslate_aio.LibreTranslate(keyed, api_key="sleutel-een") as lt:
        assert lt.translate(BUSSEN, "nl", "en").translated_text == BUSSEN
    with libretranslate_aio.LibreTranslate(keyed) as lt, pytest.raises(libretranslate_aio.ForbiddenError):
        lt.detect(BUSSEN)
    # what clients probe before they have a key stays open, and says a key is needed; the rest of the API's auth
    # is unchanged
    settings = httpx.get(f"{keyed}/frontend/settings").json()
    assert settings["apiKeys"] is True and settings["keyRequired"] is True
    assert libretranslatepy.LibreTranslateAPI(keyed).languages()[0]["code"] == "nl"
    assert httpx.get(f"{keyed}/v1/info").json()["error"]["status"] == 401


# -- sharing the models with the rest of the service ------------------------------------------------------------


class _Spy:
    """The summarise stage, counting the articles it sees: a translation must never reach it."""

    name = "summarise"

    def __init__(self, inner) -> None:
        self.inner = inner
        self.seen: Counter = Counter()

    def describe(self) -> dict:
        return self.inner.describe()

    def __call__(self, docs: list[Document]) -> list[Document]:
        self.seen.update(d.id for d in docs)
        return self.inner(docs)


def test_translations_batch_with_summaries_and_skip_the_summary(copy_marian, tmp_path) -> None:
    pipe = _pipeline(copy_marian)
    index = next(i for i, s in enumerate(pipe.stages) if s.name == "summarise")
    spy = pipe.stages[index] = _Spy(pipe.stages[index])
    app = create_app(pipe, ServeSettings(state_dir=tmp_path, batch_wait_ms=400))
    texts = [BRUG, BUSSEN, "Goedemorgen."]
    with running(app) as url, httpx.Client(base_url=url, timeout=120) as client, ThreadPoolExecutor(6) as pool:
        translations = [pool.submit(client.post, "/translate", json={"q": t, "source": "nl", "target": "en"})
                        for t in texts]
        summaries = [pool.submit(client.post, "/v1/summarize", json={"id": f"art-{i}", "text": f"{BRUG} {BUSSEN}"})
                     for i in range(3)]
        assert [f.result().json()["translatedText"] for f in translations] == texts
        records = [f.result().json() for f in summaries]
        metrics = client.get("/metrics").text
    assert all(r["summary"] and r["translations"] for r in records)
    assert max(r["timings"]["batch_articles"] for r in records) > 3  # articles and texts in one batch
    assert app.state.scheduler.stats.batches < 6
    assert spy.seen == Counter({"art-0": 1, "art-1": 1, "art-2": 1})  # the texts ("q") were never summarised
    assert 'beknopt_articles_total{outcome="done",source="translate"} 3.0' in metrics
    assert 'beknopt_articles_total{outcome="done",source="summarize"} 3.0' in metrics
    chars = sum(len(t) for t in texts)
    assert f'beknopt_libretranslate_characters_total{{endpoint="/translate",format="text"}} {float(chars)}' in metrics
    assert 'beknopt_http_requests_total{method="POST",route="/translate",status="200"} 3.0' in metrics


class _CopyGate:
    """Stands in for the translator: holds every batch until released, then copies the sentences."""

    name = "translate"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def describe(self) -> dict:
        return {}

    def __call__(self, docs: list[Document]) -> list[Document]:
        self.entered.set()
        self.release.wait(30)
        for doc in docs:
            doc.translations = list(doc.sentences)
        return docs


def test_a_busy_server_says_slowdown_with_retry_after(tmp_path) -> None:
    gate = _CopyGate()
    settings = ServeSettings(state_dir=tmp_path, max_body=5_000, max_body_memory=6_000, queue_size=1,
                             batch_wait_ms=0)
    app = create_app(Pipeline([CleanStage(), SplitStage(), gate], batch_size=1), settings)
    long_text = "De raad vergaderde. " * 60  # a body of about 1,300 bytes, held while it is translated
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as client, ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/translate", data={"q": long_text, "source": "nl", "target": "en"})
        assert gate.entered.wait(10)  # the worker holds the first text
        second = pool.submit(client.post, "/translate", data={"q": long_text, "source": "nl", "target": "en"})
        wait_until(lambda: app.state.scheduler.depth == 1, what="the second text to be queued")
        full = client.post("/translate", data={"q": "Derde.", "source": "nl", "target": "en"})
        assert _lt_error(full, 429).startswith("Slowdown: the queue is full") and full.headers["retry-after"] == "2"
        held = requests.post(f"{url}/translate", data={"q": "x" * 4_000, "source": "nl", "target": "en"},
                             timeout=60)  # two bodies held already: no room for this one now
        assert "--max-body-memory" in _lt_error(held, 429) and held.headers["retry-after"] == "2"
        assert _lt_error(held, 429).startswith("Slowdown: ")
        gate.release.set()
        assert [f.result(30).json()["translatedText"] for f in (first, second)] == [long_text.strip()] * 2


class _Breaks:
    """Stands in for the translator: copies the sentences, and raises on a batch holding a sentence with "KAPOT"."""

    name = "translate"

    def describe(self) -> dict:
        return {}

    def __call__(self, docs: list[Document]) -> list[Document]:
        if any("KAPOT" in s for d in docs for s in d.sentences):
            raise ValueError("het model struikelde")
        for doc in docs:
            doc.translations = list(doc.sentences)
        return docs


class _Short:
    """Stands in for the summariser."""

    name = "summarise"

    def describe(self) -> dict:
        return {}

    def __call__(self, docs: list[Document]) -> list[Document]:
        for doc in docs:
            doc.summary = "kort"
        return docs


def test_a_failing_stage_fails_only_the_text_that_breaks_it(tmp_path) -> None:
    """The scheduler's routing runs each stage over the articles that want it, in one batch, and a stage that
    raises still fails only the article that causes it (bisected), under that stage's name."""
    from beknopt.serve import Scheduler

    spy = _Spy(_Short())
    pipe = Pipeline([CleanStage(), SplitStage(), _Breaks(), spy], batch_size=8)
    scheduler = Scheduler(pipe, batch_wait=0.3)
    scheduler.start()
    try:
        wait_until(scheduler.ready.is_set, what="the scheduler")
        texts = {"heel": Document(id="heel", source="De raad vergaderde."),
                 "goed": Document(id="goed", source="Goedemorgen."),
                 "kapot": Document(id="kapot", source="Dit is KAPOT.")}
        futures = {k: scheduler.submit(d, stages=None if k == "heel" else frozenset({"clean", "split", "translate"}),
                                       source="summarize" if k == "heel" else "translate")
                   for k, d in texts.items()}
        done = {k: f.result(30) for k, f in futures.items()}
    finally:
        scheduler.stop(10)
    assert scheduler.stats.batches == 1  # all three in one batch
    assert done["heel"].ok and done["heel"].summary == "kort" and done["heel"].translations == ["De raad vergaderde."]
    assert done["goed"].ok and done["goed"].translations == ["Goedemorgen."] and done["goed"].summary is None
    assert done["kapot"].error == {"stage": "translate", "reason": "ValueError: het model struikelde"}
    assert spy.seen == Counter({"heel": 1})  # the routed texts never reached the summary
    assert done["goed"].settings == done["heel"].settings == pipe.describe()  # the pipeline's own settings


def test_a_model_failure_is_500_cannot_translate(tmp_path) -> None:
    app = create_app(Pipeline([CleanStage(), SplitStage(), _Breaks()], batch_size=8), ServeSettings(state_dir=tmp_path))
    with running(app) as url:
        answer = httpx.post(f"{url}/translate", json={"q": ["Goedemorgen.", "Dit is KAPOT."], "source": "nl",
                                                      "target": "en"}, timeout=60)
    assert _lt_error(answer, 500) == ("Cannot translate text: q[1]: ValueError: het model struikelde "
                                      "(stage: translate)")
