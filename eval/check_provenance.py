"""How the provenance support threshold separates related from unrelated summary sentences.

Unrelated (always, on the FLORES-200 devtest shipped with beknopt): each English sentence of one FLORES document
is aligned with the English sentences of the next document, which it does not come from; every one at or above
the threshold would pass although it rests on nothing. Related (with ``--summaries FILE.jsonl``, fields
``source_en`` and ``summary_en`` as in WikiLingua): each human summary sentence is aligned with its own
article (passing is wanted) and with the next item's article (passing is a false pass).

    python -m beknopt.eval.check_provenance [--summaries tests/data/wikilingua_nl/gem_wiki_lingua_dutch_nl_dummy.jsonl]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from beknopt.checks.provenance import SUPPORT_THRESHOLD, Aligner, split_summary
from beknopt.split import split_sentences

DATA = Path(__file__).resolve().parent / "data" / "flores200_devtest_nl_en" / "flores200_devtest_nl_en_by_url.jsonl"


@dataclass(frozen=True)
class Supports:
    """Support values of one set of aligned sentences, and the share at or above a threshold."""

    values: tuple[float, ...]

    def passing(self, threshold: float = SUPPORT_THRESHOLD) -> float:
        return sum(v >= threshold for v in self.values) / len(self.values) if self.values else 0.0

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values) if self.values else 0.0


def unrelated_flores(limit: int | None = None) -> Supports:
    """Each FLORES document's English sentences aligned with the next document's sentences."""
    docs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()][:limit]
    values = []
    for i, doc in enumerate(docs):
        aligner = Aligner([s.strip() for s in doc["en"]])
        values += [aligner.align(s.strip()).support for s in docs[(i + 1) % len(docs)]["en"]]
    return Supports(tuple(values))


def summary_sentences(items: Sequence[dict[str, str]]) -> tuple[Supports, Supports]:
    """(own article, next item's article) supports of every human summary sentence."""
    articles = [Aligner(split_sentences(item["source_en"], lang="en")) for item in items]
    own, other = [], []
    for i, item in enumerate(items):
        for sentence in split_summary(item["summary_en"]):
            own.append(articles[i].align(sentence).support)
            other.append(articles[(i + 1) % len(items)].align(sentence).support)
    return Supports(tuple(own)), Supports(tuple(other))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summaries", type=Path, help="JSONL with source_en and summary_en (WikiLingua)")
    parser.add_argument("--threshold", type=float, default=SUPPORT_THRESHOLD)
    args = parser.parse_args(argv)
    unrelated = unrelated_flores()
    print(f"FLORES unrelated sentences: {unrelated.passing(args.threshold):.1%} of {len(unrelated.values)} at or "
          f"above {args.threshold} (mean support {unrelated.mean:.2f}, max {max(unrelated.values):.2f})")
    if args.summaries:
        lines = args.summaries.read_text(encoding="utf-8").splitlines()
        own, other = summary_sentences([json.loads(line) for line in lines if line.strip()])
        print(f"human summary sentences, own article: {own.passing(args.threshold):.1%} of {len(own.values)} pass "
              f"(mean {own.mean:.2f}); another article: {other.passing(args.threshold):.1%} pass "
              f"(mean {other.mean:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
