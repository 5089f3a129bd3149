"""The Markdown page of one result (``--format md``), escaped for CMSs that render it as HTML."""

from __future__ import annotations

from typing import Any

from beknopt.markdown import escape_block, escape_inline

__all__ = ["render_markdown"]


def render_markdown(data: dict[str, Any]) -> str:
    """A readable page per article: title, metadata, summary, translation, warnings.

    Everything from the article is escaped (``beknopt.markdown``): CMSs render these pages as HTML.
    """
    meta = data.get("metadata") or {}
    lines = [f"# {escape_inline(meta.get('title') or data.get('id'))}", ""]
    facts = [("Id", data.get("id")), ("Source", data.get("source_path")), ("Date", meta.get("date")),
             ("Author", meta.get("author")), ("URL", meta.get("url"))]
    models = data.get("models") or {}
    if models:
        facts.append(("Models", ", ".join(f"{k}: {v}" for k, v in sorted(models.items()))))
    lines += [f"- **{label}:** {escape_inline(value)}" for label, value in facts if value]
    lines += ["", "## Summary", "", escape_block(data.get("summary") or ""), "", "## Translation", "",
              escape_block(data.get("translation") or "")]
    if data.get("checks"):
        lines += ["", "## Checks", "", *(f"- {escape_inline(_check_line(c))}" for c in data["checks"])]
    if data.get("warnings"):
        lines += ["", "## Warnings", "", *(f"- {escape_inline(w)}" for w in data["warnings"])]
    return "\n".join(lines).rstrip() + "\n"


def _check_line(check: dict[str, Any]) -> str:
    """``sentence 3 (number): 5.200 in the source, not in the translation``."""
    sentence = check.get("sentence")
    where = f"sentence {sentence + 1}" if isinstance(sentence, int) else "summary"
    return f"{where} ({check.get('kind')}): {check.get('detail')}"
