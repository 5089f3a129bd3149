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
    "CleanStage": "beknopt.cleaning.stage",
    "Cleaned": "beknopt.cleaning",
    "Document": "beknopt.document",
    "Glossary": "beknopt.translate.glossary",
    "InputError": "beknopt.document",
    "LeadSummariser": "beknopt.summarise",
    "LanguageStage": "beknopt.cleaning.language",
    "Pipeline": "beknopt.pipeline",
    "ProvenanceStage": "beknopt.checks.provenance",
    "PipelineConfig": "beknopt.config",
    "Result": "beknopt.document",
    "SplitStage": "beknopt.split.stage",
    "Summariser": "beknopt.summarise",
    "SummaryOutput": "beknopt.summarise",
    "TranslationCache": "beknopt.translate",
    "Translator": "beknopt.translate",
    "align_summary": "beknopt.checks.provenance",
    "check_translation": "beknopt.checks",
    "clean": "beknopt.cleaning",
    "load_glossary": "beknopt.translate.glossary",
    "split_paragraphs": "beknopt.split",
    "split_sentences": "beknopt.split",
}

__all__ = sorted([*_EXPORTS, "__version__"])

if TYPE_CHECKING:
    from beknopt.checks import check_translation
    from beknopt.checks.provenance import ProvenanceStage, align_summary
    from beknopt.cleaning import Cleaned, clean
    from beknopt.cleaning.language import LanguageStage
    from beknopt.cleaning.stage import CleanStage
    from beknopt.config import PipelineConfig
    from beknopt.document import BeknoptError, Document, InputError, Result
    from beknopt.pipeline import ArticleError, Pipeline
    from beknopt.split import split_paragraphs, split_sentences
    from beknopt.split.stage import SplitStage
    from beknopt.summarise import LeadSummariser, Summariser, SummaryOutput
    from beknopt.translate import TranslationCache, Translator
    from beknopt.translate.glossary import Glossary, load_glossary


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'beknopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
