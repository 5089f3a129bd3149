"""Issue 20, items 8 and 11: a file that is not a glossary fails with its line before any model loads, and
matching costs the same whatever the number of terms while finding exactly what the old single regex found.

Speed is measured in benchmarks/glossary.py, not here: these tests assert what is found and what is refused.
"""

from __future__ import annotations

import csv
import io
import pickle
import random
import re
import sys
from pathlib import Path

import pytest

from beknopt.cli import main
from beknopt.translate.glossary import MAX_TERM_CHARS, Glossary, GlossaryError, Term, _Folding, _is_word, load_glossary

ARTICLES = Path(__file__).parent / "data" / "cli" / "articles"


def _cli(capsys, monkeypatch, tmp_path: Path, glossary: Path) -> tuple[int, list[str], list[str]]:
    """``beknopt run`` with a glossary; returns the exit code, the stderr lines and the models it tried to load.

    The model loader is replaced by a recorder, and the translation model named does not exist: loading it would
    fail with "does not exist", so the glossary's error shows it came before any model was opened."""
    from beknopt.models import registry

    loaded: list[str] = []
    monkeypatch.setattr(registry, "load_backend", lambda model, *a, **k: loaded.append(model) or 1 / 0)
    code = main(["run", str(ARTICLES), "-o", str(tmp_path / "out"), "--device", "cpu", "--glossary", str(glossary),
                 "--translation-model", str(tmp_path / "geen-model")])
    return code, capsys.readouterr().err.splitlines(), loaded


def _refused(path: Path) -> str:
    with pytest.raises(GlossaryError) as caught:
        load_glossary(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- item 8: what is not a glossary is refused, with its line ----------------------------------------------------

def test_item8_cell_over_csv_limit_is_one_line_exit_2(tmp_path, capsys, monkeypatch) -> None:
    big = tmp_path / "big.csv"
    big.write_text("kabinet,cabinet\n" + "x" * 131_073 + ",y\nTweede Kamer,House of Representatives\n",
                   encoding="utf-8")
    code, err, loaded = _cli(capsys, monkeypatch, tmp_path, big)
    assert code == 2 and loaded == [] and not (tmp_path / "out").exists()
    assert err == [f"beknopt: error: big.csv line 2: a cell of more than {csv.field_size_limit():,} characters; "
                   f"a glossary term is at most {MAX_TERM_CHARS}"]
    # under the csv limit but no term: the length is named, for either column
    (tmp_path / "lang.tsv").write_text("kabinet\tcabinet\nwet\t" + "w" * 5_000 + "\n", encoding="utf-8")
    assert _refused(tmp_path / "lang.tsv") == (f"lang.tsv line 2: the English term is 5,000 characters; a glossary "
                                               f"term is at most {MAX_TERM_CHARS}")
    (tmp_path / "net.tsv").write_text("k" * MAX_TERM_CHARS + "\tcabinet\n", encoding="utf-8")
    assert [len(t.dutch) for t in load_glossary(tmp_path / "net.tsv").terms] == [MAX_TERM_CHARS]


SHADOW = "".join(f"{user}:*:20228:0:99999:7:::\n" for user in ("root", "daemon", "bin", "sys", "sync", "games"))
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def test_item8_etc_shadow_is_refused(tmp_path, capsys, monkeypatch) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW, encoding="utf-8")
    code, err, loaded = _cli(capsys, monkeypatch, tmp_path, shadow)
    assert code == 2 and loaded == []
    assert err == ["beknopt: error: shadow line 1: a cell with 8 ':' looks like a colon-separated system file "
                   "(/etc/passwd, /etc/shadow), not a glossary row"]
    assert "root" not in err[0]  # the line itself is not echoed into a log
    (tmp_path / "passwd").write_text(PASSWD, encoding="utf-8")
    assert _refused(tmp_path / "passwd").startswith("passwd line 1: a cell with 6 ':'")
    if Path("/etc/passwd").is_file():
        assert "looks like a colon-separated system file" in _refused(Path("/etc/passwd"))
    # two colons are a time or a score in a real term, and still load
    (tmp_path / "tijd.csv").write_text("Journaal 20:00,8 o'clock news\nAjax: de film,Ajax: the film\n")
    assert [t.english for t in load_glossary(tmp_path / "tijd.csv").terms] == ["8 o'clock news", "Ajax: the film"]


def test_item8_unclosed_quote_names_line(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "termen.csv"
    path.write_text('kabinet,cabinet\n# opmerking\n"Tweede Kamer,House of Representatives\nminister,minister\n'
                    'Raad van State,Council of State\n', encoding="utf-8")
    code, err, loaded = _cli(capsys, monkeypatch, tmp_path, path)
    assert code == 2 and loaded == []
    assert err == ['beknopt: error: termen.csv line 3: a quote (") opens a cell that does not end on this line; a '
                   'glossary cell cannot span lines (a missing closing quote?)']
    # a quote opened in the second cell, or a quoted cell that really goes on over two lines: the same, its line
    (tmp_path / "b.tsv").write_text('kabinet\tcabinet\nwet\t"law\n', encoding="utf-8")
    assert _refused(tmp_path / "b.tsv").startswith("b.tsv line 2: a quote")
    (tmp_path / "c.csv").write_text('kabinet,cabinet\r\n"Tweede\r\nKamer",House\r\n', encoding="utf-8")
    assert _refused(tmp_path / "c.csv").startswith("c.csv line 2: a quote")
    # a comment is not parsed: a quote in it, or its length, is no error (and no longer hides the rows after it)
    (tmp_path / "d.csv").write_text('# noot, "open\n#' + "x" * 200_000 + '\nkabinet,cabinet\n', encoding="utf-8")
    assert [t.dutch for t in load_glossary(tmp_path / "d.csv").terms] == ["kabinet"]


def test_item8_nul_byte_names_line(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "termen.tsv"
    path.write_bytes(b"kabinet\tcabinet\nTweede\x00Kamer\tHouse of Representatives\n")
    code, err, loaded = _cli(capsys, monkeypatch, tmp_path, path)
    assert code == 2 and loaded == []
    assert err == ["beknopt: error: termen.tsv line 2: control character U+0000; a glossary is plain text "
                   "(is this a binary file?)"]
    (tmp_path / "vt.csv").write_bytes(b"# ok\nkabinet,cab\x0binet\n")  # other control characters too
    assert _refused(tmp_path / "vt.csv").startswith("vt.csv line 2: control character U+000B")
    # the same rule for terms given as a mapping (beknopt.toml, the Python API, the service)
    with pytest.raises(GlossaryError, match="glossary: control character U\\+0000 in the Dutch term"):
        load_glossary({"Tweede\x00Kamer": "House"})
    with pytest.raises(GlossaryError, match="the Dutch term is 201 characters; a glossary term is at most 200"):
        load_glossary({"a" * 201: ""})


def test_item8_a_device_or_huge_file_is_not_read_to_the_end(tmp_path) -> None:
    if Path("/dev/zero").exists():
        assert _refused(Path("/dev/zero")) == ("/dev/zero: glossary is over 32 MiB; at most 50,000 terms of at "
                                               "most 200 characters fit in far less")


def _old_parse(text: str, delimiter: str) -> list[tuple[str, str]]:
    """The whole-text csv parse this module used before, for files it read correctly."""
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        while cells and not cells[-1]:
            cells.pop()
        rows.append((" ".join(cells[0].split()), " ".join(cells[1].split()) if len(cells) > 1 else ""))
    return rows


@pytest.mark.parametrize(("name", "content"), [
    ("a.csv", '\ufeffnl,en\r\n"Raad van State","Council of State"\r\nministerie,"ministry"\r\n'),
    ("b.csv", '"#geen commentaar",x\n"Raad, van State",Council\n"abc"def,"a ""quote"""\nkabinet,cabinet,,\n'),
    ("c.tsv", "# kop\n\ndutch\tenglish\nTweede  Kamer\t House \nNOS Journaal\t\n\t\n   \nJinek\n"),
    ("d", "Tweede Kamer\tHouse of Representatives\nkabinet\tcabinet"),  # no extension: a tab, no final newline
    ("e.txt", "Nieuwsuur\nOp1\n12:30 uur,half past twelve\n"),
])
def test_item8_valid_glossaries_load_as_before(tmp_path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode())
    text = content.lstrip("\ufeff")
    delimiter = "\t" if name.endswith(".tsv") or name == "d" else ","
    expected = [(d, e) for d, e in _old_parse(text, delimiter) if (d, e) not in {("nl", "en"), ("dutch", "english")}]
    assert [(t.dutch, "" if t.keep else t.english) for t in load_glossary(path).terms] == expected


# -- item 11: one automaton, the same matches as the old single regex ---------------------------------------------

def _old_find(glossary: Glossary, text: str) -> list[tuple[int, int, Term]]:
    """The old implementation: one alternation of every term, longest first, each whole-word and, for a lower-case
    term, case-insensitive. Its cost grows with the number of terms; its matches are the reference."""
    def whole(term: Term) -> str:
        words = r"\s+".join(re.escape(part) for part in term.dutch.split())
        body = f"(?<!\\w)(?:{words})(?!\\w)"
        return f"(?i:{body})" if term.folds_case else body

    ordered = sorted(glossary.terms, key=lambda t: (-len(t.dutch), t.dutch))
    pattern = re.compile("|".join(f"({whole(t)})" for t in ordered))
    return [(m.start(), m.end(), ordered[m.lastindex - 1]) for m in pattern.finditer(text) if m.lastindex]


# Pieces that exercise the edges: case pairs re folds (İ/i, ſ/s, K/k, µ/μ, ΐ/ΐ, ﬅ/ﬆ, ß/ẞ, Σ/σ/ς), word characters
# that are not letters (_, digits, ²), terms that begin or end with punctuation, and whitespace of every kind.
ALPHABET = ["a", "b", "A", "B", "k", "K", "\u212a", "i", "I", "\u0130", "\u0131", "s", "S", "\u017f", "\u00b5",
            "\u03bc", "\u039c", "\u0390", "\u1fd3", "\ufb05", "\ufb06", "\u00df", "\u1e9e", "\u03c3", "\u03c2",
            "\u03a3", "_", "1", "\u00b2", "é", "É", "-", ".", "#", "+", "'"]
SPACES = [" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u2028", " \u3000 "]


def _random_term(rng: random.Random) -> str:
    words = ["".join(rng.choice(ALPHABET[:12] if rng.random() < 0.7 else ALPHABET) for _ in range(rng.randint(1, 3)))
             for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
    term = " ".join(words)
    if rng.random() < 0.4:
        term = term.lower()
    return term if re.search(r"\w", term) else term + "a"


def _random_text(rng: random.Random, terms: list[str]) -> str:
    pieces = []
    for _ in range(rng.randint(1, 14)):
        if terms and rng.random() < 0.5:
            piece = rng.choice(terms)
            piece = rng.choice([piece, piece.upper(), piece.lower(), piece.swapcase(), piece.title()])
            piece = re.sub(" ", lambda _: rng.choice(SPACES), piece)
        else:
            piece = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 4)))
        pieces.append(piece)
        pieces.append(rng.choice(SPACES + ["", "", ",", ".", "-", "_", "a"]))
    return "".join(pieces)


def test_item11_matches_equal_the_old_alternation_on_random_terms_and_text() -> None:
    rng = random.Random(20)
    compared = hits = 0
    for _ in range(300):
        spellings = list(dict.fromkeys(_random_term(rng) for _ in range(rng.randint(1, 25))))
        # overlapping terms: prefixes, suffixes and extensions of the ones drawn
        for word in spellings[:5]:
            spellings += [word[: max(1, len(word) // 2)], word + " " + rng.choice(spellings), "b " + word]
        keyed: dict[str, Term] = {}
        for spelling in spellings:
            term = Term(" ".join(spelling.split()), "x")
            if re.search(r"\w", term.dutch):
                keyed.setdefault(term.dutch.lower() if term.folds_case else term.dutch, term)
        glossary = Glossary(keyed.values())
        for _ in range(20):
            text = _random_text(rng, [t.dutch for t in glossary.terms])
            expected = _old_find(glossary, text)
            assert glossary.find(text) == expected, (text, [t.dutch for t in glossary.terms])
            compared += 1
            hits += len(expected)
    assert compared == 6000 and hits > 10_000  # the random texts do hit the terms, often overlapping


def test_item11_the_documented_cases_match_as_before() -> None:
    glossary = Glossary([Term("Tweede Kamer", "House of Representatives"), Term("Kamer", "Chamber"),
                         Term("kamer", "room"), Term("kabinet", "cabinet"), Term("NOS", "NOS"), Term("C++", "C++"),
                         Term("#MeToo", "#MeToo"), Term("Tweede Kamer van", "x"), Term("van de", "y"),
                         Term("istanbul", "Istanbul"), Term("straße", "street")])
    text = ("De Tweede\u00a0\n Kamer stemt; de Kamer, de kamer en de KAMER. Kabinetten, het Kabinet, NOS-journaal, "
            "nos. C++ en C++x, #MeToo en a#MeToo, Tweede Kamer van de wet, İSTANBUL, STRASSE, STRAẞE.")
    found = [(text[a:b], t.dutch) for a, b, t in glossary.find(text)]
    assert found == _old_find_pairs(glossary, text)
    assert pickle.loads(pickle.dumps(glossary)).find(text) == glossary.find(text)  # a pipeline shipped to Ray
    # "C++x" and "a#MeToo" are not whole words; "STRASSE" is two letters where the term has one
    assert found == [("Tweede\u00a0\n Kamer", "Tweede Kamer"), ("Kamer", "Kamer"), ("kamer", "kamer"),
                     ("KAMER", "kamer"), ("Kabinet", "kabinet"), ("NOS", "NOS"), ("C++", "C++"),
                     ("#MeToo", "#MeToo"), ("Tweede Kamer van", "Tweede Kamer van"),
                     ("İSTANBUL", "istanbul"), ("STRAẞE", "straße")]


def _old_find_pairs(glossary: Glossary, text: str) -> list[tuple[str, str]]:
    return [(text[a:b], t.dutch) for a, b, t in _old_find(glossary, text)]


def test_item11_find_cost_independent_of_term_count() -> None:
    """50,000 terms (the maximum): the right hits, and only the terms whose text is in the sentence are tried (the
    old alternation tried every term at every place of the sentence)."""
    sentence = ("Het Kabinet stuurde de Tweede Kamer gisteren een brief over de begroting, en de Kamer antwoordde "
                "meteen.")
    rng = random.Random(11)
    filler: set[str] = set()
    while len(filler) < 49_997:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 12)))
        if word not in sentence.lower():
            filler.add(word)
    wanted = [Term("Tweede Kamer", "House of Representatives"), Term("Kamer", "Chamber"), Term("kabinet", "cabinet")]
    glossary = Glossary([*(Term(w, w.upper()) for w in sorted(filler)), *wanted])
    assert len(glossary) == 50_000
    found = [(sentence[a:b], t.dutch) for a, b, t in glossary.find(sentence)]
    assert found == [("Kabinet", "kabinet"), ("Tweede Kamer", "Tweede Kamer"), ("Kamer", "Kamer")]
    assert found == _old_find_pairs(Glossary(wanted), sentence)
    # the automaton proposed only the three terms (at their places, and "Kamer" inside "Tweede Kamer"): the other
    # 49,997 were never looked at, where the old alternation tried each of them at every place of the sentence
    proposed = [(sentence[a:b], t.dutch) for a, b, candidates in glossary._proposed(sentence) for _, t, _ in candidates]
    assert sorted(proposed) == [("Kabinet", "kabinet"), ("Kamer", "Kamer"), ("Kamer", "Kamer"),
                                ("Tweede Kamer", "Tweede Kamer")]
    text, seen = glossary.prepare(sentence)
    assert text == ("Het Cabinet stuurde de House of Representatives gisteren een brief over de begroting, en de "
                    "Chamber antwoordde meteen.")
    assert {t.dutch: count for t, (_, count) in seen.items()} == {"kabinet": 1, "Tweede Kamer": 1, "Kamer": 1}


def test_item11_case_folding_agrees_with_re_for_every_character() -> None:
    """The automaton's folding must put together every pair of characters re's IGNORECASE matches to each other,
    or a term would be missed. The oracle is re's own case tables (private, so skipped where they are gone)."""
    sre = pytest.importorskip("_sre")
    casefix = pytest.importorskip("re._casefix")
    if not hasattr(sre, "unicode_tolower") or not hasattr(casefix, "_EXTRA_CASES"):
        pytest.skip("this Python's re keeps its case tables elsewhere")
    extra = casefix._EXTRA_CASES
    folding = _Folding()
    classes: dict[int, set[str]] = {}
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000 or not sre.unicode_iscased(code):
            continue
        lower = sre.unicode_tolower(code)
        folded = folding[code]
        classes.setdefault(min((lower, *extra.get(lower, ()))), set()).add(folded)
    split = {chr(k): v for k, v in classes.items() if len(v) > 1}
    assert split == {}
    # the whole-word test made without re is re's \w, character for character
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    assert re.findall(r"\w", every) == [c for c in every if _is_word(c)]
    # and the oracle is re: a few of the pairs it merges
    for a, b in [("i", "\u0130"), ("i", "\u0131"), ("s", "\u017f"), ("k", "\u212a"), ("\u00b5", "\u03bc"),
                 ("\u0390", "\u1fd3"), ("\ufb05", "\ufb06"), ("\u00df", "\u1e9e")]:
        assert re.fullmatch(f"(?i:{re.escape(a)})", b) and folding[ord(a)] == folding[ord(b)]
