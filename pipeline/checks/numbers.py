"""Numbers (``check_numbers``) are compared by value after normalising each side by its own language:

* Dutch ``5.200`` and ``1.000.000`` use a dot for thousands (groups of exactly three digits) and ``3,5`` a
  comma for decimals; English the other way round (``5,200``, ``3.5``). A Dutch dot followed by anything
  other than groups of three digits (``5.2``) cannot be a thousands separator, so it is read as a decimal
  point: texts copied from English sources write that. The ambiguous case is settled by language, never by
  guessing: Dutch ``5.200`` is 5200, so an English ``5.2`` is a changed number.
* A scale word after a number multiplies it (``3,5 miljoen`` = ``3.5 million`` = 3500000; ``miljard`` =
  ``billion``; ``duizend`` = ``thousand``; ``mln``/``mld``/``bn`` too).
* Times: ``12.30 uur``, ``12:30``, ``12.30 pm`` and ``12:30 p.m.`` are the time 12:30 (am/pm read to a
  24-hour clock; an English time up to 12 also matches its other half of the day, because a Dutch writer's
  ``22:00`` becomes ``10:00 pm`` and ``11:35 uur`` is sometimes ``11:35 pm``). A bare ``10.30`` may be a time
  or a decimal, so it matches either; ``1200 GMT`` is 12:00; race times (``4:41.30``) compare as written.
* Units are not compared: ``25%``, ``25 procent`` and ``25 percent`` are all the number 25.
* Number words: Dutch ``nul``..``twintig``, the tens, compounds (``eenentwintig``, ``zevenhonderd``,
  ``tweeduizend``, ``drieënhalf`` is not) and ``miljoen``/``miljard`` after a word; English ``zero``..
  ``ninety``, ``hundred``, ``thousand``, ``million``, ``billion`` and their combinations (``twenty-one``,
  ``two hundred thousand``, ``a million``). A lone ``een``/``één``/``one`` is left out: it is mostly the
  article or a pronoun. Digit ordinals (``21e``, ``21st``) are their number; ordinal words (``dertiende``,
  ``twelfth``) are read too. Number words up to twelve, ordinal words and a bare scale word (``duizend`` ->
  ``thousands``) are *soft*: they match, but are never reported on their own, because translation rephrases
  them (``beide`` -> ``two``, ``op twee na grootste`` -> ``third``, ``acht hoeken`` -> ``octagonal``); a
  digit on the other side of such a change is still reported.
* ``jaren 60`` and ``'79`` also mean 1960 and 1979 (``the 1960s``).
* Dates: ``2020-09`` and ``2020-09-15`` are dates; ``september 2020``/``September 2020`` also match
  ``2020-09``; other dates are their numbers (``15 september 2020`` = ``September 15, 2020``).
* Phone numbers (``+31 20 123 4567``, ``020-1234567``, ``06-12345678``) and Dutch postcodes (``1234 AB``)
  are compared as their digit strings (``+31`` = a leading ``0``), so their groups raise no false alarm.

Each number is matched to at most one number of the other side (a maximum bipartite matching); what is left
over is reported as changed (one left on each side), missing (source only) or added (translation only). A
number repeated on one side only (``1979 ... 1979``) counts once. Units are not converted: ``30 meter`` ->
``100 feet`` is reported, which is right for a newsroom but a false flag against a human reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from beknopt.checks.finding import Finding

Language = Literal["nl", "en"]


@dataclass(frozen=True)
class NumberMention:
    """A number as written (``text``) and every canonical value it can mean (``values``)."""

    text: str
    values: frozenset[str]
    soft: bool = False  # a number word (``twee``, ``third``, a bare ``duizend``): never reported on its own


# --- numbers ---------------------------------------------------------------------------------------------------

SCALES = {
    "duizend": 10**3, "miljoen": 10**6, "mln": 10**6, "miljard": 10**9, "mld": 10**9, "mrd": 10**9,
    "biljoen": 10**12, "thousand": 10**3, "million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9,
    "trillion": 10**12,
}
NL_SCALES = ("duizend", "miljoen", "mln", "miljard", "mld", "mrd", "biljoen")
EN_SCALES = ("thousand", "million", "m", "billion", "bn", "trillion")

NL_UNITS = {
    "nul": 0, "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8,
    "negen": 9, "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15,
    "zestien": 16, "zeventien": 17, "achttien": 18, "negentien": 19,
}
NL_TENS = {"twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "zeventig": 70, "tachtig": 80,
           "negentig": 90}
EN_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000, "millionth": 10**6,
}
MONTHS = {
    "januari": 1, "februari": 2, "maart": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7, "augustus": 8,
    "september": 9, "oktober": 10, "november": 11, "december": 12, "january": 1, "february": 2, "march": 3,
    "may": 5, "june": 6, "july": 7, "august": 8, "october": 10,
}
DAYS = {"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday"}

_PHONE = r"(?:\+\d{2,3}[\s-]?\(?0?\)?|\b0)\d{1,3}[\s-]?\d{2,4}(?:[\s-]?\d{2,4}){1,3}"
_NUMBER = re.compile(
    rf"(?P<phone>{_PHONE})(?!\d)"
    r"|(?P<postcode>\b[1-9]\d{3}\s?(?!BC|AD|CE|AM|PM|GMT|UTC)[A-Z]{2}\b)"
    r"|(?P<duration>(?<![\d.,])\d{1,2}:\d{2}(?::\d{2})?[.,]\d+|\d{1,2}:\d{2}:\d{2})"
    r"|(?P<iso>(?<![\d.,])(?:1[5-9]|20)\d{2}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?(?![\d]))"
    r"|(?P<time>(?<![\d.,])(?:[01]?\d|2[0-3])[.:][0-5]\d(?![\d]|[.,]\d)"
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\b\.?)|(?P<uur>\s*uur\b))?)"
    r"|(?P<num>(?<![\d.,])\d+(?:[.,]\d+)*(?![\d]))"
    r"(?:\s*(?P<ampm2>[ap]\.?\s?m\b\.?)|(?P<uur2>\s+uur\b))?",
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _dec(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _canon(value: Decimal) -> str:
    """One string per value: 5200, 5.2 and 5.20 print as "5200", "5.2", "5.2"."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _digit_values(text: str, lang: Language) -> set[Decimal]:
    """The value of ``5.200``/``5,200``/``3,5``/``5.2`` in ``lang``'s convention (see the module docstring)."""
    thousands, decimal = (".", ",") if lang == "nl" else (",", ".")
    if thousands in text and decimal in text:
        head, _, tail = text.rpartition(decimal)
        if thousands in tail or not re.fullmatch(rf"\d{{1,3}}(?:\{thousands}\d{{3}})+", head):
            return set()
        value = _dec(head.replace(thousands, "") + "." + tail)
    elif thousands in text:
        if re.fullmatch(rf"\d{{1,3}}(?:\{thousands}\d{{3}})+", text):
            value = _dec(text.replace(thousands, ""))
        elif text.count(thousands) == 1:  # Dutch "5.2" / English "5,2": cannot be thousands, so a decimal
            value = _dec(text.replace(thousands, "."))
        else:
            return set()  # "1.2.3": a section or version number, not a quantity
    elif decimal in text:
        if text.count(decimal) != 1:
            return set()
        value = _dec(text.replace(decimal, "."))
    else:
        value = _dec(text)
    return {value} if value is not None else set()


def _time(hour: int, minute: int, ampm: str | None) -> str:
    if ampm:
        if ampm[0] == "p" and hour < 12:
            hour += 12
        elif ampm[0] == "a" and hour == 12:
            hour = 0
    return f"t{hour:02d}:{minute:02d}"


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", re.sub(r"\(0\)", "", text))
    if text.startswith("+"):
        digits = "0" + digits[2:] if digits.startswith("31") else "00" + digits
    return "tel:" + digits


def _next_word(text: str, end: int) -> tuple[str, int]:
    match = re.match(r"\s*([^\W\d_]+)\b", text[end:])
    return (match.group(1), end + match.end()) if match else ("", end)


def _digit_mentions(text: str, lang: Language) -> tuple[list[NumberMention], list[tuple[int, int]]]:
    """Numbers written with digits, and the spans they cover (so number words inside them are not read again)."""
    scales = NL_SCALES if lang == "nl" else EN_SCALES
    mentions: list[NumberMention] = []
    spans: list[tuple[int, int]] = []
    for match in _NUMBER.finditer(text):
        kind = next(k for k in ("phone", "postcode", "duration", "iso", "time", "num") if match.group(k))
        raw = match.group(kind)
        end = match.end(kind)
        values: set[str] = set()
        if kind == "phone":
            if len(re.sub(r"\D", "", raw)) < 9:  # too short: a range or list ("0 2 4"), read as numbers
                for part in re.finditer(r"\d+", raw):
                    mentions.append(NumberMention(part.group(), frozenset({part.group().lstrip("0") or "0"})))
                spans.append(match.span(kind))
                continue
            values = {_phone_digits(raw)}
        elif kind == "postcode":
            values = {"pc:" + raw.replace(" ", "")}
        elif kind == "duration":  # a race time "4:41.30": compared as written, decimal comma or point
            values = {"dur:" + re.sub(r"[.,]", ":", raw)}
        elif kind == "iso":
            values = {"date:" + raw}
        elif kind == "time":
            hour, minute = (int(p) for p in re.split(r"[.:]", re.match(r"[\d.:]+", raw).group()))
            ampm = (match.group("ampm") or "").replace(".", "").replace(" ", "").lower() or None
            values = {_time(hour, minute, ampm)}
            if lang == "en" and hour <= 12:  # a 12-hour clock without (or with a misread) am/pm: "10:00-11:00 pm"
                values |= {_time(hour, minute, None), _time(hour, minute, "pm")}
            if ":" not in raw and not ampm and not match.group("uur"):  # "10.30": a time or a decimal
                values |= {_canon(v) for v in _digit_values(raw, lang)}
            if ampm or match.group("uur"):
                end = match.end()
        else:
            numbers = _digit_values(raw, lang)
            if not numbers:
                continue
            word, word_end = _next_word(text, end)
            glued = word_end - len(word) == end
            if word.lower() in scales and (word.lower() not in ("m", "bn") or glued):  # "5 m" is metres
                scaled = {n * SCALES[word.lower()] for n in numbers}
                numbers = scaled | numbers if word == "m" else scaled  # "100m" is also 100 metres
                raw, end = text[match.start(kind):word_end], word_end
            if lang == "en" and raw.isdigit() and len(raw) == 4 and word.lower() in ("gmt", "utc", "hours", "hrs") \
                    and int(raw[:2]) < 24 and int(raw[2:]) < 60:  # "1200 GMT"
                extra_time = _time(int(raw[:2]), int(raw[2:]), None)
            else:
                extra_time = ""
            values = {_canon(n) for n in numbers}
            if extra_time:
                values.add(extra_time)
            before = text[max(0, match.start(kind) - 7):match.start(kind)]
            if len(raw) == 2 and raw.isdigit() and re.search(r"(?:jaren\s*[’']?|\s[’'])$", before):
                values |= {"19" + raw, "20" + raw}  # "jaren 60", "'79": the 1960s, 1979
            ampm = (match.group("ampm2") or "").replace(".", "").replace(" ", "").lower() or None
            if (ampm or match.group("uur2")) and raw.isdigit() and int(raw) <= 24:
                values.add(_time(int(raw), 0, ampm))
                if ampm:
                    values = {_time(int(raw), 0, ampm)}
            if (ampm or match.group("uur2")) and raw.isdigit():
                end = match.end()
            if raw.isdigit() and len(raw) == 4 and 1500 <= int(raw) <= 2099:
                before = re.search(r"([^\W\d_]+)\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?$", text[:match.start(kind)])
                month = MONTHS.get(before.group(1).lower()) if before else None
                if month:
                    values.add(f"date:{raw}-{month:02d}")
        written = text[match.start(kind):end].strip()
        if re.search(r"[ap]m\.$", written, re.IGNORECASE):  # "1:30 pm." ends a sentence; "1:30 p.m." keeps it
            written = written[:-1]
        mentions.append(NumberMention(written, frozenset(values)))
        spans.append((match.start(kind), end))
    return mentions, spans


def _dutch_word_value(word: str) -> int | None:
    """``zevenhonderd`` = 700, ``eenentwintig`` = 21, ``tweeduizend`` = 2000; None for any other word."""
    word = word.lower().replace("ë", "e").replace("é", "e")
    for scale, factor in (("miljard", 10**9), ("miljoen", 10**6), ("duizend", 1000), ("honderd", 100)):
        head, found, tail = word.partition(scale)
        if found:
            high = 1 if not head else _dutch_word_value(head)
            low = 0 if not tail else _dutch_word_value(tail.removeprefix("en") if tail != "en" else tail)
            if high is None or low is None or (head and high >= factor) or low >= factor:
                return None
            return high * factor + low
    if word in NL_UNITS:
        return NL_UNITS[word]
    if word in NL_TENS:
        return NL_TENS[word]
    for tens, value in NL_TENS.items():
        if word.endswith("en" + tens):
            unit = NL_UNITS.get(word[: -len(tens) - 2])
            if unit is not None and 1 <= unit <= 9:
                return unit + value
    return None


def _dutch_ordinal(word: str) -> int | None:
    """``dertiende`` = 13, ``vierentwintigste`` = 24, ``eerste`` = 1 (used only to match digits: soft)."""
    word = word.lower()
    if word in ("eerste", "derde"):
        return 1 if word == "eerste" else 3
    for suffix in ("ste", "de"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            value = _dutch_word_value(word[: -len(suffix)])
            if value is not None:
                return value
    return None


def _english_group(words: list[str]) -> int | None:
    """``two hundred thousand`` = 200000, ``a million`` = 1000000; the standard running-total reading."""
    total = current = 0
    seen = False
    for word in words:
        word = word.lower()
        if word in EN_WORDS:
            current += EN_WORDS[word]
            seen = True
        elif word == "hundred":
            current = (current or 1) * 100
            seen = True
        elif word in ("thousand", "million", "billion", "trillion"):
            total += (current or 1) * SCALES[word]
            current, seen = 0, True
        elif word in EN_ORDINALS:
            value = EN_ORDINALS[word]
            current = (current or 1) * value if value >= 100 else current + value
            seen = True
    return total + current if seen else None


def _word_mentions(text: str, lang: Language, spans: list[tuple[int, int]]) -> list[NumberMention]:
    tokens = [(m.group(), m.start()) for m in re.finditer(r"[^\W\d_]+", text)
              if not any(a <= m.start() < b for a, b in spans)]
    mentions: list[NumberMention] = []
    i = 0
    while i < len(tokens):
        word, start = tokens[i]
        lower = word.lower()
        if lang == "nl":
            value = _dutch_word_value(lower)
            if value is None:
                value = _dutch_ordinal(lower)
            if value is None or (lower == "acht" and i and tokens[i - 1][0].lower() == "in"):  # "in acht nemen"
                i += 1
                continue
            group = [word]
            if i + 1 < len(tokens) and tokens[i + 1][0].lower() in ("miljoen", "miljard", "biljoen") and value < 1000:
                value *= SCALES[tokens[i + 1][0].lower()]
                group.append(tokens[i + 1][0])
            if value == 1 and len(group) == 1:  # the article "een", not the number
                i += 1
                continue
        else:
            group = []
            j = i
            while j < len(tokens):
                w = tokens[j][0].lower()
                if w in EN_WORDS or w in ("hundred", "thousand", "million", "billion", "trillion"):
                    group.append(tokens[j][0])
                elif w in EN_ORDINALS:
                    group.append(tokens[j][0])
                    j += 1
                    break
                elif w == "and" and group and j + 1 < len(tokens) and tokens[j + 1][0].lower() in EN_WORDS:
                    pass  # "two hundred and five"
                else:
                    break
                j += 1
            value = _english_group(group)
            if value is None:
                i += 1
                continue
            if value == 1 and [g.lower() for g in group] == ["one"]:  # "one of them": a pronoun as often as not
                i = j
                continue
            mentions.append(NumberMention(text[start: tokens[j - 1][1] + len(tokens[j - 1][0])],
                                          frozenset({str(value)}), soft=_soft(group, value)))
            i = j
            continue
        mentions.append(NumberMention(" ".join(group), frozenset({str(value)}), soft=_soft(group, value)))
        i += len(group)
    return mentions


def _soft(group: list[str], value: int) -> bool:
    """Small number words and bare scale words are often rephrased ("twee" -> "both", "duizend" ->
    "thousands", "vijf keer" -> "fifth"), so they only ever match; a digit on the other side still shows."""
    scale_only = all(w.lower() in SCALES or w.lower() in ("hundred", "honderd") for w in group)
    return value <= 12 or scale_only or group[-1].lower() in EN_ORDINALS or _dutch_ordinal(group[-1]) is not None


def extract_numbers(text: str, lang: Language) -> list[NumberMention]:
    """Every number of ``text`` (digits, times, dates, phone numbers, number words) read in ``lang``."""
    mentions, spans = _digit_mentions(text, lang)
    return mentions + _word_mentions(text, lang, spans)


def dutch_numbers(text: str) -> list[NumberMention]:
    return extract_numbers(text, "nl")


def english_numbers(text: str) -> list[NumberMention]:
    return extract_numbers(text, "en")


def _match(source: list[NumberMention], output: list[NumberMention]) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn): source index -> output index, on any shared value."""
    pairs: dict[int, int] = {}  # output -> source

    def augment(s: int, seen: set[int]) -> bool:
        for o, mention in enumerate(output):
            if o in seen or not source[s].values & mention.values:
                continue
            seen.add(o)
            if o not in pairs or augment(pairs[o], seen):
                pairs[o] = s
                return True
        return False

    for s in range(len(source)):
        augment(s, set())
    return {s: o for o, s in pairs.items()}


def _show(mention: NumberMention) -> str:
    return " or ".join(sorted(v[1:] if re.match(r"t\d", v) else v for v in mention.values))


def check_numbers(src: str, out: str, sentence: int = 0, stage: str = "translate") -> list[Finding]:
    """Numbers of the Dutch ``src`` missing from, changed in, or added by the English ``out``."""
    source, output = dutch_numbers(src), english_numbers(out)
    matched = _match(source, output)
    # A repeated number ("in 1979 ... 1979") counts once: what is left over must be absent from the other side.
    missing = [m for i, m in enumerate(source)
               if i not in matched and not m.soft and not any(m.values & o.values for o in output)]
    used = set(matched.values())
    added = [m for i, m in enumerate(output)
             if i not in used and not m.soft and not any(m.values & s.values for s in source)]
    findings = []
    for s, o in zip(missing, added, strict=False):
        findings.append(Finding(stage, "number", sentence, s.text, o.text,
                                f"number changed: {_show(s)} in the source, {_show(o)} in the translation"))
    for s in missing[len(added):]:
        findings.append(Finding(stage, "number", sentence, s.text, "",
                                f"number missing: {_show(s)} is not in the translation"))
    for o in added[len(missing):]:
        findings.append(Finding(stage, "number", sentence, "", o.text,
                                f"number added: {_show(o)} is not in the source"))
    return findings
