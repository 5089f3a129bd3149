"""The HTTP API and the editor's page of ``beknopt serve``: a FastAPI app around one ``Scheduler``.

``create_app(pipeline, settings)`` takes an already built ``Pipeline`` (or a function that builds one, loaded
by the worker thread before ``/health/ready`` says yes), so the command line, tests and an embedding
application build it the same way. Every error a client sees is ``{"error": {"status": ..., "reason": ...}}``
with the status the reason deserves; a traceback is only ever logged, never sent.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import platform
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from beknopt import __version__
from beknopt.document import Document, InputError
from beknopt.inputs import DEFAULT_MAX_BYTES
from beknopt.pipeline import Pipeline
from beknopt.serve import openapi as docs
from beknopt.serve.jobs import JobStore
from beknopt.serve.metrics import Metrics, MetricsMiddleware
from beknopt.serve.records import (
    MalformedBodyError,
    ParsedArticle,
    article_from_body,
    article_from_item,
    document_from_input,
    error_record,
    parse_jobs_body,
    parse_json,
    result_record,
)
from beknopt.serve.scheduler import NotReadyError, QueueFullError, Scheduler

__all__ = ["ApiError", "ServeSettings", "create_app"]

log = logging.getLogger("beknopt.serve")
STATIC = files("beknopt.serve").joinpath("static")
JSON_TYPES = {"application/json"}
JSONL_TYPES = {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"}
TEXT_TYPES = {"text/plain": "text", "text/html": "html"}
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
BEARER = HTTPBearer(auto_error=False, description="one of the keys in --api-key-file")
# The editor's page loads nothing from elsewhere; the browser enforces it too.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class ServeSettings:
    """Limits and state of the service (the pipeline's settings live in its ``PipelineConfig``)."""

    state_dir: Path
    max_body: int = 5_000_000  # bytes of one request body
    max_bytes: int = DEFAULT_MAX_BYTES  # bytes of one article, as ``beknopt run --max-bytes``
    api_keys: tuple[str, ...] = field(default=(), repr=False)  # never printed
    batch_wait_ms: float = 10.0
    queue_size: int = 256  # articles waiting in memory (/v1/summarize)
    job_queue_size: int = 100_000  # job articles waiting in the database
    request_timeout: float = 120.0  # seconds a /v1/summarize call waits for its result
    retry_after: int = 2  # seconds, in every 503
    engine: str = "local"


class ApiError(Exception):
    """An error response: status, reason and optional extra fields (an article's error record)."""

    def __init__(self, status: int, reason: str, *, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.extra = extra or {}


def error_response(status: int, reason: str, *, headers: dict[str, str] | None = None,
                   extra: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "reason": reason, **(extra or {})}}, status_code=status,
                        headers=headers)


def _route_of(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    return "/static" if str(scope.get("path", "")).startswith("/static/") else "unmatched"


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def create_app(pipeline: Pipeline | Callable[[], Pipeline], settings: ServeSettings, *,
               process: Callable[[list[Document]], Any] | None = None, max_batch: int | None = None) -> FastAPI:
    """The service; ``process`` runs a batch instead of ``pipeline.process`` (the Ray engine's), ``max_batch``
    caps the articles per batch (default: the pipeline's ``batch_size``)."""
    store = JobStore(settings.state_dir)
    metrics = Metrics()
    scheduler = Scheduler(pipeline, store=store, batch_wait=settings.batch_wait_ms / 1000,
                          queue_size=settings.queue_size, process=process, max_batch=max_batch,
                          on_batch=metrics.on_batch,
                          on_article=metrics.on_article)
    metrics.queue_depth.set_function(lambda: scheduler.depth)
    metrics.ready.set_function(lambda: float(scheduler.ready.is_set() and not scheduler.stopping))
    keys = tuple(k.encode() for k in settings.api_keys)
    unavailable = {"Retry-After": str(settings.retry_after)}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler.start()
        log.info("job database: %s (%d job articles pending)", store.path, store.pending_count())
        try:
            yield
        finally:
            log.info("stopping: finishing the batch in progress; pending job articles resume on the next start")
            await run_in_threadpool(scheduler.stop)
            log.info("stopped")

    app = FastAPI(title="beknopt", version=__version__, lifespan=lifespan, description=docs.DESCRIPTION,
                  openapi_tags=docs.TAGS)
    app.state.scheduler = scheduler
    app.state.store = store
    app.state.metrics = metrics
    app.state.settings = settings
    app.add_middleware(MetricsMiddleware, metrics=metrics, route_of=_route_of)

    # -- errors: one JSON shape, no tracebacks ------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.reason, headers=exc.headers, extra=exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and reason == "Not Found":
            reason = f"no such page or endpoint: {request.url.path}"
        elif exc.status_code == 405:
            reason = f"{request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, reason, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
        return error_response(422, "; ".join(problems) or "invalid request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal error; the server log has the details")

    # -- auth ----------------------------------------------------------------------------------------

    async def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        if not keys:
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="beknopt"'}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(401, "an API key is required: send 'Authorization: Bearer KEY'", headers=challenge)
        given = credentials.credentials.encode()
        # compare with every key, whatever matches, so the time taken tells nothing about the keys
        matched = [hmac.compare_digest(given, key) for key in keys]
        if not any(matched):
            raise ApiError(401, "the API key is not valid", headers=challenge)

    auth = [Depends(authorised)]

    # -- helpers -------------------------------------------------------------------------------------

    async def read_body(request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise ApiError(400, f"Content-Length is not a number: {declared!r}") from None
            if size > limit:
                raise ApiError(413, f"the body is {size:,} bytes; the limit is {limit:,} (--max-body)")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"the body is over the limit of {limit:,} bytes (--max-body)")
            chunks.append(chunk)
        return b"".join(chunks)

    def content_type(request: Request) -> tuple[str, dict[str, str]]:
        raw = request.headers.get("content-type", "")
        main, *params = raw.split(";")
        options = {}
        for param in params:
            name, _, value = param.partition("=")
            options[name.strip().lower()] = value.strip().strip('"')
        return main.strip().lower(), options

    def decode_text(body: bytes, charset: str | None) -> bytes:
        """A declared charset other than UTF-8 is honoured: the body is re-encoded as UTF-8 for the cleaner."""
        if not charset or charset.lower().replace("_", "-") in ("utf-8", "utf8"):
            return body
        try:
            return body.decode(charset).encode("utf-8")
        except LookupError:
            raise ApiError(415, f"unknown charset {charset!r}") from None
        except UnicodeDecodeError as exc:
            raise ApiError(400, f"the body is not valid {charset} ({exc.reason} at byte {exc.start})") from None

    def check_ready() -> None:
        if not scheduler.ready.is_set() or scheduler.stopping:
            raise ApiError(503, scheduler.not_ready_reason(), headers=unavailable)

    # -- the editor's page ---------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html",
                            headers={"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
                                     "Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # -- health, info, metrics -----------------------------------------------------------------------

    @app.get("/health/live", tags=["health"], summary="The process is up", responses=docs.LIVE)
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", tags=["health"], summary="The models are loaded and requests are accepted",
             responses=docs.READY)
    async def ready() -> dict[str, str]:
        check_ready()
        return {"status": "ready"}

    @app.get("/v1/info", tags=["service"], summary="Models, versions, device, settings and limits",
             dependencies=auth, responses=docs.INFO)
    async def info() -> dict[str, Any]:
        check_ready()
        pipe = scheduler.pipeline
        assert pipe is not None
        described = pipe.describe()
        devices = sorted({str(v["device"]) for v in described.values() if isinstance(v, dict) and "device" in v})
        return {
            "beknopt_version": __version__,
            "models": pipe.models(described),
            "device": devices[0] if len(devices) == 1 else devices,
            "engine": settings.engine,
            "settings_fingerprint": scheduler.fingerprint,
            "settings": described,
            "versions": {"python": platform.python_version(),
                         **{p: _version(p) for p in ("torch", "transformers", "ctranslate2", "fastapi", "uvicorn")}},
            "limits": {"max_body": settings.max_body, "max_bytes": settings.max_bytes,
                       "queue_size": settings.queue_size, "job_queue_size": settings.job_queue_size,
                       "request_timeout": settings.request_timeout, "batch_wait_ms": settings.batch_wait_ms,
                       "max_batch": scheduler.max_batch},
        }

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics", dependencies=auth,
             responses=docs.METRICS)
    async def metrics_page() -> Response:
        metrics.job_articles_pending.set(await run_in_threadpool(store.pending_count))
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # -- one article ---------------------------------------------------------------------------------

    @app.post("/v1/summarize", tags=["articles"], summary="Summarise one article and wait for the record",
              dependencies=auth, openapi_extra=docs.SUMMARIZE_BODY, responses=docs.SUMMARIZE)
    async def summarize(request: Request, id: str | None = None, title: str | None = None,
                        date: str | None = None, url: str | None = None) -> JSONResponse:
        check_ready()
        ctype, params = content_type(request)
        if ctype not in JSON_TYPES and ctype not in TEXT_TYPES:
            raise ApiError(415, f"unsupported Content-Type {ctype or '(none)'!r}: send application/json "
                           "({\"text\": ...} or {\"html\": ...}), text/plain or text/html")
        body = await read_body(request, settings.max_body)
        if ctype in JSON_TYPES:
            try:
                item = parse_json(body)
            except InputError as exc:
                raise ApiError(400, str(exc)) from None
            parsed = article_from_item(item, "article", max_bytes=settings.max_bytes)
        else:
            parsed = article_from_body(decode_text(body, params.get("charset")), TEXT_TYPES[ctype],
                                       id or "article", max_bytes=settings.max_bytes)
            if parsed.item is not None:
                parsed.item["metadata"] = {k: v for k, v in (("title", title), ("date", date), ("url", url))
                                           if v is not None}
        if parsed.error is not None:
            raise ApiError(422, parsed.error["reason"], extra={
                "record": error_record(parsed.id, parsed.error, path="<request>", line=None)})
        assert parsed.item is not None
        doc = document_from_input(parsed.item)
        try:
            future = scheduler.submit(doc)
        except (QueueFullError, NotReadyError) as exc:
            raise ApiError(503, str(exc), headers=unavailable) from None
        try:
            done = await asyncio.wait_for(asyncio.wrap_future(future), settings.request_timeout)
        except TimeoutError:
            scheduler.withdraw(future)  # still queued: dropped; already running: its result is discarded
            raise ApiError(503, f"no result within {settings.request_timeout:g} s (--request-timeout); the server "
                           "is busy, retry later", headers=unavailable) from None
        except NotReadyError as exc:
            raise ApiError(503, str(exc), headers=unavailable) from None
        return _record_response(done, parsed)

    def _record_response(doc: Document, parsed: ParsedArticle) -> JSONResponse:
        if doc.error is not None:
            record = error_record(doc.id, doc.error, path="<request>", line=None)
            raise ApiError(422, record["reason"], extra={"stage": record["stage"], "record": record})
        record = result_record(doc, sha256=parsed.sha256, fingerprint=scheduler.fingerprint or "",
                               source="<request>", line=None)
        return JSONResponse(record)

    # -- jobs ----------------------------------------------------------------------------------------

    @app.post("/v1/jobs", tags=["jobs"], status_code=202, summary="Queue many articles; answers at once",
              dependencies=auth, openapi_extra=docs.JOBS_BODY, responses=docs.JOB_CREATED)
    async def create_job(request: Request) -> JSONResponse:
        check_ready()
        ctype, _ = content_type(request)
        if ctype not in JSON_TYPES and ctype not in JSONL_TYPES:
            raise ApiError(415, f"unsupported Content-Type {ctype or '(none)'!r}: send application/json (a list of "
                           "articles) or application/x-ndjson (one article per line)")
        body = await read_body(request, settings.max_body)
        try:
            articles = parse_jobs_body(body, ctype in JSONL_TYPES, max_bytes=settings.max_bytes)
        except MalformedBodyError as exc:
            raise ApiError(400, str(exc)) from None
        except InputError as exc:
            raise ApiError(422, str(exc)) from None
        if not articles:
            raise ApiError(422, "a job needs at least one article")
        if len(articles) > settings.job_queue_size:
            raise ApiError(413, f"the job has {len(articles):,} articles; one job can hold at most "
                           f"{settings.job_queue_size:,}")
        pending = await run_in_threadpool(store.pending_count)
        if pending + len(articles) > settings.job_queue_size:
            raise ApiError(503, f"{pending:,} job articles are waiting already (the limit is "
                           f"{settings.job_queue_size:,}); retry later", headers=unavailable)
        job_id = JobStore.new_id()
        rows = []
        for line, article in enumerate(articles, start=1):
            error = (error_record(article.id, article.error, path=f"job:{job_id}", line=line)
                     if article.error is not None else None)
            rows.append((article.item, article.sha256, error))
        await run_in_threadpool(store.create, job_id, rows)
        scheduler.jobs_added()
        status = await run_in_threadpool(store.status, job_id)
        assert status is not None
        return JSONResponse(_job_body(status), status_code=202, headers={"Location": f"/v1/jobs/{job_id}"})

    def _job_body(status: Any) -> dict[str, Any]:
        return {**status.to_dict(), "results_url": f"/v1/jobs/{status.id}/results"}

    async def _job_status(job_id: str) -> Any:
        status = await run_in_threadpool(store.status, job_id) if JOB_ID.match(job_id) else None
        if status is None:
            raise ApiError(404, f"no job with id {job_id!r}")
        return status

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], summary="A job's status and progress counts",
             dependencies=auth, responses=docs.JOB_STATUS)
    async def job_status(job_id: str) -> JSONResponse:
        return JSONResponse(_job_body(await _job_status(job_id)))

    @app.get("/v1/jobs/{job_id}/results", tags=["jobs"], summary="The job's records so far, as JSONL",
             dependencies=auth, responses=docs.JOB_RESULTS)
    async def job_results(job_id: str) -> StreamingResponse:
        status = await _job_status(job_id)
        return StreamingResponse(store.records(job_id), media_type="application/x-ndjson",
                                 headers={"X-Beknopt-Job-Status": status.status,
                                          "X-Beknopt-Job-Finished": str(status.total - status.pending),
                                          "X-Beknopt-Job-Total": str(status.total)})

    return app
