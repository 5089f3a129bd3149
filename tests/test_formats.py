"""beknopt.formats: IPTC ninjs, NewsML-G2/NITF, RSS and Atom in; ninjs out, valid against IPTC's schemas.

The fixtures in tests/data/formats are IPTC's own examples with their structure kept and Dutch text put in
(FLORES-200 sentences; see that folder's README), plus a standalone NITF, a newsMessage, feeds, and broken
and hostile files. Expected paragraphs are written out in full: a reader that drops, merges or leaks text
fails here.
"""

from __future__ import annotations

import json
import re
import time
from importlib.resources import files
from pathlib import Path

import pytest

from beknopt import CleanStage, LeadSummariser, Pipeline, SplitStage
from beknopt.document import Document, InputError
from beknopt.document.record import result_record
from beknopt.formats import (
    FormatError,
    NinjsValidationError,
    detect,
    is_ninjs,
    ninjs_document,
    ninjs_schema,
    parse,
    read,
    to_ninjs,
    validate_ninjs,
)
from beknopt.formats.common import rfc3339

DATA = Path(__file__).parent / "data" / "formats"
AUTHORS = "Paulo Santalucia en Frances d'Emilio"


def read_one(name: str) -> Document:
    docs = read(DATA / name, name=name)
    assert len(docs) == 1
    return docs[0]


def paragraphs(doc: Document) -> list[str]:
    return doc.source.split("\n\n")


# ----------------------------------------------------------------------------------------------------
# 1. Every IPTC example (structure kept, Dutch text in): id, title, paragraphs, language, date, author

EXAMPLES = [
    pytest.param(
        '1.4_ninjsExMediumText1.nl.json',
        'http://ninjs.example.com/newsitems/20130709med123',
        'Gevangenen steken brand in gevangenis van Edmonton',
        'nl', '2013-07-09T10:37:00Z', AUTHORS,
        [
            (
                'Toen de gevechten stopten nadat de gewonden naar het ziekenhuis waren getransporteerd, bleven '
                'ongeveer 40 van de andere overgebleven gevangenen op de binnenplaats en weigerden terug te keren '
                'naar hun cellen.'
            ),
            (
                'Onderhandelaars deden een poging om de situatie weer op het goede spoor te krijgen, maar de eisen '
                'van de gevangenen zijn onduidelijk.'
            ),
            'Tussen 22:00-23:00 uur lokale tijd werd er op de binnenplaats brand gesticht door de gevangenen.',
            (
                'Agenten gehuld in oproeruitrusting kwamen al snel de tuin binnen en dreven de gevangenen met '
                'traangas in het nauw. De brandweer kon om 11:35 uur het sein brand meester geven.'
            )
        ],
        id='1.4_ninjsExMediumText1',
    ),
    pytest.param(
        '2.1_ninjsExSimpleText_2.nl.json',
        'http://ninjs.example.com/newsitems/20130709simp123',
        'Extreem resistente tbc-variant opgedoken in Zuid-Afrika',
        None, '2013-07-09T10:37:00Z', AUTHORS,
        [
            (
                'XDR-TB (Extremely Drug Resistant Tuberculosis) werd door Dr. Tony Moll ontdekt in de provincie '
                'KwaZulu-Natal van Zuid-Afrika.'
            ),
            (
                "Hij verklaarde in een interview dat de nieuwe variant 'heel erg verontrustend en zorgwekkend is "
                "vanwege het erg hoge sterftecijfer'."
            ),
            (
                'Dokter Moll denkt dat sommige patiënten de ziekte hebben opgelopen in het ziekenhuis, waaronder '
                'ook twee zorgmedewerkers uit het ziekenhuis. Een besmette persoon kan in een jaar tijd mogelijk 10 '
                'tot 15 nauwe contacten infecteren.'
            ),
            (
                'Het percentage XDR-TB onder alle tuberculosepatiënten lijkt echter nog steeds aan de lage kant: '
                '6000 uit 330.000 geïnfecteerde mensen in totaal op een willekeurig moment in Zuid-Afrika.'
            )
        ],
        id='2.1_ninjsExSimpleText_2',
    ),
    pytest.param(
        '3.0_businesswire-newsml-20130731006140.nl.json',
        'http://www.businesswire.com/news/home/20130731006140/en',
        'IEEE keurt na zes jaar de 802.11n®-norm goed',
        'nl', '2013-07-31T15:32:00Z', None,
        [
            (
                'De 802.11n®-norm is compatibel met beide frequenties: 2,4 Ghz en 5,0 Ghz. Mits het basisstation '
                "over dubbele radio's beschikt, maakt dit achterwaartse compatibiliteit met 802.11a, 802.11b en "
                '802.11g mogelijk. Snelheden van 802.11n zijn substantieel sneller dan die van voorlopers met een '
                'maximale theoretische capaciteit van 600Mbit/s.'
            )
        ],
        id='3.0_businesswire-newsml-20130731006140',
    ),
    pytest.param(
        '3.0_ninjsExSimpleText_3.nl.json',
        'http://ninjs.example.com/newsitems/20130709simp123',
        'Brandend puin van satellieten boven Amerikaanse steden gezien',
        None, '2013-07-09T10:37:00Z', AUTHORS,
        [
            (
                'De satellieten, die beide meer dan 1.000 pond wogen en zich met ongeveer 17.500 mijl per uur '
                'voortbewogen, kwamen 491 mijl boven aarde in botsing.'
            ),
            (
                'Wetenschappers zeggen dat door de botsing een enorme explosie is ontstaan. Ze proberen nog steeds '
                'te achterhalen hoe groot de botsing is geweest en hoe deze de aarde zal beïnvloeden.'
            ),
            'De United States Strategic Command van het Amerikaanse ministerie van Defensie traceert het puin.',
            'Op een openbare website wordt het resultaat van de plotanalyse geplaatst.'
        ],
        id='3.0_ninjsExSimpleText_3',
    ),
    pytest.param(
        '3.0_tt_text_image_3.nl.json',
        'http://tt.se/media/text/210526-militarovning-a0f2d045',
        'Encefalitis-uitbraak in India houdt aan',
        'nl', '2021-05-26T13:40:18+02:00', None,
        [
            'De eerste gevallen van de ziekte werden dit seizoen aan het einde van juli gemeld.',
            'Varkens dragen de ziekte bij zich en dragen het via muggen over op mensen.',
            (
                'De regering van India heeft naar aanleiding van de epidemie besloten over te gaan tot de inzet van '
                'personen die varkens vangen in de zwaarst getroffen delen van het land, de distributie van '
                'duizenden klamboes en door bestrijdingsmiddelen te verspreiden. De overheid heeft enkele miljoenen '
                'encefalitisvaccins beloofd, zodat gezondheidsinstanties zich kunnen voorbereiden op komend jaar.'
            ),
            (
                'De plannen om dit jaar vaccins te leveren op de plekken die historisch gezien het meest geraakt '
                'werden, zijn uitgesteld vanwege een gebrek aan financiën en de lage prioriteit vanwege andere '
                'ziektes.'
            )
        ],
        id='3.0_tt_text_image_3',
    ),
    pytest.param(
        'doc_2.2_005_complex_text_article.nl.json',
        'http://ninjs.example.com/newsitems/20130709med123',
        'Bekende postzegelgraveur Czesław Słania overleden',
        'nl', '2013-07-09T10:37:00Z', AUTHORS,
        [
            (
                'Słania verhuisde in 1956 naar Zweden, waar hij drie jaar later bij de Zweedse posterijen aan de '
                'slag ging en daar hoofdgraveur werd. Hij produceerde meer dan 1000 postzegels voor Zweden en nog '
                '28 andere landen. Zijn werk wordt erkend om de kwaliteit en het detail en zijn naam is een begrip '
                'onder postzegelverzamelaars. Sommige verzamelaars richting zich enkel op het verzamelen van zijn '
                "werk. De prachtige postzegel 'Great Deeds by Swedish Kings', gemaakt door David Klöcker "
                'Ehrenstrahl in 2000 en die vermeld wordt in het Guinness Book of Records, was zijn 1.000ste '
                'postzegel. Voor veel landen bracht hij gravures aan in bankbiljetten. Recente voorbeelden van zijn '
                'werk zijn de portretten van de Minister-president op de voorkant van de nieuwe Canadese biljetten '
                'van 5 en 100 dollar.'
            )
        ],
        id='doc_2.2_005_complex_text_article',
    ),
    pytest.param(
        'doc_3.1_004_simple_text_article.nl.json',
        'http://ninjs.example.com/newsitems/20130709simp123',
        'Explosie bij beschadigde kerncentrale Fukushima',
        None, '2013-07-09T10:37:00Z', AUTHORS,
        [
            (
                'Op televisiebeelden zie je witte rook van de plant af komen. Lokale autoriteiten geven de volgende '
                'waarschuwing: inwoners die in de buurt van de fabriek wonen, moeten binnen blijven, '
                'airconditioners uitschakelen en geen kraanwater drinken. Het Japanse agentschap voor kernenergie '
                'meldt dat er bij de fabriek radioactief cesium en jodium is waargenomen. De autoriteiten vermoeden '
                'dat dit erop duidt dat er op de plek containers met uraniumbrandstof mogelijk gescheurd zijn en '
                'lekken.'
            )
        ],
        id='doc_3.1_004_simple_text_article',
    ),
    pytest.param(
        'doc_3.1_005_complex_text_article.nl.json',
        'http://ninjs.example.com/newsitems/20130709med123',
        'Miljoenen mensen bij begrafenis van paus Johannes Paulus II',
        'nl', '2013-07-09T10:37:00Z', AUTHORS,
        [
            'De begrafenis werd door meer dan vier miljoen mensen bijgewoond in Rome.',
            (
                'Er waren zo veel aanwezigen dat niet iedereen toegang kon krijgen tot de begrafenis op het '
                'Sint-Pietersplein. Op verschillende plekken in Rome waren grote televisieschermen geplaatst zodat '
                'mensen de ceremonie konden zien.'
            ),
            (
                'Soortgelijke opstellingen werden in veel andere Italiaanse steden en in de rest van de wereld '
                'gemaakt, en dan vooral in Polen. Hier keek een groot aantal mensen naar.'
            )
        ],
        id='doc_3.1_005_complex_text_article',
    ),
    pytest.param(
        'LISTING_2_NewsML-G2_Text_Document.nl.xml',
        'urn:newsml:acmenews.com:20161121:CN-KLIMAAT-CO2',
        'China belooft "aanzienlijke" daling van CO2-uitstoot',
        'nl', '2016-11-21T15:21:06-05:00', 'Meredith Jameson',
        [
            (
                "'We doen ons uiterste best de koolstofdioxide-uitstoot per eenheid van het BBP in 2020 met een "
                "aanzienlijke marge te verminderen in vergelijking met het niveau van 2005,' zei Hu. Hij heeft voor "
                'de bezuinigingen geen cijfers vastgesteld, omdat hij zegt dat deze zullen worden bepaald op basis '
                'van de economische productie van China.'
            ),
            (
                "Hu spoorde ontwikkelingslanden aan 'de oude manier van eerst vervuilen en later opruimen te "
                "vermijden'. Hij voegde toe dat 'ze daarentegen niet gevraagd zouden moeten worden om "
                'verplichtingen aan te gaan die buiten hun ontwikkeling, niveau, verantwoordelijkheid en '
                "mogelijkheden liggen.'"
            )
        ],
        id='LISTING_2_NewsML-G2_Text_Document',
    ),
    pytest.param(
        'LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.nl.xml',
        'LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.nl.xml',
        'Zware aardbeving bij Tonga: scholen op Hawaï dicht',
        None, None, 'Redactie Buitenland',
        [
            (
                'Er is in Tonga geen grote schade of ernstig letsel doorgegeven, hoewel de stroom voor enige tijd '
                'uitviel. Hierdoor leken de Tongaanse autoriteiten de tsunami-waarschuwing van het PTWC niet te '
                'kunnen ontvangen. De waarschuwingen werden ingetrokken, maar toch waren veertien scholen in Hawaï '
                'aan of nabij kustlijnen woensdag de hele dag gesloten.'
            )
        ],
        id='LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML',
    ),
    pytest.param(
        'nitf_article.nl.xml',
        'nitf-2016-12-08-dino-veren',
        'Veren van dinosaurus bewaard in barnsteen',
        'nl', '2016-12-08T14:05:00+01:00', 'Door Anna de Vries, wetenschapsredactie',
        [
            'Vondst toont kleur en bouw van verenkleed',
            (
                'Dit bewijst niet alleen de al wijdverspreide theorie dat in elk geval bepaalde dinosauriërs veren '
                'hadden, maar biedt ook meer details dan fossielen, zoals de kleur en driedimensionale plaatsing.'
            ),
            (
                'Volgens wetenschappers was het verenkleed van dit dier kastanjebruin met een bleke of '
                'carotenoïdekleurige onderzijde.'
            ),
            'Evolutie van veren',
            'De vondst geeft ook inzicht in de evolutie van veren bij vogels.',
            '- kastanjebruine bovenkant\n- bleke onderzijde',
            (
                'De onderzoekers suggereerden dat, ondanks dat het om de staart van een jonge dinosaurus gaat, het '
                'monster het verenkleed van een volwassene had en niet het dons van een kuiken.'
            )
        ],
        id='nitf_article',
    ),
]


@pytest.mark.parametrize(("name", "doc_id", "title", "language", "date", "author", "expected"), EXAMPLES)
def test_iptc_example_reads_to_its_id_title_paragraphs_and_metadata(name, doc_id, title, language, date, author,
                                                                     expected) -> None:
    doc = read_one(name)
    assert doc.id == doc_id
    assert doc.error is None and doc.source_format == "text"
    assert paragraphs(doc) == expected
    assert doc.metadata.get("title") == title
    assert doc.metadata.get("language") == language
    assert doc.metadata.get("date") == date
    assert doc.metadata.get("author") == author


@pytest.mark.parametrize("name", [n for n in sorted(p.name for p in DATA.glob("*.nl.json"))])
def test_every_dutch_ninjs_fixture_still_validates_against_its_versions_schema(name) -> None:
    """The fixtures keep IPTC's structure: each is valid ninjs of the version its example was written for."""
    version = {"1": "1.6", "2": "2.2", "3": "3.1"}[name.removeprefix("doc_")[0]]
    validate_ninjs(json.loads((DATA / name).read_text(encoding="utf-8")), version)


def test_ninjs_versions_are_told_apart_and_read_with_their_own_field_names() -> None:
    assert read_one("1.4_ninjsExMediumText1.nl.json").metadata["input_version"] == "1.x"
    assert read_one("2.1_ninjsExSimpleText_2.nl.json").metadata["input_version"] == "2.x"
    assert read_one("3.0_ninjsExSimpleText_3.nl.json").metadata["input_version"] == "3.x"
    # 1.x: body_xhtml (four paragraphs) is preferred to body_text (one); 2.x/3.x without a "main" body: HTML
    # first; with one (doc_*): the main body, even if it is plain text and a richer one follows
    assert read_one("1.4_ninjsExMediumText1.nl.json").metadata["body_field"] == "body_xhtml"
    assert read_one("2.1_ninjsExSimpleText_2.nl.json").metadata["body_field"] == "bodies[1]"
    assert read_one("3.0_tt_text_image_3.nl.json").metadata["body_field"] == "bodies[1]"  # html5, not ttnitf XML
    assert read_one("doc_3.1_004_simple_text_article.nl.json").metadata["body_field"] == "bodies[0]"


def test_metadata_never_enters_the_text_to_translate() -> None:
    leaks = {
        "1.4_ninjsExMediumText1.nl.json": ["Copyright 2013", "Edmonton, Canada", "Francesco Schettino", "http"],
        "3.0_tt_text_image_3.nl.json": ["muskietennet", "Karl Melander", "Gezondheid", "TT", "encefalitis\n",
                                        "Encefalitis-uitbraak", "http", "TTNITF", "Svensson"],
        "doc_3.1_005_complex_text_article.nl.json": ["Copyright 2013", "Rome, Italië", "wikidata", "urn:"],
        "LISTING_2_NewsML-G2_Text_Document.nl.xml": ["Copyright", "Acme", "urn:newsml", "Meredith", "Peking",
                                                     "verslaggever", "CN-Klimaat", "milieu", "aanzienlijke\" daling"],
        "LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.nl.xml": ["Redactie", "Pago Pago", "Zware"],
        "nitf_article.nl.xml": ["Anna de Vries", "Amsterdam", "8 december", "Copyright 2016", "Nature, 2016",
                                "Het stukje barnsteen", "dinosaurusstaart met veren", "barnsteen.jpg"],
    }
    for name, words in leaks.items():
        doc = read_one(name)
        for word in words:
            assert word not in doc.source, (name, word)
    tt = read_one("3.0_tt_text_image_3.nl.json")
    assert tt.metadata["description"].startswith("De eerste gevallen van de ziekte")  # kept, as metadata
    assert tt.metadata["copyright_holder"] == "TT"
    listing = read_one("LISTING_2_NewsML-G2_Text_Document.nl.xml")
    assert listing.metadata["copyright_notice"] == "Copyright 2017-18 Acme News and Media LLC"
    assert listing.metadata["source_uri"] == "urn:newsml:acmenews.com:20161121:CN-KLIMAAT-CO2"
    assert read_one("nitf_article.nl.xml").metadata["description"] == (
        "Wetenschappers vonden een dinosaurusstaart met veren in barnsteen.")


# ----------------------------------------------------------------------------------------------------
# 2. Headings stay paragraphs of their own through the real cleaning and splitting stages


def clean_and_split(docs: list[Document]) -> list[Document]:
    return Pipeline([CleanStage(), SplitStage()]).process(docs)


@pytest.mark.parametrize(("name", "index", "heading", "before", "after"), [
    ("nitf_article.nl.xml", 0, "Vondst toont kleur en bouw van verenkleed", None, "Dit bewijst niet alleen"),
    ("nitf_article.nl.xml", 0, "Evolutie van veren", "Volgens wetenschappers", "De vondst geeft ook inzicht"),
    ("newsml_message.nl.xml", 0, "Van Shark Tank naar QVC", "Hij zei dat hij daarop", "Siminoff zei dat"),
    ("feed.nl.rss", 0, "Een fonds voor de gevolgen", "Op Bali staan", "De V.N. hoopt ook"),
    ("feed.nl.atom", 0, "Ninth Ward", "Volgens berekeningen", "In de Ninth Ward stond"),
])
def test_a_heading_without_a_full_stop_is_its_own_sentence(name, index, heading, before, after) -> None:
    (doc,) = clean_and_split([read(DATA / name, name=name)[index]])
    assert doc.error is None, doc.error
    assert heading in doc.sentences
    at = doc.sentences.index(heading)
    own_paragraph = doc.sentence_paragraphs[at]
    assert doc.sentence_paragraphs.count(own_paragraph) == 1  # nothing else in the heading's paragraph
    assert doc.paragraphs[own_paragraph] == heading
    if before is not None:
        assert doc.sentences[at - 1].startswith(before)
    assert doc.sentences[at + 1].startswith(after)


def test_cleaning_keeps_the_readers_paragraphs_and_metadata() -> None:
    (doc,) = clean_and_split([read_one("2.1_ninjsExSimpleText_2.nl.json")])
    assert len(doc.paragraphs) == 4
    assert doc.paragraphs[0].startswith("XDR-TB (Extremely Drug Resistant Tuberculosis) werd door Dr. Tony Moll")
    assert doc.metadata["title"] == "Extreem resistente tbc-variant opgedoken in Zuid-Afrika"
    assert doc.metadata["source_uri"] == "http://ninjs.example.com/newsitems/20130709simp123"


# ----------------------------------------------------------------------------------------------------
# 3. NewsML-G2 messages and feeds: one article per text item


def test_news_message_gives_one_article_per_text_item_and_an_error_for_the_one_without_a_body() -> None:
    docs = read(DATA / "newsml_message.nl.xml", name="newsml_message.nl.xml")
    assert [d.id for d in docs] == ["urn:newsml:voorbeeldpers.nl:20180301:ring-deurbel",
                                    "urn:newsml:voorbeeldpers.nl:20180301:ebola-behandeling",
                                    "urn:newsml:voorbeeldpers.nl:20180301:alleen-link"]  # the picture is skipped
    ring, ebola, link_only = docs
    assert ring.metadata["title"] == "Amazon koopt deurbelmaker Ring"
    assert paragraphs(ring)[0].startswith("Eerder merkte Jamie Siminoff")  # the <h1> repeating the title is gone
    assert len(paragraphs(ring)) == 5
    assert ring.metadata["author"] == "Pieter Jansen"
    assert ring.metadata["first_created"] == "2018-02-28T17:30:00+01:00"
    assert ring.metadata["version_created"] == "2018-03-01T08:55:00+01:00"
    assert ring.metadata["description"] == "Het bedrijf achter de wifi-deurbel verscheen eerder in Shark Tank."
    assert ebola.metadata["title"] == "Twee behandelingen tegen ebola redden levens"
    assert ebola.metadata["author"] == "Redactie Wetenschap"
    assert [p[:25] for p in paragraphs(ebola)] == ["Eén experimenteel vaccin ", "Een cocktail van antilich"]
    assert ring.ok and ebola.ok and not link_only.ok
    assert link_only.error == {"stage": "read", "reason": (
        "newsml: newsItem urn:newsml:voorbeeldpers.nl:20180301:alleen-link: no body (looked for "
        "contentSet/inlineXML with NITF or XHTML, contentSet/inlineData)")}


def test_rss_items_read_content_encoded_else_description_and_name_the_fields_when_neither() -> None:
    docs = read(DATA / "feed.nl.rss", name="feed.nl.rss")
    assert [d.id for d in docs] == ["vp-2007-12-03-bali", "https://www.voorbeeldpers.nl/artikel/grand-canyon",
                                    "vp-alleen-kop"]
    bali, canyon, headline_only = docs
    assert bali.metadata["body_field"] == "content:encoded"
    assert paragraphs(bali) == [
        "Op Bali staan ook andere onderwerpen op de agenda, zoals de bescherming van resterende bossen in de "
        "wereld, alsmede het delen van technologieën om ontwikkelingslanden te helpen om te groeien op een minder "
        "vervuilende manier.",
        "Een fonds voor de gevolgen",
        "De V.N. hoopt ook een fonds op te richten om landen te helpen die te maken hebben met de opwarming van "
        "de aarde, om zo met de gevolgen ervan om te gaan.",
        "Overstromingsbestendige huizen, efficiënter waterbeheer en diversificatie van gewassen zouden "
        "investeringen kunnen zijn waar het geld voor gebruikt kan worden.",
    ]
    assert "fonds op te richten voor landen" not in bali.source  # the item's short description is not body
    assert bali.metadata | {"body_field": None} == {
        "input_format": "rss", "source_uri": "vp-2007-12-03-bali", "body_field": None,
        "title": "Klimaattop op Bali begonnen", "author": "Sanne Bakker",
        "url": "https://www.voorbeeldpers.nl/artikel/bali-klimaattop", "language": "nl",
        "date": "2007-12-03T08:30:00Z", "first_created": "2007-12-03T08:30:00Z",  # no updated date: none made up
        "feed_title": "Voorbeeldpers - Buitenland",
        "feed_url": "https://www.voorbeeldpers.nl/buitenland", "source_type": "text"}
    assert canyon.metadata["body_field"] == "description"
    assert paragraphs(canyon) == [
        "De seizoensgebonden overstromingen waardoor sediment door de rivier zou worden verspreid, kwamen tot een "
        "einde na de bouw van de dam in 1963.",
        "Dit sediment was nodig voor het creëren van zandbars en stranden, die dienst deden als habitats voor "
        "wilde dieren.",
    ]
    assert headline_only.error == {"stage": "read", "reason": (
        "rss: item 3 (vp-alleen-kop): no body (looked for content:encoded, description)")}


def test_atom_entries_read_content_else_summary() -> None:
    news, korea = read(DATA / "feed.nl.atom", name="feed.nl.atom")
    assert news.id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert news.metadata["title"] == "New Orleans opnieuw deels overstroomd"  # type="html" title: markup gone
    assert news.metadata["author"] == "Thomas Visser"
    assert news.metadata["language"] == "nl"
    assert news.metadata["first_created"] == "2005-09-01T08:15:00Z"  # 10:15+02:00, as UTC
    assert news.metadata["version_created"] == "2005-09-01T09:00:00Z"
    assert paragraphs(news)[1] == "Ninth Ward" and len(paragraphs(news)) == 4
    assert "Dijken kunnen opnieuw doorbreken." not in news.source  # summary is not used when content exists
    assert korea.metadata["body_field"] == "summary"
    assert korea.source == "George W. Bush, de leider van de VS, juichte de bekendmaking toe."


# ----------------------------------------------------------------------------------------------------
# 4. Detection


def test_detect_tells_every_fixture_by_its_content() -> None:
    expected = {".json": "ninjs", ".xml": "newsml", ".rss": "rss", ".atom": "atom"}
    for path in DATA.iterdir():
        if path.suffix not in expected:
            continue
        want = "nitf" if path.name.startswith("nitf") else expected[path.suffix]
        assert detect(path.read_bytes(), path.suffix) == want, path.name
        assert detect(path.read_bytes(), "") == want, path.name  # the suffix is only a hint


@pytest.mark.parametrize(("item", "ninjs"), [
    ({"text": "Een artikel.", "uri": "http://example.com/1", "type": "text"}, False),  # beknopt JSON wins
    ({"body": "<p>Een artikel.</p>", "uri": "http://example.com/1", "headlines": []}, False),
    ({"html": "<p>Een artikel.</p>", "id": "a"}, False),
    ({"uri": "http://example.com/1"}, False),  # a uri alone says nothing
    ({"uri": "http://example.com/1", "title": "Kop"}, False),
    ({"uri": "http://example.com/1", "body_text": "Tekst."}, True),
    ({"guid": "tag:example.com,2024:1", "headline": "Kop"}, True),
    ({"uri": "http://example.com/1", "versionCreated": "2024-01-01T00:00:00Z"}, True),
    ({"standard": {"name": "ninjs", "version": "3.1"}}, True),
    ({"uri": 42, "headline": "Kop"}, False),
    (["uri", "headline"], False),
])
def test_is_ninjs_rules(item, ninjs) -> None:
    assert is_ninjs(item) is ninjs


def test_plain_beknopt_json_and_unknown_xml_are_not_claimed() -> None:
    assert detect(json.dumps({"text": "De gemeenteraad stemde in.", "id": "a"}).encode(), ".json") is None
    assert detect(b"{not json", ".json") is None
    assert detect(b"<html><body><p>Tekst</p></body></html>", ".xml") is None
    assert detect(b"<catalog><item/></catalog>", ".xml") is None
    assert detect(b"Gewone tekst.", ".txt") is None
    with pytest.raises(FormatError, match=r"^x\.xml: input: not ninjs JSON, NewsML-G2, NITF, RSS or Atom"):
        read(b"<catalog><item/></catalog>", name="x.xml")


def test_ninjs_document_reads_an_already_parsed_object_for_the_batch_reader() -> None:
    item = json.loads((DATA / "3.0_ninjsExSimpleText_3.nl.json").read_text(encoding="utf-8"))
    doc = ninjs_document(item, "fallback-id")
    assert doc.id == "http://ninjs.example.com/newsitems/20130709simp123"
    assert paragraphs(doc) == paragraphs(read_one("3.0_ninjsExSimpleText_3.nl.json"))
    del item["uri"]
    assert ninjs_document(item, "fallback-id").id == "fallback-id"


# ----------------------------------------------------------------------------------------------------
# 5. Broken and hostile input


def test_ninjs_without_a_body_names_the_format_and_the_fields_looked_for() -> None:
    with pytest.raises(FormatError) as caught:
        read(DATA / "ninjs_no_body.json", name="ninjs_no_body.json")
    assert str(caught.value) == ("ninjs_no_body.json: ninjs: no body (looked for bodies, body_html, body_xhtml, "
                                 "body_text; skipped bodies[0] (application/xml))")
    assert caught.value.format == "ninjs"
    assert isinstance(caught.value, InputError)  # the batch runner's error records catch it like any bad input
    with pytest.raises(FormatError, match=r"^ninjs: no body \(looked for bodies, body_html, body_xhtml, "
                       r"body_text; skipped body_html \(empty\)\)$"):
        ninjs_document({"uri": "urn:x", "body_html": "<p> </p>", "description_text": "Alleen metadata."}, "x")


@pytest.mark.parametrize(("data", "name", "message"), [
    (b'{"uri": "urn:x", "headline": "Kop", ', "kapot.json", None),  # malformed JSON is not claimed as ninjs
    (b'{"uri": "urn:x", "bodies": {"value": "x"}}', "x.json",
     "x.json: ninjs: bodies must be an array of body objects, got dict"),
    (b"<nitf><body><body.content/></body></nitf>", "leeg.xml",
     "leeg.xml: nitf: no body (looked for body/body.content with p, hl2, block)"),
    (b'<newsItem guid="urn:foto" xmlns="http://iptc.org/std/nar/2006-10-01/"><itemMeta>'
     b'<itemClass qcode="ninat:picture"/></itemMeta></newsItem>', "foto.xml",
     "foto.xml: newsml: newsItem urn:foto is not a text item (itemMeta/itemClass is ninat:picture, not ninat:text)"),
    (b'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet/></newsMessage>', "leeg.xml",
     "leeg.xml: newsml: newsMessage holds no text item (looked for itemSet/newsItem with itemClass ninat:text)"),
    (b'<rss version="2.0"><channel><title>Leeg</title></channel></rss>', "leeg.rss",
     "leeg.rss: rss: no items in the feed"),
])
def test_broken_inputs_say_which_format_and_field(data, name, message) -> None:
    if message is None:
        with pytest.raises(FormatError, match="not ninjs JSON"):
            read(data, name=name)
        return
    with pytest.raises(FormatError) as caught:
        read(data, name=name)
    assert str(caught.value) == message


def test_malformed_xml_is_one_clear_error() -> None:
    with pytest.raises(FormatError, match=r"^malformed\.xml: newsml: malformed XML \(Opening and ending tag "
                       r"mismatch: p line 6 and nitf"):
        read(DATA / "malformed.xml", name="malformed.xml")


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.rss"])
def test_entity_attacks_are_refused_before_anything_is_expanded(name) -> None:
    start = time.perf_counter()
    with pytest.raises(FormatError) as caught:
        read(DATA / name, name=name)
    assert time.perf_counter() - start < 2
    assert "refused: the DOCTYPE declares entities" in str(caught.value)
    assert "root:" not in str(caught.value) and "lollol" not in str(caught.value)


def test_entity_attacks_in_utf16_are_refused_after_a_non_expanding_parse() -> None:
    """The byte scan cannot read UTF-16; the parse (entities off) and the DOCTYPE check still refuse it."""
    text = (DATA / "xxe.xml").read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(FormatError, match="refused: the DOCTYPE declares entities"):
        read(text.encode("utf-16"), name="xxe16.xml")
    bomb = (DATA / "billion_laughs.rss").read_text(encoding="utf-8").replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    start = time.perf_counter()
    with pytest.raises(FormatError, match="refused"):
        read(bomb.encode("utf-16"), name="bomb16.rss")
    assert time.perf_counter() - start < 2


def test_read_never_reads_more_than_max_bytes(tmp_path) -> None:
    big = tmp_path / "groot.json"
    big.write_bytes((DATA / "3.0_tt_text_image_3.nl.json").read_bytes())
    with pytest.raises(FormatError, match=r"groot\.json: input: too large: over the limit of 1,000 bytes"):
        read(big, max_bytes=1000)
    assert len(read(big, max_bytes=big.stat().st_size)) == 1


# ----------------------------------------------------------------------------------------------------
# 6. ninjs out: records from a real pipeline, valid against IPTC's schema of each version


def copy_translation(docs: list[Document]) -> list[Document]:
    """Stands in for the translator: each sentence (and the title) "translated" to itself."""
    for doc in docs:
        if doc.ok:
            doc.translations = list(doc.sentences)
            doc.title_en = doc.metadata.get("title")
    return docs


copy_translation.name = "translate"  # type: ignore[attr-defined]


def lead_pipeline() -> Pipeline:
    return Pipeline([CleanStage(), SplitStage(), copy_translation, LeadSummariser(2)], batch_size=4)


def records(docs: list[Document]) -> list[dict]:
    pipeline = lead_pipeline()
    done = pipeline.process(docs)
    assert all(d.ok for d in done), [d.error for d in done]
    return [result_record(d, sha256="0" * 64, fingerprint=pipeline.fingerprint(), source=d.source_path,
                          line=None, output=None) for d in done]


def sources() -> list[Document]:
    return [read_one("doc_3.1_005_complex_text_article.nl.json"), read_one("1.4_ninjsExMediumText1.nl.json"),
            read_one("LISTING_2_NewsML-G2_Text_Document.nl.xml"), read_one("nitf_article.nl.xml"),
            read(DATA / "feed.nl.rss", name="feed.nl.rss")[0],
            Document(id="artikelen/gemeente.txt", source="De gemeenteraad van Utrecht heeft gisteren ingestemd met "
                     "een nieuw plan.\n\nVolgens de wethouder komen er meer bomen.", metadata={"date": "2020-09"})]


@pytest.mark.parametrize("version", ["3.1", "2.2"])
def test_to_ninjs_validates_against_the_shipped_schema_with_jsonschema(version) -> None:
    import jsonschema

    for record in records(sources()):
        doc = to_ninjs(record, version)
        validate_ninjs(doc, version)
        # and with jsonschema's own validator on the raw schema file, as a CMS would
        jsonschema.validators.validator_for(ninjs_schema(version))(ninjs_schema(version)).validate(doc)
        assert doc["standard"] == {"name": "ninjs", "version": version,
                                   "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{version}.json#"}


def test_to_ninjs_31_carries_the_english_text_the_source_link_and_provenance() -> None:
    record = records([read_one("doc_3.1_005_complex_text_article.nl.json")])[0]
    doc = to_ninjs(record)
    assert doc["language"] == "en" and doc["type"] == "text"
    assert doc["uri"] == "urn:beknopt:en:http://ninjs.example.com/newsitems/20130709med123"
    assert doc["headlines"] == [{"role": "main", "value": record["title_en"]}]
    assert record["title_en"] == "Miljoenen mensen bij begrafenis van paus Johannes Paulus II"
    assert doc["descriptions"] == [{"role": "summary", "contentType": "text/plain", "value": record["summary"]}]
    assert record["summary"].startswith("De begrafenis werd door meer dan vier miljoen mensen bijgewoond in Rome.")
    (body,) = doc["bodies"]
    assert body["role"] == "main" and body["contentType"] == "text/plain"
    assert body["value"] == record["translation"] and body["value"].count("\n\n") == 2  # three paragraphs kept
    assert body["charCount"] == len(body["value"]) and body["wordCount"] == len(body["value"].split())
    assert doc["by"] == AUTHORS
    assert doc["versionCreated"] == "2013-07-09T10:37:00Z" and doc["firstCreated"] == "2013-07-09T10:37:00Z"
    assert doc["copyrightNotice"] == "Copyright 2013 The News Agency, www.tna.org - all rights reserved."
    assert doc["associations"] == [{
        "name": "source", "rel": "derivedFrom", "uri": "http://ninjs.example.com/newsitems/20130709med123",
        "type": "text", "language": "nl",
        "headlines": [{"role": "main", "value": "Miljoenen mensen bij begrafenis van paus Johannes Paulus II"}]}]
    assert {"role": "beknopt:id", "value": "http://ninjs.example.com/newsitems/20130709med123"} in doc["altIds"]
    assert {"role": "beknopt:settings", "value": record["beknopt"]["settings"]} in doc["altIds"]
    assert doc["infoSources"][0] == {"name": "beknopt", "role": "machine translation and summarization",
                                     "literal": f"beknopt {record['beknopt']['beknopt_version']}"}
    assert {"name": "lead-2", "role": "summarization model", "literal": "lead-2"} in doc["infoSources"]
    n_checks = len(record["checks"])
    assert f"Automatic checks: {n_checks} finding" in doc["edNote"]
    assert doc["digitalSourceType"]["uri"] == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def test_to_ninjs_22_uses_the_lowercase_names_and_has_no_rel() -> None:
    record = records([read_one("LISTING_2_NewsML-G2_Text_Document.nl.xml")])[0]
    doc = to_ninjs(record, "2.2")
    assert doc["versioncreated"] == "2018-11-21T16:25:32-05:00"
    assert doc["contentcreated"] == "2016-11-21T15:21:06-05:00"
    assert doc["by"] == "Meredith Jameson"
    assert doc["bodies"][0]["contenttype"] == "text/plain"
    assert doc["associations"][0] == {
        "name": "source", "uri": "urn:newsml:acmenews.com:20161121:CN-KLIMAAT-CO2", "type": "text",
        "language": "nl",
        "headlines": [{"role": "main", "value": 'China belooft "aanzienlijke" daling van CO2-uitstoot'}]}
    assert "altids" in doc and "infosources" in doc and "ednote" in doc and "altIds" not in doc


def test_to_ninjs_for_a_plain_text_article_links_a_urn_and_leaves_out_a_partial_date() -> None:
    record = records([sources()[-1]])[0]
    doc = to_ninjs(record)
    assert doc["uri"] == "urn:beknopt:en:artikelen/gemeente.txt"
    assert doc["associations"][0]["uri"] == "urn:beknopt:source:artikelen/gemeente.txt"
    assert "firstCreated" not in doc  # "2020-09" is not a date-time; it is not padded into one
    assert "headlines" not in doc  # no title, none invented
    assert doc["bodies"][0]["value"] == ("De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan."
                                         "\n\nVolgens de wethouder komen er meer bomen.")


def test_to_ninjs_dates_are_rfc3339_and_work_from_document_to_dict() -> None:
    docs = lead_pipeline().process([read(DATA / "feed.nl.atom", name="feed.nl.atom")[0]])
    doc = to_ninjs(docs[0].to_dict())  # no "beknopt" stamp: what Document.to_ninjs will pass
    validate_ninjs(doc)
    assert doc["firstCreated"] == "2005-09-01T08:15:00Z" and rfc3339(doc["versionCreated"])
    assert [a["role"] for a in doc["altIds"]] == ["beknopt:id"]


def test_to_ninjs_refuses_failed_records_and_unknown_versions() -> None:
    with pytest.raises(ValueError, match="must be one of 3.1, 2.2"):
        to_ninjs({"id": "a"}, "1.6")
    failed = Document(id="a")
    failed.fail("clean", "file is empty")
    with pytest.raises(ValueError, match="the article failed"):
        to_ninjs(failed.to_dict())


def test_validate_ninjs_rejects_what_the_schema_rejects() -> None:
    record = records([read_one("nitf_article.nl.xml")])[0]
    good = to_ninjs(record)
    for broken, why in [
        ({k: v for k, v in good.items() if k != "uri"}, "'uri' is a required property"),
        ({**good, "beknopt": {"x": 1}}, "Unevaluated properties are not allowed"),
        ({**good, "firstCreated": "2020-09"}, "is not a 'date-time'"),
        ({**good, "bodies": [{"role": "main"}]}, "'value' is a required property"),
    ]:
        with pytest.raises(NinjsValidationError, match=re.escape(why)):
            validate_ninjs(broken, "3.1")


def test_the_official_schemas_and_licence_ship_in_the_package() -> None:
    folder = files("beknopt.formats") / "schemas"
    for version in ("1.6", "2.2", "3.1"):
        schema = ninjs_schema(version)
        assert schema["$id"] == f"http://www.iptc.org/std/ninjs/ninjs-schema_{version}.json#"
        assert (folder / f"ninjs-schema_{version}.json").is_file()
    assert "MIT License" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "3ace39707a725d6674279c3151e2f5323dc81074" in (folder / "README.md").read_text(encoding="utf-8")


def test_parse_is_what_read_does_without_the_file() -> None:
    data = (DATA / "nitf_article.nl.xml").read_bytes()
    fmt = detect(data, ".xml")
    assert fmt == "nitf"
    (doc,) = parse(data, fmt, default_id="fallback")
    assert doc.id == "nitf-2016-12-08-dino-veren"
    with pytest.raises(ValueError, match="unknown format 'docx'"):
        parse(data, "docx", default_id="x")


def test_ed_note_counts_the_check_findings_and_warnings_by_kind() -> None:
    record = records([read_one("nitf_article.nl.xml")])[0]
    record["checks"] = [{"kind": "number", "source": "1963"}, {"kind": "number", "source": "20"},
                        {"kind": "name", "source": "NHC"}]
    record["warnings"] = ["translate: sentence 2: degenerate output"]
    doc = to_ninjs(record)
    validate_ninjs(doc)
    assert doc["edNote"] == (f"Machine translation from Dutch and machine summary by beknopt "
                             f"{record['beknopt']['beknopt_version']}; not reviewed by an editor. Automatic checks: "
                             "3 findings (1 name, 2 number); 1 warning.")
