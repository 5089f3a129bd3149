"""Boilerplate and duplicates (beknopt.cleaning.boilerplate): default patterns, extending and replacing them."""

from __future__ import annotations

import pytest

from beknopt.cleaning import clean
from beknopt.cleaning.boilerplate import DEFAULT_BOILERPLATE
from beknopt.document import InputError

ARTICLE_WITH_JUNK = """Door Jan Jansen

De Verenigde Staten zullen deze maand het aantal militairen in Irak verlagen.

Lees ook: Trump wil alle troepen terughalen

Foto: ANP

(ANP)

Dagen later keurde het Iraakse parlement een voorstel goed.

Deel dit artikel

Delen via: Facebook Twitter WhatsApp

Wij gebruiken cookies om je de beste ervaring te geven.

Accepteer cookies

Advertentie

Schrijf je in voor onze nieuwsbrief!

Door onze redacteur

Lees meer:
- Irak wil buitenlandse troepen weg
- Duitsland vermindert inzet

Beeld: Reuters

Dagen later keurde het Iraakse parlement een voorstel goed.
"""


KEPT = [
    "De Verenigde Staten zullen deze maand het aantal militairen in Irak verlagen.",
    "Dagen later keurde het Iraakse parlement een voorstel goed.",
]


def test_default_boilerplate_and_duplicates_are_removed() -> None:
    cleaned = clean(ARTICLE_WITH_JUNK)
    assert cleaned.paragraphs == KEPT
    assert cleaned.warnings == [
        "removed 13 boilerplate paragraphs (Door Jan Jansen, Lees ook:, Foto:, (ANP), Deel dit artikel, "
        "Delen via:, Wij gebruiken cookies…, Accepteer cookies, Advertentie, Schrijf je in…, "
        "Door onze redacteur, Lees meer:, Beeld:)",
        "removed 1 duplicate paragraph",
    ]


def test_boilerplate_lines_inside_a_paragraph() -> None:
    # Heading, lead-in and list lines keep their newlines, so boilerplate among them goes line by line; the
    # list of links after "Lees ook:" goes with it.
    raw = (
        "Troepen terug\nAdvertentie\nLees ook:\n- Irak wil dat ook\n- Duitsland ook\n"
        "De VS trekken troepen terug."
    )
    cleaned = clean(raw)
    assert cleaned.paragraphs == ["Troepen terug\nDe VS trekken troepen terug."]
    assert cleaned.warnings == ["removed 2 boilerplate lines (Advertentie, Lees ook:)"]


def test_lead_in_paragraph_takes_the_list_paragraph_after_it() -> None:
    cleaned = clean(
        "De VS trekken troepen terug.\n\nMeer over dit onderwerp:\n\n- Irak\n- Duitsland\n\nSlot."
    )
    assert cleaned.paragraphs == ["De VS trekken troepen terug.", "Slot."]
    assert cleaned.warnings == ["removed 2 boilerplate paragraphs (Meer over dit onderwerp:, - Irak)"]


def test_boilerplate_patterns_do_not_eat_real_paragraphs() -> None:
    paragraphs = [
        "Door de regen viel de wedstrijd uit.",
        "Foto's van de aanslag gingen de wereld over, zei de woordvoerder van de politie in Bagdad.",
        "Lees ook de verklaring van het ministerie, zei hij. "
        + " ".join(["Het ministerie zweeg lang."] * 10),
    ]
    cleaned = clean("\n\n".join(paragraphs))
    assert cleaned.paragraphs == paragraphs
    assert cleaned.warnings == []


def test_extra_boilerplate_extends_the_defaults() -> None:
    cleaned = clean(ARTICLE_WITH_JUNK + "\nMeer van RTV Oost\n", extra_boilerplate=[r"meer van rtv \w+"])
    assert cleaned.paragraphs == KEPT
    assert cleaned.warnings[0].startswith("removed 14 boilerplate paragraphs (Door Jan Jansen, Lees ook:,")
    assert cleaned.warnings[0].endswith(", Beeld:, Meer van RTV…)")


def test_boilerplate_replaces_the_defaults() -> None:
    cleaned = clean("Lees ook: iets\n\nEcht nieuws.\n\nAdvertentie", boilerplate=[r"advertentie"])
    assert cleaned.paragraphs == ["Lees ook: iets", "Echt nieuws."]
    assert cleaned.warnings == ["removed 1 boilerplate paragraph (Advertentie)"]
    assert clean("Lees ook: iets\n\nEcht nieuws.", boilerplate=[]).paragraphs == [
        "Lees ook: iets",
        "Echt nieuws.",
    ]


def test_bad_boilerplate_pattern() -> None:
    with pytest.raises(ValueError, match=r"invalid boilerplate pattern '\(lees'"):
        clean("Tekst.", extra_boilerplate=["(lees"])


def test_default_boilerplate_is_a_tuple_of_patterns() -> None:
    assert isinstance(DEFAULT_BOILERPLATE, tuple)
    assert all(isinstance(p, str) for p in DEFAULT_BOILERPLATE)


def test_nothing_left_after_cleaning() -> None:
    with pytest.raises(InputError) as excinfo:
        clean("Lees ook: iets\n\nAdvertentie\n\nFoto: ANP", source_name="rommel.txt")
    assert str(excinfo.value) == (
        "rommel.txt: no text left after cleaning (3 paragraphs removed as boilerplate, 0 as duplicates)"
    )
