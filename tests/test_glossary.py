"""The glossary: reading TSV/CSV, whole-word matching, enforcement around any translation, and its settings."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from conftest import SAMPLE_ARTICLE
from test_cli import read_jsonl, run

from beknopt import Pipeline
from beknopt.config import PipelineConfig
from beknopt.engine.progress import NO_PROGRESS, Progress
from beknopt.options import ConfigError
from beknopt.translate import GlossaryTranslation, Translation
from beknopt.translate.glossary import Glossary, GlossaryError, Term, load_glossary

pytestmark = pytest.mark.usefixtures("restore_torch_threads")


# -- reading --------------------------------------------------------------------------------------------------

def test_tsv_with_header_comments_and_keep_rows(tmp_path) -> None:
    path = tmp_path / "termen.tsv"
    path.write_text("# redactie-glossarium\ndutch\tenglish\nTweede Kamer\tHouse of Representatives\n\n"
                    "kabinet\tcabinet\nNOS Journaal\t\n", encoding="utf-8")
    glossary = Glossary.from_file(path, keep=["De Wereld Draait Door"])
    assert [(t.dutch, t.english, t.keep) for t in glossary.terms] == [
        ("Tweede Kamer", "House of Representatives", False), ("kabinet", "cabinet", False),
        ("NOS Journaal", "NOS Journaal", True), ("De Wereld Draait Door", "De Wereld Draait Door", True)]
    assert glossary.describe() == {"terms": 4, "keep": 2, "sha256": glossary.digest()}


def test_csv_by_extension_with_quotes_and_a_bom(tmp_path) -> None:
    path = tmp_path / "terms.csv"
    path.write_bytes('\ufeffnl,en\n"Raad van State","Council of State"\nministerie,"ministry"\n'.encode())
    assert [(t.dutch, t.english) for t in Glossary.from_file(path).terms] == [
        ("Raad van State", "Council of State"), ("ministerie", "ministry")]


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("t.tsv", "a\tb\tc\n", "t.tsv line 1: 3 columns, expected 2 (Dutch term, English term"),
    ("t.csv", "kabinet,cabinet\n,leeg\n", "t.csv line 2: empty Dutch term"),
    ("t.csv", "# alleen commentaar\n\n", "t.csv: glossary has no terms"),
    ("t.csv", "kabinet,cabinet\nkabinet,government\n", "'kabinet' is given twice, as 'cabinet' and as 'government'"),
    ("t.csv", "...,dots\n", "the Dutch term '...' has no letters or digits"),
])
def test_bad_rows_name_the_line(tmp_path, name: str, content: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryError) as caught:
        Glossary.from_file(path)
    assert reason in str(caught.value)


def test_unreadable_and_non_utf8_files(tmp_path) -> None:
    with pytest.raises(GlossaryError, match="cannot read glossary .*missing.tsv"):
        Glossary.from_file(tmp_path / "missing.tsv")
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("caf\xe9\tcafe\n".encode("latin-1"))
    with pytest.raises(GlossaryError, match="latin.tsv: glossary is not UTF-8"):
        Glossary.from_file(latin)


def test_load_glossary_accepts_a_mapping_a_path_or_nothing(tmp_path) -> None:
    assert load_glossary(None) is None
    from_map = load_glossary({"Tweede Kamer": "House of Representatives", "Jinek": ""}, keep=["Op1"])
    assert [(t.dutch, t.keep) for t in from_map.terms] == [("Tweede Kamer", False), ("Jinek", True), ("Op1", True)]
    (tmp_path / "g.tsv").write_text("Tweede Kamer\tHouse of Representatives\nJinek\t\nOp1\n", encoding="utf-8")
    assert load_glossary(tmp_path / "g.tsv").digest() == from_map.digest()  # content, not layout, is the identity
    with pytest.raises(GlossaryError, match="not int"):
        load_glossary(3)  # type: ignore[arg-type]


# -- matching -------------------------------------------------------------------------------------------------

GLOSSARY = Glossary([Term("Tweede Kamer", "House of Representatives"), Term("Kamer", "Chamber"),
                     Term("kabinet", "cabinet"), Term("NOS", "NOS")])


def test_whole_words_longest_first_and_case_only_for_lower_case_terms() -> None:
    text = "De Tweede  Kamer stemt; de Kamer zwijgt. Kabinetten en het Kabinet, NOS-journaal, de nos."
    found = [(text[a:b], t.dutch) for a, b, t in GLOSSARY.find(text)]
    # "Tweede  Kamer" (two spaces) is one hit, not "Kamer"; "Kabinetten" is not a whole word; "nos" is not "NOS"
    assert found == [("Tweede  Kamer", "Tweede Kamer"), ("Kamer", "Kamer"), ("Kabinet", "kabinet"), ("NOS", "NOS")]


def test_prepare_puts_the_english_term_in_keeping_a_capital() -> None:
    text, found = GLOSSARY.prepare("Kabinet en Tweede Kamer: het kabinet wacht op de Tweede Kamer.")
    assert text == "Cabinet en House of Representatives: het cabinet wacht op de House of Representatives."
    assert {t.dutch: v for t, v in found.items()} == {"kabinet": ("Kabinet", 2), "Tweede Kamer": ("Tweede Kamer", 2)}


def test_count_in_and_repair() -> None:
    term = Term("kabinet", "cabinet")
    assert Glossary.count_in("The Cabinet and the cabinet's plan; cabinets.", term) == 2
    assert GLOSSARY.repair("The kabinet met the Kabinet.", term) == ("The cabinet met the Cabinet.", 2)
    assert GLOSSARY.repair("NOS reports.", Term("NOS", "NOS")) == ("NOS reports.", 0)


# -- enforcement, around a scripted translation (orchestration only) ------------------------------------------

class Scripted:
    """Stands in for the model: a fixed output per input unit, and a record of what it was asked."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs, self.asked = outputs, []

    def translate(self, units: Sequence[str], progress: Progress = NO_PROGRESS) -> list[Translation]:
        self.asked.append(list(units))
        return [Translation(self.outputs[u]) for u in units]


def test_each_hit_is_honoured_repaired_or_missing() -> None:
    inner = Scripted({
        "Het cabinet valt.": "The cabinet falls.",  # copied: honoured
        "NOS meldt het.": "The broadcaster reports it.",  # a keep term translated away: missing
        "Het kabinet zwijgt.": "The kabinet is silent.",  # (the retry) copies the Dutch word: repaired
        "Het cabinet zwijgt.": "The government is silent.",
    })
    glossary = Glossary([Term("kabinet", "cabinet"), Term("NOS", "NOS")])
    results = GlossaryTranslation(inner, glossary).translate(["Het kabinet valt.", "NOS meldt het.",
                                                              "Het kabinet zwijgt."])
    assert inner.asked == [["Het cabinet valt.", "NOS meldt het.", "Het cabinet zwijgt."],
                           ["NOS meldt het.", "Het kabinet zwijgt."]]
    assert [r.text for r in results] == ["The cabinet falls.", "The broadcaster reports it.",
                                         "The cabinet is silent."]
    assert [[(h.term, h.status) for h in r.glossary] for r in results] == [
        [("kabinet", "honoured")], [("NOS", "missing")], [("kabinet", "repaired")]]


def test_a_term_twice_needs_the_english_twice() -> None:
    inner = Scripted({"cabinet en cabinet.": "cabinet and government.", "kabinet en kabinet.": "A and B."})
    (result,) = GlossaryTranslation(inner, Glossary([Term("kabinet", "cabinet")])).translate(["kabinet en kabinet."])
    assert result.text == "cabinet and government." and [(h.count, h.status) for h in result.glossary] == [
        (2, "missing")]


# -- the real pipeline: the tiny Marian model, both settings paths ----------------------------------------------

def test_glossary_reaches_the_real_translator_and_its_fingerprint(tiny_models, tmp_path) -> None:
    marian, _ = tiny_models
    common = {"device": "cpu", "num_beams": 1, "max_new_tokens": 8, "summarizer": "lead"}
    plain = Pipeline.from_pretrained(str(marian), **common)
    (tmp_path / "g.tsv").write_text("kabinet\tcabinet\nTweede Kamer\t\n", encoding="utf-8")
    with_terms = Pipeline.from_pretrained(str(marian), glossary=str(tmp_path / "g.tsv"), **common)
    assert "glossary" not in plain.describe()["translate"]
    assert with_terms.describe()["translate"]["glossary"] == {"terms": 2, "keep": 1,
                                                             "sha256": load_glossary(tmp_path / "g.tsv").digest()}
    assert plain.fingerprint() != with_terms.fingerprint()
    (tmp_path / "g.tsv").write_text("kabinet\tgovernment\nTweede Kamer\t\n", encoding="utf-8")
    changed = Pipeline.from_pretrained(str(marian), glossary=str(tmp_path / "g.tsv"), **common)
    assert changed.fingerprint() != with_terms.fingerprint()

    result = with_terms("Het kabinet en de Tweede Kamer praten.\n\nHet kabinet wacht.")
    # a random model honours nothing: each hit is recorded, and each miss is a check with a warning
    assert [(g["sentence"], g["term"], g["count"]) for g in result.glossary] == [
        (0, "kabinet", 1), (0, "Tweede Kamer", 1), (1, "kabinet", 1)]
    missed = [g for g in result.glossary if g["status"] == "missing"]
    glossary_checks = [c for c in result.checks if c["kind"] == "glossary"]
    assert len(glossary_checks) == len(missed) + sum(g["status"] == "repaired" for g in result.glossary)
    assert all(c["stage"] == "translate" and c["sentence"] in (0, 1) for c in glossary_checks)
    assert sum("glossary term" in w for w in result.warnings) == len(glossary_checks)


def test_config_and_toml_carry_the_glossary(tmp_path) -> None:
    config = PipelineConfig(glossary={"kabinet": "cabinet", "Jinek": ""}, keep_terms=["Op1"])
    assert config.keep_terms == ("Op1",) and config.to_options() == {
        "glossary": {"kabinet": "cabinet", "Jinek": ""}, "keep": ["Op1"]}
    (tmp_path / "beknopt.toml").write_text(config.to_toml(), encoding="utf-8")
    assert PipelineConfig.from_toml(tmp_path / "beknopt.toml") == config
    # a file named in a config file is relative to that file
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "beknopt.toml").write_text('glossary = "termen.tsv"\nsummary_format = "bullets"\n')
    loaded = PipelineConfig.from_toml(tmp_path / "conf" / "beknopt.toml")
    assert loaded.glossary == str(tmp_path / "conf" / "termen.tsv") and loaded.summary_format == "bullets"
    with pytest.raises(ConfigError, match="'glossary' must be a file path or a mapping"):
        PipelineConfig(glossary=42)  # type: ignore[arg-type]


def test_cli_glossary_and_keep_flags_and_a_bad_file(tmp_path, capsys, model_args) -> None:
    glossary = tmp_path / "termen.csv"
    glossary.write_text("Irak,Iraq\nVS,US\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, _ = run(capsys, "run", str(SAMPLE_ARTICLE.parent), "-o", str(out), *model_args,
                     "--max-summary-tokens", "24", "--min-summary-tokens", "4",
                     "--glossary", str(glossary), "--keep", "Kenneth McKenzie")
    assert code == 0
    (record,) = read_jsonl(out / "results.jsonl")
    assert record["settings"]["translate"]["glossary"]["terms"] == 3
    terms = {g["term"] for g in record["glossary"]}
    assert {"Irak", "VS"} <= terms  # both occur in the sample article
    assert json.loads((out / "2020-09-vs-troepen-irak.json").read_text())["glossary"] == record["glossary"]

    bad = tmp_path / "kapot.tsv"
    bad.write_text("a\tb\tc\n", encoding="utf-8")
    code, _, err = run(capsys, "run", str(SAMPLE_ARTICLE.parent), "-o", str(tmp_path / "out2"), *model_args,
                       "--glossary", str(bad))
    assert code == 2 and "kapot.tsv line 1: 3 columns" in err and not (tmp_path / "out2").exists()


def test_a_rebuilt_pipeline_carries_the_terms_not_the_path(tiny_models, tmp_path) -> None:
    """Ray actors rebuild the pipeline from ``factory()``; the glossary file need not exist where they run."""
    marian, _ = tiny_models
    (tmp_path / "g.tsv").write_text("kabinet\tcabinet\nNOS\t\n", encoding="utf-8")
    pipe = Pipeline.from_pretrained(str(marian), summarizer="lead", device="cpu", num_beams=1, max_new_tokens=8,
                                    glossary=str(tmp_path / "g.tsv"), keep_terms=["Op1"])
    factory = pipe.factory()
    (tmp_path / "g.tsv").unlink()
    rebuilt = factory()
    assert rebuilt.fingerprint() == pipe.fingerprint()
    assert rebuilt.config.glossary == {"kabinet": "cabinet", "NOS": "", "Op1": ""}


# -- end to end on a model that really copies (tests/models/build_copy_marian.py) -------------------------------

@pytest.fixture(scope="module")
def copy_backends(copy_marian, tmp_path_factory) -> dict[str, str]:
    from beknopt.models.convert import convert

    return {"transformers": str(copy_marian),
            "ctranslate2": str(convert(str(copy_marian), tmp_path_factory.mktemp("copy-ct2") / "int8"))}


COPY_TERMS = {"Tweede Kamer": "House of Representatives", "kabinet": "cabinet", "Nieuwsuur": ""}
ARTICLE = ("Het kabinet stuurt een brief naar de Tweede Kamer.\n\n"
           "Nieuwsuur meldt dat de Tweede Kamer in 2024 om 300 agenten vroeg.")


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_the_english_terms_reach_the_output_of_a_real_model(copy_backends, backend: str) -> None:
    common = {"summarizer": "lead", "device": "cpu", "num_beams": 1, "backend": backend}
    without = Pipeline.from_pretrained(copy_backends[backend], **common)(ARTICLE)
    assert "Tweede Kamer" in without.translation and "House of Representatives" not in without.translation

    result = Pipeline.from_pretrained(copy_backends[backend], glossary=COPY_TERMS, **common)(ARTICLE)
    assert result.translations == ["Het cabinet stuurt een brief naar de House of Representatives.",
                                   "Nieuwsuur meldt dat de House of Representatives in 2024 om 300 agenten vroeg."]
    assert [(g["sentence"], g["term"], g["status"]) for g in result.glossary] == [
        (0, "kabinet", "honoured"), (0, "Tweede Kamer", "honoured"),
        (1, "Nieuwsuur", "honoured"), (1, "Tweede Kamer", "honoured")]
    # nothing missed, and the names the glossary renders in English are not reported missing
    assert [c for c in result.checks if c["stage"] == "translate"] == []


class DropsTerm:
    """Wraps the real backend and paraphrases one English term away, as a model sometimes does."""

    def __init__(self, backend) -> None:
        self.backend = backend

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def generate(self, texts, *args, **kwargs):
        outputs = self.backend.generate(texts, *args, **kwargs)
        return [o.replace("House of Representatives", "parliament") for o in outputs]


def test_a_term_the_model_drops_is_repaired_or_reported(copy_backends) -> None:
    pipe = Pipeline.from_pretrained(copy_backends["transformers"], glossary=COPY_TERMS, summarizer="lead",
                                    device="cpu", num_beams=1, cache=False)
    translator = next(s for s in pipe.stages if getattr(s, "name", "") == "translate")
    translator.model.backend = DropsTerm(translator.model.backend)
    result = pipe(ARTICLE)
    # the retry of the sentence as written copies "Tweede Kamer", which is then replaced by the English term
    assert result.translations[0] == "Het cabinet stuurt een brief naar de House of Representatives."
    # the statuses describe the output kept: the repaired retry, where "kabinet" was replaced too
    assert [(g["sentence"], g["term"], g["status"]) for g in result.glossary] == [
        (0, "kabinet", "repaired"), (0, "Tweede Kamer", "repaired"),
        (1, "Nieuwsuur", "honoured"), (1, "Tweede Kamer", "repaired")]
    checks = [c for c in result.checks if c["kind"] == "glossary"]
    assert [(c["sentence"], c["source"], c["output"]) for c in checks] == [
        (0, "kabinet", "cabinet"), (0, "Tweede Kamer", "House of Representatives"),
        (1, "Tweede Kamer", "House of Representatives")]
    assert "glossary term 'Tweede Kamer' was copied untranslated; replaced by 'House of Representatives'" in \
        checks[1]["detail"]
    assert sum("glossary term" in w for w in result.warnings) == 3
