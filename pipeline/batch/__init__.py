"""Batch jobs over folders of articles: the runner, its output folder (``outdir``), outcomes and rendering."""

from beknopt.batch.outcome import BatchOptions, BatchSummary, Outcome
from beknopt.batch.outdir import OutputFolder, OutputFolderError, OutputLockedError
from beknopt.batch.render import render_markdown
from beknopt.batch.runner import BatchRunner
from beknopt.cleaning.language import LanguageStage  # where it lived before the pipeline had it

__all__ = ["BatchOptions", "BatchRunner", "BatchSummary", "LanguageStage", "Outcome", "OutputFolder",
           "OutputFolderError", "OutputLockedError", "render_markdown"]
