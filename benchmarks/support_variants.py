"""Which definition of a summary's ``support`` agrees best with experts? The variants tried for beknopt's
provenance support, on SummEval's 25 articles in ``tests/data/summeval`` (16 systems each, expert consistency
1-5), measured as the summary-level Spearman correlation with consistency (per article across systems, then
averaged), and the warning threshold each would get (``calibrate``: best F1 at separating consistency < 4).

    python benchmarks/support_variants.py

Only the winner lives in ``beknopt.checks.provenance``; the others are here, so the comparison can be
rerun. Nothing here is a test.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from scipy.stats import spearmanr

from beknopt.checks.provenance import Aligner, _precision, _tokens, copied_share, split_summary
from beknopt.checks.unsupported import find_unsupported
from beknopt.split import split_sentences

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "summeval"
GRID = [round(0.05 * k, 2) for k in range(1, 20)]


def load() -> list[dict]:
    sources = {r["id"]: r["source"] for r in map(json.loads, (DATA / "sources.jsonl").open(encoding="utf-8"))}
    rows = [json.loads(line) for line in (DATA / "human.jsonl").open(encoding="utf-8")]
    for row in rows:
        row["source"] = sources[row["id"]]
    return rows


# A sentence variant: (aligner, summary sentence, its chosen sources) -> value in [0, 1].
SentenceScore = Callable[[Aligner, str, list[int]], float]


def copied(k: int) -> SentenceScore:
    return lambda a, s, src: copied_share(_tokens(s), [a._tokens[i] for i in src], min_run=k)


def rouge_precision(a: Aligner, s: str, src: list[int]) -> float:
    return a.score(s, src) if src else 0.0


def mean_of(*parts: SentenceScore) -> SentenceScore:
    return lambda a, s, src: statistics.mean(p(a, s, src) for p in parts)


SENTENCE_VARIANTS: dict[str, SentenceScore] = {
    "ROUGE-1/2 precision vs its sources (the support before)": rouge_precision,
    "copied share, stretches of 3+ words": copied(3),
    "copied share, stretches of 4+ words (beknopt's support)": copied(4),
    "copied share, stretches of 5+ words": copied(5),
    "mean of ROUGE-1/2 precision and copied share (4+)": mean_of(rouge_precision, copied(4)),
}


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(zip(*(tokens[i:] for i in range(n)), strict=False))


def whole_precision(ns: tuple[int, ...]) -> Callable[[dict], float]:
    """The plain baseline: n-gram precision of the whole summary against the whole article (mean over ns)."""

    def score(row: dict) -> float:
        summary, article = _tokens(row["prediction"]), _tokens(row["source"])
        values = [_precision(_ngrams(summary, n), _ngrams(article, n)) for n in ns if len(summary) >= n]
        return statistics.mean(values) if values else 0.0

    return score


def spearman_by_article(rows: list[dict], values: list[float]) -> tuple[float, int]:
    per_article: dict[str, tuple[list[float], list[float]]] = {}
    for row, value in zip(rows, values, strict=True):
        xs, ys = per_article.setdefault(row["id"], ([], []))
        xs.append(value)
        ys.append(row["human"]["consistency"])
    found = [spearmanr(xs, ys).statistic for xs, ys in per_article.values() if len(set(xs)) > 1 and len(set(ys)) > 1]
    return statistics.mean(found), len(found)


def calibrate(rows: list[dict], lowest: list[float]) -> tuple[float, float, float]:
    bad = [r["human"]["consistency"] < 4 for r in rows]
    best = (0.0, 0.0, 0.0, 0.0)
    for t in GRID:
        flags = [v < t for v in lowest]
        hits = sum(f and b for f, b in zip(flags, bad, strict=True))
        p = hits / sum(flags) if any(flags) else 0.0
        r = hits / sum(bad)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best[0]:
            best = (f1, t, p, r)
    return best[1], best[2], best[3]


def main() -> None:
    rows = load()
    aligners: dict[str, Aligner] = {}
    parts = []  # per row: [(sentence, sources, words)]
    for row in rows:
        if row["id"] not in aligners:
            aligners[row["id"]] = Aligner([s for s in split_sentences(row["source"], lang="en") if s.strip()])
        aligner = aligners[row["id"]]
        parts.append([(s, aligner.align(s).sources, len(_tokens(s))) for s in split_summary(row["prediction"])])
    print("| support variant | Spearman with consistency (25 articles) | threshold | precision | recall |")
    print("| --- | --- | --- | --- | --- |")
    halves = {}
    for name, fn in SENTENCE_VARIANTS.items():
        summary_values, lowest = [], []
        for row, sentences in zip(rows, parts, strict=True):
            aligner = aligners[row["id"]]
            values = [(fn(aligner, s, src), w) for s, src, w in sentences if w]
            total = sum(w for _, w in values)
            summary_values.append(sum(v * w for v, w in values) / total if total else 0.0)
            lowest.append(min((v for v, _ in values), default=0.0))
        rho, n = spearman_by_article(rows, summary_values)
        t, p, r = calibrate(rows, lowest)
        print(f"| {name} | {rho:.3f} (n={n}) | {t:.2f} | {p:.3f} | {r:.3f} |")
        ids = list(dict.fromkeys(row["id"] for row in rows))
        for half, keep in (("even", set(ids[::2])), ("odd", set(ids[1::2]))):
            picked = [i for i, row in enumerate(rows) if row["id"] in keep]
            halves[(name, half)] = spearman_by_article([rows[i] for i in picked],
                                                       [summary_values[i] for i in picked])[0]
    for name, ns in (("baseline: ROUGE-1/2 precision of the summary vs the article", (1, 2)),
                     ("whole summary vs article, 2/3/4-gram precision", (2, 3, 4))):
        rho, n = spearman_by_article(rows, [whole_precision(ns)(row) for row in rows])
        print(f"| {name} | {rho:.3f} (n={n}) | | | |")
    penalised = []
    for row, sentences in zip(rows, parts, strict=True):
        aligner = aligners[row["id"]]
        values = [(copied(4)(aligner, s, src), w) for s, src, w in sentences if w]
        total = sum(w for _, w in values)
        found = find_unsupported(row["prediction"], [row["source"]])
        flags = len(found.unsupported_numbers) + len(found.unsupported_names)
        penalised.append((sum(v * w for v, w in values) / total if total else 0.0) - 0.1 * flags)
    rho, n = spearman_by_article(rows, penalised)
    print(f"| copied share (4+) minus 0.1 per unsupported number/name | {rho:.3f} (n={n}) | | | |")
    print("\nBy half of the articles (even / odd positions), as a check that the choice is not one lucky split:")
    for name in SENTENCE_VARIANTS:
        print(f"- {name}: {halves[(name, 'even')]:.3f} / {halves[(name, 'odd')]:.3f}")


if __name__ == "__main__":
    main()
