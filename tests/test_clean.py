"""The cleaning stage: decoding, repairs, HTML extraction, metadata headers, paragraphs and boilerplate."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from conftest import fresh_python

from beknopt.cleaning import DEFAULT_BOILERPLATE, Cleaned, clean, decode_bytes, normalise_punctuation
from beknopt.document import BeknoptError, InputError

SAMPLE = Path(__file__).parent / "data" / "articles" / "2020-09-vs-troepen-irak.txt"

# ---------------------------------------------------------------------------------------------------------
# Decoding


def test_utf8_is_decoded_without_warnings() -> None:
    assert decode_bytes("coördinatie „x”".encode()) == ("coördinatie „x”", [])


def test_utf8_with_bom_drops_the_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + "coördinatie".encode()) == ("coördinatie", [])


@pytest.mark.parametrize(
    ("bom", "encoding"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_with_bom(bom: bytes, encoding: str) -> None:
    text = "De coördinatie met „Irak” – 5200 militairen."
    assert decode_bytes(bom + text.encode(encoding)) == (text, [])
    assert clean(bom + text.encode(encoding)).text == text


def test_utf16_without_bom_is_recognised_from_nul_bytes() -> None:
    text, warnings = decode_bytes("Een artikel over Irak.".encode("utf-16-le"))
    assert text == "Een artikel over Irak."
    assert warnings == ["decoded as UTF-16-LE without a byte-order mark (guessed from NUL bytes)"]


def test_cp1252_fallback_warns() -> None:
    text, warnings = decode_bytes("coördinatie en €5".encode("cp1252"), "oud.txt")
    assert text == "coördinatie en €5"
    assert warnings == ["not valid UTF-8 (invalid start byte at byte 2); decoded as Windows-1252 (cp1252)"]
    cleaned = clean("coördinatie en €5".encode("cp1252"), source_name="oud.txt")
    assert cleaned.text == "coördinatie en €5"
    assert cleaned.warnings == warnings


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF document"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive; .docx, .xlsx and .odt files are ZIP archives too"),
        (b"tekst\x00\x00\x17\x03binair", "contains NUL bytes"),
        (b"\x01\x02\x03\x04\x05\x06 abc", "60% control characters"),
    ],
)
def test_binary_input_is_refused(data: bytes, what: str) -> None:
    message = f"foto.png: looks like a binary file ({what}), not text"
    with pytest.raises(InputError) as excinfo:
        clean(data, source_name="foto.png")
    assert str(excinfo.value) == message


def test_png_message_exactly() -> None:
    with pytest.raises(InputError, match=r"^foto\.png: looks like a binary file \(PNG image\), not text$"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "foto.png")


def test_undecodable_input_names_the_reason() -> None:
    # 0x81 is undefined in cp1252 and an invalid start byte in UTF-8.
    with pytest.raises(InputError) as excinfo:
        clean(b"De \x81\x8d tekst", source_name="kapot.txt")
    assert str(excinfo.value) == (
        "kapot.txt: cannot decode: not valid UTF-8 (invalid start byte at byte 3) "
        "nor Windows-1252 (character maps to <undefined> at byte 3)"
    )


def test_invalid_data_after_a_bom_is_an_error_not_a_fallback() -> None:
    with pytest.raises(InputError, match="starts with a UTF-8 byte-order mark but is not valid utf-8"):
        decode_bytes(codecs.BOM_UTF8 + b"co\xf6rdinatie")


@pytest.mark.parametrize("raw", ["", b""])
def test_empty_input(raw: str | bytes) -> None:
    with pytest.raises(InputError) as excinfo:
        clean(raw, source_name="leeg.txt")
    assert str(excinfo.value) == "leeg.txt: file is empty"


@pytest.mark.parametrize("raw", ["  \n\t \r\n", b" \n\n \t", "\u00a0\u200b\n", codecs.BOM_UTF8 + b"  \n"])
def test_whitespace_only_input(raw: str | bytes) -> None:
    with pytest.raises(InputError) as excinfo:
        clean(raw, source_name="wit.txt")
    assert str(excinfo.value) == "wit.txt: file is empty (contains only whitespace)"


def test_input_error_is_a_beknopt_error() -> None:
    with pytest.raises(BeknoptError):
        clean("")


def test_bad_format_and_type() -> None:
    with pytest.raises(ValueError, match="format must be one of 'auto', 'text', 'html', not 'pdf'"):
        clean("tekst", format="pdf")
    with pytest.raises(TypeError, match="str or bytes, not int"):
        clean(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------
# Repairs and normalisation


def test_mojibake_is_repaired_with_a_warning() -> None:
    cleaned = clean("In overleg en coÃ¶rdinatie met Irak, te beÃ«indigen.")
    assert cleaned.text == "In overleg en coördinatie met Irak, te beëindigen."
    assert cleaned.warnings == ["repaired mojibake (ftfy)"]


def test_mojibake_on_one_line_does_not_stop_the_rest() -> None:
    cleaned = clean("Echte ö hier.\n\nMaar coÃ¶rdinatie daar.")
    assert cleaned.paragraphs == ["Echte ö hier.", "Maar coördinatie daar."]
    assert cleaned.warnings == ["repaired mojibake (ftfy)"]


def test_control_characters_are_removed_with_a_warning() -> None:
    cleaned = clean("De\x00 VS\x07 trekken\x1b troepen terug.")
    assert cleaned.text == "De VS trekken troepen terug."
    assert cleaned.warnings == ["removed 3 control characters"]


def test_html_entities_in_plain_text() -> None:
    cleaned = clean("AT&amp;T en de VS.", format="text")
    assert cleaned.text == "AT&T en de VS."
    assert cleaned.warnings == ["decoded HTML entities (ftfy)"]


def test_unicode_is_nfc() -> None:
    decomposed = "coo\u0308rdinatie"
    assert clean(decomposed).text == "co\u00f6rdinatie"


def test_whitespace_is_normalised_without_warnings() -> None:
    raw = "De\tVS  trekken\u00a0troepen\u202fterug\u200b.\r\n\r\nTweede\u00a0 alinea\u00ad.  \r\n"
    cleaned = clean(raw)
    assert cleaned.paragraphs == ["De VS trekken troepen terug.", "Tweede alinea."]
    assert cleaned.text == "De VS trekken troepen terug.\n\nTweede alinea."
    assert cleaned.warnings == []


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


# ---------------------------------------------------------------------------------------------------------
# The sample article and metadata headers


def test_sample_article() -> None:
    raw = SAMPLE.read_bytes()
    cleaned = clean(raw, source_name=SAMPLE.name)
    assert isinstance(cleaned, Cleaned)
    assert cleaned.metadata == {"date": "2020-09"}
    assert cleaned.warnings == []
    # The file has 10 blank-line separated paragraphs; the header is glued to the first one.
    blocks = raw.decode("utf-8").split("\n\n")
    assert len(blocks) == 10
    assert len(cleaned.paragraphs) == 10
    assert cleaned.paragraphs[0].startswith("De Verenigde Staten zullen deze maand het aantal")
    assert cleaned.paragraphs[0] == blocks[0].removeprefix(" date 2020-09 ")
    assert cleaned.paragraphs[1:] == blocks[1:]
    assert cleaned.text == "\n\n".join(cleaned.paragraphs)
    assert "„In overleg en coördinatie" in cleaned.text
    assert clean(raw.decode("utf-8")) == cleaned


def test_inline_date_alone_on_its_line() -> None:
    cleaned = clean("date 2020-09\nDe Verenigde Staten zullen deze maand troepen terugtrekken.")
    assert cleaned.metadata == {"date": "2020-09"}
    assert cleaned.text == "De Verenigde Staten zullen deze maand troepen terugtrekken."


def test_a_sentence_about_a_date_is_not_a_header() -> None:
    text = "Datum 2020 was een zwaar jaar voor Irak."
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


def test_unknown_keys_do_not_start_a_header() -> None:
    text = "Amsterdam: de politie heeft woensdag twee mannen aangehouden."
    cleaned = clean(text)
    assert cleaned.metadata == {}
    assert cleaned.text == text


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


# ---------------------------------------------------------------------------------------------------------
# Paragraphs, headings and lists


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


# ---------------------------------------------------------------------------------------------------------
# HTML

NEWS_PAGE = """<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <title>VS halen troepen terug uit Irak | Het Nieuwsblad</title>
  <meta property="og:title" content="VS halen troepen terug uit Irak">
  <meta property="og:site_name" content="Het Nieuwsblad">
  <meta name="author" content="Jan Jansen">
  <meta property="article:published_time" content="2020-09-09T10:15:00+02:00">
  <link rel="canonical" href="https://www.nieuwsblad.example/buitenland/vs-troepen-irak">
  <style>body { font-family: sans-serif; } .cookie-banner { position: fixed; }</style>
  <script>var trackerConfig = "SCRIPT_IN_HEAD"; window.dataLayer = [];</script>
</head>
<body>
  <div class="cookie-banner" id="cookie-consent">
    <p>Wij gebruiken cookies om je de beste ervaring op onze website te geven.</p>
    <button>Accepteer cookies</button>
  </div>
  <header>
    <nav class="main-nav">
      <ul><li><a href="/">Home</a></li><li><a href="/binnenland">Binnenland</a></li>
      <li><a href="/buitenland">Buitenland</a></li><li><a href="/sport">Sport</a></li></ul>
    </nav>
  </header>
  <main>
    <article>
      <h1>VS halen troepen terug uit Irak</h1>
      <p class="byline">Door Jan Jansen</p>
      <p>De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen van
      5200 tot 3000. &bdquo;In overleg met de regering van Irak hebben we besloten de troepen terug te
      brengen&rdquo;, zei generaal Kenneth McKenzie.</p>
      <p>De overgebleven militairen zullen Iraakse veiligheidstroepen blijven adviseren bij de strijd tegen
      de laatste overblijfselen van Islamitische Staat.</p>
      <script>document.write("SCRIPT_IN_BODY");</script>
      <h2>Ook Duitsland vermindert inzet</h2>
      <p>Ook Duitsland brengt zijn militair personeel in Irak terug van zevenhonderd naar vijfhonderd man.
      Dat besloot het kabinet woensdag in Berlijn.</p>
      <ul><li>Tornado-gevechtsvliegtuigen keren terug</li><li>Tankvliegtuigen blijven</li></ul>
      <p>Lees ook: Trump wil alle troepen terughalen</p>
    </article>
  </main>
  <footer><p>&copy; 2020 Het Nieuwsblad. Alle rechten voorbehouden.</p><a href="/privacy">Privacy</a></footer>
</body>
</html>
"""


@pytest.mark.parametrize("raw", [NEWS_PAGE, NEWS_PAGE.encode("utf-8")])
@pytest.mark.parametrize("fmt", ["auto", "html"])
def test_html_article_is_extracted(raw: str | bytes, fmt: str) -> None:
    cleaned = clean(raw, format=fmt, source_name="irak.html")
    assert cleaned.paragraphs == [
        "De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen van 5200 "
        "tot 3000. „In overleg met de regering van Irak hebben we besloten de troepen terug te brengen”, "
        "zei generaal Kenneth McKenzie.",
        "De overgebleven militairen zullen Iraakse veiligheidstroepen blijven adviseren bij de strijd tegen "
        "de laatste overblijfselen van Islamitische Staat.",
        "Ook Duitsland vermindert inzet",
        "Ook Duitsland brengt zijn militair personeel in Irak terug van zevenhonderd naar vijfhonderd man. "
        "Dat besloot het kabinet woensdag in Berlijn.",
        "- Tornado-gevechtsvliegtuigen keren terug\n- Tankvliegtuigen blijven",
    ]
    for junk in ("SCRIPT_IN", "font-family", "cookies", "Binnenland", "Door Jan Jansen", "rechten"):
        assert junk not in cleaned.text
    assert cleaned.metadata["title"] == "VS halen troepen terug uit Irak"
    assert cleaned.metadata["author"] == "Jan Jansen"
    assert cleaned.metadata["date"] == "2020-09-09"
    assert cleaned.metadata["url"] == "https://www.nieuwsblad.example/buitenland/vs-troepen-irak"
    assert cleaned.warnings == ["removed 1 boilerplate paragraph (Lees ook:)"]


def test_html_tags_are_literal_with_format_text() -> None:
    cleaned = clean("<p>Een</p><p>twee</p><p>drie</p><p>vier</p>", format="text")
    assert cleaned.text == "<p>Een</p><p>twee</p><p>drie</p><p>vier</p>"


def test_html_fragment_is_detected_by_its_tags() -> None:
    fragment = (
        "<h1>Troepen terug</h1>\n<p>De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen "
        "in Irak verlagen.</p>\n<p>Ook Duitsland brengt zijn militair personeel terug.</p>"
    )
    cleaned = clean(fragment)
    assert cleaned.paragraphs == [
        "De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen.",
        "Ook Duitsland brengt zijn militair personeel terug.",
    ]
    assert cleaned.metadata["title"] == "Troepen terug"


def test_html_without_article_text() -> None:
    page = (
        "<!DOCTYPE html><html><head><script>var x = 1;</script><style>p{}</style></head><body></body></html>"
    )
    with pytest.raises(InputError) as excinfo:
        clean(page, source_name="leeg.html")
    assert str(excinfo.value) == "leeg.html: no article text found in the HTML"


def _nested(depth: int, inner: str, tag: str = "div") -> str:
    return f'<{tag} class="wrap">' * depth + inner + f"</{tag}>" * depth


DEEP_SENTENCES = [
    "Het kabinet besloot woensdag de energiebelasting voor huishoudens te verlagen.",
    "Minister De Vries noemde het „een eerste stap” en beloofde in het voorjaar meer maatregelen.",
    "De oppositie vindt dat de verlaging te laat komt en te weinig oplevert.",
]


def test_html_nested_deeper_than_libxml2s_limit_is_extracted_with_a_warning() -> None:
    # libxml2 stops at 256 levels: before the fix this page was "no article text found in the HTML".
    page = (
        "<html><head><title>Kabinet verlaagt energiebelasting</title></head><body>"
        + _nested(300, f"<p>{DEEP_SENTENCES[0]} {DEEP_SENTENCES[1]}</p><p>{DEEP_SENTENCES[2]}</p>")
        + "</body></html>"
    )
    cleaned = clean(page, source_name="diep.html")
    assert cleaned.paragraphs == [" ".join(DEEP_SENTENCES[:2]), DEEP_SENTENCES[2]]
    assert cleaned.metadata["title"] == "Kabinet verlaagt energiebelasting"
    # html, body, 300 divs, p
    assert cleaned.warnings == [
        "HTML nested 303 levels deep, more than lxml's limit of 256: extracted with the fallback parser "
        "(deep wrappers flattened)"
    ]


def test_deep_html_keeps_shallow_and_deep_text_in_order_and_still_drops_boilerplate() -> None:
    # Before the fix the deep part vanished silently: only the first paragraph came out, with no warning.
    deep_part = (
        f"<article><p>{DEEP_SENTENCES[1]}</p>"
        '<nav><ul><li><a href="/">Home</a></li><li><a href="/binnenland">Binnenland</a></li></ul></nav>'
        '<script>document.write("SCRIPT_DEEP")</script>'
        f"<p>{DEEP_SENTENCES[2].replace('te laat', '&quot;te laat&quot;')}</p></article>"
    )
    page = (
        "<!DOCTYPE html><html lang='nl'><head><style>p { color: red; }</style></head><body>"
        f"<p>{DEEP_SENTENCES[0]}</p>" + _nested(400, deep_part, "x-wrapper")
        + "<footer><p>&copy; 2024 De Krant. Alle rechten voorbehouden.</p></footer></body></html>"
    )
    cleaned = clean(page.encode("utf-8"), source_name="diep.html")
    assert cleaned.paragraphs == [
        DEEP_SENTENCES[0], DEEP_SENTENCES[1], DEEP_SENTENCES[2].replace("te laat", "„te laat”"),
    ]
    for junk in ("SCRIPT_DEEP", "Binnenland", "color", "rechten"):
        assert junk not in cleaned.text
    assert cleaned.warnings == [  # html, body, 400 wrappers, article, nav, ul, li, a
        "HTML nested 407 levels deep, more than lxml's limit of 256: extracted with the fallback parser "
        "(deep wrappers flattened)"
    ]


def test_html_nested_beyond_even_the_raised_limit_says_what_is_missing() -> None:
    # Nested lists are structure and are not flattened; past 2,048 levels libxml2 stops for good.
    page = (
        f"<html><body><p>{DEEP_SENTENCES[0]}</p>" + "<ul><li>" * 1100 + "diep" + "</li></ul>" * 1100
        + f"<p>{DEEP_SENTENCES[2]}</p></body></html>"
    )
    cleaned = clean(page, source_name="lijsten.html")
    assert cleaned.paragraphs == [DEEP_SENTENCES[0]]
    assert cleaned.warnings == [
        "HTML nested 2202 levels deep, more than lxml's limit of 256: extracted with the fallback parser "
        "(deep wrappers flattened)",
        "HTML nested more than 2048 levels deep even after flattening: the parser stopped there and the text "
        "after that point is missing",
    ]


def test_deep_html_without_text_names_the_nesting() -> None:
    page = "<html><body>" + _nested(300, "<script>var x = 1;</script>") + "</body></html>"
    with pytest.raises(InputError) as excinfo:
        clean(page, source_name="leeg-diep.html")
    assert str(excinfo.value) == (
        "leeg-diep.html: no article text found in the HTML nested 303 levels deep, more than lxml's limit of "
        "256, and the fallback parser found none either"
    )


def test_html_just_under_libxml2s_limit_takes_the_normal_path() -> None:
    page = "<html><body>" + _nested(253, f"<p>{DEEP_SENTENCES[0]}</p>") + "</body></html>"
    cleaned = clean(page, source_name="net-niet.html")
    assert cleaned.paragraphs == [DEEP_SENTENCES[0]] and cleaned.warnings == []


# ---------------------------------------------------------------------------------------------------------
# Boilerplate and duplicates

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


def test_plain_text_cleaning_leaves_the_html_extractor_unloaded() -> None:
    """trafilatura and what it pulls in cost ~40 MB of memory per process; only HTML needs them."""
    code = ("import sys; from beknopt import Pipeline; from beknopt.cleaning import clean; "
            "clean('Een zin.\\n\\nNog een zin.'); clean('Een zin.', format='text'); "
            "print('trafilatura' in sys.modules); "
            "print(clean('<p>Een zin in een lange alinea.</p>', format='html').paragraphs); "
            "print('trafilatura' in sys.modules)")
    assert fresh_python(code).stdout.splitlines() == ["False", "['Een zin in een lange alinea.']", "True"]
