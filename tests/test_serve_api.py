"""``beknopt serve``'s HTTP API through a real client against a real uvicorn server on 127.0.0.1, with the tiny
models: every endpoint, every error status, auth, readiness, metrics and batching across requests."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import SAMPLE_ARTICLE, flores_documents
from serve_util import TINY_SETTINGS, running, tiny_flags, wait_until

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'beknopt[serve]')")

from beknopt import Document, Pipeline  # noqa: E402
from beknopt.cli import main  # noqa: E402
from beknopt.serve import ServeSettings, create_app  # noqa: E402

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

ENGLISH = ("The council met on Monday to discuss the budget for next year. Several members asked for more money "
           "for schools and for the repair of roads in the north of the city.")
ERROR_RECORD_KEYS = {"id", "path", "line", "stage", "reason", "outcome"}


@pytest.fixture(scope="module")
def pipe(tiny_models) -> Pipeline:
    marian, bart = tiny_models
    return Pipeline.from_pretrained(str(marian), str(bart), **TINY_SETTINGS)


@pytest.fixture(scope="module")
def base(pipe, tmp_path_factory) -> str:
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), max_body=300_000, max_bytes=200_000,
                             batch_wait_ms=5)
    with running(create_app(pipe, settings)) as url:
        yield url


@pytest.fixture
def client(base) -> httpx.Client:
    with httpx.Client(base_url=base, timeout=120) as c:
        yield c


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["status"] == status and body["error"]["reason"]
    assert "Traceback" not in response.text
    return body["error"]


def test_summarize_answers_with_the_record_beknopt_run_writes(client, tmp_path, tiny_models) -> None:
    out = tmp_path / "out"
    assert main(["run", str(SAMPLE_ARTICLE), "-o", str(out), "-q", *tiny_flags(tiny_models)]) == 0
    (expected,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]

    response = client.post("/v1/summarize", params={"id": SAMPLE_ARTICLE.name}, content=SAMPLE_ARTICLE.read_bytes(),
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    record = response.json()
    assert set(record) == set(expected)
    ignore = {"timings", "source_path", "beknopt"}
    same = {k: v for k, v in record.items() if k not in ignore}
    assert same == {k: v for k, v in expected.items() if k not in ignore}
    assert set(record["beknopt"]) == set(expected["beknopt"])
    assert record["beknopt"]["input_sha256"] == expected["beknopt"]["input_sha256"]  # same bytes in
    assert record["beknopt"]["settings"] == expected["beknopt"]["settings"]  # same models and settings
    assert record["beknopt"]["source"] == "<request>"
    assert record["summary"] and len(record["translations"]) == len(record["sentences"]) > 10


def test_summarize_json_text_and_html_with_metadata(client) -> None:
    text = " ".join(flores_documents()[0]["nl"])
    response = client.post("/v1/summarize", json={"id": "a-1", "text": text, "title": "Kop", "date": "2024-05-01",
                                                  "url": "https://example.org/a", "ignored": [1, 2]})
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["id"] == "a-1" and record["error"] is None and record["summary"]
    assert record["metadata"] == {"title": "Kop", "date": "2024-05-01", "url": "https://example.org/a"}

    html = ("<html><head><script>var x = 'zzscriptzz';</script><style>p{}</style></head><body><nav>Menu</nav>"
            f"<article><h1>Kop</h1><p>{text}</p></article></body></html>")
    for response in (client.post("/v1/summarize", json={"html": html}),
                     client.post("/v1/summarize", content=html.encode(), headers={"Content-Type": "text/html"})):
        assert response.status_code == 200, response.text
        record = response.json()
        assert record["source_format"] == "html"
        assert "zzscriptzz" not in record["clean_text"] and "muizen van 4 maanden" in record["clean_text"]


def test_a_declared_charset_is_honoured(client) -> None:
    text = "De café-eigenaar in Tilburg opende dinsdag een nieuwe zaak. Hij verwacht veel bezoekers deze zomer."
    response = client.post("/v1/summarize", content=text.encode("cp1252"),
                           headers={"Content-Type": "text/plain; charset=windows-1252"})
    assert response.status_code == 200, response.text
    assert response.json()["clean_text"].startswith("De café-eigenaar")


def test_bad_requests_get_clear_json_errors(client) -> None:
    assert "malformed JSON" in _error(client.post("/v1/summarize", content=b"{not json",
                                                  headers={"Content-Type": "application/json"}), 400)["reason"]
    assert "Content-Type" in _error(client.post("/v1/summarize", content=b"%PDF-1.7",
                                                headers={"Content-Type": "application/pdf"}), 415)["reason"]
    # XML is a newsroom format now (NewsML-G2, NITF): any other XML is an article that cannot be read
    assert "not NewsML-G2, NITF, RSS or Atom" in _error(client.post(
        "/v1/summarize", content=b"<x/>", headers={"Content-Type": "application/xml"}), 422)["reason"]
    assert "(none)" in _error(client.post("/v1/summarize", content=b"tekst"), 415)["reason"]
    too_big = _error(client.post("/v1/summarize", content=b"a" * 300_001, headers={"Content-Type": "text/plain"}),
                     413)
    assert "300,001" in too_big["reason"] and "--max-body" in too_big["reason"]
    over_article = _error(client.post("/v1/summarize", json={"text": "woord " * 40_000}), 422)
    assert "article limit" in over_article["reason"]
    assert _error(client.get("/v1/nothing-here"), 404)["reason"] == "no such page or endpoint: /v1/nothing-here"
    assert "GET" in _error(client.get("/v1/summarize"), 405)["reason"]


@pytest.mark.parametrize(("body", "reason"), [
    ({"text": ""}, "'text' is empty"),
    ({"title": "Kop"}, "no text: expected a 'text' or 'html' field"),
    ({"text": "Tekst.", "html": "<p>Tekst.</p>"}, "give one of 'text' and 'html'"),
    ({"text": 42}, "'text' must be a string, got a number"),
    ({"text": "De raad vergaderde.", "title": ["lijst"]}, "'title' must be a string, got a list"),
    ({"text": "De raad vergaderde.", "id": {"x": 1}}, "'id' must be a string or a whole number"),
    ([{"text": "een lijst"}], "expected a JSON object"),
])
def test_unusable_articles_are_422_with_their_error_record(client, body, reason) -> None:
    error = _error(client.post("/v1/summarize", json=body), 422)
    assert reason in error["reason"]
    assert set(error["record"]) == ERROR_RECORD_KEYS
    assert error["record"]["stage"] == "read" and error["record"]["outcome"] == "failed"


def test_an_article_that_is_not_dutch_is_skipped_as_in_errors_jsonl(client) -> None:
    error = _error(client.post("/v1/summarize", json={"id": "en-1", "text": ENGLISH}), 422)
    assert error["stage"] == "language"
    assert error["record"] == {"id": "en-1", "path": "<request>", "line": None, "stage": "language",
                               "reason": error["reason"], "outcome": "skipped"}


def test_concurrent_requests_share_batches(pipe, tmp_path) -> None:
    docs = flores_documents()[:6]
    settings = ServeSettings(state_dir=tmp_path, batch_wait_ms=400)
    app = create_app(pipe, settings)
    with running(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        def post(i: int) -> httpx.Response:
            return client.post("/v1/summarize", json={"id": f"doc-{i}", "text": " ".join(docs[i]["nl"][:4])})

        with ThreadPoolExecutor(len(docs)) as pool:
            responses = list(pool.map(post, range(len(docs))))
        records = [r.json() for r in responses]
        assert all(r.status_code == 200 for r in responses)
        assert [r["id"] for r in records] == [f"doc-{i}" for i in range(len(docs))]
        for i, record in enumerate(records):  # each answer is its own article's
            (alone,) = pipe.process([Document(id=f"doc-{i}", source=" ".join(docs[i]["nl"][:4]))])
            assert record["sentences"] == alone.sentences and record["clean_text"] == alone.clean_text
        stats = app.state.scheduler.stats
        assert stats.articles == len(docs) and stats.batches < len(docs)
        assert max(r["timings"]["batch_articles"] for r in records) >= 2
        text = client.get("/metrics").text
        assert 'beknopt_articles_total{outcome="done",source="summarize"} 6.0' in text
        assert f"beknopt_batch_articles_count {float(stats.batches)}" in text


class _Gate:
    """A pipeline stage that holds every batch until released: the models stay busy as long as a test wants."""

    name = "gate"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def describe(self) -> dict:
        return {}

    def __call__(self, docs):
        self.entered.set()
        self.release.wait(30)
        for doc in docs:
            doc.summary = "held"
        return docs


def test_full_queue_and_timeouts_answer_503_with_retry_after(tmp_path) -> None:
    gate = _Gate()
    settings = ServeSettings(state_dir=tmp_path, queue_size=1, request_timeout=1.5, batch_wait_ms=0)
    app = create_app(Pipeline([gate], batch_size=1), settings)
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as client, ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/v1/summarize", json={"text": "Eerste artikel."})
        assert gate.entered.wait(10)  # the worker holds the first article
        second = pool.submit(client.post, "/v1/summarize", json={"text": "Tweede artikel."})
        wait_until(lambda: app.state.scheduler.depth == 1, what="the second article to be queued")
        full = client.post("/v1/summarize", json={"text": "Derde artikel."})
        assert "queue is full" in _error(full, 503)["reason"] and full.headers["retry-after"] == "2"
        for future in (first, second):  # neither finishes within --request-timeout while the gate is shut
            response = future.result(30)
            assert "--request-timeout" in _error(response, 503)["reason"] and response.headers["retry-after"]
        assert app.state.scheduler.depth == 0  # the timed-out article was dropped from the queue
        gate.release.set()
        assert client.post("/v1/summarize", json={"text": "Vierde artikel."}).json()["summary"] == "held"


def test_not_ready_until_the_models_are_loaded(pipe, tmp_path) -> None:
    loaded = threading.Event()

    def load() -> Pipeline:
        loaded.wait(30)
        return pipe

    with running(create_app(load, ServeSettings(state_dir=tmp_path))) as url, httpx.Client(base_url=url) as client:
        assert client.get("/health/live").json() == {"status": "live"}
        not_ready = client.get("/health/ready")
        assert _error(not_ready, 503)["reason"] == "the models are still loading" and not_ready.headers["retry-after"]
        assert _error(client.post("/v1/summarize", json={"text": "Tekst."}), 503)
        assert _error(client.post("/v1/jobs", json=[{"text": "Tekst."}]), 503)
        assert "beknopt_ready 0.0" in client.get("/metrics").text
        loaded.set()
        wait_until(lambda: client.get("/health/ready").status_code == 200, what="ready")
        assert "beknopt_ready 1.0" in client.get("/metrics").text


def test_a_pipeline_that_fails_to_load_is_never_ready(tmp_path) -> None:
    def load() -> Pipeline:
        raise FileNotFoundError("no model at /modellen/weg")

    with running(create_app(load, ServeSettings(state_dir=tmp_path))) as url, httpx.Client(base_url=url) as client:
        reason = wait_until(lambda: _error(client.get("/health/ready"), 503)["reason"] if
                            "could not" in client.get("/health/ready").text else None, what="the load error")
        assert reason == "the models could not be loaded: no model at /modellen/weg"


def test_bearer_auth_on_the_api_but_not_on_health(pipe, tmp_path, caplog) -> None:
    settings = ServeSettings(state_dir=tmp_path, api_keys=("sleutel-een", "sleutel-twee"))
    caplog.set_level(logging.DEBUG)
    with running(create_app(pipe, settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        missing = client.get("/v1/info")
        assert "API key is required" in _error(missing, 401)["reason"]
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert "not valid" in _error(client.get("/v1/info", headers={"Authorization": "Bearer fout"}), 401)["reason"]
        assert _error(client.get("/v1/info", headers={"Authorization": "Basic c2xldXRlbA=="}), 401)
        assert _error(client.post("/v1/summarize", json={"text": "Tekst."}), 401)
        assert _error(client.post("/v1/jobs", json=[{"text": "Tekst."}]), 401)
        assert _error(client.get("/v1/jobs/" + "0" * 32), 401)
        assert _error(client.get("/metrics"), 401)
        for path in ("/health/live", "/health/ready", "/", "/openapi.json"):
            assert client.get(path).status_code == 200, path
        for key in settings.api_keys:
            ok = client.get("/v1/info", headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200
        assert client.get("/metrics", headers={"Authorization": "Bearer sleutel-twee"}).status_code == 200
    assert "sleutel" not in caplog.text and "sleutel" not in repr(settings)


def test_info_reports_models_versions_and_device(client, tiny_models) -> None:
    info = client.get("/v1/info").json()
    marian, bart = tiny_models
    assert info["models"] == {"translate": str(marian), "summarise": str(bart)}
    assert info["device"] == "cpu" and info["engine"] == "local"
    assert info["versions"]["torch"] and info["versions"]["fastapi"] and info["beknopt_version"]
    assert info["settings"]["translate"]["generation"]["num_beams"] == 1
    assert info["limits"]["max_body"] == 300_000 and len(info["settings_fingerprint"]) == 16


def test_metrics_count_requests_by_route_template(client) -> None:
    client.get("/v1/jobs/" + "f" * 32)
    client.get("/v1/jobs/" + "e" * 32)
    client.get("/een/willekeurig/pad")
    text = client.get("/metrics").text
    assert 'beknopt_http_requests_total{method="GET",route="/v1/jobs/{job_id}",status="404"}' in text
    assert "f" * 32 not in text and "willekeurig" not in text  # no series per URL
    assert 'route="unmatched",status="404"' in text
    for name in ("beknopt_queue_depth", "beknopt_job_articles_pending", "beknopt_http_request_seconds_bucket",
                 "beknopt_http_errors_total"):
        assert name in text
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_openapi_and_docs(client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/summarize", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/results", "/health/live",
            "/health/ready", "/v1/info", "/metrics"} <= set(schema["paths"])
    summarize = schema["paths"]["/v1/summarize"]["post"]
    assert {"application/json", "text/plain", "text/html"} <= set(summarize["requestBody"]["content"])
    assert summarize["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "400", "413", "415", "422", "503"} <= set(summarize["responses"])
    assert "example" in summarize["responses"]["200"]["content"]["application/json"]
    assert "swagger" in client.get("/docs").text.lower()


def test_the_editor_page_loads_nothing_from_elsewhere(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    static = Path(__file__).parents[1] / "pipeline" / "serve" / "static"
    for name in ("index.html", "app.js", "style.css"):
        served = client.get(f"/static/{name}")
        assert served.status_code == 200 and served.content == (static / name).read_bytes()
        assert "://" not in served.text, name  # no CDN, no external font or script
    assert "innerHTML" not in (static / "app.js").read_text()
    assert _error(client.get("/static/nope.js"), 404)


def test_an_unexpected_error_is_500_without_a_traceback(pipe, tmp_path, caplog) -> None:
    app = create_app(pipe, ServeSettings(state_dir=tmp_path))

    def broken(job_id: str):
        raise RuntimeError("disk weg")

    app.state.store.status = broken
    with running(app) as url, httpx.Client(base_url=url) as client:
        response = client.get("/v1/jobs/" + "a" * 32)
    error = _error(response, 500)
    assert error["reason"] == "internal error; the server log has the details"
    assert "disk weg" not in response.text
    assert "disk weg" in caplog.text  # logged server-side


def test_a_worker_that_breaks_answers_503_and_stops_being_ready(pipe, tmp_path, caplog) -> None:
    app = create_app(pipe, ServeSettings(state_dir=tmp_path))

    def broken(source: str, outcome: str) -> None:
        raise KeyError("metrics")

    app.state.scheduler._on_article = broken
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        answer = client.post("/v1/summarize", json={"text": "De raad vergaderde dinsdag over de begroting."})
        assert "the model worker stopped (KeyError)" in _error(answer, 503)["reason"]
        wait_until(lambda: client.get("/health/ready").status_code == 503, what="not ready")
        assert "restart the server" in _error(client.get("/health/ready"), 503)["reason"]
    assert "the model worker stopped" in caplog.text
