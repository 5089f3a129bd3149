"""Issue 22 in the service: a ninjs document or NewsML-G2/NITF XML as the body of ``/v1/summarize``, the English
ninjs document with ``Accept: application/ninjs+json``, and ninjs items in jobs; against a real uvicorn."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import DATA
from serve_util import running, wait_job
from test_data_safety import lead_pipeline

from beknopt.formats import validate_ninjs
from beknopt.serve import ServeSettings, create_app

FORMATS = DATA / "formats"
NINJS = "application/ninjs+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), batch_wait_ms=5)
    with running(create_app(lead_pipeline(), settings)) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def _body(name: str) -> bytes:
    return (FORMATS / name).read_bytes()


def test_a_ninjs_body_is_an_article_and_accept_ninjs_answers_a_valid_document(client: httpx.Client) -> None:
    body = _body("doc_3.1_004_simple_text_article.nl.json")
    item = json.loads(body)
    record = client.post("/v1/summarize", content=body, headers={"Content-Type": NINJS})
    assert record.status_code == 200, record.text
    assert record.json()["id"] == item["uri"] and record.json()["metadata"]["input_format"] == "ninjs"
    answer = client.post("/v1/summarize", content=body, headers={"Content-Type": "application/json",
                                                                  "Accept": NINJS})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(NINJS)
    document = answer.json()
    validate_ninjs(document, "3.1")
    assert document["language"] == "en" and document["associations"][0]["uri"] == item["uri"]
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_newsml_and_nitf_xml_bodies_are_articles(client: httpx.Client) -> None:
    for name, content_type, expected_id in (
            ("LISTING_2_NewsML-G2_Text_Document.nl.xml", "application/vnd.iptc.g2.newsitem+xml",
             "urn:newsml:acmenews.com:20161121:CN-KLIMAAT-CO2"),
            ("nitf_article.nl.xml", "application/xml", "nitf-2016-12-08-dino-veren")):
        response = client.post("/v1/summarize", content=_body(name), headers={"Content-Type": content_type})
        assert response.status_code == 200, response.text
        assert response.json()["id"] == expected_id and response.json()["summary"]


def test_broken_or_hostile_xml_is_422_naming_the_format(client: httpx.Client) -> None:
    for name, reason in (("xxe.xml", "refused: the DOCTYPE declares entities"),
                         ("malformed.xml", "newsml: malformed XML"),
                         ("newsml_message.nl.xml", "holds 3 articles; /v1/summarize takes one")):
        response = client.post("/v1/summarize", content=_body(name), headers={"Content-Type": "application/xml"})
        assert response.status_code == 422, (name, response.text)
        assert reason in response.json()["error"]["reason"], response.json()
    empty = client.post("/v1/summarize", content=_body("ninjs_no_body.json"), headers={"Content-Type": NINJS})
    assert empty.status_code == 422 and "ninjs: no body (looked for bodies" in empty.json()["error"]["reason"]


def test_a_job_takes_ninjs_items(client: httpx.Client, tmp_path: Path) -> None:
    items = [json.loads(_body(n)) for n in ("doc_3.1_004_simple_text_article.nl.json",
                                              "3.0_businesswire-newsml-20130731006140.nl.json")]
    created = client.post("/v1/jobs", json=items)
    assert created.status_code == 202, created.text
    job = wait_job(client, created.json()["id"])
    assert (job["done"], job["failed"]) == (2, 0)
    lines = [json.loads(line) for line in client.get(f"/v1/jobs/{job['id']}/results").text.splitlines()]
    assert [r["id"] for r in lines] == [i["uri"] for i in items]
