"""Sentence splitter: hand-checked tricky cases, paragraphs, long sentences, FLORES-200 boundary scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beknopt.split import fit_sentences, split_long_sentence, split_paragraphs, split_sentences

FLORES_DIR = Path(__file__).parent.parent / "eval/data/flores200_devtest_nl_en"

# Each case: input text -> the exact sentences expected (checked by hand).
DUTCH_CASES: list[tuple[str, list[str]]] = [
    # plain sentence ends
    ("Het regent. Morgen wordt het droog.", ["Het regent.", "Morgen wordt het droog."]),
    ("Komt hij? Niemand weet het! Wij wachten.", ["Komt hij?", "Niemand weet het!", "Wij wachten."]),
    ("Wat?! Dat meen je niet.", ["Wat?!", "Dat meen je niet."]),
    # prefix abbreviations never end a sentence
    ("Dat zei dhr. Jansen gisteren. Hij was boos.", ["Dat zei dhr. Jansen gisteren.", "Hij was boos."]),
    ("Ook mevr. De Vries was er.", ["Ook mevr. De Vries was er."]),
    ("Prof. dr. Van Dam sprak. Iedereen luisterde.", ["Prof. dr. Van Dam sprak.", "Iedereen luisterde."]),
    (
        "Er kwamen o.a. Belgen en Duitsers. Dat was mooi.",
        ["Er kwamen o.a. Belgen en Duitsers.", "Dat was mooi."],
    ),
    ("Neem bijv. Amsterdam als voorbeeld.", ["Neem bijv. Amsterdam als voorbeeld."]),
    ("Het plan, d.w.z. Het Akkoord, ligt er.", ["Het plan, d.w.z. Het Akkoord, ligt er."]),
    ("Er is m.b.t. Schiphol niets besloten.", ["Er is m.b.t. Schiphol niets besloten."]),
    ("Er waren ca. 300 mensen. Dat viel tegen.", ["Er waren ca. 300 mensen.", "Dat viel tegen."]),
    ("Zie nr. 12 en blz. 5 voor details.", ["Zie nr. 12 en blz. 5 voor details."]),
    ("Hij nam i.p.v. Kees de trein.", ["Hij nam i.p.v. Kees de trein."]),
    ("Het was Ajax vs. PSV. De uitslag was 2-2.", ["Het was Ajax vs. PSV.", "De uitslag was 2-2."]),
    ("Zie p. 4 van het rapport.", ["Zie p. 4 van het rapport."]),
    ("Bijv. Utrecht doet mee. Dat is nieuw.", ["Bijv. Utrecht doet mee.", "Dat is nieuw."]),
    # final abbreviations: a capital after them starts a new sentence, lowercase does not
    (
        "Ze kochten appels, peren enz. Daarna gingen ze naar huis.",
        ["Ze kochten appels, peren enz.", "Daarna gingen ze naar huis."],
    ),
    ("Appels, peren enz. zijn gezond.", ["Appels, peren enz. zijn gezond."]),
    ("Er waren stoelen, tafels e.d. Alles was nieuw.", ["Er waren stoelen, tafels e.d.", "Alles was nieuw."]),
    ("Het kost 5 mln. euro per jaar.", ["Het kost 5 mln. euro per jaar."]),
    ("De schade is 2 mld. De verzekeraar betaalt.", ["De schade is 2 mld.", "De verzekeraar betaalt."]),
    (
        "Op 3 mei jl. was er een storm. Niemand raakte gewond.",
        ["Op 3 mei jl. was er een storm.", "Niemand raakte gewond."],
    ),
    (
        "De vergadering is maandag a.s. Iedereen is welkom.",
        ["De vergadering is maandag a.s.", "Iedereen is welkom."],
    ),
    ("Fiets te koop, z.g.a.n. Prijs 50 euro.", ["Fiets te koop, z.g.a.n.", "Prijs 50 euro."]),
    ("Tablet, zgan. Ophalen in Delft.", ["Tablet, zgan.", "Ophalen in Delft."]),
    ("Geldig t/m 5 mei. Daarna niet meer.", ["Geldig t/m 5 mei.", "Daarna niet meer."]),
    ("Boeken, films etc. Alles mag mee.", ["Boeken, films etc.", "Alles mag mee."]),
    # initials
    (
        "Premier J.P. Balkenende sprak. Daarna vertrok hij.",
        ["Premier J.P. Balkenende sprak.", "Daarna vertrok hij."],
    ),
    ("Koning W.-A. Van Oranje opende de brug.", ["Koning W.-A. Van Oranje opende de brug."]),
    (
        "Het boek is van Th. Ruys. Het verscheen in 1920.",
        ["Het boek is van Th. Ruys.", "Het verscheen in 1920."],
    ),
    ("Volgens A. de Vries klopt het.", ["Volgens A. de Vries klopt het."]),
    # numbers, times, dates
    (
        "Er kwamen 5.200 bezoekers. Dat is 3,5 procent meer.",
        ["Er kwamen 5.200 bezoekers.", "Dat is 3,5 procent meer."],
    ),
    ("De trein vertrekt om 12.30 uur. Wees op tijd.", ["De trein vertrekt om 12.30 uur.", "Wees op tijd."]),
    (
        "Het ging om 1.000.000 euro. 34 procent daarvan was subsidie.",
        ["Het ging om 1.000.000 euro.", "34 procent daarvan was subsidie."],
    ),
    ("De brief is van 12.03.2020. Hij kwam te laat.", ["De brief is van 12.03.2020.", "Hij kwam te laat."]),
    ("Ze won in 1998. In 2002 stopte ze.", ["Ze won in 1998.", "In 2002 stopte ze."]),
    # ellipses
    ("Hij twijfelde... Toen ging hij toch.", ["Hij twijfelde...", "Toen ging hij toch."]),
    ("Hij twijfelde... maar ging toch.", ["Hij twijfelde... maar ging toch."]),
    ("Het was stil… Daarna brak de storm los.", ["Het was stil…", "Daarna brak de storm los."]),
    ("'Ik wist het (...) niet', zei ze.", ["'Ik wist het (...) niet', zei ze."]),
    ("... en toen was het voorbij.", ["... en toen was het voorbij."]),
    # quotes and brackets keep their closers
    ("Hij zei: „Ik kom morgen.” Daarna vertrok hij.", ["Hij zei: „Ik kom morgen.”", "Daarna vertrok hij."]),
    ('Ze riep: "Help!" Niemand hoorde haar.', ['Ze riep: "Help!"', "Niemand hoorde haar."]),
    ("'Waarom?' vroeg hij. 'Daarom.'", ["'Waarom?' vroeg hij.", "'Daarom.'"]),
    ("„Nee!”, riep ze. Het was te laat.", ["„Nee!”, riep ze.", "Het was te laat."]),
    ("‘Ik ben moe.’ Ze ging slapen.", ["‘Ik ben moe.’", "Ze ging slapen."]),
    ("Hij ging weg (het was laat.) Toen sliep hij.", ["Hij ging weg (het was laat.)", "Toen sliep hij."]),
    (
        "Het kostte veel (zie bijv. blz. 3). Toch ging het door.",
        ["Het kostte veel (zie bijv. blz. 3).", "Toch ging het door."],
    ),
    (
        "Hij vertrok. (Dat was te verwachten.) Wij bleven.",
        ["Hij vertrok.", "(Dat was te verwachten.)", "Wij bleven."],
    ),
    ("Het heette 'De Ster'. Iedereen kende het.", ["Het heette 'De Ster'.", "Iedereen kende het."]),
    # opening marks before a capital, ¿ and { too (see beknopt.cleaning.textpatterns)
    (
        "Hij kwam. ¿Qué pasa? Niemand wist het. {Noot} Einde.",
        ["Hij kwam.", "¿Qué pasa?", "Niemand wist het.", "{Noot} Einde."],
    ),
    # Dutch clitic sentence openers
    ("Het was koud. 's Avonds vroor het.", ["Het was koud.", "'s Avonds vroor het."]),
    ("Zo gaat dat. 't Is niet anders.", ["Zo gaat dat.", "'t Is niet anders."]),
    # lowercase after a period is no boundary
    ("Dat staat in art. 5 van de wet.", ["Dat staat in art. 5 van de wet."]),
    ("Hij verwees naar www.nos.nl. Daar stond het.", ["Hij verwees naar www.nos.nl.", "Daar stond het."]),
]

ENGLISH_CASES: list[tuple[str, list[str]]] = [
    ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
    ("Mrs. Brown and Prof. White agreed.", ["Mrs. Brown and Prof. White agreed."]),
    (
        "Some fruit, e.g. apples, is cheap. Other fruit is not.",
        ["Some fruit, e.g. apples, is cheap.", "Other fruit is not."],
    ),
    ("The capital, i.e. Paris, is large.", ["The capital, i.e. Paris, is large."]),
    ("The U.S. President spoke. He was brief.", ["The U.S. President spoke.", "He was brief."]),
    ("He moved to the U.S. The move was hard.", ["He moved to the U.S.", "The move was hard."]),
    ("Apple Inc. The company grew.", ["Apple Inc.", "The company grew."]),
    ("Apple Inc. CEO Tim Cook spoke.", ["Apple Inc. CEO Tim Cook spoke."]),
    ("It opened on Jan. 5 this year.", ["It opened on Jan. 5 this year."]),
    ("We sold pens, paper, etc. Then we closed.", ["We sold pens, paper, etc.", "Then we closed."]),
    ('"I am done." She left.', ['"I am done."', "She left."]),
    ("Is it true? Yes! It is.", ["Is it true?", "Yes!", "It is."]),
    ("He said no. The room went quiet.", ["He said no.", "The room went quiet."]),
    ("See No. 5 for details.", ["See No. 5 for details."]),
]


@pytest.mark.parametrize(("text", "expected"), DUTCH_CASES, ids=[case[0][:40] for case in DUTCH_CASES])
def test_dutch_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH_CASES, ids=[case[0][:40] for case in ENGLISH_CASES])
def test_english_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text, lang="en") == expected


def test_enough_hand_checked_cases() -> None:
    assert len(DUTCH_CASES) >= 40
    assert len(ENGLISH_CASES) >= 10


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        split_sentences("Hallo Welt.", lang="de")
    with pytest.raises(ValueError, match="unsupported language"):
        split_paragraphs(["Hallo."], lang="fr")


# ------------------------------------------------------------------------------------- paragraphs and lines


# Each case: text with line breaks -> the sentences expected; the id says which rule it checks.
LINE_CASES = [
    pytest.param(
        "Eerste zin van\nalinea een. Tweede zin.\n\n  \nDerde zin dhr.\nJansen kwam.\r\n\r\nLaatste",
        ["Eerste zin van alinea een.", "Tweede zin.", "Derde zin dhr. Jansen kwam.", "Laatste"],
        id="blank_lines_separate_paragraphs",
    ),
    pytest.param(
        "Een zin zonder punt\n\nvolgende alinea",
        ["Een zin zonder punt", "volgende alinea"],
        id="no_sentence_spans_a_blank_line",
    ),
    pytest.param(
        "Kabinet valt over stikstof\nHet kabinet is gevallen. De premier bood ontslag aan.",
        ["Kabinet valt over stikstof", "Het kabinet is gevallen.", "De premier bood ontslag aan."],
        id="heading_without_punctuation_is_a_boundary",
    ),
    pytest.param(
        "Het kabinet van\nMark Rutte viel in 2023 over\nmigratie, en de premier\nvertrok.",
        ["Het kabinet van Mark Rutte viel in 2023 over migratie, en de premier vertrok."],
        id="soft_wrapped_lines_are_joined",
    ),
    pytest.param(
        "Dit zijn de punten:\n- lagere lasten\n- meer woningen\n• betere zorg\n1. Eerste\n2) Tweede",
        ["Dit zijn de punten:", "- lagere lasten", "- meer woningen", "• betere zorg", "1. Eerste", "2) Tweede"],
        id="list_items_are_boundaries",
    ),
    pytest.param(  # wider than the cleaning stage's list items (see beknopt.cleaning.textpatterns)
        "Dit zijn de punten:\na) lagere lasten\n(2) meer woningen\n● betere zorg\n— minder files",
        ["Dit zijn de punten:", "a) lagere lasten", "(2) meer woningen", "● betere zorg", "— minder files"],
        id="letter_bracketed_and_other_bullet_items_are_boundaries",
    ),
    pytest.param(
        "Let op:\nDe weg is dicht.", ["Let op:", "De weg is dicht."], id="line_ending_in_colon_before_capital",
    ),
    pytest.param(
        "Een  zin\tmet\u00a0ruimte.   Nog een.",
        ["Een zin met ruimte.", "Nog een."],
        id="whitespace_inside_sentences_is_normalised",
    ),
]


@pytest.mark.parametrize(("text", "expected"), LINE_CASES)
def test_line_breaks_and_paragraphs(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_paragraphs_indices_refer_to_input() -> None:
    paragraphs = ["Een. Twee.", "", "   ", "Drie.", "Vier? Vijf!"]
    sentences, paragraph_of = split_paragraphs(paragraphs)
    assert sentences == ["Een.", "Twee.", "Drie.", "Vier?", "Vijf!"]
    assert paragraph_of == [0, 0, 3, 4, 4]


def test_split_sentences_empty_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \n") == []


# ------------------------------------------------------------------------------------------ long sentences


def words(text: str) -> int:
    return len(text.split())


def assert_lossless(sentence: str, pieces: list[str]) -> None:
    assert " ".join(pieces) == " ".join(sentence.split())


def test_short_sentence_is_left_alone() -> None:
    assert split_long_sentence("Het  regent vandaag.", 10, words) == ["Het regent vandaag."]


# Each case: sentence, token limit (in words), the pieces expected: the preferred boundary wins.
CLAUSE_CASES = [
    pytest.param(
        "Het kabinet wil meer woningen bouwen, maar de gemeenten hebben te weinig grond en te weinig geld.",
        12,
        ["Het kabinet wil meer woningen bouwen,", "maar de gemeenten hebben te weinig grond en te weinig geld."],
        id="clause_boundary_is_preferred_over_words",
    ),
    pytest.param(
        "Eerst dit, dan dat; daarna kwam de rest, en toen was het klaar.",
        9,
        ["Eerst dit, dan dat;", "daarna kwam de rest, en toen was het klaar."],
        id="semicolon_is_preferred_over_comma",
    ),
    pytest.param(
        "Rood, groen, blauw en geel waren er, omdat de schilder alle kleuren wilde gebruiken.",
        10,
        ["Rood, groen, blauw en geel waren er,", "omdat de schilder alle kleuren wilde gebruiken."],
        id="conjunction_comma_is_preferred_over_plain_comma",
    ),
    pytest.param(
        "De minister kwam te laat — de trein had vertraging door een storing bij Utrecht Centraal.",
        11,
        ["De minister kwam te laat", "— de trein had vertraging door een storing bij Utrecht Centraal."],
        id="dash_is_a_clause_boundary",
    ),
]


@pytest.mark.parametrize(("sentence", "limit", "expected"), CLAUSE_CASES)
def test_clause_boundaries_in_order_of_preference(sentence: str, limit: int, expected: list[str]) -> None:
    pieces = split_long_sentence(sentence, limit, words)
    assert pieces == expected
    assert_lossless(sentence, pieces)


def test_token_fallback_respects_limit_and_keeps_every_word() -> None:
    sentence = " ".join(f"woord{i}" for i in range(53))
    pieces = split_long_sentence(sentence, 10, words)
    assert all(words(piece) <= 10 for piece in pieces)
    assert len(pieces) == 6
    assert_lossless(sentence, pieces)


def test_long_clause_is_split_further_by_words() -> None:
    sentence = "Kort begin; " + " ".join(["heel"] * 25) + " lang einde."
    pieces = split_long_sentence(sentence, 10, words)
    assert pieces[0] == "Kort begin;"
    assert all(words(piece) <= 10 for piece in pieces)
    assert_lossless(sentence, pieces)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 13])
def test_never_loses_a_word_with_character_counter(limit: int) -> None:
    sentence = (
        "Volgens de minister, die gisteren in Den Haag sprak, is het plan haalbaar; de oppositie denkt daar "
        "anders over, want de kosten zijn hoog – en niemand weet wie betaalt, terwijl de tijd dringt."
    )

    def chars(text: str) -> int:
        return len(text) // 4 + 1

    pieces = split_long_sentence(sentence, limit * 4, chars)
    assert all(chars(piece) <= limit * 4 for piece in pieces)
    assert_lossless(sentence, pieces)


def test_single_overlong_word_is_cut_into_characters() -> None:
    pieces = split_long_sentence("a " + "x" * 25 + " b", 10, len)
    assert all(len(piece) <= 10 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == "a" + "x" * 25 + "b"


def test_split_long_sentence_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        split_long_sentence("Een zin.", 0, words)


def test_fit_sentences_counts_splits_and_keeps_paragraphs() -> None:
    long_one = "Dit is een lange zin, maar hij moet toch vertaald worden."
    sentences = ["Kort.", long_one, "Ook kort.", long_one]
    fitted, paragraph_of, n_split = fit_sentences(sentences, [0, 0, 1, 2], 8, words)
    assert n_split == 2
    assert fitted == [
        "Kort.",
        "Dit is een lange zin,",
        "maar hij moet toch vertaald worden.",
        "Ook kort.",
        "Dit is een lange zin,",
        "maar hij moet toch vertaald worden.",
    ]
    assert paragraph_of == [0, 0, 0, 1, 2, 2]


def test_fit_sentences_nothing_to_do() -> None:
    assert fit_sentences(["Een.", "Twee."], [0, 1], 5, words) == (["Een.", "Twee."], [0, 1], 0)


def test_fit_sentences_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="paragraph indices"):
        fit_sentences(["Een."], [0, 1], 5, words)


# ------------------------------------------------------------------------------------------------ FLORES-200


def _boundaries(sentences: list[str]) -> set[int]:
    """Sentence ends as offsets counted in non-whitespace characters, so spacing differences do not matter."""
    ends, offset = set(), 0
    for sentence in sentences[:-1]:
        offset += len("".join(sentence.split()))
        ends.add(offset)
    return ends


def _flores_scores(lang: str) -> dict[str, float]:
    """Boundary recall against the FLORES lines, and precision and recall against the re-segmented lines.

    FLORES lines are translation units that often hold several sentences, so precision against the raw
    lines would count correct splits as errors; the hand-checked re-segmentation fixes that (see the README).
    """
    with (FLORES_DIR / "flores200_devtest_nl_en_by_url.jsonl").open(encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle]
    resegmented = {}
    with (FLORES_DIR / "flores200_devtest_resegmented.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["lang"] == lang:
                resegmented[row["line"]] = row["sentences"]
    assert len(docs) == 281
    found = gold_total = correct = predicted = reference_total = 0
    for doc in docs:
        lines = doc[lang]
        reference = [
            s for k, line in enumerate(lines) for s in resegmented.get(doc["line_start"] + k, [line])
        ]
        gold, reference_ends = _boundaries(lines), _boundaries(reference)
        predicted_ends = _boundaries(split_sentences(" ".join(lines), lang=lang))
        found += len(gold & predicted_ends)
        gold_total += len(gold)
        correct += len(predicted_ends & reference_ends)
        reference_total += len(reference_ends)
        predicted += len(predicted_ends)
    return {
        "recall": found / gold_total,
        "precision": correct / predicted,
        "reference_recall": correct / reference_total,
        "raw_precision": found / predicted,
    }


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_flores_boundary_recall_and_precision(lang: str) -> None:
    scores = _flores_scores(lang)
    message = (
        f"{lang}: recall {scores['recall']:.4f} vs FLORES lines; precision {scores['precision']:.4f} and "
        f"recall {scores['reference_recall']:.4f} vs hand re-segmented lines "
        f"(precision vs raw lines {scores['raw_precision']:.4f}: they often hold several sentences)"
    )
    print(message)
    assert scores["recall"] >= 0.99, message
    assert scores["precision"] >= 0.97, message
