"""Prometheus metrics of ``beknopt serve`` (``GET /metrics``), in a registry of the app's own.

A registry per app rather than prometheus_client's global one, so two apps in one process (tests, an embedding
application) never share or clash over counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics", "MetricsMiddleware"]

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """The service's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("beknopt_http_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("beknopt_http_request_seconds", "HTTP request latency by route",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.articles = Counter("beknopt_articles", "articles processed, by source (summarize, job, translate) and "
                                "outcome (done, skipped, failed)", ["source", "outcome"], registry=self.registry)
        self.errors = Counter("beknopt_http_errors", "error responses by status and route",
                              ["route", "status"], registry=self.registry)
        self.queue_depth = Gauge("beknopt_queue_depth", "articles waiting in memory for the models",
                                 registry=self.registry)
        self.job_articles_pending = Gauge("beknopt_job_articles_pending", "job articles not yet processed",
                                          registry=self.registry)
        self.batch_articles = Histogram("beknopt_batch_articles", "articles per model batch (requests and job "
                                        "articles batched together)", buckets=BATCH_BUCKETS, registry=self.registry)
        self.batch_seconds = Histogram("beknopt_batch_seconds", "model time per batch", buckets=LATENCY_BUCKETS,
                                       registry=self.registry)
        self.ready = Gauge("beknopt_ready", "1 when the models are loaded, the job database answers and requests "
                           "are accepted", registry=self.registry)
        self.job_database_up = Gauge("beknopt_job_database_up", "1 while the job database answers (0: /v1/jobs* "
                                     "answer 503 and /health/ready says why)", registry=self.registry)
        self.libretranslate_characters = Counter("beknopt_libretranslate_characters", "characters of the texts "
                                                 "sent to the LibreTranslate-compatible API, by endpoint (/translate, "
                                                 "/detect) and format (text, html)", ["endpoint", "format"],
                                                 registry=self.registry)
        self.body_bytes = Gauge("beknopt_request_body_bytes", "bytes of request bodies held now (at most "
                                "--max-body-memory)", registry=self.registry)

    def on_batch(self, articles: int, job_articles: int, seconds: float) -> None:
        self.batch_articles.observe(articles)
        self.batch_seconds.observe(seconds)

    def on_article(self, source: str, outcome: str) -> None:
        self.articles.labels(source, outcome).inc()


class MetricsMiddleware:
    """Counts every request by its route template (``/v1/jobs/{job_id}``, never the raw path: a scan of random
    URLs must not create a series per URL) and status, and times it."""

    def __init__(self, app: Any, metrics: Metrics, route_of: Callable[[dict[str, Any]], str]) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = self.route_of(scope)
            code = status["code"]
            self.metrics.requests.labels(route, scope.get("method", "?"), str(code)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)
            if code >= 400:
                self.metrics.errors.labels(route, str(code)).inc()
