"""The models beknopt knows by name: the default translator, the summary presets and their download sizes."""

from __future__ import annotations

DEFAULT_TRANSLATION_MODEL = "Helsinki-NLP/opus-mt-nl-en"
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
    "sshleifer/distilbart-cnn-6-6": 920,
    "sshleifer/distilbart-cnn-12-6": 1220,
    "facebook/bart-large-cnn": 1630,
}


def resolve_summary_model(name: str | None) -> str:
    """A preset name (fast, balanced, best) or a model id/dir; ``None`` is the default preset."""
    if name is None:
        return DEFAULT_SUMMARIZATION_MODEL
    return SUMMARY_PRESETS.get(name, name)
