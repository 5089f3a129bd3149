"""The Markdown page of one result (``--format md``), escaped for CMSs that render it as HTML."""

from __future__ import annotations

from typing import Any

from beknopt.formats.markdown import escape_block, escape_inline

__all__ = ["render_markdown", "summary_with_sources"]


def render_markdown(data: dict[str, Any]) -> str:
    """A readable page per article: title, metadata, summary, translation, warnings.

    Everything from the article is escaped (``beknopt.formats.markdown``): CMSs render these pages as HTML.
    """
    meta = data.get("metadata") or {}
    lines = [f"# {escape_inline(data.get('title_en') or meta.get('title') or data.get('id'))}", ""]
    dutch_title = meta.get("title") if data.get("title_en") else None
    facts = [("Dutch title", dutch_title), ("Id", data.get("id")), ("Source", data.get("source_path")),
             ("Date", meta.get("date")),
             ("Author", meta.get("author")), ("URL", meta.get("url"))]
    models = data.get("models") or {}
    if models:
        facts.append(("Models", ", ".join(f"{k}: {v}" for k, v in sorted(models.items()))))
    lines += [f"- **{label}:** {escape_inline(value)}" for label, value in facts if value]
    lines += ["", "## Summary", "", *_summary_section(data), "", "## Translation", "",
              escape_block(data.get("translation") or "")]
    if data.get("checks"):
        lines += ["", "## Checks", "", *(f"- {escape_inline(_check_line(c))}" for c in data["checks"])]
    if data.get("warnings"):
        lines += ["", "## Warnings", "", *(f"- {escape_inline(w)}" for w in data["warnings"])]
    return "\n".join(lines).rstrip() + "\n"


def _summary_section(data: dict[str, Any]) -> list[str]:
    """The summary, each sentence with footnote links to its Dutch sources when the record has provenance."""
    summary = data.get("summary") or ""
    bullets = "\n" in summary.strip()  # --summary-format bullets: one sentence per line
    cited = summary_with_sources(data)
    if cited is None:
        if bullets:
            return [f"- {escape_inline(line.strip())}" for line in summary.splitlines() if line.strip()]
        return [escape_block(summary)]
    sentences, footnotes = cited
    body = [f"- {s}" for s in sentences] if bullets else [" ".join(sentences)]
    return [*body, *(line for note in footnotes for line in ("", note))]


def summary_with_sources(data: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """Each summary sentence, escaped, followed by footnote references to the Dutch sentences it rests on
    (``... troops.[^1][^4]``, best source first), and the footnote definitions (``[^4]: Sentence 4: <Dutch>``)
    in order of first reference; ``None`` for a record without ``summary_sentences``.

    A footnote is labelled with the article's sentence number and its text starts with it: footnote-aware
    renderers renumber footnotes by first use, and without footnote support ``[^4]: Sentence 4: ...`` can
    never parse as a CommonMark link definition (which would hide the line and make the references links).
    """
    items = data.get("summary_sentences") or []
    if not items:
        return None
    dutch = data.get("sentences") or []
    sentences: list[str] = []
    cited: list[int] = []
    for item in items:
        sources = [i for i in item.get("sources") or [] if isinstance(i, int) and 0 <= i < len(dutch)]
        sentences.append(escape_inline(item.get("text") or "") + "".join(f"[^{i + 1}]" for i in sources))
        cited += [i for i in sources if i not in cited]
    footnotes = [f"[^{i + 1}]: Sentence {i + 1}: {escape_inline(dutch[i])}" for i in cited]
    return sentences, footnotes


def _check_line(check: dict[str, Any]) -> str:
    """``sentence 3 (number): 5.200 in the source, not in the translation``; ``summary sentence 2 (...)``."""
    sentence = check.get("sentence")
    where = f"sentence {sentence + 1}" if isinstance(sentence, int) else check.get("field") or "summary"
    if check.get("kind") == "summary-support" and isinstance(sentence, int):
        where = f"summary {where}"
    return f"{where} ({check.get('kind')}): {check.get('detail')}"
