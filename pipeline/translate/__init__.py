"""Stage 3, translation: the :class:`Translator` stage (batched, sentence by sentence, never truncating), its
cache and degenerate-output guard, and the glossary it enforces (``beknopt.translate.glossary``)."""

from beknopt.translate.translator import (
    CachedTranslation,
    GlossaryTranslation,
    GuardedTranslation,
    ModelTranslation,
    Translation,
    TranslationCache,
    Translator,
    degenerate_reason,
)

__all__ = ["CachedTranslation", "GlossaryTranslation", "GuardedTranslation", "ModelTranslation", "Translation",
           "TranslationCache", "Translator", "degenerate_reason"]
