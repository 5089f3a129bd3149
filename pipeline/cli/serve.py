"""``beknopt serve``: the pipeline behind HTTP (``beknopt.serve``), with the flags and config file of ``run``.

The pipeline is built (models loaded) before the port is opened, so a bad flag or a missing model is a usage
error with exit 2, exactly as for ``beknopt run``. SIGTERM (or Ctrl-C) stops it in order: no new connections,
requests in flight answered, the batch in progress finished and its job records committed, exit 0; pending job
articles resume on the next start.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from beknopt.cli.common import EXIT_OK, EXIT_USAGE, command_settings, error
from beknopt.cli.progress import hide_loading_bars, silence_libraries
from beknopt.document import BeknoptError
from beknopt.options import RUN_OPTIONS, ConfigError, add_options, parse_bytes

__all__ = ["SERVE_OPTIONS", "add_serve_parser", "read_api_keys"]

# The pipeline options of ``run`` (models, generation, language, engine), its article limit and log levels;
# not its output-folder options, which have no meaning for a service.
SERVE_OPTIONS = tuple(o for o in RUN_OPTIONS
                      if o.kwarg or o.group == "engine" or o.name in ("max_bytes", "quiet", "verbose"))

SERVE_EPILOG = """endpoints: POST /v1/summarize (one article, answered with its record), POST /v1/jobs (many
articles; GET /v1/jobs/ID and /v1/jobs/ID/results), GET /health/live, /health/ready, /v1/info,
/metrics, /openapi.json, /docs, and the editor's page at /.

examples:
  beknopt serve --state-dir /var/lib/beknopt
  beknopt serve --config beknopt.toml --host 0.0.0.0 --port 8080 --api-key-file /etc/beknopt/keys
  curl -s localhost:8000/v1/summarize -H 'Content-Type: text/plain' --data-binary @artikel.txt

exit status: 0 after SIGTERM or Ctrl-C (an orderly stop: requests in flight answered, the batch in
progress finished; pending jobs resume on the next start), 2 for usage errors (bad flags or config,
model not found, port in use, state folder or key file unusable, state folder held by another
beknopt serve)."""


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if value < 0 or (kind is int and value < 1):
            raise argparse.ArgumentTypeError(f"must be {'at least 1' if kind is int else '0 or more'}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _size(text: str) -> int:
    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_serve_parser(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve", help="an HTTP service (and an editor's page) for newsroom systems",
        description="Serve the pipeline over HTTP: one article at a time or jobs of many, batched together.",
        epilog=SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    group = serve.add_argument_group("service")
    group.add_argument("--config", metavar="FILE", help="a beknopt.toml with any of the pipeline options below; "
                       "flags override it (the keys of 'run' that have no meaning here, such as output, are ignored)")
    group.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine "
                       "only; 0.0.0.0 for every interface, usually behind a reverse proxy)")
    group.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    group.add_argument("--state-dir", default="beknopt-state", metavar="DIR",
                       help="folder for the job database (default: ./beknopt-state); one server at a time: "
                       "a second one on the same folder exits 2, naming the first")
    group.add_argument("--max-body", type=_size, default=5_000_000, metavar="SIZE",
                       help="largest request body, else 413; accepts 500k, 5M (default: 5M)")
    group.add_argument("--max-body-memory", type=_size, default=64_000_000, metavar="SIZE",
                       help="request bodies held in memory at once, over all requests (each until it is "
                       "answered); past it a request answers 503 with Retry-After; at least --max-body "
                       "(default: 64M)")
    group.add_argument("--api-key-file", metavar="FILE", help="require 'Authorization: Bearer KEY' on /v1/* and "
                       "/metrics, KEY being one line of FILE (blank lines and # comments are skipped)")
    group.add_argument("--batch-wait-ms", type=_positive(float), default=10.0, metavar="MS",
                       help="batching window: after an article arrives, wait for more until none has come for MS "
                       "(at most 4x MS in all, never past a full --batch-size) (default: 10)")
    group.add_argument("--queue-size", type=_positive(int), default=256, metavar="N",
                       help="articles waiting for the models before /v1/summarize answers 503 (default: 256)")
    group.add_argument("--job-queue-size", type=_positive(int), default=100_000, metavar="N",
                       help="job articles waiting before /v1/jobs answers 503 (default: 100000)")
    group.add_argument("--request-timeout", type=_positive(float), default=120.0, metavar="SECONDS",
                       help="how long /v1/summarize waits for its result before answering 503 (default: 120)")
    add_options(serve, SERVE_OPTIONS)
    serve.set_defaults(handler=_cmd_serve)


def read_api_keys(path: str | Path) -> tuple[str, ...]:
    """The keys of ``--api-key-file``: one a line; never printed or logged."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BeknoptError(f"cannot read --api-key-file {path}: {reason}") from exc
    keys = tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    if not keys:
        raise BeknoptError(f"--api-key-file {path} holds no key (one key per line)")
    return keys


def _listen(host: str, port: int) -> socket.socket:
    """Bind before serving, so a port in use is a clear usage error (and --port 0 reports the port it got)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BeknoptError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise BeknoptError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def _cmd_serve(ns: argparse.Namespace) -> int:
    try:
        import uvicorn

        from beknopt.serve.app import create_app
        from beknopt.serve.jobs import JobStore, StateDirError, StateLock
        from beknopt.serve.settings import ServeSettings
    except ImportError as exc:
        error(f"serve needs the '{getattr(exc, 'name', None) or exc}' package: pip install \"beknopt[serve]\"")
        return EXIT_USAGE
    from beknopt.config import PipelineConfig
    from beknopt.inputs import DEFAULT_MAX_BYTES
    from beknopt.pipeline import Pipeline

    try:
        settings, config = command_settings(ns, SERVE_OPTIONS)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    if settings.get("quiet") and settings.get("verbose"):
        error("serve: --quiet and --verbose cannot be used together")
        return EXIT_USAGE
    level = logging.WARNING if settings.get("quiet") else logging.DEBUG if settings.get("verbose") else logging.INFO
    if settings.get("quiet"):
        silence_libraries()
    elif not settings.get("verbose"):
        hide_loading_bars()
    if ns.max_body_memory < ns.max_body:
        error(f"serve: --max-body-memory ({ns.max_body_memory:,} bytes) must be at least --max-body "
              f"({ns.max_body:,} bytes)")
        return EXIT_USAGE
    lock = None
    try:
        keys = read_api_keys(ns.api_key_file) if getattr(ns, "api_key_file", None) else ()
        JobStore(ns.state_dir)  # before the models load: a bad state folder fails fast
        lock = StateLock.acquire(ns.state_dir)  # and so does a folder another server holds
        sock = _listen(ns.host, ns.port)
    except (BeknoptError, StateDirError) as exc:
        if lock is not None:
            lock.release()
        error(f"serve: {exc}")
        return EXIT_USAGE
    assert lock is not None
    engine = None
    try:
        try:
            pipeline = Pipeline.from_config(PipelineConfig.from_options(settings))
            if settings.get("engine") == "ray":
                from beknopt.cli.run import _ray_engine

                engine = _ray_engine(settings, pipeline)
        except (BeknoptError, ValueError, ImportError) as exc:
            error(str(exc))
            return EXIT_USAGE
        serve_settings = ServeSettings(
            state_dir=Path(ns.state_dir), max_body=ns.max_body, max_body_memory=ns.max_body_memory,
            max_bytes=settings.get("max_bytes", DEFAULT_MAX_BYTES),
            api_keys=keys, batch_wait_ms=ns.batch_wait_ms, queue_size=ns.queue_size,
            job_queue_size=ns.job_queue_size, request_timeout=ns.request_timeout,
            engine=settings.get("engine", "local"))
        # with Ray each batch is one Ray dataset whose actors load the models: send a window at a time
        app = create_app(pipeline, serve_settings, process=engine.process if engine is not None else None,
                         max_batch=engine.window if engine is not None else None, state_lock=lock)
        _setup_logging(level)
        host, port = sock.getsockname()[:2]
        log = logging.getLogger("beknopt.serve")
        if not keys and ns.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s without --api-key-file: anyone who can reach it can use it", ns.host)
        log.info("listening on http://%s:%s (state: %s)", f"[{host}]" if ":" in host else host, port, ns.state_dir)
        server = uvicorn.Server(uvicorn.Config(
            app, log_level=logging.getLevelName(level).lower(), log_config=None,
            timeout_graceful_shutdown=int(ns.request_timeout) + 5, server_header=False, proxy_headers=True,
        ))
        stopped: list[int] = []
        # uvicorn stops in order on SIGTERM/SIGINT and then raises the signal again; these handlers take the
        # signal it re-raises, so an orderly stop exits 0 instead of dying by the signal.
        previous = {sig: signal.signal(sig, lambda signum, frame: stopped.append(signum))
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            server.run(sockets=[sock])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        sock.close()
        if engine is not None:
            engine.shutdown()
        lock.release()
    if not server.started:
        error("serve: the server did not start (see the log above)")
        return EXIT_USAGE
    how = {signal.SIGTERM: " (SIGTERM)", signal.SIGINT: " (Ctrl-C)"}.get(stopped[0], "") if stopped else ""
    print(f"beknopt serve: stopped{how}", file=sys.stderr, flush=True)
    return EXIT_OK


class _ServeLogHandler(logging.StreamHandler):
    """The handler ``beknopt serve`` adds; a second serve in the same process replaces it rather than doubling."""


def _setup_logging(level: int) -> None:
    """beknopt's and uvicorn's loggers to stderr, one format (the entry point owns process-wide logging)."""
    handler = _ServeLogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("beknopt", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _ServeLogHandler)] + [handler]
        logger.setLevel(level)
