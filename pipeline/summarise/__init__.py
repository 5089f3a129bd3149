"""Stage 4, summaries: the abstractive :class:`Summariser` (map-reduce over long articles) and the model-free
:class:`LeadSummariser`."""

from beknopt.summarise.summariser import (
    LeadSummariser,
    Summariser,
    SummaryError,
    SummaryOutput,
    format_summary,
    pack_chunks,
)

__all__ = ["LeadSummariser", "Summariser", "SummaryError", "SummaryOutput", "format_summary", "pack_chunks"]
