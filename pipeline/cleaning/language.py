"""Language detection, so the pipeline can warn before feeding a non-Dutch article to a Dutch->English model.

Uses ``py3langid`` (langid.py's naive Bayes model over byte n-grams) with normalised probabilities over all of
its 97 languages.  The set is deliberately not restricted: an English or German article must come out as
``en``/``de``, not as the nearest of a short list, and Dutch vs Afrikaans is reliable on a paragraph of news.

On a headline or a one-line article it is not: "Dodental van tsunami in Indonesië loopt op tot 832" comes out
as Afrikaans, "Kabinet valt over stikstof" as Nynorsk. Below ``SHORT_TEXT_WORDS`` words, :func:`assess`
therefore calls a text "not Dutch" only when another language is detected with at least
``SHORT_TEXT_CONFIDENCE`` and it is not one of Dutch's near neighbours; otherwise the verdict is "unsure".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from beknopt.config import NON_DUTCH_POLICIES, PipelineConfig
from beknopt.document import Document
from beknopt.stage import LANGUAGE, DocumentStage

__all__ = ["DEFAULT_DUTCH_THRESHOLD", "LanguageStage", "LanguageVerdict", "assess", "detect_language", "is_dutch"]

DEFAULT_DUTCH_THRESHOLD = PipelineConfig.dutch_threshold
SHORT_TEXT_WORDS = 20
SHORT_TEXT_CONFIDENCE = 0.9
# Languages a short Dutch text is mistaken for (Afrikaans, Frisian, Luxembourgish, Nynorsk/Norwegian, Danish,
# Walloon, Low German is not in the model): on a few words, telling them from Dutch is a guess.
NEAR_DUTCH = frozenset({"af", "fy", "lb", "nn", "no", "da", "wa"})
_MAX_CHARS = 20_000  # the first pages decide; keeps the cost flat for very long texts


@cache
def _identifier() -> LanguageIdentifier:
    """Our own identifier (not py3langid's module-level one, whose language set other code may change)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """Most likely language of ``text`` as ``(ISO 639-1 code, probability in [0, 1])``.

    Raises ``ValueError`` for text without letters, where any answer would be a guess.
    """
    sample = text[:_MAX_CHARS]
    if not any(ch.isalpha() for ch in sample):
        raise ValueError("cannot detect the language of text without letters")
    code, probability = _identifier().classify(sample)
    return str(code), min(1.0, max(0.0, float(probability)))


@dataclass(frozen=True)
class LanguageVerdict:
    """``verdict`` is ``dutch``, ``not-dutch`` or ``unsure`` (another language on a text too short to tell)."""

    verdict: str
    code: str
    probability: float
    words: int

    def describe(self) -> str:
        found = f"detected {self.code} ({self.probability:.2f})"
        if self.verdict == "unsure":
            return f"{found} on only {self.words} words, too short to be sure; treated as Dutch"
        return found


def assess(text: str, threshold: float = DEFAULT_DUTCH_THRESHOLD) -> LanguageVerdict:
    """Is ``text`` Dutch? An unsure detection (below ``threshold``) counts as Dutch, as does a short text
    whose detection is one of the guesses short Dutch texts get; raises ``ValueError`` without letters."""
    code, probability = detect_language(text)
    words = len(text.split())
    if code == "nl" or probability < threshold:
        verdict = "dutch"
    elif words < SHORT_TEXT_WORDS and (code in NEAR_DUTCH or probability < SHORT_TEXT_CONFIDENCE):
        verdict = "unsure"
    else:
        verdict = "not-dutch"
    return LanguageVerdict(verdict, code, probability, words)


def is_dutch(text: str, threshold: float = DEFAULT_DUTCH_THRESHOLD) -> bool:
    """True when ``text`` is detected as Dutch with probability at least ``threshold``."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    code, probability = detect_language(text)
    return code == "nl" and probability >= threshold


class LanguageStage(DocumentStage):
    """Refuse (or flag) articles that are not Dutch before a Dutch->English model turns them into nonsense.

    Runs after cleaning. An article counts as not Dutch when another language is detected with at least
    ``threshold`` probability (an unsure detection lets the article through). A text under 20 words
    detected as a language close to Dutch, or without high confidence, is a guess: it goes on with a warning
    (:func:`assess`). ``skip`` marks it failed with ``outcome: skipped`` (a batch counts it as skipped, not
    failed), ``fail`` marks it failed, ``translate`` keeps it with a warning.
    """

    name = LANGUAGE

    def __init__(self, on_non_dutch: str = "skip", threshold: float = DEFAULT_DUTCH_THRESHOLD) -> None:
        if on_non_dutch not in NON_DUTCH_POLICIES:
            raise ValueError(f"on_non_dutch must be one of {', '.join(NON_DUTCH_POLICIES)}, got {on_non_dutch!r}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.on_non_dutch = on_non_dutch
        self.threshold = threshold

    def describe(self) -> dict[str, Any]:
        return {"detector": "py3langid", "on_non_dutch": self.on_non_dutch, "threshold": self.threshold}

    def process_one(self, doc: Document) -> None:
        if doc.clean_text is None:
            return
        try:
            verdict = assess(doc.clean_text, self.threshold)
        except ValueError as exc:
            doc.fail(self.name, str(exc))
            return
        if verdict.verdict == "unsure":
            doc.warn(self.name, verdict.describe())
        if verdict.verdict != "not-dutch":
            return
        reason = f"not Dutch: {verdict.describe()}"
        if self.on_non_dutch == "translate":
            doc.warn(self.name, f"{reason}; translated anyway (--on-non-dutch translate)")
            return
        doc.fail(self.name, reason)
        if self.on_non_dutch == "skip" and doc.error is not None:
            doc.error["outcome"] = "skipped"
