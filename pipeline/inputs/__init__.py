"""Finding and reading the articles of a batch run: ``discover`` (files, folders, globs), ``read_articles``
(articles or read errors, one at a time), and the safe output paths they get (``paths``)."""

from beknopt.inputs.discover import check_inputs, discover, os_reason
from beknopt.inputs.paths import OutputKeys, printable, safe_component, safe_relpath
from beknopt.inputs.read import count_articles, read_articles
from beknopt.inputs.records import DEFAULT_MAX_BYTES, FORMATS, Article, InputNotFoundError, Source

__all__ = ["DEFAULT_MAX_BYTES", "FORMATS", "Article", "InputNotFoundError", "OutputKeys", "Source", "check_inputs",
           "count_articles", "discover", "os_reason", "printable", "read_articles", "safe_component",
           "safe_relpath"]
