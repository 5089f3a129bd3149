"""The HTTP API and the editor's page of ``beknopt serve``: a FastAPI app around one ``Scheduler``.

``create_app(pipeline, settings)`` takes an already built ``Pipeline`` (or a function that builds one, loaded
by the worker thread before ``/health/ready`` says yes), so the command line, tests and an embedding
application build it the same way. Every error a client sees is ``{"error": {"status": ..., "reason": ...}}``
with the status the reason deserves; a traceback is only ever logged, never sent, and a server that says it is
ready never answers 500 for a cause outside its code (a bad charset or nesting is a 4xx, a failing job database
a 503, and ``/health/ready`` says so).

Request bodies are read by hand (``request_body``): at most ``--max-body`` each (413) and ``--max-body-memory``
all together (503), and a refused body is drained (read and thrown away, bounded) before the answer, so a
client that sends its whole body before reading (urllib, requests) reads the answer instead of a reset.
"""

from __future__ import annotations

import asyncio
import codecs
import hmac
import logging
import platform
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from beknopt import __version__
from beknopt.document import Document, InputError
from beknopt.pipeline import Pipeline
from beknopt.serve import openapi as docs
from beknopt.serve.jobs import JobStore, StateLock, StoreUnavailableError
from beknopt.serve.metrics import Metrics, MetricsMiddleware
from beknopt.serve.records import (
    MalformedBodyError,
    ParsedArticle,
    article_from_body,
    article_from_item,
    article_from_xml,
    document_from_input,
    error_record,
    parse_jobs_body,
    parse_json,
    result_record,
)
from beknopt.serve.scheduler import NotReadyError, QueueFullError, Scheduler
from beknopt.serve.settings import ServeSettings

__all__ = ["ApiError", "BusyError", "ServeSettings", "create_app", "valid_key"]

log = logging.getLogger("beknopt.serve")
STATIC = files("beknopt.serve").joinpath("static")
JSON_TYPES = {"application/json", "application/ninjs+json"}
XML_TYPES = {"application/xml", "text/xml", "application/vnd.iptc.g2.newsitem+xml", "application/nitf+xml",
             "application/rss+xml", "application/atom+xml"}
NINJS_TYPE = "application/ninjs+json"
JSONL_TYPES = {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"}
TEXT_TYPES = {"text/plain": "text", "text/html": "html"}
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
BEARER = HTTPBearer(auto_error=False, description="one of the keys in --api-key-file")
# The editor's page loads nothing from elsewhere; the browser enforces it too.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"  # JSON, metrics: nothing to load, never framed
DOCS_CSP = "frame-ancestors 'none'"  # /docs and /redoc load FastAPI's Swagger/ReDoc assets from their CDN
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
# Charsets a text body may declare: text encodings of articles. Any other codec Python has (punycode,
# unicode_escape, rot13, zlib ...) is never run on a request: some raise errors that are not decoding errors,
# some turn bytes into lone surrogates, some are not text at all.
TEXT_CHARSETS = frozenset({
    "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii",
    *(f"iso8859-{n}" for n in (1, 2, 3, 4, 9, 10, 13, 14, 15, 16)), *(f"cp125{n}" for n in range(9)),
    "cp437", "cp850", "cp858", "mac-roman",
})
DRAIN_BYTES = 64 * 1024 * 1024  # at most this much of a refused body is read and thrown away ...
DRAIN_SECONDS = 10.0  # ... for at most this long; past either, the connection is closed


class ApiError(Exception):
    """An error response: status, reason and optional extra fields (an article's error record)."""

    def __init__(self, status: int, reason: str, *, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.extra = extra or {}


class BusyError(ApiError):
    """The server holds as much as it may right now (request bodies past ``--max-body-memory``): a 503 here, the
    LibreTranslate API's 429 "Slowdown", always with ``Retry-After``."""


def valid_key(given: str, keys: tuple[bytes, ...]) -> bool:
    """Is ``given`` one of ``keys``? Compared with every key, whatever matches, so the time taken tells nothing
    about the keys."""
    encoded = given.encode("utf-8", "surrogatepass")
    matched = [hmac.compare_digest(encoded, key) for key in keys]
    return any(matched)


def error_response(status: int, reason: str, *, headers: dict[str, str] | None = None,
                   extra: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "reason": reason, **(extra or {})}}, status_code=status,
                        headers=headers)


def text_codec(charset: str) -> str:
    """The codec of a declared ``charset`` when it is one of ``TEXT_CHARSETS`` (415 for any other): the one
    check before any request bytes are decoded, so no arbitrary codec (punycode, unicode_escape) is ever run."""
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        name = None
    if name not in TEXT_CHARSETS:
        what = "an unknown charset" if name is None else "not a text encoding this service reads"
        raise ApiError(415, f"charset {charset!r} is {what}: send UTF-8 (or declare windows-1252, "
                       "iso-8859-1, iso-8859-15, utf-16 ...)")
    return name


class BodyBudget:
    """Bytes of request bodies held at once, over all requests (``--max-body-memory``): without a bound, many
    concurrent large bodies take the process's memory with them, and glibc keeps it after. Used only on the
    event loop's thread, so a counter needs no lock."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> bool:
        if self.held + size > self.limit:
            return False
        self.held += size
        return True

    def give(self, size: int) -> None:
        self.held -= size


class SecurityHeaders:
    """The same security headers on every response, the editor's page, its static files, JSON, errors and
    ``/metrics`` alike (``nosniff``, no framing, a CSP); a header the response sets itself is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def headers_for(path: str) -> dict[str, str]:
        if path == "/" or path.startswith("/static/"):
            csp = PAGE_CSP
        elif path in DOCS_PATHS:
            csp = DOCS_CSP
        else:
            csp = API_CSP
        return {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": csp}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(str(scope.get("path", "")))

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Service(FastAPI):
    """FastAPI with ``SecurityHeaders`` outside even its error middleware, so a 500 carries them too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


class _RecordStream(StreamingResponse):
    """A job's records; when the database fails mid-stream the body is cut off without its last chunk, which
    every HTTP client reports as an error, rather than ending like a complete but shorter list."""

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes | memoryview) else chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except StoreUnavailableError as exc:
            log.warning("a job's results were cut off: %s", exc)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def drain_body(request: Request) -> None:
    """Read and throw away what is left of a refused request's body, at most DRAIN_BYTES for DRAIN_SECONDS, before
    the error is sent: a client that sends all of its body before reading (urllib, requests) then reads the
    answer, where it would otherwise get a connection reset. A client that sent ``Expect: 100-continue`` and
    was never told to go on sends no body: nothing to drain."""
    state = request.state
    if getattr(state, "body_done", False) or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    headers = request.headers
    try:
        declared = int(headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if not declared and "chunked" not in headers.get("transfer-encoding", "").lower():
        return  # no body
    if not getattr(state, "body_started", False) and headers.get("expect", "").lower() == "100-continue":
        return
    state.body_done, seen = True, 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while seen <= DRAIN_BYTES:
                message = await request.receive()
                if message["type"] != "http.request":
                    return  # the client went away
                seen += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        log.debug("stopped draining a refused body after %.0f s (%d bytes); the connection closes", DRAIN_SECONDS,
                  seen)
        return
    log.debug("a refused body is longer than the %d bytes drained; the connection closes", seen)


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
               process: Callable[[list[Document]], Any] | None = None, max_batch: int | None = None,
               state_lock: StateLock | None = None) -> FastAPI:
    """The service; ``process`` runs a batch instead of ``pipeline.process`` (the Ray engine's), ``max_batch``
    caps the articles per batch (default: the pipeline's ``batch_size``). The app locks ``state_dir`` while it
    runs (a second server on it fails to start); ``state_lock`` is one already taken (``beknopt serve`` takes
    it before the models load, to fail fast)."""
    from beknopt.serve import libretranslate  # imports this module: here, not at the top

    store = JobStore(settings.state_dir)
    metrics = Metrics()
    budget = BodyBudget(settings.max_body_memory)
    scheduler = Scheduler(pipeline, store=store, batch_wait=settings.batch_wait_ms / 1000,
                          queue_size=settings.queue_size, process=process, max_batch=max_batch,
                          on_batch=metrics.on_batch,
                          on_article=metrics.on_article)
    metrics.queue_depth.set_function(lambda: scheduler.depth)
    metrics.ready.set_function(lambda: float(scheduler.ready.is_set() and not scheduler.stopping
                                             and store.problem is None))
    metrics.job_database_up.set_function(lambda: float(store.problem is None))
    metrics.body_bytes.set_function(lambda: budget.held)
    keys = tuple(k.encode() for k in settings.api_keys)
    unavailable = {"Retry-After": str(settings.retry_after)}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock = state_lock or StateLock.acquire(settings.state_dir)  # StateDirLockedError: startup fails
        try:
            try:
                released = await run_in_threadpool(store.release_all_claims)  # we hold the lock: a dead server's
                pending = await run_in_threadpool(store.pending_count)
            except StoreUnavailableError as exc:  # logged by the store too; /health/ready answers 503 with it
                log.warning("starting with a job database that does not answer: %s", exc)
            else:
                log.info("job database: %s (%d job articles pending%s)", store.path, pending,
                         f", {released} left claimed by the previous server" if released else "")
            scheduler.start()
            try:
                yield
            finally:
                log.info("stopping: finishing the batch in progress; pending job articles resume on the next "
                         "start")
                await run_in_threadpool(scheduler.stop)
                log.info("stopped")
        finally:
            if state_lock is None:
                lock.release()

    app = _Service(title="beknopt", version=__version__, lifespan=lifespan, description=docs.DESCRIPTION,
                   openapi_tags=docs.TAGS)
    app.state.scheduler = scheduler
    app.state.store = store
    app.state.metrics = metrics
    app.state.settings = settings
    app.add_middleware(MetricsMiddleware, metrics=metrics, route_of=_route_of)

    # -- errors: one JSON shape, no tracebacks ------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        await drain_body(request)
        return error_response(exc.status, exc.reason, headers=exc.headers, extra=exc.extra)

    @app.exception_handler(StoreUnavailableError)
    async def _store_error(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        await drain_body(request)
        return error_response(503, str(exc), headers=unavailable)  # logged once by the store, not per request

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        await drain_body(request)
        reason = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 405 and request.url.path in libretranslate.PATHS:  # GET /translate: their shape
            return libretranslate.error_json(405, f"{request.method} is not allowed on {request.url.path}",
                                             getattr(exc, "headers", None))
        if exc.status_code == 404 and reason == "Not Found":
            reason = f"no such page or endpoint: {request.url.path}"
        elif exc.status_code == 405:
            reason = f"{request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, reason, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        await drain_body(request)
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
        return error_response(422, "; ".join(problems) or "invalid request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        await drain_body(request)
        return error_response(500, "internal error; the server log has the details")

    # -- auth ----------------------------------------------------------------------------------------

    async def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        if not keys:
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="beknopt"'}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(401, "an API key is required: send 'Authorization: Bearer KEY'", headers=challenge)
        if not valid_key(credentials.credentials, keys):
            raise ApiError(401, "the API key is not valid", headers=challenge)

    auth = [Depends(authorised)]

    # -- helpers -------------------------------------------------------------------------------------

    def busy() -> ApiError:
        return BusyError(503, f"the server holds {settings.max_body_memory:,} bytes of request bodies already "
                        "(--max-body-memory); retry shortly", headers=unavailable)

    @asynccontextmanager
    async def request_body(request: Request, limit: int) -> AsyncIterator[bytes]:
        """The body, held against ``budget`` until the request is answered (the body, and what is parsed from
        it, stay in memory that long); 413 past ``limit``, 503 when ``budget`` has no room for it now. A refused
        body is drained by the error handler (``drain_body``)."""
        declared = request.headers.get("content-length")
        size = None
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise ApiError(400, f"Content-Length is not a number: {declared!r}") from None
            if size > limit:
                raise ApiError(413, f"the body is {size:,} bytes; the limit is {limit:,} (--max-body)")
        held = 0
        try:
            if size is not None:
                if not budget.take(size):
                    raise busy()
                held = size
            chunks, got, more = [], 0, True
            request.state.body_started = True
            while more:
                message = await request.receive()
                if message["type"] != "http.request":
                    request.state.body_done = True
                    raise ApiError(400, "the client closed the connection before the body was complete")
                chunk, more = message.get("body", b""), message.get("more_body", False)
                request.state.body_done = not more
                got += len(chunk)
                if got > limit:
                    raise ApiError(413, f"the body is over the limit of {limit:,} bytes (--max-body)")
                if got > held:  # no Content-Length (chunked): held as it arrives
                    if not budget.take(got - held):
                        raise busy()
                    held = got
                if chunk:
                    chunks.append(chunk)
            body = b"".join(chunks)
            del chunks
            yield body
        finally:
            budget.give(held)

    def content_type(request: Request) -> tuple[str, dict[str, str]]:
        raw = request.headers.get("content-type", "")
        main, *params = raw.split(";")
        options = {}
        for param in params:
            name, _, value = param.partition("=")
            options[name.strip().lower()] = value.strip().strip('"')
        return main.strip().lower(), options

    def decode_text(body: bytes, charset: str | None) -> bytes:
        """A declared charset other than UTF-8 is honoured: the body is re-encoded as UTF-8 for the cleaner.
        Only the text encodings of ``TEXT_CHARSETS`` are run (415 for any other), never an arbitrary codec."""
        if not charset:
            return body
        name = text_codec(charset)
        if name == "utf-8":
            return body
        try:
            return body.decode(name).encode("utf-8")
        except UnicodeError as exc:
            where = f" at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else ""
            raise ApiError(400, f"the body is not valid {charset} ({getattr(exc, 'reason', exc)}{where})") from None

    def check_ready() -> None:
        if not scheduler.ready.is_set() or scheduler.stopping:
            raise ApiError(503, scheduler.not_ready_reason(), headers=unavailable)

    # -- the editor's page ---------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def page() -> Response:  # its CSP and nosniff: SecurityHeaders, as for /static/
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html",
                            headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # -- health, info, metrics -----------------------------------------------------------------------

    @app.get("/health/live", tags=["health"], summary="The process is up", responses=docs.LIVE)
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", tags=["health"], summary="The models are loaded and requests are accepted",
             responses=docs.READY)
    async def ready() -> dict[str, str]:
        check_ready()
        problem = await run_in_threadpool(store.check)  # a job database that fails: not ready, and why
        if problem is not None:
            raise ApiError(503, problem, headers=unavailable)
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
        try:
            metrics.job_articles_pending.set(await run_in_threadpool(store.pending_count))
        except StoreUnavailableError as exc:  # beknopt_job_database_up says 0; the store logged it once
            log.debug("/metrics: job articles pending not updated: %s", exc)  # the rest is still worth reading
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # -- one article ---------------------------------------------------------------------------------

    @app.post("/v1/summarize", tags=["articles"], summary="Summarise one article and wait for the record",
              dependencies=auth, openapi_extra=docs.SUMMARIZE_BODY, responses=docs.SUMMARIZE)
    async def summarize(request: Request, id: str | None = None, title: str | None = None,
                        date: str | None = None, url: str | None = None) -> JSONResponse:
        check_ready()
        ctype, params = content_type(request)
        if ctype not in JSON_TYPES and ctype not in TEXT_TYPES and ctype not in XML_TYPES:
            raise ApiError(415, f"unsupported Content-Type {ctype or '(none)'!r}: send application/json "
                           "({\"text\": ...} or {\"html\": ...}, or a ninjs document), text/plain, text/html, "
                           "or NewsML-G2/NITF XML (application/xml)")
        if ctype in TEXT_TYPES:
            decode_text(b"", params.get("charset"))  # an unusable charset is a 415 before the body is read
        as_ninjs = NINJS_TYPE in request.headers.get("accept", "")
        async with request_body(request, settings.max_body) as body:
            return await _summarize(body, ctype, params, id, title, date, url, as_ninjs=as_ninjs)

    async def _summarize(body: bytes, ctype: str, params: dict[str, str], id: str | None, title: str | None,
                         date: str | None, url: str | None, *, as_ninjs: bool = False) -> JSONResponse:
        if ctype in JSON_TYPES:
            try:
                item = parse_json(body)
            except MalformedBodyError as exc:
                raise ApiError(400, str(exc)) from None
            except InputError as exc:  # JSON of a shape no article has (nested too deep)
                raise ApiError(422, str(exc)) from None
            parsed = article_from_item(item, "article", max_bytes=settings.max_bytes)
        elif ctype in XML_TYPES:
            parsed = article_from_xml(body, id or "article", max_bytes=settings.max_bytes)
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
        return _record_response(done, parsed, as_ninjs=as_ninjs)

    def _record_response(doc: Document, parsed: ParsedArticle, *, as_ninjs: bool = False) -> JSONResponse:
        if doc.error is not None:
            record = error_record(doc.id, doc.error, path="<request>", line=None)
            raise ApiError(422, record["reason"], extra={"stage": record["stage"], "record": record})
        record = result_record(doc, sha256=parsed.sha256, fingerprint=scheduler.fingerprint or "",
                               source="<request>", line=None)
        if as_ninjs:  # Accept: application/ninjs+json: the English ninjs document a CMS ingests
            from beknopt.formats import to_ninjs

            return JSONResponse(to_ninjs(record), media_type=NINJS_TYPE)
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
        async with request_body(request, settings.max_body) as body:
            try:
                articles = parse_jobs_body(body, ctype in JSONL_TYPES, max_bytes=settings.max_bytes)
            except MalformedBodyError as exc:
                raise ApiError(400, str(exc)) from None
            except InputError as exc:
                raise ApiError(422, str(exc)) from None
            return await _create_job(articles)

    async def _create_job(articles: list[ParsedArticle]) -> JSONResponse:
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
        return _RecordStream(store.records(job_id), media_type="application/x-ndjson",
                             headers={"X-Beknopt-Job-Status": status.status,
                                      "X-Beknopt-Job-Finished": str(status.total - status.pending),
                                      "X-Beknopt-Job-Total": str(status.total)})

    # -- the LibreTranslate-compatible API (POST /translate, /detect; GET /languages, /frontend/settings) ----

    libretranslate.add_libretranslate_routes(app, libretranslate.LibreTranslateService(
        settings=settings, scheduler=scheduler, metrics=metrics, read_body=request_body, check_ready=check_ready,
        keys=keys))

    return app
