"""Language detection, so the pipeline can warn before feeding a non-Dutch article to a Dutch->English model.

Uses ``py3langid`` (langid.py's naive Bayes model over byte n-grams) with normalised probabilities over all of
its 97 languages.  The set is deliberately not restricted: an English or German article must come out as
``en``/``de``, not as the nearest of a short list, and Dutch vs Afrikaans is reliable on a paragraph of news.
"""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["DEFAULT_DUTCH_THRESHOLD", "detect_language", "is_dutch"]

DEFAULT_DUTCH_THRESHOLD = 0.5
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


def is_dutch(text: str, threshold: float = DEFAULT_DUTCH_THRESHOLD) -> bool:
    """True when ``text`` is detected as Dutch with probability at least ``threshold``."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    code, probability = detect_language(text)
    return code == "nl" and probability >= threshold
