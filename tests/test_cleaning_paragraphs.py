"""Paragraphs (beknopt.cleaning.paragraphs): soft wraps joined, headings and list items kept on their lines."""

from __future__ import annotations

import pytest

from beknopt.cleaning import clean


def test_soft_wraps_become_spaces_and_paragraphs_stay() -> None:
    raw = (
        "De Verenigde Staten zullen deze maand het aantal Amerikaanse\n"
        "militairen in Irak verlagen van 5200 tot 3000. Dat zei generaal\n"
        "Kenneth McKenzie woensdag.\n"
        "\n"
        "Ook Duitsland brengt zijn militair personeel in Irak terug van\n"
        "zevenhonderd naar vijfhonderd man.\n"
    )
    assert clean(raw).paragraphs == [
        "De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen van 5200 "
        "tot 3000. Dat zei generaal Kenneth McKenzie woensdag.",
        "Ook Duitsland brengt zijn militair personeel in Irak terug van zevenhonderd naar vijfhonderd man.",
    ]


def test_headings_and_list_items_keep_their_newlines() -> None:
    raw = (
        "Troepen terug uit Irak\n"
        "De Verenigde Staten zullen het aantal militairen verlagen. De VS noemen drie redenen:\n"
        "- de strijd tegen IS is grotendeels voorbij\n"
        "* Irak wil het zelf\n"
        "• een verkiezingsbelofte\n"
        "1. eerste stap\n"
        "2) tweede stap\n"
        "Na de lijst gaat de tekst\n"
        "gewoon door.\n"
    )
    assert clean(raw).paragraphs == [
        "Troepen terug uit Irak\n"
        "De Verenigde Staten zullen het aantal militairen verlagen. De VS noemen drie redenen:\n"
        "- de strijd tegen IS is grotendeels voorbij\n"
        "* Irak wil het zelf\n"
        "• een verkiezingsbelofte\n"
        "1. eerste stap\n"
        "2) tweede stap\n"
        "Na de lijst gaat de tekst gewoon door."
    ]


def test_wrapped_list_item_continues_on_an_indented_line() -> None:
    raw = "Drie punten:\n- het eerste punt is lang en loopt door\n  Op de volgende regel\n- tweede"
    assert clean(raw).paragraphs == [
        "Drie punten:\n- het eerste punt is lang en loopt door Op de volgende regel\n- tweede"
    ]


def test_hyphenated_wrap_keeps_the_hyphen() -> None:
    cleaned = clean("Een bijdrage van Noord-\nHolland en de Tornado-\ngevechtsvliegtuigen.")
    assert cleaned.text == "Een bijdrage van Noord-Holland en de Tornado-gevechtsvliegtuigen."


def test_without_blank_lines_each_line_is_a_paragraph() -> None:
    raw = (
        "De Verenigde Staten trekken deze maand een groot deel van hun troepen terug uit Irak, meldt "
        "het leger.\n"
        "Ook Duitsland brengt het aantal militairen terug.\n"
        "Dat besloot het kabinet woensdag."
    )
    assert clean(raw).paragraphs == raw.split("\n")


def test_only_the_common_list_markers_keep_a_line_break() -> None:
    # Narrower than the sentence splitter's list items (see beknopt.cleaning.textpatterns): a letter, "(2)" or an
    # em dash at the start of a wrapped line is prose; a three-digit item number is a list item.
    raw = "De VS noemen redenen en die\na) zijn niet nieuw en\n(2) ook niet oud\n— zegt de minister\n100. Dat is veel"
    assert clean(raw).paragraphs == [
        "De VS noemen redenen en die a) zijn niet nieuw en (2) ook niet oud – zegt de minister\n100. Dat is veel"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kop van het stuk\n„Wat nu?” vroeg hij.", "Kop van het stuk\n„Wat nu?” vroeg hij."),
        # "¿" is not among the opening marks skipped here (the sentence splitter skips it), so no heading
        ("Kop van het stuk\n¿Qué pasa? vroeg hij.", "Kop van het stuk ¿Qué pasa? vroeg hij."),
    ],
)
def test_a_heading_needs_a_capital_after_the_opening_quotes(raw: str, expected: str) -> None:
    assert clean(raw).text == expected
