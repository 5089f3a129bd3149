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

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["DEFAULT_DUTCH_THRESHOLD", "LanguageVerdict", "assess", "detect_language", "is_dutch"]

DEFAULT_DUTCH_THRESHOLD = 0.5
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
