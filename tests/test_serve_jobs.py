"""Jobs of ``beknopt serve``: accepted at once, every article exactly one record (bad ones as error records, in
the shape of ``errors.jsonl``), kept in SQLite, resumed after ``kill -9``, and an orderly stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import flores_documents
from serve_util import TINY_SETTINGS, free_port, running, serve_process, tiny_flags, wait_job, wait_ready, wait_until

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'beknopt[serve]')")

from beknopt import Pipeline  # noqa: E402
from beknopt.serve import JobStore, ServeSettings, create_app  # noqa: E402

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

ERROR_RECORD_KEYS = {"id", "path", "line", "stage", "reason", "outcome"}
ENGLISH = ("The council met on Monday to discuss the budget for next year. Several members asked for more money "
           "for schools and for the repair of roads in the north of the city.")


def _dutch(i: int, sentences: int = 3) -> str:
    return " ".join(s.strip() for s in flores_documents()[i]["nl"][:sentences])


def _lines(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.fixture(scope="module")
def pipe(tiny_models) -> Pipeline:
    marian, bart = tiny_models
    return Pipeline.from_pretrained(str(marian), str(bart), **TINY_SETTINGS)


@pytest.fixture(scope="module")
def server(pipe, tmp_path_factory):
    app = create_app(pipe, ServeSettings(state_dir=tmp_path_factory.mktemp("state"), max_body=500_000,
                                         job_queue_size=50))
    with running(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield app, client


def test_a_job_with_bad_articles_gives_one_record_per_article_in_order(server) -> None:
    app, client = server
    articles = [
        {"id": "goed-1", "text": _dutch(0), "title": "Eerste"},
        {"id": "leeg", "text": "   "},
        {"id": "geen-tekst", "title": "Alleen een kop"},
        {"id": "engels", "text": ENGLISH},
        "geen object",
        {"id": "verkeerd-type", "text": _dutch(1), "date": 20240501},
        {"html": f"<html><body><article><p>{_dutch(2)}</p></article></body></html>"},
        {"id": "goed-2", "text": _dutch(3)},
    ]
    created = client.post("/v1/jobs", json=articles)
    assert created.status_code == 202, created.text
    job = created.json()
    assert created.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["total"] == 8 and job["results_url"] == f"/v1/jobs/{job['id']}/results"
    status = wait_job(client, job["id"])
    assert (status["done"], status["failed"], status["skipped"], status["pending"]) == (3, 4, 1, 0)
    assert status["finished"] is not None

    records = _lines(client.get(f"/v1/jobs/{job['id']}/results"))
    assert [r["id"] for r in records] == ["goed-1", "leeg", "geen-tekst", "engels", "article-5", "verkeerd-type",
                                          "article-7", "goed-2"]
    errors = {r["id"]: r for r in records if "outcome" in r}
    assert set(errors) == {"leeg", "geen-tekst", "engels", "article-5", "verkeerd-type"}
    for record in errors.values():
        assert set(record) == ERROR_RECORD_KEYS and record["path"] == f"job:{job['id']}"
    assert [r["line"] for r in records if "outcome" in r] == [2, 3, 4, 5, 6]
    assert errors["engels"]["stage"] == "language" and errors["engels"]["outcome"] == "skipped"
    assert errors["leeg"]["reason"] == "article 2: 'text' is empty" and errors["leeg"]["outcome"] == "failed"
    assert "'date' must be a string" in errors["verkeerd-type"]["reason"]
    results = [r for r in records if "outcome" not in r]
    assert all(r["error"] is None and r["summary"] for r in results)
    assert results[0]["metadata"] == {"title": "Eerste"} and results[1]["source_format"] == "html"
    assert results[0]["beknopt"]["source"] == f"job:{job['id']}" and results[0]["beknopt"]["line"] == 1
    assert results[0]["beknopt"]["settings"] == app.state.scheduler.fingerprint


def test_a_jsonl_job_and_its_malformed_line(server) -> None:
    _, client = server
    body = (json.dumps({"id": "r1", "text": _dutch(4)}) + "\n\n{kapot\n" +
            json.dumps({"id": "r3", "text": _dutch(5)}) + "\n").encode()
    created = client.post("/v1/jobs", content=body, headers={"Content-Type": "application/x-ndjson"})
    assert created.status_code == 202, created.text
    wait_job(client, created.json()["id"])
    records = _lines(client.get(f"/v1/jobs/{created.json()['id']}/results"))
    assert [r["id"] for r in records] == ["r1", "article-2", "r3"]
    assert records[1]["reason"].startswith("line 3: malformed JSON") and records[1]["stage"] == "read"


def test_job_requests_that_cannot_be_a_job(server) -> None:
    _, client = server

    def error(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        assert "Traceback" not in response.text
        return response.json()["error"]["reason"]

    assert "malformed JSON" in error(client.post("/v1/jobs", content=b"[{", headers={
        "Content-Type": "application/json"}), 400)
    assert "expected a JSON list" in error(client.post("/v1/jobs", json={"text": "een"}), 422)
    assert error(client.post("/v1/jobs", json=[]), 422) == "a job needs at least one article"
    assert "Content-Type" in error(client.post("/v1/jobs", content=b"x", headers={"Content-Type": "text/csv"}), 415)
    assert "at most 50" in error(client.post("/v1/jobs", json=[{"text": "Tekst."}] * 51), 413)
    assert "--max-body" in error(client.post("/v1/jobs", json=[{"text": "woord " * 100_000}]), 413)
    assert error(client.get("/v1/jobs/" + "0" * 32), 404) == f"no job with id '{'0' * 32}'"
    assert error(client.get("/v1/jobs/../etc/passwd"), 404)
    assert error(client.get("/v1/jobs/niet-een-id/results"), 404) == "no job with id 'niet-een-id'"


def test_jobs_and_requests_share_the_worker(pipe, tmp_path) -> None:
    """A /v1/summarize call made while a job runs is answered; both are batched by the one worker."""
    app = create_app(pipe, ServeSettings(state_dir=tmp_path, batch_wait_ms=50))
    with running(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        job = client.post("/v1/jobs", json=[{"id": f"j{i}", "text": _dutch(i, 2)} for i in range(12)]).json()
        answer = client.post("/v1/summarize", json={"id": "los", "text": _dutch(20, 2)})
        assert answer.status_code == 200 and answer.json()["id"] == "los"
        wait_job(client, job["id"])
        stats = app.state.scheduler.stats
        assert stats.interactive == 1 and stats.job_articles == 12 and stats.batches < 13
        text = client.get("/metrics").text
        assert 'beknopt_articles_total{outcome="done",source="job"} 12.0' in text
        assert "beknopt_job_articles_pending 0.0" in text


def test_the_store_never_writes_two_records_for_one_article(tmp_path) -> None:
    store = JobStore(tmp_path)
    job_id = JobStore.new_id()
    store.create(job_id, [({"id": f"a{i}", "source": "Tekst.", "format": "auto", "metadata": {}}, f"sha{i}", None)
                          for i in range(3)])
    first = store.claim(2, "worker")
    assert [a.index for a in first] == [0, 1]
    store.finish([(a, "done", {"id": a.input["id"], "round": 1}) for a in first])
    store.finish([(a, "failed", {"id": a.input["id"], "round": 2}) for a in first])  # a late second attempt
    assert [a.index for a in store.claim(5, "worker")] == [2]
    status = store.status(job_id)
    assert (status.status, status.done, status.failed, status.pending) == ("running", 2, 0, 1)
    assert [json.loads(r) for r in store.records(job_id)] == [{"id": "a0", "round": 1}, {"id": "a1", "round": 1}]
    # a second store on the same folder (a restarted server) sees the same job
    again = JobStore(tmp_path)
    assert again.status(job_id) == status and again.pending_count() == 1
    assert store.status("0" * 32) is None


def test_a_state_dir_that_is_a_file_is_a_clear_error(tmp_path) -> None:
    from beknopt.serve.jobs import StateDirError

    (tmp_path / "bestand").write_text("x")
    with pytest.raises(StateDirError, match="cannot create --state-dir"):
        JobStore(tmp_path / "bestand")


def _pending_in(state: Path, job_id: str) -> int:
    status = JobStore(state).status(job_id)
    return status.pending if status else -1


@pytest.mark.slow
def test_a_job_survives_kill_9_and_completes_after_restart_with_every_article_once(tmp_path, tiny_models) -> None:
    state, log = tmp_path / "state", tmp_path / "serve.log"
    args = [*tiny_flags(tiny_models), "--batch-size", "1", "-q"]
    articles = [{"id": f"art-{i:02d}", "text": _dutch(i)} for i in range(30)]
    articles[7] = {"id": "art-07", "text": ""}  # one bad article: an error record, not a failed job
    port = free_port()
    proc = serve_process(args, state, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=120)
        job_id = httpx.post(f"{base}/v1/jobs", json=articles, timeout=60).json()["id"]
        wait_until(lambda: JobStore(state).status(job_id).done >= 3, timeout=120, what="three articles done")
        proc.kill()  # kill -9, in the middle of the job
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    left = _pending_in(state, job_id)
    assert 0 < left < 29, left  # stopped part-way: some articles done, some not

    port = free_port()
    proc = serve_process(args, state, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=120)
        with httpx.Client(base_url=base, timeout=60) as client:
            status = wait_job(client, job_id, timeout=180)
            records = _lines(client.get(f"/v1/jobs/{job_id}/results"))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (status["total"], status["done"], status["failed"]) == (30, 29, 1)
    assert [r["id"] for r in records] == [a["id"] for a in articles]  # every article once, in order
    assert records[7]["stage"] == "read" and records[7]["outcome"] == "failed"
    assert all(r["summary"] for i, r in enumerate(records) if i != 7)


@pytest.mark.slow
def test_sigterm_answers_requests_in_flight_keeps_pending_jobs_and_exits_0(tmp_path, tiny_models) -> None:
    state, log = tmp_path / "state", tmp_path / "serve.log"
    args = [*tiny_flags(tiny_models), "--batch-size", "2", "--batch-wait-ms", "300"]
    port = free_port()
    proc = serve_process(args, state, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=120)
        job_id = httpx.post(f"{base}/v1/jobs", json=[{"id": f"t{i}", "text": _dutch(i)} for i in range(40)],
                            timeout=60).json()["id"]
        wait_until(lambda: JobStore(state).status(job_id).done >= 2, timeout=120, what="two articles done")
        started = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            def in_flight() -> httpx.Response:
                started.set()
                return httpx.post(f"{base}/v1/summarize", json={"id": "laatste", "text": _dutch(41)}, timeout=60)

            answer = pool.submit(in_flight)
            started.wait(5)
            wait_until(lambda: "beknopt_queue_depth 1.0" in httpx.get(f"{base}/metrics").text, timeout=30,
                       interval=0.01, what="the request to be queued")
            os.kill(proc.pid, signal.SIGTERM)
            response = answer.result(60)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert response.status_code == 200 and response.json()["id"] == "laatste"  # answered, not dropped
    output = log.read_text()
    assert "Traceback" not in output and "stopped (SIGTERM)" in output
    status = JobStore(state).status(job_id)
    assert status.pending > 0 and status.done + status.pending == 40  # nothing lost, the rest resumes later
    with pytest.raises(httpx.TransportError):  # and nothing listens any more
        httpx.get(f"{base}/health/live", timeout=2)


def test_serve_usage_errors_exit_2(tmp_path, tiny_models) -> None:
    from beknopt.cli import main

    (tmp_path / "keys").write_text("# geen sleutels\n\n")
    common = [*tiny_flags(tiny_models), "--port", "0", "--state-dir", str(tmp_path / "state")]
    assert main(["serve", *common, "--api-key-file", str(tmp_path / "keys")]) == 2
    assert main(["serve", *common, "--api-key-file", str(tmp_path / "geen")]) == 2
    assert main(["serve", *common, "--queue-size", "0"]) == 2
    (tmp_path / "bestand").write_text("x")
    assert main(["serve", *common[:-1], str(tmp_path / "bestand")]) == 2
    assert main(["serve", "--translation-model", str(tmp_path / "weg"), "--port", "0",
                 "--state-dir", str(tmp_path / "state")]) == 2


def test_serve_help_lists_the_run_pipeline_flags() -> None:
    out = subprocess.run([os.sys.executable, "-m", "beknopt.cli", "serve", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for flag in ("--host", "--port", "--state-dir", "--max-body", "--api-key-file", "--batch-wait-ms",
                 "--queue-size", "--request-timeout", "--config", "--translation-model", "--beams", "--engine",
                 "--on-non-dutch", "--max-bytes"):
        assert flag in out, flag
    assert "--output" not in out and "--dry-run" not in out
