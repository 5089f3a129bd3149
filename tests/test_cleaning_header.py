"""Metadata headers (beknopt.cleaning.header): inline dates, ``key: value`` lines, front matter."""

from __future__ import annotations

import pytest

from beknopt.cleaning import clean
from beknopt.document import InputError


def test_inline_date_alone_on_its_line() -> None:
    cleaned = clean("date 2020-09\nDe Verenigde Staten zullen deze maand troepen terugtrekken.")
    assert cleaned.metadata == {"date": "2020-09"}
    assert cleaned.text == "De Verenigde Staten zullen deze maand troepen terugtrekken."


@pytest.mark.parametrize(
    "text",
    [
        "Datum 2020 was een zwaar jaar voor Irak.",  # a sentence about a date
        "Amsterdam: de politie heeft woensdag twee mannen aangehouden.",  # an unknown key
    ],
    ids=["a_sentence_about_a_date", "unknown_keys"],
)
def test_body_text_is_not_a_header(text: str) -> None:
    cleaned = clean(text)
    assert cleaned.metadata == {}
    assert cleaned.text == text


def test_key_value_header_with_dutch_keys() -> None:
    raw = (
        "Titel: VS trekken troepen terug uit Irak\n"
        "Datum: 2020-09-09\n"
        "Auteur: Jan Jansen\n"
        "Bron: ANP\n"
        "URL: https://example.nl/nieuws/irak?id=1\n"
        "\n"
        "De Verenigde Staten zullen deze maand het aantal militairen verlagen.\n"
        "\n"
        "Tweede alinea.\n"
    )
    cleaned = clean(raw)
    assert cleaned.metadata == {
        "title": "VS trekken troepen terug uit Irak",
        "date": "2020-09-09",
        "author": "Jan Jansen",
        "source": "ANP",
        "url": "https://example.nl/nieuws/irak?id=1",
    }
    assert cleaned.paragraphs == [
        "De Verenigde Staten zullen deze maand het aantal militairen verlagen.",
        "Tweede alinea.",
    ]


def test_header_ends_at_first_non_header_line() -> None:
    cleaned = clean("title: Troepen terug\ndate: 2024-05-01\nDe VS trekken troepen terug.\nSource: niet dit")
    assert cleaned.metadata == {"title": "Troepen terug", "date": "2024-05-01"}
    # No blank line in the body, so its lines are its paragraphs.
    assert cleaned.paragraphs == ["De VS trekken troepen terug.", "Source: niet dit"]


def test_front_matter() -> None:
    raw = (
        "---\n"
        'titel: "VS trekken troepen terug"\n'
        "datum: 2020-09-09\n"
        "auteur: Jan Jansen\n"
        "rubriek: Buitenland\n"
        "tags:\n"
        "  - irak\n"
        "  - vs\n"
        "# commentaar\n"
        "---\n"
        "\n"
        "De Verenigde Staten zullen troepen terugtrekken.\n"
    )
    cleaned = clean(raw)
    assert cleaned.metadata == {
        "title": "VS trekken troepen terug",
        "date": "2020-09-09",
        "author": "Jan Jansen",
        "category": "Buitenland",
        "tags": "irak, vs",
    }
    assert cleaned.text == "De Verenigde Staten zullen troepen terugtrekken."
    assert cleaned.warnings == []


def test_front_matter_bad_line_is_reported() -> None:
    cleaned = clean("---\ntitle: Iets\ndit is geen sleutel\n---\nTekst hier.")
    assert cleaned.metadata == {"title": "Iets"}
    assert cleaned.text == "Tekst hier."
    assert cleaned.warnings == ["ignored front-matter line 3: 'dit is geen sleutel'"]


def test_only_a_header_leaves_no_text() -> None:
    with pytest.raises(InputError, match=r"^kop\.txt: no text left after cleaning \(.*metadata header\)$"):
        clean("Titel: Iets\nDatum: 2020-09-09\n", source_name="kop.txt")
