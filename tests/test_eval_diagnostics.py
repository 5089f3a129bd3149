"""Summary diagnostics on small hand-computed examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from beknopt.eval import diagnose, evaluate
from beknopt.eval.diagnostics import corpus_rates, number_values, repeated_ngram_ratio


def test_lengths_novelty_and_redundancy_by_hand() -> None:
    d = diagnose("The cat sat on the mat. The cat sat on the mat.", ["The cat sat on the mat today."])
    assert (d.summary_words, d.source_words) == (12, 7)
    assert d.compression_ratio == pytest.approx(7 / 12)
    assert d.novel_1 == 0.0
    assert d.novel_2 == pytest.approx(1 / 11)  # only "mat the" is new
    assert d.novel_3 == pytest.approx(2 / 10)  # "the mat the", "mat the cat"
    assert d.repeated_3 == pytest.approx(1 - 6 / 10)  # 6 distinct trigrams out of 10
    assert repeated_ngram_ratio(["a", "b"], 3) is None


def test_without_source_only_length_and_redundancy() -> None:
    d = diagnose("Rutte spoke.", [None])
    assert (
        d.summary_words == 2 and d.source_words is None and d.compression_ratio is None and d.novel_1 is None
    )
    assert d.unsupported_numbers == [] and d.unsupported_names == []


def test_number_normalisation() -> None:
    assert Decimal(5200) in number_values("5,200") & number_values("5.200") & number_values("5200")
    assert number_values("3,5") == number_values("3.5") == {Decimal("3.5")}
    assert Decimal(1234567) in number_values("1.234.567")


def test_invented_number_and_name_are_flagged() -> None:
    source = "Minister Rutte said 5.200 farmers protested in The Hague in 1990, a rise of 3,5 percent."
    summary = "Rutte said 5,200 farmers and 7 police officers protested in Brussels in 1990, up 3.5 percent."
    d = diagnose(summary, [source])
    assert d.unsupported_numbers == ["7"]
    assert d.unsupported_names == ["Brussels"]
    assert d.numbers == 4  # 5,200 / 7 / 1990 / 3.5
    assert "Rutte" not in d.unsupported_names


def test_present_number_in_other_notation_is_not_flagged() -> None:
    assert diagnose("About 5,200 people came.", ["Er kwamen 5.200 mensen."]).unsupported_numbers == []
    assert diagnose("About 5200 people came.", ["About 5,200 people came."]).unsupported_numbers == []
    assert (
        diagnose("Damage: 3.5 million euros.", ["De schade is 3,5 miljoen euro."]).unsupported_numbers == []
    )
    assert diagnose("Twelve died.", ["Er vielen twaalf doden."]).unsupported_numbers == []
    assert diagnose("Twelve died.", ["12 people died."]).unsupported_numbers == []
    assert diagnose("Twelve died.", ["Ten people died."]).unsupported_numbers == ["Twelve"]


def test_names_are_matched_in_translation_and_original() -> None:
    summary = "The Dutch coach Van Nistelrooij met fans in Curaçao and Zuid-Holland."
    english = "The coach met fans."
    dutch = "De Nederlandse coach Van Nistelrooij ontmoette fans op Curacao en in Zuid-Holland."
    d = diagnose(summary, [english, dutch])
    # "The" is a common sentence start; "Dutch" is in neither text (an English word for "Nederlandse").
    assert d.unsupported_names == ["Dutch"]
    assert diagnose("Rutte's plan failed.", ["Het plan van Rutte faalde."]).unsupported_names == []


def test_corpus_rates_and_report() -> None:
    summaries = ["Rutte met 7 farmers.", "Rutte met farmers."]
    sources = ["Rutte met farmers.", "Rutte met farmers."]
    rates = corpus_rates([diagnose(s, [src]) for s, src in zip(summaries, sources, strict=True)])
    assert rates["docs_with_unsupported_numbers"] == 0.5
    assert rates["unsupported_number_rate"] == 1.0
    assert rates["docs_with_unsupported_names"] == 0.0
    report = evaluate(summaries, ["Rutte met farmers."] * 2, sources=sources, n_bootstrap=0)
    assert report.system.diagnostics["docs_with_unsupported_numbers"].value == 0.5
    assert report.system.documents[0].diagnostics.unsupported_numbers == ["7"]
    assert report.system.diagnostics["compression_ratio"].value == pytest.approx((3 / 4 + 1) / 2)
