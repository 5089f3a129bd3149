"""Glossary matching speed: ``Glossary.find`` per sentence at 1k to 50k terms, against the old single regex.

One command (``python benchmarks/glossary.py``) measures, on FLORES-200 Dutch sentences (shipped with beknopt):

- building a ``Glossary`` from N terms (the service and every Ray actor rebuild it), and reading a 50k-term TSV
  file with ``load_glossary``;
- ``Glossary.find`` per sentence at each ``--sizes`` (default 1,000, 10,000 and 50,000 terms, the maximum);
- the old implementation (one alternation of every term, longest first; kept here as ``old_find``) at
  ``--old-sizes`` (default 1,000 and 5,000: it costs seconds per sentence beyond that), on the same sentences,
  so that the ratio comes from one run; the matches of both are compared and must be the same.

The terms are 1- to 4-word runs of the same FLORES text (so sentences do contain terms), as written and, for
half of them, in lower case (matched case-insensitively), drawn at random with a fixed seed. A benchmark, not a
test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from beknopt.models.tiny import flores_lines
from beknopt.translate.glossary import MAX_TERMS, Glossary, Term, load_glossary


def _sentences() -> list[str]:
    return [line.strip() for line in flores_lines("nl") if line.strip()]


def term_pool(sentences: list[str], seed: int = 0) -> list[Term]:
    """Up to ~60k distinct terms: word runs of the sentences, half lower-cased; no two with the same match key."""
    rng = random.Random(seed)
    spellings: dict[str, str] = {}
    for size in (1, 2, 3, 4):
        for sentence in sentences:
            words = re.findall(r"\w+(?:[-']\w+)*", sentence)
            for i in range(len(words) - size + 1):
                dutch = " ".join(words[i:i + size])
                if rng.random() < 0.5:
                    dutch = dutch.lower()
                spellings.setdefault(dutch.lower() if dutch == dutch.lower() else dutch, dutch)
    terms = [Term(dutch, f"EN {dutch}" if rng.random() < 0.8 else dutch) for dutch in spellings.values()]
    rng.shuffle(terms)
    return terms


def old_find(terms: list[Term]):
    """The implementation before issue 20 item 11: one regex, an alternation of all terms longest first."""
    def whole(term: Term) -> str:
        words = r"\s+".join(re.escape(part) for part in term.dutch.split())
        body = f"(?<!\\w)(?:{words})(?!\\w)"
        return f"(?i:{body})" if term.folds_case else body

    ordered = sorted(terms, key=lambda t: (-len(t.dutch), t.dutch))
    pattern = re.compile("|".join(f"({whole(t)})" for t in ordered))
    return lambda text: [(m.start(), m.end(), ordered[m.lastindex - 1]) for m in pattern.finditer(text)
                         if m.lastindex]


def _per_sentence(find, sentences: list[str], budget: float) -> tuple[float, int, list]:
    """Mean seconds per sentence over as many sentences as fit in ``budget`` seconds (at least one)."""
    found, start = [], time.perf_counter()
    for sentence in sentences:
        found.append(find(sentence))
        if time.perf_counter() - start > budget:
            break
    return (time.perf_counter() - start) / len(found), len(found), found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000],
                        help="glossary sizes for Glossary.find (default: 1000 10000 50000)")
    parser.add_argument("--old-sizes", type=int, nargs="*", default=[1_000, 5_000],
                        help="sizes for the old single regex (default: 1000 5000; none: leave it out)")
    parser.add_argument("--sentences", type=int, default=500, help="sentences per measurement (default: 500)")
    parser.add_argument("--old-budget", type=float, default=5.0,
                        help="seconds of old-regex matching per size; fewer sentences when slow (default: 5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    sentences = _sentences()
    random.Random(1).shuffle(sentences)
    sentences = sentences[:args.sentences]
    pool = term_pool(_sentences())
    largest = max([*args.sizes, *args.old_sizes])
    if largest > min(len(pool), MAX_TERMS):
        parser.error(f"at most {min(len(pool), MAX_TERMS):,} terms")
    figures: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine(),
                               "sentences": len(sentences),
                               "mean_sentence_chars": round(statistics.mean(map(len, sentences)), 1),
                               "new": {}, "old": {}}
    print(f"{len(sentences)} FLORES sentences, {figures['mean_sentence_chars']} characters on average; "
          f"{len(pool):,} terms in the pool", flush=True)

    built: dict[int, Glossary] = {}
    for size in args.sizes:
        start = time.perf_counter()
        glossary = built[size] = Glossary(pool[:size])
        build = time.perf_counter() - start
        glossary.find(sentences[0])  # the fold table and the first confirming regexes
        seconds, count, found = _per_sentence(glossary.find, sentences, budget=float("inf"))
        hits = sum(map(len, found))
        stats = glossary._automaton.get_stats()
        figures["new"][size] = {"build_s": round(build, 3), "find_ms": round(seconds * 1e3, 4), "sentences": count,
                                "hits": hits, "automaton_bytes": stats["total_size"]}
        print(f"new  {size:>6,} terms: build {build:6.3f} s, find {seconds * 1e3:8.4f} ms/sentence "
              f"({count} sentences, {hits} hits), automaton {stats['total_size'] / 2**20:.1f} MiB", flush=True)

    for size in args.old_sizes:
        start = time.perf_counter()
        find = old_find(pool[:size])
        compile_s = time.perf_counter() - start
        seconds, count, found = _per_sentence(find, sentences, budget=args.old_budget)
        glossary = built.get(size) or Glossary(pool[:size])
        new_seconds, _, new_found = _per_sentence(glossary.find, sentences[:count], budget=float("inf"))
        same = new_found == found
        figures["old"][size] = {"compile_s": round(compile_s, 3), "find_ms": round(seconds * 1e3, 3),
                                "sentences": count, "new_find_ms_same_sentences": round(new_seconds * 1e3, 4),
                                "ratio": round(seconds / new_seconds), "same_matches": same}
        print(f"old  {size:>6,} terms: compile {compile_s:6.3f} s, find {seconds * 1e3:8.1f} ms/sentence "
              f"({count} sentences); new on the same sentences {new_seconds * 1e3:.4f} ms: "
              f"{seconds / new_seconds:,.0f}x; same matches: {same}", flush=True)
        if not same:
            print("the new matches differ from the old ones", file=sys.stderr)
            return 1

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "termen.tsv"
        terms = pool[:min(MAX_TERMS, len(pool))]
        path.write_text("".join(f"{t.dutch}\t{'' if t.keep else t.english}\n" for t in terms), encoding="utf-8")
        start = time.perf_counter()
        loaded = load_glossary(path)
        figures["load_file_s"] = round(time.perf_counter() - start, 3)
        print(f"load_glossary of a {len(loaded):,}-term TSV ({path.stat().st_size / 2**20:.1f} MiB): "
              f"{figures['load_file_s']:.3f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
