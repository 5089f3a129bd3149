"""Provenance of summary sentences: alignment with rouge-score, the stage's checks, Markdown footnotes, and the
one "found in no source" implementation shared with ``beknopt eval``."""

from __future__ import annotations

import re

import pytest
from conftest import check_long_article, long_article
from fakes import ScriptedBackend
from rouge_score.rouge_scorer import RougeScorer

from beknopt import CleanStage, Document, LeadSummariser, Pipeline, SplitStage, Summariser
from beknopt.batch import render_markdown
from beknopt.checks.provenance import (
    SUPPORT_THRESHOLD,
    Aligner,
    ProvenanceStage,
    SummarySentence,
    align_summary,
    copied_share,
    split_summary,
    summary_support,
)
from beknopt.checks.unsupported import SourceFacts, find_unsupported
from beknopt.eval import diagnose
from beknopt.eval.diagnostics import Diagnostics
from beknopt.stage import PROVENANCE, STAGE_ORDER, SUMMARISE

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

SOURCES = [
    "Mayor Halsema announced on Monday that Amsterdam is going to build 5,200 new homes.",
    "The homes will be ready in 2026, the council said.",
    "Critics say the plan is too expensive.",
    "The weather was nice.",
]
DUTCH = [
    "Burgemeester Halsema maakte maandag bekend dat Amsterdam 5.200 nieuwe woningen gaat bouwen.",
    "De woningen zijn in 2026 klaar, zei de gemeenteraad.",
    "Critici zeggen dat het plan te duur is.",
    "Het weer was mooi.",
]


def rouge_support(source: str, sentence: str) -> float:
    scores = RougeScorer(["rouge1", "rouge2"], use_stemmer=True).score(source, sentence)
    return (scores["rouge1"].precision + scores["rouge2"].precision) / 2


def test_support_against_one_source_is_rouge_scores_own_precision() -> None:
    aligner = Aligner(SOURCES)
    for sentence in ("The mayor of Amsterdam said on Monday that the city will build 5,200 homes.",
                     "Critics called the homes too expensive.", "Nice weather.", SOURCES[1]):
        for i, source in enumerate(SOURCES):
            assert aligner.score(sentence, [i]) == pytest.approx(rouge_support(source, sentence))
    assert aligner.score("Expensive.", [2]) == 1.0  # one word: ROUGE-1 precision alone


def test_a_paraphrase_rests_on_its_sentence_and_a_fused_sentence_on_several_best_first() -> None:
    paraphrase, edited, fused, invented = align_summary(
        "The mayor of Amsterdam said on Monday that the city will build 5,200 homes. "
        "Mayor Halsema announced on Monday that Amsterdam will build 5,200 new homes. "
        "Amsterdam will build 5,200 new homes, ready in 2026, but critics say the plan is too expensive. "
        "Prime minister Rutte resigned after a scandal about childcare benefits.", SOURCES)
    # shared function words ("the", "said") do not make the paraphrase rest on sentence 1 as well
    assert paraphrase.sources == [0] and edited.sources == [0]
    # support counts words in stretches of 4+ copied words: the paraphrase has none (a documented limit: it is
    # flagged), the lightly edited copy all but "will" (12 of 13 tokens: mayor ... amsterdam | build 5 200 new home)
    assert paraphrase.support == 0.0 < SUPPORT_THRESHOLD
    assert edited.support == pytest.approx(12 / 13) and edited.support > SUPPORT_THRESHOLD
    # fused: "build 5 200 new home" from sentence 0 and "critic say the plan is too expens" from sentence 2 (12 of
    # 18 tokens); "readi in 2026" is only three words from sentence 1, which still is one of its sources
    assert fused.sources == [2, 0, 1] and fused.support == pytest.approx(12 / 18)
    assert fused.support > Aligner(SOURCES).support(fused.text, [2]) + 0.2  # the cover adds what one source lacks
    assert invented.sources == [] and invented.support == 0.0


def test_copied_share_counts_stretches_of_four_words_or_the_whole_short_sentence() -> None:
    source = ["de", "minist", "zei", "dat", "het", "plan", "werkt"]
    assert copied_share(["de", "minist", "zei", "dat"], [source]) == 1.0
    assert copied_share(["de", "minist", "zei", "niet", "dat", "het", "plan", "werkt"], [source]) == 0.5
    assert copied_share(["het", "plan"], [source]) == 1.0  # shorter than 4: the whole sentence must be copied
    assert copied_share(["plan", "het"], [source]) == 0.0
    # a stretch may not run across two sources, and the longest one at a place is taken
    assert copied_share(["a", "b", "c", "d", "e", "f"], [["a", "b", "c"], ["d", "e", "f"]]) == 0.0
    assert copied_share(["x", "a", "b", "c", "d", "e"], [["a", "b", "c", "d"], ["a", "b", "c", "d", "e"]]) == 5 / 6
    assert copied_share([], [source]) == 0.0


def test_summary_support_weights_sentences_by_their_words() -> None:
    sentences = [SummarySentence("One two three four.", [0], 1.0), SummarySentence("Five six.", [], 0.0)]
    assert summary_support(sentences) == pytest.approx(4 / 6)
    assert summary_support([s.to_dict() for s in sentences]) == pytest.approx(4 / 6)
    assert summary_support([]) is None


def test_summary_sentences_are_split_in_english_or_cut_at_copied_sentences() -> None:
    assert split_summary("U.S. President Biden spoke in Washington D.C. on Monday. He left.") == [
        "U.S. President Biden spoke in Washington D.C. on Monday.", "He left."]
    # one translated "sentence" holding two English sentences stays one summary sentence when copied whole
    sources = ["He came. She left.", "Then it rained."]
    assert split_summary("He came. She left.\nThen it rained.", sources) == sources
    assert [s.sources for s in align_summary("He came. She left. Then it rained.", sources)] == [[0], [1]]
    assert align_summary("  ", sources) == []


def test_copied_sentences_map_to_the_next_one_in_article_order() -> None:
    """Repeated sentences (a random model's output) must still give a lead summary its own sentences."""
    sources = ["Same.", "Same.", "Same.", "Other."]
    assert [(s.sources, s.support) for s in align_summary("Same. Same. Same.", sources)] == [
        ([0], 1.0), ([1], 1.0), ([2], 1.0)]
    assert [s.sources for s in align_summary("Other. Same.", sources)] == [[3], [0]]


def translated(translations: list[str]):
    """Stands in for the translator: fixed English sentences in order (orchestration only)."""
    def stage(docs: list[Document]) -> list[Document]:
        for doc in docs:
            if doc.ok:
                doc.translations = translations[: len(doc.sentences)]
        return docs

    stage.name = "translate"  # type: ignore[attr-defined]
    return stage


def scripted_summary(summary: str):
    def stage(docs: list[Document]) -> list[Document]:
        for doc in docs:
            doc.summary = summary
        return docs

    stage.name = SUMMARISE  # type: ignore[attr-defined]
    return stage


def test_lead_summary_sources_are_exactly_the_lead_sentences_with_full_support() -> None:
    for summary_format in ("paragraph", "bullets"):
        lead = LeadSummariser(3, summary_format=summary_format)
        pipe = Pipeline([CleanStage(), SplitStage(), translated(SOURCES), lead, ProvenanceStage()])
        result = pipe(" ".join(DUTCH))
        assert result.summary_sentences == [{"text": s, "sources": [i], "support": 1.0}
                                            for i, s in enumerate(SOURCES[:3])]
        assert not [c for c in result.checks if c["kind"] == "summary-support"]


def test_lead_pipeline_with_the_tiny_model_points_at_the_lead_sentences(tiny_models) -> None:
    marian, _ = tiny_models
    pipe = Pipeline.from_pretrained(str(marian), summarizer="lead", lead_sentences=2, device="cpu", num_beams=1,
                                    max_new_tokens=12)
    assert [type(s).__name__ for s in pipe.stages][-2:] == ["LeadSummariser", "ProvenanceStage"]
    result = pipe(" ".join(DUTCH))
    assert [(s["sources"], s["support"]) for s in result.summary_sentences] == [([0], 1.0), ([1], 1.0)]
    assert PROVENANCE in result.timings and PROVENANCE in result.settings


def test_weak_sentences_and_invented_numbers_and_names_are_checks_and_warnings() -> None:
    summary = ("Amsterdam will build 5,200 new homes. The homes cost 7,300 euros each, says Van der Laan. "
               "Prime minister Rutte resigned.")
    pipe = Pipeline([CleanStage(), SplitStage(), translated(SOURCES), scripted_summary(summary), ProvenanceStage()])
    result = pipe(" ".join(DUTCH))
    first, second, third = result.summary_sentences
    assert first["sources"] == [0] and first["support"] >= SUPPORT_THRESHOLD
    assert second["sources"][0] == 1 and third == {"text": "Prime minister Rutte resigned.", "sources": [],
                                                   "support": 0.0}
    assert all(round(s["support"], 4) == s["support"] for s in result.summary_sentences)
    checks = [c for c in result.checks if c["kind"] == "summary-support"]
    assert [(c["sentence"], c["detail"]) for c in checks] == [
        (1, f"support {second['support']:.2f} below 0.45"),
        (1, "number 7,300 in no source sentence"),
        (1, "name Van in no source sentence"),
        (1, "name Laan in no source sentence"),
        (2, "support 0.00 below 0.45"),
        (2, "name Rutte in no source sentence"),  # "Prime" opens the sentence: not read as a name
    ]
    assert all(c["stage"] == SUMMARISE and c["output"] == result.summary_sentences[c["sentence"]]["text"]
               for c in checks)
    assert checks[0]["source"] == SOURCES[1] and checks[-1]["source"] == ""
    assert [w for w in result.warnings if w.startswith("provenance:")] == [
        f"provenance: summary sentence {c['sentence'] + 1}: {c['detail']}" for c in checks]
    assert result.to_dict()["summary_sentences"] == result.summary_sentences
    assert Document.from_dict(result.to_dict()).summary_sentences == result.summary_sentences


def test_a_number_of_the_dutch_source_is_not_invented_and_checks_can_be_off() -> None:
    # "Twelve" is only in the Dutch original ("twaalf"): searched too, as in beknopt eval
    summary = "Twelve critics say the plan is too expensive."
    stages = [CleanStage(), SplitStage(), translated(["Critics say the plan is too expensive."]),
              scripted_summary(summary)]
    checked = Pipeline([*stages, ProvenanceStage()])("Twaalf critici zeggen dat het plan te duur is.")
    assert [c for c in checked.checks if c["kind"] == "summary-support"] == []
    unchecked = Pipeline([*stages, ProvenanceStage(checks=False)])("Nog iets: 999 euro.")
    assert unchecked.summary_sentences and unchecked.checks == []


def test_the_stage_is_described_ordered_and_in_the_fingerprint() -> None:
    assert STAGE_ORDER.index(PROVENANCE) == STAGE_ORDER.index(SUMMARISE) + 1
    described = ProvenanceStage().describe()
    assert described["threshold"] == SUPPORT_THRESHOLD and "ROUGE-1/ROUGE-2 precision" in described["method"]
    base = [CleanStage(), LeadSummariser(1)]
    assert (Pipeline([*base, ProvenanceStage()]).fingerprint()
            != Pipeline([*base, ProvenanceStage(threshold=0.5)]).fingerprint())
    with pytest.raises(ValueError, match="threshold"):
        ProvenanceStage(threshold=1.5)


# --- one implementation for the pipeline and beknopt eval ------------------------------------------------

CASES = [
    # (English translations, Dutch sentences, summary)
    (SOURCES, DUTCH, "Halsema will build 5,200 homes by 2027 with Jansen. Critics say 3.5 million is too much."),
    (["About 5,200 people came to Utrecht.", "Damage: 3.5 million euros."],
     ["Er kwamen 5.200 mensen naar Utrecht.", "De schade is 3,5 miljoen euro."],
     "Some 5200 people came to Utrecht's square, 12 were hurt. Damage was 3,500,000 euros, said Müller-Lüdenscheid."),
    (["Twelve died in Zuid-Holland."], ["Er vielen twaalf doden in Zuid-Holland."],
     "Ten died in South Holland, the NOS said. Zuid-Holland mourns."),
]


@pytest.mark.parametrize(("english", "dutch", "summary"), CASES)
def test_pipeline_checks_and_eval_diagnostics_flag_the_same_numbers_and_names(english, dutch, summary) -> None:
    doc = Document(id="x", sentences=list(dutch), translations=list(english), sentence_paragraphs=[0] * len(dutch),
                   clean_text=" ".join(dutch), summary=summary)
    ProvenanceStage()([doc])
    flagged = [c["detail"] for c in doc.checks]
    numbers = [d.split()[1] for d in flagged if d.endswith("in no source sentence") and d.startswith("number ")]
    names = [d.split()[1] for d in flagged if d.endswith("in no source sentence") and d.startswith("name ")]
    # beknopt eval on a run folder: the translation is the source, the Dutch clean_text is also searched
    report = diagnose(summary, [doc.translation, doc.clean_text])
    assert list(dict.fromkeys(numbers)) == report.unsupported_numbers
    assert list(dict.fromkeys(names)) == report.unsupported_names
    metric = Diagnostics().score([summary], [""], [[doc.translation, doc.clean_text]])
    assert metric.details[0].unsupported_numbers == report.unsupported_numbers
    assert (report.unsupported_numbers, report.unsupported_names) == (
        find_unsupported(summary, SourceFacts.of([*english, *dutch])).unsupported_numbers,
        find_unsupported(summary, [doc.translation, doc.clean_text]).unsupported_names)


def test_the_shared_cases_flag_what_they_should() -> None:
    """What the agreement test above compares is not empty agreement: the cases do flag."""
    found = [find_unsupported(s, [*e, *d]) for e, d, s in CASES]
    assert [(f.unsupported_numbers, f.unsupported_names) for f in found] == [
        (["2027", "3.5"], ["Jansen"]),
        (["12"], ["Müller-Lüdenscheid"]),
        (["Ten"], ["South", "NOS"]),  # "Holland" is a word of "Zuid-Holland"
    ]


def test_without_sources_nothing_is_flagged() -> None:
    found = find_unsupported("On Monday Rutte paid 5 euros.", [None, ""])
    assert (found.numbers, found.names, found.unsupported_numbers, found.unsupported_names) == (1, 1, [], [])


# --- map-reduce: provenance down to the article's own sentences ------------------------------------------

def test_map_reduce_summary_points_at_the_original_sentence_not_a_partial_summary() -> None:
    """The scripted model keeps the sentence with a number (else the first): partial summaries are a handful of
    sentences, yet the final summary's source is sentence 23 of the article."""
    english = [f"Item {k} of the council agenda was discussed at length by the members." for k in range(40)]
    english[23] = "The council will build 5,200 homes in Utrecht before the end of the year."

    def respond(text: str, settings) -> str:
        sentences = re.split(r"(?<=\.) ", text)
        return next((s for s in sentences if "5,200" in s), sentences[0])

    summariser = Summariser(ScriptedBackend(respond, max_input_tokens=64), min_new_tokens=1, max_new_tokens=20)
    doc = Document(id="long", translations=english, sentences=[f"Zin {k}." for k in range(40)],
                   sentence_paragraphs=[0] * 40)
    summariser([doc])
    ProvenanceStage()([doc])
    assert doc.summary_chunks > 5 and doc.summary == english[23]
    assert doc.summary_sentences == [{"text": english[23], "sources": [23], "support": 1.0}]


def test_tiny_bart_long_article_keeps_provenance_in_the_article(tiny_pipeline) -> None:
    article = long_article(3000)
    result = tiny_pipeline(article)
    check_long_article(result, article)
    assert result.summary_sentences
    assert " ".join(s["text"] for s in result.summary_sentences).split() == result.summary.split()
    for item in result.summary_sentences:
        assert set(item) == {"text", "sources", "support"} and 0.0 <= item["support"] <= 1.0
        assert all(0 <= i < len(result.translations) for i in item["sources"])
        assert len(set(item["sources"])) == len(item["sources"])
        if item["sources"]:
            best = Aligner(result.translations).align(item["text"])
            assert best.sources == item["sources"]


# --- Markdown ---------------------------------------------------------------------------------------------

def test_markdown_summary_has_footnotes_to_the_dutch_sentences_and_no_injected_html() -> None:
    from markdown_it import MarkdownIt

    data = {"id": "x", "summary": "A <b>bold</b> claim. Second.",
            "sentences": ["Eerste zin.", "Zie [hier](javascript:alert(1)) <img src=x onerror=alert(2)>.", "Ja."],
            "summary_sentences": [{"text": "A <b>bold</b> claim.", "sources": [1, 0], "support": 0.5},
                                  {"text": "Second.", "sources": [2, 1], "support": 0.4},
                                  {"text": "Third.", "sources": [], "support": 0.0}],
            "translation": "x"}
    page = render_markdown(data)
    summary = page.split("## Summary\n\n")[1].split("\n\n## Translation")[0]
    assert summary.splitlines()[0] == r"A \<b\>bold\</b\> claim.[^2][^1] Second.[^3][^2] Third."
    assert summary.split("\n\n")[1:] == [
        r"[^2]: Sentence 2: Zie \[hier\](javascript:alert(1)) \<img src=x onerror=alert(2)\>.",
        "[^1]: Sentence 1: Eerste zin.", "[^3]: Sentence 3: Ja."]
    html = MarkdownIt("commonmark").render(page)
    for tag in ("<b>", "<img", "<a ", "<script"):
        assert tag not in html
    assert "[^3]: Sentence 3: Ja." in html  # a one-word sentence never becomes a link definition
    # a record from before provenance renders its summary as before
    assert "A \\<b\\>bold\\</b\\> claim. Second." in render_markdown({**data, "summary_sentences": []})


def test_markdown_of_a_lead_summary_cites_the_lead_sentences_as_text_and_as_bullets() -> None:
    from markdown_it import MarkdownIt

    for summary_format in ("paragraph", "bullets"):
        lead = LeadSummariser(2, summary_format=summary_format)
        result = Pipeline([CleanStage(), SplitStage(), translated(SOURCES), lead, ProvenanceStage()])(" ".join(DUTCH))
        page = render_markdown(result.to_dict())
        summary = page.split("## Summary\n\n")[1].split("\n\n## Translation")[0]
        cited = [f"{SOURCES[0]}[^1]", f"{SOURCES[1]}[^2]"]
        body = [f"- {c}" for c in cited] if summary_format == "bullets" else [" ".join(cited)]
        assert summary.split("\n\n") == ["\n".join(body), f"[^1]: Sentence 1: {DUTCH[0]}",
                                           f"[^2]: Sentence 2: {DUTCH[1]}"]
        html = MarkdownIt("commonmark").render(page)
        assert ("<li>Mayor Halsema" in html) == (summary_format == "bullets")


def test_markdown_names_summary_checks_by_summary_sentence() -> None:
    data = {"id": "x", "summary": "S.", "checks": [
        {"stage": "summarise", "kind": "summary-support", "sentence": 0, "source": "", "output": "S.",
         "detail": "support 0.00 below 0.45"}]}
    assert "- summary sentence 1 (summary-support): support 0.00 below 0.45" in render_markdown(data)


# --- eval-pipeline ---------------------------------------------------------------------------------------

def test_eval_pipeline_reports_the_mean_support_of_summary_sentences(tiny_pipeline) -> None:
    from beknopt.eval.pipeline_eval import evaluate_pipeline, provenance_summary

    docs = [Document(id="a", summary_sentences=[{"text": "A.", "sources": [0], "support": 1.0},
                                                {"text": "B.", "sources": [], "support": 0.2}]),
            Document(id="b", summary_sentences=[{"text": "C.", "sources": [1], "support": 0.6}])]
    assert provenance_summary(docs) == {"summary_sentences": 3, "mean_support": 0.6, "below_threshold": 1,
                                        "threshold": SUPPORT_THRESHOLD}
    assert provenance_summary([Document(id="c")]) == {}
    items = [{"id": "ok", "source": " ".join(DUTCH), "reference": "Amsterdam builds homes."}]
    evaluation = evaluate_pipeline(tiny_pipeline, flores_docs=0, summary_items=items, n_bootstrap=0)
    provenance = evaluation.to_dict()["provenance"]
    assert provenance["summary_sentences"] >= 1 and 0.0 <= provenance["mean_support"] <= 1.0


def test_the_threshold_passes_related_sentences_far_more_than_unrelated_ones() -> None:
    """The figures in the README: unrelated FLORES sentences stay below the threshold, human summary sentences
    mostly pass against their own article and rarely against another."""
    import json

    from conftest import DATA

    from beknopt.eval.check_provenance import summary_sentences, unrelated_flores

    unrelated = unrelated_flores(limit=60)
    assert len(unrelated.values) > 150 and unrelated.passing() == 0.0 and unrelated.mean < 0.05
    lines = (DATA / "wikilingua_nl" / "gem_wiki_lingua_dutch_nl_dummy.jsonl").read_text(encoding="utf-8")
    own, other = summary_sentences([json.loads(line) for line in lines.splitlines() if line.strip()])
    assert len(own.values) == len(other.values) == 28
    assert own.passing() == 7 / 28 and other.passing() == 0.0 and own.mean > other.mean + 0.15


def test_a_capital_that_opens_a_sentence_is_not_an_invented_name() -> None:
    found = find_unsupported("Opposition grew. NAVO and McKenzie agreed: Support fell. Jansen left.",
                             ["The opposition grew and support fell."])
    # "Opposition", "Support" and "Jansen" open sentences; an acronym or an inner capital still counts
    assert found.unsupported_names == ["NAVO", "McKenzie"]
