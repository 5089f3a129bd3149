"""The backend protocol: "given these strings, generate those strings", and what every backend shares to keep it.

Stages (translation, summarisation) only see this protocol, so a new inference engine touches ``beknopt.models``
alone. A backend owns batching because engines batch differently (CTranslate2 has its own token-budget batches),
but all plan their batches with :func:`plan_batches` and count, check and decode text with
:class:`TokenizedBackend`, so every engine counts the same tokens and refuses the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from beknopt.document import BeknoptError
from beknopt.models.families import PLAIN, Family
from beknopt.models.families import token_ids as vocab_ids


class InputTooLongError(BeknoptError):
    """An input longer than the model's context reached a backend; stages must split it first."""


def check_input_lengths(lengths: Sequence[int], max_input_tokens: int, model_id: str) -> None:
    """Refuse, never truncate: every backend checks its inputs against the context the same way."""
    too_long = [n for n in lengths if n > max_input_tokens]
    if too_long:
        raise InputTooLongError(
            f"{len(too_long)} input(s) exceed the {max_input_tokens}-token context of '{model_id}' "
            f"(longest {max(too_long)} tokens); split them before generating"
        )


def encode(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids with special tokens, never truncated: how every backend counts its inputs and feeds them."""
    if not texts:
        return []
    return tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)["input_ids"]


class TokenizedBackend:
    """What both backends do on the text side with their Hugging Face tokenizer: count, check, decode.

    Subclasses set ``model_id``, ``tokenizer`` and ``max_input_tokens``, and call :meth:`use_family` once the
    tokenizer is loaded; counts are the same for every engine because the tokens are. The family's source
    prefix (``>>eng<<``, ``<2en>``) is part of every input here, so it is counted, checked and fed alike.
    """

    model_id: str
    tokenizer: Any
    max_input_tokens: int
    family: Family = PLAIN
    _prefix_ids: list[int] = []
    _strip_ids: frozenset[int] = frozenset()

    def use_family(self, family: Family) -> None:
        """Apply ``family`` to the text side: source language, source prefix, tokens kept out of the output."""
        self.family = family
        if family.src_lang:
            self.tokenizer.src_lang = family.src_lang
        self._prefix_ids = vocab_ids(self.tokenizer, [family.source_prefix] if family.source_prefix else [])
        self._strip_ids = frozenset(vocab_ids(self.tokenizer, family.strip_tokens))

    def forced_bos_id(self) -> int | None:
        """Id of the family's first output token (NLLB/M2M-100), or ``None``."""
        ids = vocab_ids(self.tokenizer, [self.family.forced_bos]) if self.family.forced_bos else []
        return ids[0] if ids else None

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        ids = encode(self.tokenizer, texts)
        return [self._prefix_ids + x for x in ids] if self._prefix_ids else ids

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input length of each text in model tokens, special tokens included."""
        return [len(ids) for ids in self._encode(texts)]

    def encode_checked(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids and lengths of ``texts``, tokenised once; an input over the context is refused."""
        ids = self._encode(texts)
        lengths = [len(x) for x in ids]
        check_input_lengths(lengths, self.max_input_tokens, self.model_id)
        return ids, lengths

    def decode_into(self, outputs: list[str], batch: Sequence[int], token_ids: Any) -> None:
        """Decode one batch's outputs into ``outputs`` at the inputs' own positions; language tokens (the
        forced BOS, or one a model generated) never become text."""
        if self._strip_ids:
            rows = token_ids.tolist() if hasattr(token_ids, "tolist") else token_ids
            token_ids = [[t for t in row if t not in self._strip_ids] for row in rows]
        decoded = self.tokenizer.batch_decode(token_ids, skip_special_tokens=True)
        for index, text in zip(batch, decoded, strict=True):
            outputs[index] = self.family.finish(text)


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings shared by every backend; ``None`` leaves the model's own default in place."""

    num_beams: int = 4
    max_new_tokens: int | None = None
    min_new_tokens: int | None = None
    no_repeat_ngram_size: int | None = None
    repetition_penalty: float | None = None
    length_penalty: float | None = None
    # Cap on output length relative to the longest input of a batch (tokens); stops a looping model early.
    max_length_ratio: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def generate_kwargs(self, longest_input: int) -> dict[str, Any]:
        """Keyword arguments for one batch: ``max_length_ratio`` becomes a concrete ``max_new_tokens``."""
        kwargs = self.to_dict()
        if self.num_beams == 1:
            kwargs.pop("length_penalty", None)  # only meaningful for beam search
        ratio = kwargs.pop("max_length_ratio", None)
        if ratio is not None:
            by_ratio = int(ratio * longest_input) + 8
            kwargs["max_new_tokens"] = min(kwargs.get("max_new_tokens", by_ratio), by_ratio)
            if "min_new_tokens" in kwargs:
                kwargs["min_new_tokens"] = min(kwargs["min_new_tokens"], kwargs["max_new_tokens"])
        return kwargs


@dataclass(frozen=True)
class BatchSettings:
    """How many inputs go into one forward pass: at most ``batch_size`` and ``max_tokens`` padded tokens."""

    batch_size: int = 32
    max_tokens: int = 4096

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")


@runtime_checkable
class Seq2SeqBackend(Protocol):
    """A loaded sequence-to-sequence model that turns a list of strings into a list of strings, in order."""

    model_id: str
    name: str
    max_input_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input length of each text in model tokens, special tokens included."""
        ...

    def generate(
        self, texts: Sequence[str], settings: GenerationSettings, batching: BatchSettings | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        """One output per input, same order; inputs must already fit ``max_input_tokens``.

        ``progress(n)`` is called after each batch with the number of inputs it finished (they sum to
        ``len(texts)``), so a long call can be watched; callers pass it only when someone listens.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Model id, backend, device and precision: recorded in every result."""
        ...


def plan_batches(lengths: Sequence[int], batching: BatchSettings) -> list[list[int]]:
    """Group indices into length-sorted batches under the size and padded-token budget.

    Sorting by length keeps padding low; the budget counts ``longest * batch size`` because that is what a
    padded batch costs. The longest inputs come first so an out-of-memory error shows up at once, not at the end.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = max(1, lengths[index])
        new_longest = max(longest, length)
        if current and (
            len(current) + 1 > batching.batch_size or new_longest * (len(current) + 1) > batching.max_tokens
        ):
            batches.append(current)
            current, new_longest = [], length
        current.append(index)
        longest = new_longest
    if current:
        batches.append(current)
    return batches
