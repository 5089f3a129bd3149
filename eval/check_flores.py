"""How well ``beknopt.check_translation`` separates good translations from ones with a changed number.

Runs the checks on the FLORES-200 devtest pairs (Dutch source, English human reference): every finding on an
untouched pair is a false flag. Then one number is changed in a seeded random 10% of the references that
hold a number written in digits (one digit replaced, or the number scaled by 10) and the share of altered
pairs with a new number finding is the catch rate.

    python -m beknopt.eval.check_flores [--limit N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from beknopt.checks import check_numbers, check_translation

DATA = Path(__file__).resolve().parent / "data" / "flores200_devtest_nl_en"
FALSE_FLAG_TARGET = 0.02
CAUGHT_TARGET = 0.95


@dataclass
class CheckMeasurement:
    pairs: int
    flagged: int
    altered: int
    caught: int
    kinds: Counter = field(default_factory=Counter)
    flagged_ids: list[int] = field(default_factory=list)
    missed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def false_flag_rate(self) -> float:
        return self.flagged / self.pairs if self.pairs else 0.0

    @property
    def caught_rate(self) -> float:
        return self.caught / self.altered if self.altered else 1.0


def load_pairs(limit: int | None = None) -> list[tuple[str, str]]:
    nl = (DATA / "nld_Latn.devtest").read_text(encoding="utf-8").splitlines()
    en = (DATA / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    return list(zip(nl, en, strict=True))[:limit]


def alter_number(text: str, rng: random.Random) -> str:
    """One digit run of ``text`` changed: a digit replaced by another, or the number times ten."""
    runs = list(re.finditer(r"\d+", text))
    run = rng.choice(runs)
    digits = run.group()
    fraction = run.start() > 1 and text[run.start() - 1] in ".," and text[run.start() - 2].isdigit()
    if fraction or rng.random() < 0.5:  # a zero after a decimal part ("3.70") would not change the value
        i = rng.randrange(len(digits))
        new = rng.choice([d for d in "0123456789" if d != digits[i] and (i or d != "0" or len(digits) == 1)])
        digits = digits[:i] + new + digits[i + 1:]
    else:
        digits += "0"
    return text[: run.start()] + digits + text[run.end():]


def measure(pairs: list[tuple[str, str]], seed: int = 0, share: float = 0.1) -> CheckMeasurement:
    result = CheckMeasurement(pairs=len(pairs), flagged=0, altered=0, caught=0)
    for i, (nl, en) in enumerate(pairs):
        findings = check_translation(nl, en, i)
        if findings:
            result.flagged += 1
            result.flagged_ids.append(i)
            result.kinds.update(f.kind for f in findings)
    rng = random.Random(seed)
    with_numbers = [i for i, (_, en) in enumerate(pairs) if re.search(r"\d", en)]
    chosen = sorted(rng.sample(with_numbers, min(len(with_numbers), max(1, round(share * len(pairs))))))
    for i in chosen:
        nl, en = pairs[i]
        altered = alter_number(en, rng)
        before = {(f.source, f.output, f.detail) for f in check_numbers(nl, en, i)}
        after = {(f.source, f.output, f.detail) for f in check_numbers(nl, altered, i)}
        result.altered += 1
        if after - before:
            result.caught += 1
        else:
            result.missed.append((i, altered))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print the flagged pairs and the missed changes")
    args = parser.parse_args(argv)
    pairs = load_pairs(args.limit)
    result = measure(pairs, seed=args.seed)
    if args.verbose:
        for i in result.flagged_ids:
            for f in check_translation(*pairs[i], i):
                print(f"flag {i}: {f.kind}: {f.detail}")
        for i, altered in result.missed:
            print(f"missed {i}: {altered}")
    print(f"false flags: {result.flagged}/{result.pairs} pairs = {result.false_flag_rate:.1%} "
          f"(target <= {FALSE_FLAG_TARGET:.0%}; findings by kind: {dict(result.kinds)})")
    print(f"caught: {result.caught}/{result.altered} altered references = {result.caught_rate:.1%} "
          f"(target >= {CAUGHT_TARGET:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
