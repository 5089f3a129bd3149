"""beknopt: Dutch news articles to English summaries.

The public API is what this module exports; everything else may change between releases. Names load lazily so
``import beknopt`` (and the CLI's ``--help``) stays fast and does not import torch until a model is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ArticleError": "beknopt.pipeline",
    "BeknoptError": "beknopt.document",
    "CleanStage": "beknopt.stages",
    "Cleaned": "beknopt.cleaning",
    "Document": "beknopt.document",
    "Glossary": "beknopt.glossary",
    "InputError": "beknopt.document",
    "LeadSummariser": "beknopt.summarise",
    "LanguageStage": "beknopt.language",
    "Pipeline": "beknopt.pipeline",
    "ProvenanceStage": "beknopt.provenance",
    "PipelineConfig": "beknopt.config",
    "Result": "beknopt.document",
    "SplitStage": "beknopt.stages",
    "Summariser": "beknopt.summarise",
    "SummaryOutput": "beknopt.summarise",
    "TranslationCache": "beknopt.translate",
    "Translator": "beknopt.translate",
    "align_summary": "beknopt.provenance",
    "check_translation": "beknopt.checks",
    "clean": "beknopt.cleaning",
    "load_glossary": "beknopt.glossary",
    "split_paragraphs": "beknopt.split",
    "split_sentences": "beknopt.split",
}

__all__ = sorted([*_EXPORTS, "__version__"])

if TYPE_CHECKING:
    from beknopt.checks import check_translation
    from beknopt.cleaning import Cleaned, clean
    from beknopt.config import PipelineConfig
    from beknopt.document import BeknoptError, Document, InputError, Result
    from beknopt.glossary import Glossary, load_glossary
    from beknopt.language import LanguageStage
    from beknopt.pipeline import ArticleError, Pipeline
    from beknopt.provenance import ProvenanceStage, align_summary
    from beknopt.split import split_paragraphs, split_sentences
    from beknopt.stages import CleanStage, SplitStage
    from beknopt.summarise import LeadSummariser, Summariser, SummaryOutput
    from beknopt.translate import TranslationCache, Translator


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'beknopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
