"""The example of README "Checking a summary": what an editor gets to check, on real text.

The Dutch article is a FLORES-200 devtest document (CC BY-SA 4.0, bundled in ``beknopt.eval``). Its translation
is the professional English reference of FLORES, with one number changed (34 -> 43) as a model might; the
summary is written by hand for this example, with one invented sentence. beknopt's own stages then check it:
the check stage, the provenance stage and the Markdown page are the real ones.

    python docs/examples/checking_a_summary.py          # prints the JSON excerpt and the Markdown page
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from beknopt import CleanStage, Pipeline
from beknopt.batch import render_markdown
from beknopt.checks.provenance import ProvenanceStage
from beknopt.checks.stage import CheckStage

URL = "https://en.wikinews.org/wiki/Support_for_an_Australian_republic_slips"
SUMMARY = ("Opposition to Australia becoming a republic grew by 8 per cent since 2008, a poll of 1,400 people "
           "found. Julia Gillard believes Australia should become a republic at the end of the Queen's reign. "
           "12 per cent had no opinion.")


def flores_document(url: str = URL) -> dict[str, Any]:
    path = files("beknopt.eval").joinpath("data", "flores200_devtest_nl_en", "flores200_devtest_nl_en_by_url.jsonl")
    return next(d for line in path.read_text(encoding="utf-8").splitlines() if (d := json.loads(line))["url"] == url)


def example() -> Any:
    doc = flores_document()
    english = dict(zip((s.strip() for s in doc["nl"]), doc["en"], strict=True))

    def reference_translation(docs):  # the professional translation, one number changed
        for d in docs:
            d.translations = [english[s].replace("34 per cent", "43 per cent") for s in d.sentences]
        return docs

    def segments(docs):  # FLORES is aligned segment by segment: each segment (a paragraph here) is one unit
        for d in docs:
            d.sentences, d.sentence_paragraphs = list(d.paragraphs), list(range(len(d.paragraphs)))
        return docs

    def handwritten_summary(docs):
        for d in docs:
            d.summary = SUMMARY
        return docs

    segments.name = "split"  # type: ignore[attr-defined]
    reference_translation.name = "translate"  # type: ignore[attr-defined]
    handwritten_summary.name = "summarise"  # type: ignore[attr-defined]
    pipe = Pipeline([CleanStage(), segments, reference_translation, CheckStage(), handwritten_summary,
                     ProvenanceStage()])
    return pipe("\n\n".join(s.strip() for s in doc["nl"]), id="australie-republiek")


def excerpt(result: Any) -> dict[str, Any]:
    """The parts of the record an editor checks."""
    record = result.to_dict()
    return {key: record[key] for key in ("summary_sentences", "checks")}


if __name__ == "__main__":
    result = example()
    print(json.dumps(excerpt(result), ensure_ascii=False, indent=2))
    print()
    print(render_markdown(result.to_dict()))
