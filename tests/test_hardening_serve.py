"""Issue 20, the service's items 12-19: regression tests against a real uvicorn server on 127.0.0.1.

Most use a pipeline of the real cleaning stage and a stand-in for the models (``_Echo``), so they take seconds
and test the service, not the models: charsets, deep JSON, oversized bodies, a job database that goes away,
two servers on one folder, the body memory budget, security headers, and JSON ``text`` read as text.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_util import running, tiny_flags, wait_job, wait_until

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'beknopt[serve]')")

from beknopt import Document, Pipeline  # noqa: E402
from beknopt.cleaning.stage import CleanStage  # noqa: E402
from beknopt.serve import JobStore, Scheduler, ServeSettings, create_app  # noqa: E402

DUTCH = ("De gemeenteraad van Utrecht heeft dinsdag ingestemd met de bouw van 2500 nieuwe woningen. "
         "Wethouder Jansen noemde het besluit een belangrijke stap.")


class _Echo:
    """Stands in for the models: every article gets a summary, and the ids it saw are counted."""

    name = "echo"

    def __init__(self, seen: Counter | None = None, delay: float = 0.0) -> None:
        self.seen = seen if seen is not None else Counter()
        self.delay = delay
        self.lock = threading.Lock()

    def describe(self) -> dict:
        return {}

    def __call__(self, docs: list[Document]) -> list[Document]:
        time.sleep(self.delay)
        with self.lock:
            self.seen.update(d.id for d in docs)
        for doc in docs:
            doc.summary = "samenvatting"
        return docs


class _Gate(_Echo):
    """Holds every batch until released: the request (and its body) stays in the server as long as a test wants."""

    name = "gate"

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, docs: list[Document]) -> list[Document]:
        self.entered.set()
        self.release.wait(30)
        return super().__call__(docs)


def _pipeline(*stages) -> Pipeline:
    return Pipeline([CleanStage(), *(stages or (_Echo(),))], batch_size=4)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["status"] == status and body["error"]["reason"]
    assert "Traceback" not in response.text
    return body["error"]["reason"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), max_body=100_000, batch_wait_ms=0)
    app = create_app(_pipeline(), settings)
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield app, client


def _no_tracebacks(caplog) -> None:
    assert "Traceback" not in caplog.text and "unexpected error" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_item12_punycode_charset_is_415(server, caplog) -> None:
    _, client = server
    for charset in ("punycode", "unicode_escape", "rot13", "zlib", "geen-charset"):
        response = client.post("/v1/summarize", content=b"abc\\ud800 def",
                               headers={"Content-Type": f"text/plain; charset={charset}"})
        assert "charset" in _error(response, 415), charset
    bad_utf16 = client.post("/v1/summarize", content=b"\x00\xd8a\x00",  # a lone surrogate in UTF-16-LE
                            headers={"Content-Type": "text/plain; charset=utf-16-le"})
    assert "not valid utf-16-le" in _error(bad_utf16, 400)
    latin = client.post("/v1/summarize", content=DUTCH.replace("Jansen", "Jansén").encode("iso-8859-15"),
                        headers={"Content-Type": "text/plain; charset=ISO-8859-15"})
    assert latin.status_code == 200 and "Jansén" in latin.json()["clean_text"]
    _no_tracebacks(caplog)


def test_item13_deep_json_is_422_and_a_deep_jsonl_line_is_one_error_record(server, caplog) -> None:
    _, client = server
    for depth in (990, 20_000):
        deep = ("[" * depth + "]" * depth).encode()
        nested = ('{"text": "Tekst.", "extra": ' + "[" * depth + "]" * depth + "}").encode()
        for path, body in (("/v1/summarize", deep), ("/v1/summarize", nested), ("/v1/jobs", deep)):
            reason = _error(client.post(path, content=body, headers={"Content-Type": "application/json"}), 422)
            assert "nested deeper than 64 levels" in reason, (path, depth)
    lines = (json.dumps({"id": "goed", "text": DUTCH}) + "\n" + "[" * 5000 + "]" * 5000 + "\n").encode()
    created = client.post("/v1/jobs", content=lines, headers={"Content-Type": "application/x-ndjson"})
    assert created.status_code == 202, created.text
    wait_job(client, created.json()["id"], timeout=30)
    records = [json.loads(line) for line in client.get(f"/v1/jobs/{created.json()['id']}/results").text.splitlines()]
    assert [r["id"] for r in records] == ["goed", "article-2"]
    assert records[0]["summary"] == "samenvatting"
    assert records[1]["reason"] == "line 2: JSON nested deeper than 64 levels" and records[1]["stage"] == "read"
    _no_tracebacks(caplog)


def _urllib_post(url: str, body: bytes, content_type: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_item14_an_oversized_body_is_a_readable_413_for_python_clients(server) -> None:
    import requests

    app, client = server
    url = f"{client.base_url}".rstrip("/")
    big = b"a" * 5_000_000  # 50x --max-body: a client that sends it all first used to get ConnectionResetError
    status, body = _urllib_post(f"{url}/v1/summarize", big, "text/plain")
    assert status == 413 and "--max-body" in body["error"]["reason"]
    response = requests.post(f"{url}/v1/jobs", data=big, headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413 and "--max-body" in response.json()["error"]["reason"]

    def chunks():  # no Content-Length: refused once the limit is passed, the rest drained
        for _ in range(50):
            yield b"b" * 100_000

    response = requests.post(f"{url}/v1/summarize", data=chunks(), headers={"Content-Type": "text/plain"},
                             timeout=30)
    assert response.status_code == 413 and "over the limit" in response.json()["error"]["reason"]
    # any refusal before the body is read is drained too: here an unsupported Content-Type
    status, body = _urllib_post(f"{url}/v1/summarize", big, "application/pdf")
    assert status == 415 and "Content-Type" in body["error"]["reason"]
    # and the connection is still good for the next request
    with requests.Session() as session:
        assert session.post(f"{url}/v1/summarize", data=big, headers={"Content-Type": "text/plain"},
                            timeout=30).status_code == 413
        assert session.get(f"{url}/health/live", timeout=10).status_code == 200


def test_item15_a_removed_or_corrupted_job_database_is_503_and_not_ready(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="beknopt")
    app = create_app(_pipeline(), ServeSettings(state_dir=tmp_path, batch_wait_ms=0))
    db = tmp_path / "jobs.sqlite3"
    backup = tmp_path / "backup.sqlite3"

    def remove() -> None:
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)

    def put(data: bytes) -> None:  # in one step: the worker must never see a half-written file
        (tmp_path / "new").write_bytes(data)
        os.replace(tmp_path / "new", db)

    with running(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        job = client.post("/v1/jobs", json=[{"id": "een", "text": DUTCH}]).json()
        wait_job(client, job["id"], timeout=30)
        with sqlite3.connect(db) as source, sqlite3.connect(backup) as copy:
            source.backup(copy)
        remove()
        reason = wait_until(lambda: "missing" in client.get("/health/ready").text and
                            _error(client.get("/health/ready"), 503), timeout=10, what="not ready")
        assert str(db) in reason and "is missing" in reason
        assert client.get("/health/ready").headers["retry-after"]
        assert not db.exists()  # not silently replaced by an empty database
        for response in (client.post("/v1/jobs", json=[{"text": DUTCH}]), client.get(f"/v1/jobs/{job['id']}"),
                         client.get(f"/v1/jobs/{job['id']}/results")):
            assert "job database" in _error(response, 503) and response.headers["retry-after"]
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert "beknopt_job_database_up 0.0" in metrics.text and "beknopt_ready 0.0" in metrics.text
        assert client.post("/v1/summarize", json={"text": DUTCH}).status_code == 200  # needs no database
        time.sleep(2.5)  # the worker polls the database every second meanwhile

        put(b"dit is geen database " * 200)
        reason = wait_until(lambda: "cannot be used" in client.get("/health/ready").text and
                            _error(client.get("/health/ready"), 503), timeout=10, what="corrupt: not ready")
        assert "file is not a database" in reason
        assert _error(client.get(f"/v1/jobs/{job['id']}"), 503)
        time.sleep(1.5)

        put(backup.read_bytes())  # restored: used again without a restart
        wait_until(lambda: client.get("/health/ready").status_code == 200, timeout=10, what="ready again")
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "done"
        again = client.post("/v1/jobs", json=[{"id": "twee", "text": DUTCH}]).json()
        assert wait_job(client, again["id"], timeout=30)["done"] == 1
        assert "beknopt_job_database_up 1.0" in client.get("/metrics").text
    _no_tracebacks(caplog)
    said = [r.getMessage() for r in caplog.records if r.name == "beknopt.serve" and r.levelno >= logging.WARNING]
    assert len([m for m in said if "is missing" in m]) == 1, said  # once, not once a second or per request
    assert len([m for m in said if "cannot be used" in m]) == 1, said
    assert len([m for m in said if "answers again" in m]) == 1, said


def test_item16_a_second_server_on_one_state_dir_exits_2_and_articles_are_claimed_once(tmp_path, tiny_models) -> None:
    from beknopt.serve.jobs import StateDirLockedError, StateLock

    state = tmp_path / "state"
    # a server holds the folder: a second `beknopt serve` on it exits 2 naming the first, before loading models
    with running(create_app(_pipeline(), ServeSettings(state_dir=state))):
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        second = subprocess.run([sys.executable, "-m", "beknopt.cli", "serve", *tiny_flags(tiny_models),
                                 "--port", "0", "--state-dir", str(state)], env=env, capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 2, second.stderr
        assert f"another beknopt serve (pid {os.getpid()}) holds --state-dir {state}" in second.stderr
        with pytest.raises(StateDirLockedError, match=f"another beknopt serve \\(pid {os.getpid()}\\)"):
            StateLock.acquire(state)  # what an embedding app's start runs into
    StateLock.acquire(state).release()  # the server stopped: free again

    # claims: two workers on one database (a future multi-worker setup) never get the same article
    store, other = JobStore(state), JobStore(state)
    job_id = JobStore.new_id()
    store.create(job_id, [({"id": f"a{i}", "source": DUTCH, "format": "text", "metadata": {}}, f"sha{i}", None)
                          for i in range(6)])
    first, second_batch = store.claim(4, "w1"), other.claim(4, "w2")
    assert [a.index for a in first] == [0, 1, 2, 3] and [a.index for a in second_batch] == [4, 5]
    assert other.claim(4, "w2") == []
    assert [a.index for a in other.claim(4, "w3", lease=0)] == []  # a live claim is not taken
    store.release(first[:1], "w1")
    assert [a.index for a in other.claim(4, "w2")] == [0]

    # two schedulers polling one database: every article computed exactly once
    seen: Counter = Counter()
    job_two = JobStore.new_id()
    store.create(job_two, [({"id": f"b{i}", "source": DUTCH, "format": "text", "metadata": {}}, f"s{i}", None)
                           for i in range(40)])
    workers = [Scheduler(Pipeline([_Echo(seen, delay=0.005)], batch_size=3), store=JobStore(state), poll=0.05)
               for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: store.status(job_two).pending == 0, timeout=30, what="the job to finish")
    finally:
        for worker in workers:
            worker.stop(10)
    assert {k: v for k, v in seen.items() if k.startswith("b")} == {f"b{i}": 1 for i in range(40)}
    assert all(w.stats.job_articles for w in workers)  # both took part

    # the first job's rows are claimed by workers that are gone (as after kill -9 mid-batch): the next server
    # releases their claims at its start rather than waiting for the lease
    assert store.claim(10, "w4") == [] and store.status(job_id).pending == 6
    app = create_app(_pipeline(), ServeSettings(state_dir=state, batch_wait_ms=0))
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert wait_job(client, job_id, timeout=30)["done"] == 6


def test_item17_bodies_past_the_memory_budget_are_503_with_retry_after(tmp_path, capsys) -> None:
    from beknopt.cli import main

    gate = _Gate()
    settings = ServeSettings(state_dir=tmp_path, max_body=600_000, max_body_memory=1_000_000, batch_wait_ms=0)
    app = create_app(Pipeline([gate], batch_size=1), settings)
    held = ("woord " * 90_000).encode()  # 540 kB, held until its answer while the gate is shut
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as client, ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/v1/summarize", content=held, headers={"Content-Type": "text/plain"})
        assert gate.entered.wait(10)
        assert "beknopt_request_body_bytes 540000.0" in client.get("/metrics").text
        refused = client.post("/v1/summarize", content=held, headers={"Content-Type": "text/plain"})
        assert "--max-body-memory" in _error(refused, 503) and refused.headers["retry-after"] == "2"
        status, body = _urllib_post(f"{url}/v1/jobs", b"[" + b" " * 500_000 + b"]", "application/json")
        assert status == 503 and "--max-body-memory" in body["error"]["reason"]  # readable, drained
        gate.release.set()
        assert first.result(30).json()["summary"] == "samenvatting"
        assert "beknopt_request_body_bytes 0.0" in client.get("/metrics").text
        again = client.post("/v1/summarize", content=held, headers={"Content-Type": "text/plain"})
        assert again.status_code == 200, again.text
    with pytest.raises(ValueError, match="max_body_memory"):
        ServeSettings(state_dir=tmp_path, max_body=5_000_000, max_body_memory=1_000_000)
    assert main(["serve", "--max-body-memory", "1M", "--port", "0", "--state-dir", str(tmp_path)]) == 2
    assert "--max-body-memory (1,000,000 bytes) must be at least --max-body" in capsys.readouterr().err


def test_item18_every_response_has_the_security_headers(server, tmp_path) -> None:
    _, client = server
    for path in ("/", "/static/index.html"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert "default-src 'self'" in page.headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"], path
        assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    for response in (client.get("/static/app.js"), client.get("/static/style.css"), client.get("/health/live"),
                     client.get("/v1/info"), client.get("/metrics"), client.get("/openapi.json"),
                     client.get("/static/nope.js"), client.get("/v1/jobs/" + "0" * 32),
                     client.post("/v1/summarize", content=b"x", headers={"Content-Type": "application/xml"})):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], response.url
    assert client.get("/health/live").headers["content-security-policy"] == "default-src 'none'; " \
                                                                           "frame-ancestors 'none'"
    assert client.get("/docs").headers["content-security-policy"] == "frame-ancestors 'none'"  # CDN assets load

    app = create_app(_pipeline(), ServeSettings(state_dir=tmp_path))

    def broken(job_id: str):
        raise RuntimeError("stuk")

    app.state.store.status = broken
    with running(app) as url:
        response = httpx.get(f"{url}/v1/jobs/" + "a" * 32)
    assert response.status_code == 500 and response.headers["x-content-type-options"] == "nosniff"


def test_item19_a_json_text_field_is_text_even_with_tag_like_words(server) -> None:
    _, client = server
    # the example, and one with enough tag names (four) that sniffing took it for HTML
    for text in ("Tekst met <b> <i> <u> <em> tags die geen HTML is. Nog een zin.",
                 "Tekst met <b> <i> <em> <p> <div> tags die geen HTML is. Nog een zin over <a> en <br>."):
        response = client.post("/v1/summarize", json={"id": "a", "text": text})
        assert response.status_code == 200, response.text
        record = response.json()
        assert record["id"] == "a" and record["error"] is None and record["source_format"] == "text"
        assert record["clean_text"] == text  # not "no article text found in the HTML"
    page = f"<html><body><nav>Menu</nav><article><h1>Kop</h1><p>{DUTCH}</p><p>{DUTCH}</p></article></body></html>"
    html = client.post("/v1/summarize", json={"id": "h", "html": page})
    assert html.status_code == 200 and html.json()["source_format"] == "html"
    assert "<p>" not in html.json()["clean_text"]
