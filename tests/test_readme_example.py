"""README "Checking a summary" shows what beknopt really prints for its example, byte for byte."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _block(readme: str, label: str) -> str:
    match = re.search(rf"<!-- example: {label} -->\n```\w+\n(.*?)\n```\n", readme, re.DOTALL)
    assert match, f"README has no '{label}' example block"
    return match.group(1)


def test_the_readme_example_is_what_beknopt_prints() -> None:
    sys.path.insert(0, str(ROOT / "docs" / "examples"))
    try:
        import checking_a_summary as example
    finally:
        sys.path.pop(0)
    from beknopt.batch import render_markdown

    result = example.example()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert json.loads(_block(readme, "json")) == example.excerpt(result)
    assert _block(readme, "markdown") == render_markdown(result.to_dict()).rstrip()
    # and what the example is there to show
    kinds = [(c["stage"], c["kind"], c["sentence"]) for c in result.checks]
    assert kinds == [("translate", "number", 2), ("summarise", "summary-support", 2),
                     ("summarise", "summary-support", 2)]
    assert [s["sources"][:1] for s in result.summary_sentences] == [[0], [1], [2]]


def test_the_readme_ninjs_round_trip_is_what_beknopt_prints() -> None:
    sys.path.insert(0, str(ROOT / "docs" / "examples"))
    try:
        import ninjs_round_trip as example
    finally:
        sys.path.pop(0)
    source, out = example.example()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert json.loads(_block(readme, "ninjs-in")) == source
    assert json.loads(_block(readme, "ninjs-out")) == out
    assert out["bodies"][0]["value"].split("\n\n")[0].startswith("Out of 1,400 people polled")
    assert out["associations"][0]["uri"] == source["uri"] and out["language"] == "en"
