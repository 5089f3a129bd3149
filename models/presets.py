"""The models beknopt knows by name: translation and summary presets, their licences, sizes and card defaults.

A preset name (``fast``, ``balanced``, ``best``) resolves to a hub id the same way for both stages. Translation:
``fast`` is the single-pair OPUS-MT model; ``balanced`` the multilingual OPUS-MT transformer-big (about +1 BLEU on
FLORES-200, +2.6 on NTREX-128, CC-BY-4.0: attribution, commercial use allowed); ``best`` NLLB-200 1.3B distilled
(+3.2 BLEU, +1.6 chrF over ``fast``, but CC-BY-NC-4.0: no commercial use, so using it logs a warning). Scores:
the OPUS-MT leaderboard's FLORES-200 devtest nl-en files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TRANSLATION_MODEL = "Helsinki-NLP/opus-mt-nl-en"
TRANSLATION_PRESETS: dict[str, str] = {
    "fast": DEFAULT_TRANSLATION_MODEL,
    "balanced": "Helsinki-NLP/opus-mt-tc-big-gmw-gmw",
    "best": "facebook/nllb-200-distilled-1.3B",
}
DEFAULT_TRANSLATION_PRESET = "fast"
SUMMARY_PRESETS: dict[str, str] = {
    "fast": "sshleifer/distilbart-cnn-6-6",
    "balanced": "sshleifer/distilbart-cnn-12-6",
    "best": "facebook/bart-large-cnn",
}
DEFAULT_SUMMARY_PRESET = "balanced"
DEFAULT_SUMMARIZATION_MODEL = SUMMARY_PRESETS[DEFAULT_SUMMARY_PRESET]


# Approximate download sizes (safetensors weights), shown in `beknopt info` and the README.
MODEL_SIZES_MB: dict[str, int] = {
    DEFAULT_TRANSLATION_MODEL: 300,
    "Helsinki-NLP/opus-mt-tc-big-gmw-gmw": 930,
    "facebook/nllb-200-distilled-1.3B": 5480,
    "sshleifer/distilbart-cnn-6-6": 920,
    "sshleifer/distilbart-cnn-12-6": 1220,
    "facebook/bart-large-cnn": 1630,
}


@dataclass(frozen=True)
class ModelInfo:
    """What beknopt knows of a model it names: licence (SPDX id), whether that allows commercial use, and its
    published scores (one line, with the metric's name: the BART cards report rougeL, PEGASUS rougeLsum)."""

    licence: str
    commercial: bool = True
    scores: str = ""


_PEGASUS_LICENCE = "unstated on the card (code: Apache-2.0)"
# The hub cards' licences; the scores are FLORES-200 devtest nl-en (OPUS-MT leaderboard) or the card's own.
MODELS: dict[str, ModelInfo] = {
    DEFAULT_TRANSLATION_MODEL: ModelInfo("Apache-2.0", scores="FLORES-200 BLEU 29.6, chrF 58.3"),
    "Helsinki-NLP/opus-mt-tc-big-gmw-gmw": ModelInfo("CC-BY-4.0", scores="FLORES-200 BLEU 30.7, chrF 59.0"),
    "facebook/nllb-200-distilled-600M": ModelInfo("CC-BY-NC-4.0", False, "FLORES-200 BLEU 31.2, chrF 58.4"),
    "facebook/nllb-200-distilled-1.3B": ModelInfo("CC-BY-NC-4.0", False, "FLORES-200 BLEU 32.8, chrF 59.9"),
    "facebook/m2m100_418M": ModelInfo("MIT", scores="FLORES-200 BLEU 25.2"),
    "facebook/m2m100_1.2B": ModelInfo("MIT", scores="FLORES-200 BLEU 29.8, chrF 57.8"),
    "google/madlad400-3b-mt": ModelInfo("Apache-2.0", scores="no nl-en score published"),
    "sshleifer/distilbart-cnn-6-6": ModelInfo("Apache-2.0", scores="CNN/DM rouge2 20.17, rougeL 29.70"),
    "sshleifer/distilbart-cnn-12-6": ModelInfo("Apache-2.0", scores="CNN/DM rouge2 21.26, rougeL 30.59"),
    "facebook/bart-large-cnn": ModelInfo("MIT", scores="CNN/DM rouge1 42.95, rouge2 20.81, rougeL 30.62, "
                                                       "rougeLsum 40.04"),
    "google/pegasus-cnn_dailymail": ModelInfo(_PEGASUS_LICENCE, scores="CNN/DM rouge1/2/Lsum 44.16/21.56/41.30"),
    "google/pegasus-xsum": ModelInfo(_PEGASUS_LICENCE, scores="XSum rouge1/2/Lsum 47.60/24.83/39.64"),
}

logger = logging.getLogger("beknopt.models")


def resolve_translation_model(name: str | None) -> str:
    """A translation preset name (fast, balanced, best) or a model id/dir; ``None`` is the default model."""
    if name is None:
        return DEFAULT_TRANSLATION_MODEL
    return TRANSLATION_PRESETS.get(name, name)


def licence_notice(model: str) -> str | None:
    """The warning for a model whose licence forbids commercial use, or ``None``."""
    info = MODELS.get(model)
    if info is None or info.commercial:
        return None
    return (f"model '{model}' is licensed {info.licence}: non-commercial use only; for commercial use choose "
            f"--translation-model balanced ({TRANSLATION_PRESETS['balanced']}, CC-BY-4.0) or fast")


def licence_record(model: str) -> dict[str, str]:
    """``{"licence": ...}`` for a non-commercial model, recorded in its backend's ``describe()`` (so in every
    result's settings); empty for the others, whose records stay as they were."""
    info = MODELS.get(model)
    return {} if info is None or info.commercial else {"licence": f"{info.licence} (non-commercial use only)"}


def warn_licence(model: str) -> str | None:
    """Log :func:`licence_notice` for ``model`` (as a warning) and return it."""
    notice = licence_notice(model)
    if notice:
        logger.warning(notice)
    return notice


# What a card's generation config may say about summaries (followed unless the user sets the value), with what
# ``generate`` does when the card leaves one unset (transformers 5 stores unset values as None).
CARD_KEYS: dict[str, Any] = {"num_beams": 1, "length_penalty": 1.0, "no_repeat_ngram_size": 0}


def card_defaults(declared: Mapping[str, Any], effective: Mapping[str, Any]) -> dict[str, Any]:
    """A model card's own decoding defaults (``declared``: its generation config's non-default values;
    ``effective``: all of them): beams, penalties and the lengths it declares, or ``{}`` when it declares no
    beams or lengths, so a model without summary defaults keeps beknopt's."""
    if not any(k in declared for k in ("num_beams", "max_length", "min_length")):
        return {}
    card = {k: default if effective.get(k) is None else effective[k] for k, default in CARD_KEYS.items()}
    card.update({k: declared[k] for k in ("min_length", "max_length") if declared.get(k) is not None})
    return card


def summary_generation(card: Mapping[str, Any], chosen: Mapping[str, Any], defaults: Mapping[str, Any]
                       ) -> dict[str, Any]:
    """Summariser keywords: each setting the user changed, else the model card's default, else beknopt's.

    ``chosen`` and ``defaults`` have ``num_beams``, ``no_repeat_ngram_size``, ``length``, ``min_new_tokens``
    and ``max_new_tokens`` (the config's values and its defaults). The BART/DistilBART CNN cards' defaults are
    beknopt's own (4 beams, length penalty 2.0, no repeated trigram, 56-142 tokens); PEGASUS CNN/DM's are 8
    beams, length penalty 0.8, 32-128 tokens, no n-gram rule. A card's lengths apply only while the length is
    the default ``medium`` with no explicit token limits: ``--summary-length`` is a policy choice.
    """
    out = dict(chosen)
    if not card:
        return out
    for key in ("num_beams", "no_repeat_ngram_size"):
        if chosen[key] == defaults[key] and key in card:
            out[key] = card[key]
    if "length_penalty" in card:
        out["length_penalty"] = card["length_penalty"]
    lengths = ("length", "min_new_tokens", "max_new_tokens")
    if all(chosen[k] == defaults[k] for k in lengths) and "max_length" in card:
        out["max_new_tokens"] = card["max_length"]
        out["min_new_tokens"] = min(card.get("min_length", 0), card["max_length"])
    return out


def resolve_summary_model(name: str | None) -> str:
    """A preset name (fast, balanced, best) or a model id/dir; ``None`` is the default preset."""
    if name is None:
        return DEFAULT_SUMMARIZATION_MODEL
    return SUMMARY_PRESETS.get(name, name)
