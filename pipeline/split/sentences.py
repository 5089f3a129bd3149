"""Sentence splitting: Dutch article text (and English summaries) into sentences.

MarianMT was trained on single sentences: whole paragraphs get truncated or make it loop, so every
paragraph is cut into sentences before translation. The evaluation harness also uses the English mode to put
summary sentences on separate lines for ROUGE-Lsum.

This is a small rule-based splitter rather than a library: the rules are few, readable and testable, they
know Dutch news conventions (``dhr.``, ``o.a.``, ``5 mln.``, ``'s Avonds``), and they run fast enough for
batches of ten thousand articles.

How a paragraph is split
------------------------
1. **Lines.** A single newline is a hard boundary when it ends a heading or a list item (see
   :func:`_hard_break`); otherwise it is a soft wrap and becomes a space.
2. **Candidates.** Inside a line, a boundary candidate is a run of ``. ! ? …`` followed by any closing quotes
   or brackets and then whitespace. The closers stay with the sentence they close.
3. **Decision.** A candidate is a boundary only if the next word can start a sentence (capital, digit, opening
   quote/bracket before one, or Dutch ``'s``/``'t``/``'n``). Then, for a single period, the word before it
   decides (:func:`_period_is_boundary`):

   * *prefix* abbreviations (``dhr. prof. bijv. o.a. d.w.z. ca. nr. Mr. e.g.``) sit in front of what
     they qualify, so they never end a sentence: ``dhr. Jansen`` stays whole;
   * *final* abbreviations (``enz. etc. e.d. jl. a.s. mln. mld.``) usually close a list or a number at the end
     of a clause, so a following capital starts a new sentence: ``... enz. Daarna ...`` splits;
   * *ambiguous* abbreviations (``U.S. Inc. Jr. Jan. p.m.``, Dutch months) split only when the next word
     is a common sentence opener (``The``, ``He``, ``De``, ``Het`` ...): ``U.S. President`` stays whole,
     ``in the U.S. The`` splits;
   * initials (``J.P. Balkenende``, ``W.-A.``, ``Th.``) never end a sentence;
   * any other word ends the sentence.

Over-long sentences
-------------------
:func:`split_long_sentence` cuts a sentence that is over the translation model's input limit at clause
boundaries first, then between words, and never drops anything: joining its pieces with single spaces gives
back the whitespace-normalised sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from beknopt.cleaning.textpatterns import SENTENCE_CLOSERS, SENTENCE_ITEM_NUMBER, SENTENCE_LIST_ITEM, SENTENCE_OPENERS

__all__ = ["fit_sentences", "split_long_sentence", "split_paragraphs", "split_sentences"]

LANGS = ("nl", "en")

PREFIX, FINAL, AMBIGUOUS = "prefix", "final", "ambiguous"

# Abbreviations without their final period, as whitespace-separated lists to keep the tables readable.
# Lowercase keys also match with a capital first letter (a sentence-initial "Bijv." or "Dhr."), never in all
# caps ("ING." is a bank, not "ing." the title).
_NL_PREFIX = """
    dhr hr mevr mw mej mr mrs dr drs prof ir ing ds st kard mgr
    bijv bv vb o.a d.w.z m.a.w m.b.t m.b.v m.i m.u.v i.p.v i.v.m i.s.m i.o.v n.a.v o.b.v t.a.v t.o.v t.b.v
    t.g.v c.q i.c v.d v.h dd zgn z.g nl resp evt ca ong gem max vs vgl cf
    nr blz pag p pp art hfdst afb fig tel lid afd alg adv incl excl vnl
"""
_NL_FINAL = "enz etc e.d e.a e.v o.i.d jl a.s z.s.m t.z.t zgan z.g.a.n mln mld mrd bln v.chr n.chr jr sr"
_NL_AMBIGUOUS = "jan feb febr mrt apr jun jul aug sep sept okt nov dec min V.S U.S N.V B.V a.m p.m"
# Dutch abbreviations that are also a capitalised word or name ("Jan", "Nl") and so match lowercase only.
_NL_LOWERCASE_ONLY = frozenset({"jan", "nl", "min", "tel", "lid", "art", "alg"})

_EN_PREFIX = """
    Mr Mrs Ms Messrs Dr Prof St Mt Ft Rev Fr Gen Col Lt Capt Cmdr Sgt Maj Adm Gov Sen Rep Pres Hon Supt
    vs v e.g i.e cf viz approx est dept No Nos vol vols pp p fig figs ch sec para art eq ed eds
"""
_EN_FINAL = "etc"
_EN_AMBIGUOUS = """
    Inc Ltd Co Corp Bros Jr Sr Esq al a.m p.m A.D B.C U.S U.K U.N E.U D.C U.S.A
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Ave Blvd Rd Mon Tue Wed Thu Fri Sat Sun
"""

# Capitalised words that typically open a sentence: after an ambiguous abbreviation they tip it to a boundary.
_NL_STARTERS = """
    De Het Een Dit Dat Deze Die Er Hij Zij Ze Wij We Ik Je Jij U Hun Zijn Haar Ons Onze Mijn Maar En Ook
    Toen Daarna Daarom Daarbij Daardoor Volgens In Op Bij Na Voor Met Als Omdat Hoewel Want Dus Nu Vandaag
    Gisteren Morgen Wat Waarom Hoe Wie Waar Welke Zo Tot Al Veel Sommige Andere Alle Niet Geen Later Eerder
    Intussen Inmiddels Vervolgens Verder Bovendien Toch Wel Nog
"""
_EN_STARTERS = """
    The A An This That These Those It Its He She They We I You His Her Their Our My There Here In On At
    But And However After Before When While As If Some Many Most Other Others According Also Then So Yet
    For With By From To One Meanwhile Although Since Now Today Yesterday What Why How Who Where Which All
    No Not Later Earlier Still Instead Despite During Further Furthermore Moreover
"""


def _table(prefix: str, final: str, ambiguous: str) -> dict[str, str]:
    table = dict.fromkeys(prefix.split(), PREFIX)
    table.update(dict.fromkeys(final.split(), FINAL))
    table.update(dict.fromkeys(ambiguous.split(), AMBIGUOUS))
    return table


_LANG_RULES: dict[str, tuple[dict[str, str], frozenset[str], frozenset[str]]] = {
    "nl": (_table(_NL_PREFIX, _NL_FINAL, _NL_AMBIGUOUS), _NL_LOWERCASE_ONLY, frozenset(_NL_STARTERS.split())),
    "en": (_table(_EN_PREFIX, _EN_FINAL, _EN_AMBIGUOUS), frozenset(), frozenset(_EN_STARTERS.split())),
}

# A boundary candidate: terminal punctuation, then closing quotes/brackets, then whitespace (or the end).
_CANDIDATE = re.compile(r"[.!?…]+[" + re.escape(SENTENCE_CLOSERS) + r"]*(?=\s|$)")

# Initials: "J.", "J.P.", "W.-A.", "Th.", "Chr.", "IJ." (a name follows, so never a boundary).
_INITIALS = re.compile(r"(?:(?:[A-Z]|Th|Ch|Chr|Ph|Joh|Jac|Wm|IJ)\.-?)+")

# Dutch clitic sentence openers: "'s Avonds", "'t Is", "'n Beetje".
_NL_CLITIC = re.compile(r"^['’][stn]\b")

# What comes before the period of "1. Eerste" or "a. punt": an item number, never a sentence of its own.
_LIST_MARKER = re.compile(SENTENCE_ITEM_NUMBER)

# A line ending in sentence-final punctuation (possibly inside closers) does not need a forced break.
_ENDS_SENTENCE = re.compile(r"[.!?…][" + re.escape(SENTENCE_CLOSERS) + r"]*$")
_ENDS_OPEN = re.compile(r"[,;\-–—(\[/&+]$")

# Words that cannot end a heading: a line ending in one of them is a soft-wrapped sentence.
_FUNCTION_WORDS_TEXT = """
    de het een van en of in op met voor te aan bij door naar om uit over tot dat die als maar dan
    is zijn was waren wordt worden heeft hebben zal zou kan er ook niet nog al
    the a an of and or in on at with for to by from as that which who is are was were be has have
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_WHITESPACE = re.compile(r"\s+")
_HAS_WORD = re.compile(r"\w")


def _check_lang(lang: str) -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    try:
        return _LANG_RULES[lang]
    except KeyError:
        raise ValueError(
            f"unsupported language {lang!r} for sentence splitting; use one of {LANGS}"
        ) from None


# --------------------------------------------------------------------------------------------------- rules


def _abbreviation_kind(
    word: str, abbreviations: dict[str, str], lowercase_only: frozenset[str]
) -> str | None:
    """Look ``word`` (without its final period) up, allowing a sentence-initial capital."""
    if word in abbreviations:
        return abbreviations[word]
    lowered = word[:1].lower() + word[1:]
    if lowered != word and lowered not in lowercase_only and lowered in abbreviations:
        return abbreviations[lowered]
    return None


def _can_start_sentence(next_token: str, lang: str) -> bool:
    """Whether ``next_token`` may open a sentence: capital, digit, or a Dutch clitic like ``'s``."""
    if lang == "nl" and _NL_CLITIC.match(next_token):
        return True
    core = next_token.lstrip(SENTENCE_OPENERS + "-–—")
    if not core:
        return False
    return core[0].isupper() or core[0].isdigit()


def _period_is_boundary(word: str, next_token: str, lang: str) -> bool:
    """Decide a single period followed by a capitalised word, given the ``word`` it is attached to."""
    abbreviations, lowercase_only, starters = _LANG_RULES[lang]
    if not word:  # a stray " . " between two sentences
        return True
    kind = _abbreviation_kind(word, abbreviations, lowercase_only)
    if kind == PREFIX:
        return False
    if kind == FINAL:
        return True
    if kind == AMBIGUOUS or (len(word) == 1 and word.islower()):
        return next_token.lstrip(SENTENCE_OPENERS).rstrip(".,;:!?" + SENTENCE_CLOSERS) in starters
    return not _INITIALS.fullmatch(word + ".")  # initials precede a name


def _is_boundary(block: str, match: re.Match[str], lang: str) -> bool:
    """Decide one candidate from :data:`_CANDIDATE` inside a whitespace-normalised ``block``."""
    end = match.end()
    next_end = block.find(" ", end + 1)
    next_token = block[end + 1 : next_end if next_end != -1 else len(block)]
    if not _can_start_sentence(next_token, lang):
        return False
    word_start = block.rfind(" ", 0, match.start()) + 1
    raw_word = block[word_start : match.start()]
    if not _HAS_WORD.search(block[:word_start] + raw_word):
        return False  # nothing but punctuation before it: an opening "..." is not a sentence
    text = match.group()
    punct = text.rstrip(SENTENCE_CLOSERS)
    if "!" in punct or "?" in punct:
        return True
    if "…" in punct or ".." in punct:
        # "(...)" / "[…]" marks an omission inside a quote, not the end of a sentence.
        return not (raw_word.endswith(("(", "[")) and len(text) > len(punct))
    if len(text) > len(punct):
        # The period sits inside a closing quote or bracket: that closer ends a unit, even after "bijv.".
        return True
    return _period_is_boundary(raw_word.lstrip(SENTENCE_OPENERS), next_token, lang)


def _split_block(block: str, lang: str) -> list[str]:
    """Split one line (or soft-wrapped run of lines) into sentences."""
    block = _WHITESPACE.sub(" ", block).strip()
    if not block:
        return []
    sentences = []
    start = 0
    for match in _CANDIDATE.finditer(block):
        if match.end() >= len(block):
            break
        if _LIST_MARKER.fullmatch(block[start : match.start()]):
            continue  # "1. Eerste" / "a. punt": an item number, not a sentence
        if _is_boundary(block, match, lang):
            sentences.append(block[start : match.end()].strip())
            start = match.end() + 1
    tail = block[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


# --------------------------------------------------------------------------------------------------- lines


def _hard_break(line: str, next_line: str, lang: str) -> bool:
    """Whether the newline between two non-empty (stripped) lines separates sentences.

    A newline is a boundary before or after a list item, after a line ending in ``:`` or a heading: a line
    without final punctuation whose last word could end a title, followed by a line that starts like a
    sentence. Everything else is a soft wrap. A line ending in ``.``/``!``/``?`` is left to the sentence
    rules, which treat the newline as a space.
    """
    next_starts = _can_start_sentence(next_line.split(" ", 1)[0], lang) or next_line[0] in SENTENCE_OPENERS
    if SENTENCE_LIST_ITEM.match(next_line):
        return True
    if SENTENCE_LIST_ITEM.match(line):
        return next_starts
    if _ENDS_SENTENCE.search(line) or _ENDS_OPEN.search(line) or not next_starts:
        return False
    if line.endswith(":"):
        return True
    last_word = line.rsplit(" ", 1)[-1].lower()
    return last_word not in _FUNCTION_WORDS


def _split_paragraph(paragraph: str, lang: str) -> list[str]:
    lines = [line.strip() for line in paragraph.split("\n")]
    sentences: list[str] = []
    block: list[str] = []
    previous = ""
    for line in lines:
        if not line:  # a blank line inside a paragraph passed in by the caller: always a break
            sentences.extend(_split_block(" ".join(block), lang))
            block, previous = [], ""
            continue
        if previous and _hard_break(previous, line, lang):
            sentences.extend(_split_block(" ".join(block), lang))
            block = []
        block.append(line)
        previous = line
    sentences.extend(_split_block(" ".join(block), lang))
    return sentences


# --------------------------------------------------------------------------------------------------- API


def split_sentences(text: str, lang: str = "nl") -> list[str]:
    """Split a whole text into sentences; blank lines separate paragraphs, so no sentence spans two.

    Whitespace inside a sentence is collapsed to single spaces, which is what the translator wants.
    """
    _check_lang(lang)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sentences, _ = split_paragraphs(_BLANK_LINE.split(text), lang)
    return sentences


def split_paragraphs(paragraphs: list[str], lang: str = "nl") -> tuple[list[str], list[int]]:
    """Split each paragraph, remembering where each sentence came from so translations can be regrouped."""
    _check_lang(lang)
    sentences: list[str] = []
    paragraph_of: list[int] = []
    for index, paragraph in enumerate(paragraphs):
        found = _split_paragraph(paragraph.replace("\r\n", "\n").replace("\r", "\n"), lang)
        sentences.extend(found)
        paragraph_of.extend([index] * len(found))
    return sentences, paragraph_of


# --------------------------------------------------------------------------------------------- long input

# Clause boundaries by preference; each is a position between two words (the index of the word that starts
# the next piece). Strong punctuation first, then a comma before a conjunction, then any comma.
_CONJUNCTIONS_TEXT = """
    maar en of omdat terwijl want dus doch zodat waardoor hoewel nadat toen waarna waarbij waarmee wanneer
    als zoals die dat wat welke
    but and or because while whereas so although though after when which who where
"""
_CONJUNCTIONS = frozenset(_CONJUNCTIONS_TEXT.split())
_DASHES = frozenset({"-", "–", "—", "--"})


def _clause_levels(words: list[str]) -> list[list[int]]:
    strong, conjunction, comma = [], [], []
    for i in range(1, len(words)):
        before, word = words[i - 1], words[i]
        if before.endswith((";", ":")) or word in _DASHES:
            strong.append(i)
        elif before.endswith(","):
            (conjunction if word.lower() in _CONJUNCTIONS else comma).append(i)
    return [strong, conjunction, comma]


def _cut_word(word: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Last resort for one word over the limit: the longest prefixes that fit (at least one character)."""
    pieces = []
    while word:
        low, high = 1, len(word)
        while low < high:  # largest n with count_tokens(word[:n]) <= max_tokens
            mid = (low + high + 1) // 2
            if count_tokens(word[:mid]) <= max_tokens:
                low = mid
            else:
                high = mid - 1
        pieces.append(word[:low])
        word = word[low:]
    return pieces


def _pack(
    words: list[str], cuts: list[int], max_tokens: int, count_tokens: Callable[[str], int], levels: int
) -> list[str]:
    """Greedily merge the segments between ``cuts`` while they fit; refine any that still do not."""
    bounds = [0, *cuts, len(words)]
    segments = [words[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    pieces: list[str] = []
    current: list[str] = []
    for segment in segments:
        if current and count_tokens(" ".join(current + segment)) <= max_tokens:
            current += segment
            continue
        if current:
            pieces.extend(_split_words(current, max_tokens, count_tokens, levels))
        current = list(segment)
    if current:
        pieces.extend(_split_words(current, max_tokens, count_tokens, levels))
    return pieces


def _split_words(
    words: list[str], max_tokens: int, count_tokens: Callable[[str], int], levels: int
) -> list[str]:
    """Split ``words`` using clause levels from ``levels`` on (3 = only word boundaries are left)."""
    text = " ".join(words)
    if count_tokens(text) <= max_tokens:
        return [text]
    if len(words) == 1:
        return _cut_word(words[0], max_tokens, count_tokens)
    clause_levels = _clause_levels(words)
    for level in range(levels, 3):
        if clause_levels[level]:
            return _pack(words, clause_levels[level], max_tokens, count_tokens, level + 1)
    return _pack(words, list(range(1, len(words))), max_tokens, count_tokens, 3)


def split_long_sentence(sentence: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Cut a sentence the translator cannot take whole into pieces it can, without losing a word.

    Clause boundaries come first (``;`` ``:`` dashes, then a comma before a conjunction such as ``, maar``,
    ``, omdat``, then any comma) because a clause translates far better than an arbitrary run of words;
    word boundaries are the fallback. The pieces joined with single spaces give back the sentence with its
    whitespace normalised; only a single word longer than the limit is cut inside the word.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    words = sentence.split()
    if not words:
        return []
    return _split_words(words, max_tokens, count_tokens, 0)


def fit_sentences(
    sentences: list[str], paragraph_of: list[int], max_tokens: int, count_tokens: Callable[[str], int]
) -> tuple[list[str], list[int], int]:
    """Make every sentence fit the translation model, keeping paragraph membership for the regrouping.

    Returns the new sentences, their paragraph indices and the number of sentences that had to be split,
    so the caller can record a warning instead of the model silently truncating.
    """
    if len(sentences) != len(paragraph_of):
        raise ValueError(f"{len(sentences)} sentences but {len(paragraph_of)} paragraph indices")
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    fitted: list[str] = []
    fitted_paragraphs: list[int] = []
    n_split = 0
    for sentence, paragraph in zip(sentences, paragraph_of, strict=True):
        if count_tokens(sentence) <= max_tokens:
            fitted.append(sentence)
            fitted_paragraphs.append(paragraph)
            continue
        pieces = split_long_sentence(sentence, max_tokens, count_tokens)
        n_split += 1
        fitted.extend(pieces)
        fitted_paragraphs.extend([paragraph] * len(pieces))
    return fitted, fitted_paragraphs, n_split
