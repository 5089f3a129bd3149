"""What ``/openapi.json`` and ``/docs`` say about each endpoint: schemas of the bodies read by hand (an article
can be JSON or a raw text/HTML body, so FastAPI cannot parse it for us) and examples of every answer."""

from __future__ import annotations

from typing import Any

DESCRIPTION = """Dutch news articles to English summaries, over HTTP.

`POST /v1/summarize` answers with the same record `beknopt run` writes per article; `POST /v1/jobs` queues many
articles (kept in SQLite under `--state-dir`, resumed after a restart) and `GET /v1/jobs/{id}/results` streams
their records as JSONL (errors as the lines of `errors.jsonl`). Every error is
`{"error": {"status": ..., "reason": ...}}`. With `--api-key-file`, `/v1/*` and `/metrics` need
`Authorization: Bearer KEY`; the health endpoints never do."""

TAGS = [
    {"name": "articles", "description": "one article, answered when it is done"},
    {"name": "jobs", "description": "many articles, processed in the background; survives restarts"},
    {"name": "health", "description": "for load balancers and orchestrators (never need a key)"},
    {"name": "service", "description": "what is loaded, and Prometheus metrics"},
]

SAMPLE_NL = ("De gemeenteraad van Utrecht heeft dinsdag ingestemd met de bouw van 2500 nieuwe woningen. "
             "Wethouder Jansen noemde het besluit een belangrijke stap.")

ARTICLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "one article: `text` (or its alias `body`) or `html`, and optional metadata",
    "properties": {
        "text": {"type": "string", "description": "the article as plain text (a metadata header is parsed)"},
        "html": {"type": "string", "description": "the article as an HTML page (boilerplate is removed)"},
        "id": {"type": "string", "description": "your id, echoed in the record"},
        "title": {"type": "string"},
        "date": {"type": "string"},
        "url": {"type": "string"},
        "author": {"type": "string"},
    },
    "example": {"id": "utrecht-woningen", "title": "Utrecht bouwt 2500 woningen", "date": "2024-05-01",
                "text": SAMPLE_NL},
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "reason"], "properties": {
        "status": {"type": "integer"}, "reason": {"type": "string"},
        "stage": {"type": "string", "description": "for an article that failed: the stage it failed in"},
        "record": {"type": "object", "description": "for an article that failed: its errors.jsonl record"},
    }}},
}

ERROR_RECORD_EXAMPLE = {"id": "article", "path": "<request>", "line": None, "stage": "language",
                        "reason": "article: not Dutch (detected en with probability 0.99)", "outcome": "skipped"}

RECORD_EXAMPLE = {
    "id": "utrecht-woningen", "source_path": None, "source_format": "text",
    "metadata": {"title": "Utrecht bouwt 2500 woningen", "date": "2024-05-01"},
    "clean_text": SAMPLE_NL, "paragraphs": [SAMPLE_NL],
    "sentences": ["De gemeenteraad van Utrecht heeft dinsdag ingestemd met de bouw van 2500 nieuwe woningen.",
                  "Wethouder Jansen noemde het besluit een belangrijke stap."],
    "sentence_paragraphs": [0, 0],
    "translations": ["Utrecht city council agreed on Tuesday to build 2,500 new homes.",
                     "Alderman Jansen called the decision an important step."],
    "title_en": "Utrecht builds 2,500 homes",
    "glossary": [{"sentence": 1, "term": "wethouder", "english": "alderman", "found": "Wethouder", "count": 1,
                  "status": "honoured"}],
    "summary": "Utrecht city council agreed on Tuesday to build 2,500 new homes.", "summary_chunks": 1,
    "summary_sentences": [{"text": "Utrecht city council agreed on Tuesday to build 2,500 new homes.",
                           "sources": [0], "support": 1.0}],
    "error": None, "warnings": [], "checks": [],
    "models": {"translation": "Helsinki-NLP/opus-mt-nl-en", "summarization": "sshleifer/distilbart-cnn-12-6"},
    "settings": {"translate": {"model": "Helsinki-NLP/opus-mt-nl-en", "num_beams": 4}},
    "timings": {"clean": 0.002, "translate": 0.41, "summarise": 0.9, "total": 1.32},
    "translation": "Utrecht city council agreed on Tuesday to build 2,500 new homes. "
                   "Alderman Jansen called the decision an important step.",
    "beknopt": {"input_sha256": "3f1c...", "settings": "9a1b2c3d4e5f6071", "beknopt_version": "0.1.0",
                "source": "<request>", "line": None, "output": None},
}


def _error(status: int, reason: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": ERROR_SCHEMA, "example": {"error": {"status": status, "reason": reason, **extra}}}}}


UNAUTHORISED = {401: _error(401, "an API key is required: send 'Authorization: Bearer KEY'",
                            "no key or a wrong key (only with --api-key-file)")}
NOT_READY = {503: _error(503, "the models are still loading", "not ready, shutting down, queue full, timed out, "
                         "request bodies past --max-body-memory, or the job database failing; see Retry-After")}
DB_UNAVAILABLE = {503: _error(503, "the job database /var/lib/beknopt/jobs.sqlite3 is missing (unable to open "
                              "database file); restore it, or restart the server to start with an empty one",
                              "the job database fails (deleted, corrupted, disk full); see Retry-After")}

SUMMARIZE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": ARTICLE_SCHEMA, "examples": {
        "text": {"summary": "plain text", "value": ARTICLE_SCHEMA["example"]},
        "html": {"summary": "an HTML page", "value": {"id": "web-1", "html": f"<html><body><article><p>{SAMPLE_NL}"
                                                                            "</p></article></body></html>"}}}},
    "text/plain": {"schema": {"type": "string"}, "example": SAMPLE_NL},
    "text/html": {"schema": {"type": "string"}, "example": f"<html><body><p>{SAMPLE_NL}</p></body></html>"},
}}}

SUMMARIZE: dict[int | str, Any] = {
    200: {"description": "the article's record, as one line of `beknopt run`'s results.jsonl",
          "content": {"application/json": {"schema": {"type": "object"}, "example": RECORD_EXAMPLE}}},
    400: _error(400, "malformed JSON: Expecting value (line 1, column 1)", "the body cannot be parsed"),
    **UNAUTHORISED,
    413: _error(413, "the body is 6,000,000 bytes; the limit is 5,000,000 (--max-body)", "body too large"),
    415: _error(415, "unsupported Content-Type 'application/xml': send application/json, text/plain or text/html",
                "a body type beknopt does not read, or a charset that is not a text encoding (punycode ...)"),
    422: _error(422, ERROR_RECORD_EXAMPLE["reason"], "the article cannot be processed (empty, no text, not Dutch, "
                "failed in a stage): its error record is included; or JSON nested deeper than 64 levels",
                stage="language", record=ERROR_RECORD_EXAMPLE),
    **NOT_READY,
}

JOBS_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"oneOf": [
        {"type": "array", "items": ARTICLE_SCHEMA},
        {"type": "object", "required": ["articles"], "properties": {"articles": {"type": "array",
                                                                                  "items": ARTICLE_SCHEMA}}}]},
        "example": [{"id": "a1", "text": SAMPLE_NL}, {"id": "a2", "html": f"<p>{SAMPLE_NL}</p>"}]},
    "application/x-ndjson": {"schema": {"type": "string", "description": "one JSON article per line"},
                             "example": f'{{"id": "a1", "text": "{SAMPLE_NL}"}}\n'},
}}}

JOB_STATUS_EXAMPLE = {"id": "0f6c2a8e9b6d4c1e8a7f3b2d1c0e9f8a", "status": "running", "total": 3, "done": 1,
                      "failed": 0, "skipped": 0, "pending": 2, "created": "2024-05-01T09:00:00Z", "finished": None,
                      "results_url": "/v1/jobs/0f6c2a8e9b6d4c1e8a7f3b2d1c0e9f8a/results"}
_JOB_STATUS_CONTENT = {"application/json": {"schema": {"type": "object", "required": ["id", "status", "total"]},
                                            "example": JOB_STATUS_EXAMPLE}}
NOT_FOUND = {404: _error(404, "no job with id 'abc'", "no such job")}

JOB_CREATED: dict[int | str, Any] = {
    202: {"description": "accepted and on disk; poll `Location`", "content": _JOB_STATUS_CONTENT},
    400: _error(400, "malformed JSON: Expecting ',' delimiter (line 1, column 40)", "the body cannot be parsed"),
    **UNAUTHORISED,
    413: _error(413, "the body is over the limit of 5,000,000 bytes (--max-body)", "body or job too large"),
    415: _error(415, "unsupported Content-Type 'text/plain': send application/json or application/x-ndjson",
                "a body type beknopt does not read"),
    422: _error(422, "a job needs at least one article", "not a list of articles, an empty one, or JSON nested "
                "deeper than 64 levels (in JSONL, such a line is that article's error record)"),
    **NOT_READY,
}
JOB_STATUS: dict[int | str, Any] = {200: {"description": "status and counts", "content": _JOB_STATUS_CONTENT},
                                    **UNAUTHORISED, **NOT_FOUND, **DB_UNAVAILABLE}
JOB_RESULTS: dict[int | str, Any] = {
    200: {"description": "the finished articles' records in article order, one JSON per line (results and error "
                         "records); `X-Beknopt-Job-Status` says whether more will come",
          "content": {"application/x-ndjson": {"schema": {"type": "string"},
                                               "example": '{"id": "a1", "summary": "...", "...": "..."}\n'
                                                          '{"id": "a2", "path": "job:0f6c...", "line": 2, '
                                                          '"stage": "read", "reason": "...", "outcome": "failed"}\n'}}},
    **UNAUTHORISED, **NOT_FOUND, **DB_UNAVAILABLE,
}
LIVE: dict[int | str, Any] = {200: {"description": "alive", "content": {"application/json": {
    "example": {"status": "live"}}}}}
READY: dict[int | str, Any] = {200: {"description": "ready", "content": {"application/json": {
    "example": {"status": "ready"}}}}, **NOT_READY}
INFO: dict[int | str, Any] = {200: {"description": "what is loaded", "content": {"application/json": {"example": {
    "beknopt_version": "0.1.0", "models": {"translate": "Helsinki-NLP/opus-mt-nl-en",
                                           "summarise": "sshleifer/distilbart-cnn-12-6"},
    "device": "cpu", "engine": "local", "settings_fingerprint": "9a1b2c3d4e5f6071"}}}}, **UNAUTHORISED, **NOT_READY}
METRICS: dict[int | str, Any] = {200: {"description": "Prometheus text format", "content": {"text/plain": {
    "example": "beknopt_articles_total{outcome=\"done\",source=\"summarize\"} 12.0\n"}}}, **UNAUTHORISED}
