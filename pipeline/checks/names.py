"""Names (``check_names``) are the source's capitalised multi-word names (``Kenneth McKenzie``, with particles:
``Van der Laan``, ``Eberhard van der Laan``), hyphenated names (``Kramp-Karrenbauer``), ``'s-``/``’s-``
names (``'s-Hertogenbosch``) and acronyms (``IS``, ``NOS``). Single capitalised words are not checked: in
Dutch they are mostly countries, cities and nationality adjectives, which translate (``Duitsland``,
``Nederlandse``). A name is recorded when one of its words is not in the translation (accents and case
folded). Not counted: the sentence-initial word (unless it also occurs in the translation), Dutch
capitalised function words, day and month names (``maandag`` -> Monday is not a name problem), Dutch words
that translate inside names (``Verenigde Staten``, ``Noord-Korea``, ``Europese Unie``) and acronyms with a
known English form (``VS`` = ``US``, ``NAVO`` = ``NATO``).
"""

from __future__ import annotations

import re
import unicodedata

from beknopt.checks.finding import Finding
from beknopt.checks.numbers import DAYS, MONTHS

# -----------------------------------------------------------------------------------------------------

PARTICLES = frozenset({"van", "der", "den", "de", "het", "ter", "ten", "te", "op", "in", "'t", "’t", "von", "zu",
                       "du", "da", "di", "del", "della", "dos", "le", "la", "al", "el", "bin", "ibn", "y", "and",
                       "of", "the", "for", "en", "a"})
# Particles that start a Dutch surname when capitalised ("Van der Laan"); "de"/"het" start too much else.
NAME_PARTICLES = frozenset({"van", "der", "den", "ter", "ten", "von", "'t", "’t", "du", "da", "di", "del", "le"})
# Capitalised Dutch words that are not names, or are name parts that translate (sentence-initial function
# words, titles, parts of geographical and institutional names), and day and month names.
NOT_NAMES = frozenset({
    "de", "het", "een", "in", "op", "bij", "na", "voor", "met", "als", "maar", "en", "of", "hij", "zij", "ze",
    "wij", "we", "ik", "jij", "je", "u", "er", "toen", "nadat", "tijdens", "ook", "omdat", "volgens", "dat",
    "die", "deze", "dit", "dan", "daar", "hier", "wat", "wie", "waar", "hoe", "waarom", "welke", "niet", "geen",
    "alle", "veel", "sommige", "andere", "nog", "al", "zo", "door", "over", "uit", "aan", "tot", "tegen",
    "zonder", "onder", "boven", "tussen", "naar", "sinds", "vanaf", "hoewel", "ondanks", "terwijl", "wanneer",
    "indien", "mits", "dus", "daarom", "echter", "bovendien", "zelfs", "vooral", "meer", "minder",
    "verenigde", "staten", "naties", "koninkrijk", "europese", "unie", "republiek", "noord", "zuid", "oost",
    "west", "midden", "nieuw", "nieuwe", "groot", "grote", "klein", "oude", "sint", "heilige", "universiteit",
    "ministerie", "koning", "koningin", "prins", "prinses", "keizer", "keizerin", "paus", "president", "minister",
    "premier", "generaal", "kapitein", "dokter", "dr", "mr", "dhr", "mevr", "mevrouw", "meneer", "heer",
    "zee", "oceaan", "golf", "eiland", "eilanden", "rivier", "berg", "bergen", "gebergte", "kust",
    "kerk", "kathedraal", "paleis", "museum", "instituut", "raad", "hof", "rechtbank", "partij", "bank",
    "stichting", "vereniging", "tweede", "eerste", "derde", "kamer", "rijk", "rode", "kruis", "wereld", "beker",
    "spelen", "olympische", "wereldoorlog", "oorlog", "kerstmis", "pasen", "zwarte", "witte", "huis",
    "gemeente", "provincie", "staat", "stad", "dorp", "park", "nationaal", "nationale", "internationale",
    "federale", "centrale", "hoge", "hooggerechtshof", "senaat", "congres", "parlement", "regering", "leger",
    "marine", "luchtmacht", "politie", "brandweer", "ziekenhuis", "school", "college", "academie", "bond",
    "verbond", "maatschappij", "gouverneur", "burgemeester", "senator", "kanselier", "hertog", "graaf", "vorst",
    "zon", "maan", "aarde", "ster", "vader", "moeder", "heilig", "god", "jezus", "bijbel", "zuidpool",
    "noordpool", "atlantische", "stille", "indische", "middellandse", "rijn", "donau", "alpen", "oosten",
    "westen", "noorden", "zuiden", "amerika", "afrika", "azië", "europa", "australië", "antarctica", "korea",
    "ierland", "zeeland", "guinea", "duitsland", "nederland", "frankrijk", "spanje", "italië", "rusland",
    "china", "japan", "india", "brazilië", "canada", "mexico", "engeland", "schotland", "wales", "belgië",
    "zweden", "noorwegen", "denemarken", "finland", "polen", "griekenland", "turkije", "egypte", "israël",
    "iran", "irak", "syrië", "jemen", "oekraïne", "hongarije", "oostenrijk", "zwitserland", "portugal",
    "fransen", "duitsers", "amerikanen", "britten", "nederlanders", "russen", "chinezen", "japanners",
    "dag", "jaar", "week", "maand", "eeuw", "mars", "venus", "jupiter", "saturnus", "mercurius", "luchthaven",
    "station", "straat", "plein", "brug", "haven", "baai", "kaap", "woestijn", "vallei", "meren", "waterval",
    "grot", "tempel", "sovjet", "haag", "onze", "lieve", "vrouw", "om", "zoals", "wel", "toch", "nu", "later",
    "moskee", "synagoge", "kasteel", "toren", "muur", "poort", "markt", "hal", "stadion",
    *DAYS, *MONTHS,
})
NATIONALITY = re.compile(r"(?:se|sche|ische|ese|ees|aans|iaans|isch|s|er|ers|en)$")
# Dutch acronyms with an English form (the acronym itself is always accepted too).
ACRONYMS = {
    "VS": {"U.S.", "US", "USA", "United States", "America", "American"}, "VN": {"U.N.", "UN", "United Nations"},
    "VK": {"U.K.", "UK", "United Kingdom", "Britain", "British"}, "WOII": {"WWII", "World War"},
    "VOC": {"East India"}, "EHBO": {"first aid"}, "ISIS": {"ISIL", "IS", "Islamic State"}, "NAVO": {"NATO"},
    "EG": {"EC"}, "EK": {"European"}, "WK": {"World"}, "OS": {"Olympic", "Olympics"}, "EU": {"European"},
    "IS": {"ISIS", "ISIL", "Islamic State"}, "OM": {"prosecutor", "prosecution"}, "BBP": {"GDP"},
    "NS": {"Dutch"}, "PvdA": {"Labour"}, "VVD": {"Liberal"}, "CDA": {"Christian"}, "ICT": {"IT"},
    "TV": {"television"}, "AOW": {"pension"},
}
ROMAN = re.compile(r"^(?=[MDCLXVI]+$)M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
_NAME_TOKEN = re.compile(r"[’']s-[A-Z][^\W\d_]+|[’']t\b|[^\W\d_](?:[\w\-]|[’'](?=\w))*|[.!?:;,\"“”‘«»()/–—]")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _is_acronym(word: str) -> bool:
    core = re.sub(r"[’']s$", "", word)
    letters = [c for c in core if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return len(letters) >= 2 and upper >= 2 and upper >= len(letters) - 1 and not ROMAN.match(core)


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or bool(re.match(r"[’']s-[A-Z]", word))


def source_names(text: str) -> list[tuple[str, list[str]]]:
    """The names of a Dutch sentence that are worth checking: (name as written, the words to look for)."""
    tokens = [m.group() for m in _NAME_TOKEN.finditer(text)]
    names: list[tuple[str, list[str]]] = []
    initial = True  # the next word starts a sentence (or a quotation)
    i = 0
    all_caps = text.upper() == text
    while i < len(tokens):
        token = tokens[i]
        if not token[0].isalnum() and not token.startswith(("'s-", "’s-")):
            initial = initial or token in ".!?:;\"“”‘«»(–—"
            i += 1
            continue
        if not _capitalised(token) or all_caps:
            initial = False
            i += 1
            continue
        group = [token]
        j = i + 1
        while j < len(tokens):
            if _capitalised(tokens[j]) and tokens[j][0].isalpha():
                group.append(tokens[j])
                j += 1
            elif tokens[j].lower() in PARTICLES and tokens[j] != "en":
                k = j
                while k < len(tokens) and tokens[k].lower() in PARTICLES:
                    k += 1
                if k < len(tokens) and _capitalised(tokens[k]) and tokens[k][0].isalpha() \
                        and tokens[j].lower() in ("van", "der", "den", "de", "ter", "ten", "von", "du", "da", "di",
                                                  "del", "le", "la", "'t", "’t", "bin", "ibn", "al", "el"):
                    group.extend(tokens[j:k])
                    j = k
                else:
                    break
            else:
                break
        names.extend(_name_entries(group, initial))
        initial = False
        i = j
    return names


def _adjective(word: str) -> bool:
    """Dutch adjectives of place and nationality translate (``Zweedse``, ``Australische``, ``Noordelijke``)."""
    folded = _fold(word)
    return folded.endswith(("se", "sche", "isch", "aans", "ees", "lijke", "lijk")) and len(folded) > 4


def _name_entries(group: list[str], initial: bool) -> list[tuple[str, list[str]]]:
    """Split one run of capitalised words into the entries to check (see ``source_names``)."""
    entries: list[tuple[str, list[str]]] = []
    words = [re.sub(r"[’']s$", "", w) for w in group]
    plain = []
    for word in words:
        if _is_acronym(word):
            entries.append((word, [word]))
        elif "-" in word and any(p[:1].islower() for p in word.split("-")[1:]):  # "VN-kamp", "EHBO-instructies"
            head = word.split("-")[0]
            if _is_acronym(head):
                entries.append((head, [head]))
        elif not _adjective(word) or "-" in word:
            plain.append(word)
    while plain and _fold(plain[0]) in (NOT_NAMES | PARTICLES) - NAME_PARTICLES:
        plain = plain[1:]
    while plain and _fold(plain[-1]) in PARTICLES:
        plain = plain[:-1]
    content = [w for w in plain if _fold(w) not in PARTICLES]
    if len(content) == 1 and _fold(plain[0]) in NAME_PARTICLES and plain[0][0].isupper():  # "Van der Laan"
        entries.append((" ".join(plain), content))
    elif len(content) >= 2:
        # The first word may be a title or generic noun ("Congreslid", "Verdrag van ..."): it counts only if found.
        entries.append((" ".join(plain), ["?" + content[0], *content[1:]]))
    elif content and ("-" in content[0] or content[0][:3] in ("'s-", "’s-")):
        entries.append((content[0], content))
    return entries


def _name_parts(word: str) -> list[str]:
    """The parts of a name word that must appear: ``Kramp-Karrenbauer`` -> both halves; ``'s-Hertogenbosch``
    -> ``Hertogenbosch``; parts that translate (``Noord-Korea``) or are adjectives (``Frans-Duitse``) drop."""
    word = re.sub(r"^[’']s-", "", word)
    parts = [p for p in word.split("-") if p]
    if len(parts) > 1 and any(_fold(p) in NOT_NAMES or _adjective(p) for p in parts):
        return []
    return [p for p in parts if _fold(p) not in NOT_NAMES and _fold(p) not in PARTICLES]


def _present(word: str, folded: str, out_words: set[str]) -> bool:
    """In the translation, accents and case folded; a long word also matches a close spelling that shares its
    first four letters (``Centrum``/``Center``, ``Tasmanië``/``Tasmania``) -- English spellings of places."""
    pieces = " ".join(re.findall(r"[^\W_]+", _fold(word)))
    if f" {pieces} " in folded or f" {pieces}s " in folded:
        return True
    key = _fold(word)
    return len(key) >= 5 and any(w[:4] == key[:4] and abs(len(w) - len(key)) <= 3 for w in out_words)


def check_names(src: str, out: str, sentence: int = 0, stage: str = "translate") -> list[Finding]:
    """Names and acronyms of the Dutch ``src`` that the English ``out`` does not contain.

    A multi-word name is recorded when part of it is in the translation and part is not (``Kenneth McKenzie``
    -> ``Kenneth Mackenzie``); a name none of whose words is there was translated as a whole (``Koude Oorlog``
    -> ``Cold War``, ``Openbaar Ministerie``) far more often than replaced, so it is not recorded.
    """
    out_tokens = re.findall(r"[^\W_]+", out)
    folded = " " + " ".join(_fold(w) for w in out_tokens) + " "
    out_words = {_fold(w) for w in out_tokens}
    findings = []
    for name, words in source_names(src):
        if len(words) == 1 and _is_acronym(words[0]):
            accepted = ACRONYMS.get(words[0], set()) | {words[0]}
            if not any(re.search(rf"\b{re.escape(a)}", out) or f" {_fold(a)} " in folded for a in accepted):
                findings.append(Finding(stage, "name", sentence, name, "",
                                        f"acronym missing: {name} is not in the translation"))
            continue
        found, missing = [], []
        for word in words:
            optional = word.startswith("?")
            parts = _name_parts(word.removeprefix("?"))
            here = [p for p in parts if _present(p, folded, out_words)]
            if optional and len(here) < len(parts):
                continue
            found += here
            missing += [p for p in parts if p not in here]
        single = len(words) == 1  # a hyphenated or 's- name: names, not phrases, so any missing part counts
        if missing and (found or single):
            findings.append(Finding(stage, "name", sentence, name, "",
                                    f"name missing: {', '.join(missing)} of {name} not in the translation"))
    return findings
