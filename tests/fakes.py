"""A scripted backend for unit tests of orchestration (batching, caching, retries, chunking).

It is never the only test of a model path: every behaviour tested here is also run on the tiny real models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from beknopt.models.backend import BatchSettings, GenerationSettings, plan_batches


class ScriptedBackend:
    """Counts one token per word plus one end token; ``respond`` maps an input to its output."""

    name = "scripted"

    def __init__(
        self,
        respond: Callable[[str, GenerationSettings], str] | None = None,
        *,
        max_input_tokens: int = 64,
        model_id: str = "scripted",
    ) -> None:
        self.respond = respond or (lambda text, settings: f"EN[{text}]")
        self.max_input_tokens = max_input_tokens
        self.model_id = model_id
        self.calls: list[tuple[list[str], GenerationSettings]] = []
        self.batches: list[list[str]] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def generate(
        self, texts: Sequence[str], settings: GenerationSettings, batching: BatchSettings | None = None
    ) -> list[str]:
        texts = list(texts)
        self.calls.append((texts, settings))
        lengths = self.count_tokens(texts)
        assert max(lengths, default=0) <= self.max_input_tokens, "input over the context reached the backend"
        for batch in plan_batches(lengths, batching or BatchSettings()):
            self.batches.append([texts[i] for i in batch])
        return [self.respond(t, settings) for t in texts]

    def describe(self) -> dict[str, Any]:
        return {"model": self.model_id, "backend": self.name}
