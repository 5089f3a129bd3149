"""Model families: how each kind of seq2seq model is asked for English from Dutch, in one place.

A single-pair Marian model (``opus-mt-nl-en``) needs nothing, but the stronger models are multilingual and must
be told the target language, each family its own way:

============================  =============  ==========================================================
family (config class)         detected by    what it needs
============================  =============  ==========================================================
``marian-multi`` (Marian)     ``>>xxx<<``    ``>>eng<<`` prepended to the source ids (opus-mt-tc-big-*)
``nllb`` (M2M100)             ``eng_Latn``   ``src_lang="nld_Latn"``, forced BOS ``eng_Latn``; 512 tokens
``m2m100`` (M2M100)           ``__en__``     ``src_lang="nl"``, forced BOS ``__en__``
``madlad`` (T5)               ``<2en>``      ``<2en>`` prepended to the source ids; 256 tokens
``pegasus`` (Pegasus)         ``<n>``        ``<n>`` in the output is a line break: a sentence break
============================  =============  ==========================================================

Detection is keyed by config class name, the way CTranslate2's converters register a loader per config class
(:func:`family_for`), and reads the tokenizer's vocabulary. ``target_lang_token`` overrides the target token
(``--target-lang-token``) and ``source_lang`` the source language of NLLB/M2M-100 (``--source-lang``). Both
backends apply a :class:`Family` through :class:`beknopt.models.backend.TokenizedBackend` (source prefix, source
language, output cleanup) and their own generate call (forced BOS / CTranslate2 ``target_prefix``), and record
:meth:`Family.describe` in ``describe()``, so the settings fingerprint changes with the token. The stages above
never see a family.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from beknopt.models.errors import BackendOptionError

__all__ = ["PLAIN", "Family", "TargetTokenError", "config_class_for", "detect_family", "family_for"]


class TargetTokenError(BackendOptionError):
    """A target-language token or source language the model does not have, or does not take."""


@dataclass(frozen=True)
class Family:
    """What one model needs to translate Dutch into English, and how its output text is finished.

    ``source_prefix``: a token put before every source (Marian ``>>eng<<``, MADLAD ``<2en>``); ``src_lang``: the
    tokenizer's source language (NLLB, M2M-100); ``forced_bos``: the first generated token (NLLB ``eng_Latn``);
    ``max_input_tokens``: the length the family was trained on, when shorter than its context; ``strip_tokens``:
    language tokens, never decoded into text; ``newline_token``: PEGASUS's ``<n>``.
    """

    name: str
    source_prefix: str | None = None
    src_lang: str | None = None
    forced_bos: str | None = None
    max_input_tokens: int | None = None
    strip_tokens: tuple[str, ...] = ()
    newline_token: str | None = None

    @property
    def target_lang_token(self) -> str | None:
        """The token that asks for the target language, wherever the family puts it."""
        return self.source_prefix or self.forced_bos

    def describe(self) -> dict[str, Any]:
        """The keys recorded in a backend's ``describe()``; empty for a model that needs nothing (the default
        Marian and BART models keep the fingerprint they always had)."""
        info: dict[str, Any] = {}
        if self.name == "plain":
            return info
        info["family"] = self.name
        if self.target_lang_token:
            info["target_lang_token"] = self.target_lang_token
        if self.src_lang:
            info["source_lang"] = self.src_lang
        if self.newline_token:
            info["newline_token"] = self.newline_token
        return info

    def finish(self, text: str) -> str:
        """Decoded output as text: a ``newline_token`` becomes a sentence break (never text), then stripped."""
        if not self.newline_token or self.newline_token not in text:
            return text.strip()
        pieces = [p.strip() for p in text.split(self.newline_token)]
        return " ".join(p if p[-1] in _SENTENCE_END else p + "." for p in pieces if p)


PLAIN = Family("plain")
_SENTENCE_END = frozenset(".!?:;\"'”’»)")

Detector = Callable[[Any, "str | None", "str | None"], Family]
_DETECTORS: dict[str, Detector] = {}


def family_for(*config_classes: str) -> Callable[[Detector], Detector]:
    """Register ``detector(tokenizer, target_lang_token, source_lang) -> Family`` for these config classes."""

    def decorator(detector: Detector) -> Detector:
        for name in config_classes:
            _DETECTORS[name] = detector
        return detector

    return decorator


# Tokenizer class -> config class, for a CTranslate2 directory converted without beknopt's metadata.
_TOKENIZER_CONFIGS = {"MarianTokenizer": "MarianConfig", "NllbTokenizer": "M2M100Config",
                      "NllbTokenizerFast": "M2M100Config", "M2M100Tokenizer": "M2M100Config",
                      "T5Tokenizer": "T5Config", "T5TokenizerFast": "T5Config", "PegasusTokenizer": "PegasusConfig",
                      "PegasusTokenizerFast": "PegasusConfig"}


def config_class_for(tokenizer: Any) -> str:
    """The config class a tokenizer belongs to (``""`` when unknown)."""
    return _TOKENIZER_CONFIGS.get(type(tokenizer).__name__, "")


def detect_family(config_class: str, tokenizer: Any, *, target_lang_token: str | None = None,
                  source_lang: str | None = None) -> Family:
    """The family of a model with this config class and tokenizer; overrides are checked against its vocabulary.

    A config class with no detector (BART...) needs nothing, and takes no overrides: a model that cannot be told
    a language must not silently ignore the one asked for.
    """
    detector = _DETECTORS.get(config_class)
    if detector is None:
        if target_lang_token or source_lang:
            what = "a target-language token" if target_lang_token else "a source language"
            raise TargetTokenError(f"this model ({config_class or 'unknown architecture'}) takes no language "
                                   f"tokens, so {what} cannot be set; Marian, NLLB, M2M-100 and T5/MADLAD can")
        return PLAIN
    return detector(tokenizer, target_lang_token, source_lang)


def _vocab(tokenizer: Any) -> dict[str, int]:
    vocab = dict(tokenizer.get_vocab())
    vocab.update(getattr(tokenizer, "lang_token_to_id", None) or {})  # M2M-100's language tokens are not in it
    return vocab


def _check_token(token: str, vocab: dict[str, int], kind: str, candidates: list[str]) -> None:
    if token not in vocab:
        shown = ", ".join(candidates[:12]) + (" ..." if len(candidates) > 12 else "")
        raise TargetTokenError(f"target-language token '{token}' is not in the vocabulary of this {kind} model"
                               + (f"; it has {shown}" if candidates else ""))


def _no_source(kind: str, source_lang: str | None) -> None:
    if source_lang:
        raise TargetTokenError(f"a {kind} model reads any source language without being told: --source-lang "
                               f"'{source_lang}' cannot be set for it")


_MARIAN_CODE = re.compile(r">>[\w-]+<<")


@family_for("MarianConfig")
def _marian(tokenizer: Any, target: str | None, source: str | None) -> Family:
    """Multi-target OPUS-MT models list ``>>xxx<<`` tokens and need one before the source; single-pair ones
    have none and need nothing."""
    _no_source("Marian", source)
    vocab = _vocab(tokenizer)
    codes = sorted(t for t in vocab if _MARIAN_CODE.fullmatch(t))
    if target is None:
        if not codes:
            return PLAIN
        target = next((t for t in (">>eng<<", ">>en<<") if t in vocab), None)
        if target is None:
            raise TargetTokenError(f"this multi-target Marian model has no English token (>>eng<<); pass one of "
                                   f"{', '.join(codes[:12])} as --target-lang-token")
    _check_token(target, vocab, "Marian", codes)
    return Family("marian-multi", source_prefix=target, strip_tokens=tuple(codes))


_NLLB_CODE = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
NLLB_MAX_INPUT_TOKENS = 512  # the model card: trained on inputs of at most 512 tokens (context 1,024)


@family_for("M2M100Config")
def _m2m100(tokenizer: Any, target: str | None, source: str | None) -> Family:
    """NLLB (``eng_Latn`` codes) and M2M-100 (``__en__`` tokens) share the config class; both read a source
    language token the tokenizer adds, and must be forced to start their output with the target's."""
    vocab = _vocab(tokenizer)
    if hasattr(tokenizer, "lang_code_to_id") and "__en__" in vocab:  # M2M100Tokenizer
        codes = sorted(getattr(tokenizer, "lang_token_to_id", {}))
        target = target or "__en__"
        target = target if target.startswith("__") else f"__{target}__"
        _check_token(target, vocab, "M2M-100", codes)
        source = (source or "nl").strip("_")
        if f"__{source}__" not in vocab:
            raise TargetTokenError(f"source language '{source}' is not one of this M2M-100 model's languages")
        return Family("m2m100", src_lang=source, forced_bos=target, strip_tokens=tuple(codes))
    codes = sorted(t for t in vocab if _NLLB_CODE.fullmatch(t))
    if "eng_Latn" not in vocab and target is None:
        raise TargetTokenError("an M2M100-type model with neither NLLB (eng_Latn) nor M2M-100 (__en__) language "
                               "tokens: pass its English token as --target-lang-token")
    target = target or "eng_Latn"
    _check_token(target, vocab, "NLLB", codes)
    source = source or "nld_Latn"
    if source not in vocab:
        raise TargetTokenError(f"source language '{source}' is not one of this NLLB model's language codes "
                               "(Dutch is nld_Latn)")
    return Family("nllb", src_lang=source, forced_bos=target, max_input_tokens=NLLB_MAX_INPUT_TOKENS,
                  strip_tokens=tuple(codes))


_T5_CODE = re.compile(r"<2[\w-]+>")
MADLAD_MAX_INPUT_TOKENS = 256  # MADLAD-400 was trained on sequences of at most 256 tokens


@family_for("T5Config")
def _t5(tokenizer: Any, target: str | None, source: str | None) -> Family:
    """MADLAD-400 (a T5) reads ``<2en>`` before the source; a T5 without ``<2xx>`` tokens needs nothing."""
    _no_source("T5", source)
    vocab = _vocab(tokenizer)
    codes = sorted(t for t in vocab if _T5_CODE.fullmatch(t))
    if target is None:
        if "<2en>" not in vocab:
            return PLAIN
        target = "<2en>"
    _check_token(target, vocab, "T5", codes)
    return Family("madlad", source_prefix=target, max_input_tokens=MADLAD_MAX_INPUT_TOKENS,
                  strip_tokens=tuple(codes))


@family_for("PegasusConfig")
def _pegasus(tokenizer: Any, target: str | None, source: str | None) -> Family:
    """PEGASUS CNN/DailyMail models write ``<n>`` where the reference summaries had line breaks."""
    if target or source:
        raise TargetTokenError("a PEGASUS model summarises English and takes no language tokens")
    return Family("pegasus", newline_token="<n>") if "<n>" in _vocab(tokenizer) else PLAIN


def token_ids(tokenizer: Any, tokens: tuple[str, ...] | list[str]) -> list[int]:
    """Ids of ``tokens`` in this tokenizer (language tokens included)."""
    vocab = _vocab(tokenizer)
    return [vocab[t] for t in tokens if t in vocab]
