"""HTML (beknopt.cleaning.html): article extraction with trafilatura and the fallback for deeply nested pages."""

from __future__ import annotations

import pytest

from beknopt.cleaning import clean
from beknopt.document import InputError

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
