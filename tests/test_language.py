"""Language detection on paragraphs of news text, including the languages closest to Dutch."""

from __future__ import annotations

from pathlib import Path

import pytest

from beknopt.cleaning.language import detect_language, is_dutch

SAMPLE = Path(__file__).parent / "data" / "articles" / "2020-09-vs-troepen-irak.txt"

PARAGRAPHS = {
    "nl": (
        "Het kabinet heeft woensdag besloten om het aantal militairen in Irak terug te brengen. Volgens de "
        "minister van Defensie blijft Nederland zich wel inzetten voor de opleiding van Iraakse soldaten en "
        "agenten. De Tweede Kamer debatteert volgende week over het besluit."
    ),
    "en": (
        "The cabinet decided on Wednesday to reduce the number of soldiers in Iraq. According to the "
        "defence minister, the Netherlands will continue to help train Iraqi soldiers and police officers. "
        "Parliament will debate the decision next week."
    ),
    "de": (
        "Das Kabinett hat am Mittwoch beschlossen, die Zahl der Soldaten im Irak zu verringern. Nach "
        "Angaben der Verteidigungsministerin wird sich Deutschland weiterhin an der Ausbildung irakischer "
        "Soldaten und Polizisten beteiligen. Der Bundestag wird nächste Woche über die Entscheidung beraten."
    ),
    "fr": (
        "Le gouvernement a décidé mercredi de réduire le nombre de soldats en Irak. Selon la ministre de la "
        "Défense, la France continuera à participer à la formation des soldats et des policiers irakiens. "
        "L'Assemblée nationale débattra de cette décision la semaine prochaine."
    ),
    "af": (
        "Die kabinet het Woensdag besluit om die aantal soldate in Irak te verminder. Volgens die "
        "minister van Verdediging sal Suid-Afrika steeds help met die opleiding van Irakse soldate en "
        "polisiebeamptes. Die parlement sal volgende week oor die besluit debatteer."
    ),
}


@pytest.mark.parametrize("code", sorted(PARAGRAPHS))
def test_detects_news_paragraphs(code: str) -> None:
    detected, probability = detect_language(PARAGRAPHS[code])
    assert detected == code
    assert 0.9 <= probability <= 1.0


def test_sample_article_is_dutch() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert detect_language(text)[0] == "nl"
    assert is_dutch(text)


@pytest.mark.parametrize("code", ["en", "de", "fr", "af"])
def test_is_dutch_rejects_close_languages(code: str) -> None:
    assert not is_dutch(PARAGRAPHS[code])


def test_is_dutch_threshold() -> None:
    _, probability = detect_language(PARAGRAPHS["nl"])
    assert is_dutch(PARAGRAPHS["nl"], threshold=probability)
    assert is_dutch(PARAGRAPHS["nl"], threshold=0.0)
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        is_dutch(PARAGRAPHS["nl"], threshold=1.5)


@pytest.mark.parametrize("text", ["", "   ", "12345 -- 678"])
def test_text_without_letters_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="without letters"):
        detect_language(text)
