"""The example of README "Newsroom formats": a Dutch ninjs document in, the English ninjs document out.

The article is a FLORES-200 devtest document (CC BY-SA 4.0, bundled in ``beknopt.eval``), put into a ninjs 3.1
document as a CMS would send it. Its translation is FLORES's professional English reference (the headline's
translation is the English Wikinews title), and the summary is the lead sentence: so the example shows what
beknopt's reader and writer do with real text, without depending on a model's output. Reader, cleaning, the
ninjs writer and the schema check are the real ones.

    python docs/examples/ninjs_round_trip.py          # prints the ninjs document in and the one out
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from beknopt import CleanStage, LeadSummariser, Pipeline
from beknopt.formats import read, validate_ninjs

URL = "https://en.wikinews.org/wiki/Support_for_an_Australian_republic_slips"
HEADLINE = ("Steun voor een Australische republiek neemt af", "Support for an Australian republic slips")


def flores_document(url: str = URL) -> dict[str, Any]:
    path = files("beknopt.eval").joinpath("data", "flores200_devtest_nl_en", "flores200_devtest_nl_en_by_url.jsonl")
    return next(d for line in path.read_text(encoding="utf-8").splitlines() if (d := json.loads(line))["url"] == url)


def ninjs_in() -> dict[str, Any]:
    """The Dutch article as a CMS exports it: ninjs 3.1, body as plain text, metadata beside it."""
    doc = flores_document()
    return {
        "standard": {"name": "ninjs", "version": "3.1", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"},
        "uri": "urn:newsml:voorbeeldpers.nl:20100820:australie-republiek",
        "type": "text",
        "language": "nl",
        "firstCreated": "2010-08-20T09:30:00Z",
        "by": "Redactie buitenland",
        "headlines": [{"role": "main", "value": HEADLINE[0]}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(s.strip() for s in doc["nl"])}],
        "copyrightNotice": "(c) Voorbeeldpers; tekst: FLORES-200, CC BY-SA 4.0",
    }


def example() -> tuple[dict[str, Any], dict[str, Any]]:
    source = ninjs_in()
    validate_ninjs(source, "3.1")
    flores = flores_document()
    english = dict(zip((s.strip() for s in flores["nl"]), flores["en"], strict=True))

    def segments(docs):  # FLORES is aligned segment by segment: each segment (a paragraph here) is one unit
        for d in docs:
            d.sentences, d.sentence_paragraphs = list(d.paragraphs), list(range(len(d.paragraphs)))
        return docs

    def reference_translation(docs):  # FLORES's professional translation, and the Wikinews title
        for d in docs:
            d.translations = [english[s] for s in d.sentences]
            d.title_en = HEADLINE[1]
        return docs

    segments.name = "split"  # type: ignore[attr-defined]
    reference_translation.name = "translate"  # type: ignore[attr-defined]
    (doc,) = read(json.dumps(source).encode("utf-8"))
    pipe = Pipeline([CleanStage(), segments, reference_translation, LeadSummariser(1)])
    (result,) = pipe.process([doc])
    out = result.to_ninjs(version="3.1")
    validate_ninjs(out, "3.1")
    return source, out


if __name__ == "__main__":
    source, out = example()
    print(json.dumps(source, ensure_ascii=False, indent=2))
    print()
    print(json.dumps(out, ensure_ascii=False, indent=2))
