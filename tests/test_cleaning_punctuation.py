"""Quotes and dashes (beknopt.cleaning.punctuation): one Dutch newspaper convention per document."""

from __future__ import annotations

import pytest

from beknopt.cleaning import clean
from beknopt.cleaning.punctuation import normalise_punctuation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('Hij zei: "Dit is het." En toen niet.', "Hij zei: „Dit is het.” En toen niet."),
        ("“Goed,” zei ze.", "„Goed,” zei ze."),
        ("„Al Dutch”, zei hij.", "„Al Dutch”, zei hij."),
        ('zei hij:"Hallo"', "zei hij:„Hallo”"),
        (",,Nee,'' zei hij.", "„Nee,” zei hij."),
        (
            "De auto's van zo'n man, 's avonds in de jaren '80.",
            "De auto's van zo'n man, 's avonds in de jaren '80.",
        ),
        ("De auto’s van zo‘n man, ’s avonds.", "De auto's van zo'n man, 's avonds."),
        ("Het woord 'cool' is ‚leuk’ en ‘tof’.", "Het woord ‘cool’ is ‘leuk’ en ‘tof’."),
        ("Een groei van 5‚5 procent‚ zei hij.", "Een groei van 5,5 procent, zei hij."),
        ("Kees' fiets staat er.", "Kees' fiets staat er."),
    ],
)
def test_quotes(raw: str, expected: str) -> None:
    assert normalise_punctuation(raw) == expected
    assert clean(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("De VS - en Duitsland - trekken terug.", "De VS – en Duitsland – trekken terug."),
        ("De VS -- en Duitsland -- trekken terug.", "De VS – en Duitsland – trekken terug."),
        ("De VS—en Duitsland—trekken terug.", "De VS – en Duitsland – trekken terug."),
        ("De VS ― ook Duitsland ‒ trekken terug.", "De VS – ook Duitsland – trekken terug."),
        ("In de jaren 1990—2000 en 5–10 man.", "In de jaren 1990–2000 en 5–10 man."),
        (
            "Tornado-gevechtsvliegtuigen boven Noord-Holland.",
            "Tornado-gevechtsvliegtuigen boven Noord-Holland.",
        ),
        (
            "De in- en uitvoer op 2020-09-09, bel 06-12345678.",
            "De in- en uitvoer op 2020-09-09, bel 06-12345678.",
        ),
        ("Non\u2011breaking en Unicode\u2010koppelteken.", "Non-breaking en Unicode-koppelteken."),
        ("Het werd \u22125 graden.", "Het werd \u22125 graden."),
    ],
)
def test_dashes(raw: str, expected: str) -> None:
    assert clean(raw).text == expected
