"""Repairs (beknopt.cleaning.repair): mojibake, control characters, entities, NFC, whitespace."""

from __future__ import annotations

import pytest

from beknopt.cleaning import clean


@pytest.mark.parametrize(
    ("raw", "fmt", "text", "warning"),
    [
        pytest.param(
            "In overleg en coÃ¶rdinatie met Irak, te beÃ«indigen.", "auto",
            "In overleg en coördinatie met Irak, te beëindigen.", "repaired mojibake (ftfy)",
            id="mojibake_is_repaired_with_a_warning",
        ),
        pytest.param(
            "De\x00 VS\x07 trekken\x1b troepen terug.", "auto",
            "De VS trekken troepen terug.", "removed 3 control characters",
            id="control_characters_are_removed_with_a_warning",
        ),
        pytest.param(
            "AT&amp;T en de VS.", "text", "AT&T en de VS.", "decoded HTML entities (ftfy)",
            id="html_entities_in_plain_text",
        ),
    ],
)  # fmt: skip
def test_repairs_are_reported(raw: str, fmt: str, text: str, warning: str) -> None:
    cleaned = clean(raw, format=fmt)
    assert cleaned.text == text
    assert cleaned.warnings == [warning]


def test_mojibake_on_one_line_does_not_stop_the_rest() -> None:
    cleaned = clean("Echte ö hier.\n\nMaar coÃ¶rdinatie daar.")
    assert cleaned.paragraphs == ["Echte ö hier.", "Maar coördinatie daar."]
    assert cleaned.warnings == ["repaired mojibake (ftfy)"]


def test_unicode_is_nfc() -> None:
    decomposed = "coo\u0308rdinatie"
    assert clean(decomposed).text == "co\u00f6rdinatie"


def test_whitespace_is_normalised_without_warnings() -> None:
    raw = "De\tVS  trekken\u00a0troepen\u202fterug\u200b.\r\n\r\nTweede\u00a0 alinea\u00ad.  \r\n"
    cleaned = clean(raw)
    assert cleaned.paragraphs == ["De VS trekken troepen terug.", "Tweede alinea."]
    assert cleaned.text == "De VS trekken troepen terug.\n\nTweede alinea."
    assert cleaned.warnings == []
