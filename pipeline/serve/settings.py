"""The service's own settings: its limits and where it keeps its state (the pipeline's are in its config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from beknopt.inputs.records import DEFAULT_MAX_BYTES

__all__ = ["ServeSettings"]


@dataclass(frozen=True)
class ServeSettings:
    """Limits and state of the service (the pipeline's settings live in its ``PipelineConfig``)."""

    state_dir: Path
    max_body: int = 5_000_000  # bytes of one request body
    max_body_memory: int = 64_000_000  # bytes of all request bodies held at once; past it a request gets 503
    max_bytes: int = DEFAULT_MAX_BYTES  # bytes of one article, as ``beknopt run --max-bytes``
    api_keys: tuple[str, ...] = field(default=(), repr=False)  # never printed
    batch_wait_ms: float = 10.0
    queue_size: int = 256  # articles waiting in memory (/v1/summarize)
    job_queue_size: int = 100_000  # job articles waiting in the database
    request_timeout: float = 120.0  # seconds a /v1/summarize call waits for its result
    retry_after: int = 2  # seconds, in every 503
    engine: str = "local"

    def __post_init__(self) -> None:
        if self.max_body_memory < self.max_body:
            raise ValueError(f"max_body_memory ({self.max_body_memory:,}) must be at least max_body "
                             f"({self.max_body:,}), or a body of the largest size could never be read")
