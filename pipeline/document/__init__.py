"""One article in, one record out: the :class:`Document` every stage works on, the one parser of article
dicts/JSON (``to_document``) that the API, ``beknopt run`` and ``beknopt serve`` share, and the record
builder (``beknopt.document.record``) that the batch job and the service both write with."""

from beknopt.document.model import (
    ArticleInput,
    BeknoptError,
    Document,
    InputError,
    Result,
    join_paragraphs,
    title_is_first_paragraph,
    to_document,
)

__all__ = ["ArticleInput", "BeknoptError", "Document", "InputError", "Result", "join_paragraphs",
           "title_is_first_paragraph", "to_document"]
