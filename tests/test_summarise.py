from __future__ import annotations

import pytest
from fakes import ScriptedBackend

from beknopt.document import BeknoptError, Document
from beknopt.summarise import LeadSummariser, Summariser, SummaryError, pack_chunks


def words(n: int, start: int = 0) -> str:
    return " ".join(f"w{i}" for i in range(start, start + n)) + "."


def test_pack_chunks_respects_budget_and_keeps_every_sentence() -> None:
    sentences = [words(5, i * 10) for i in range(10)]  # 6 tokens each with the end token
    count = ScriptedBackend().count_tokens
    chunks = pack_chunks(sentences, budget=20, count_tokens=count, overhead=1)
    assert [s for c in chunks for s in c] == sentences
    assert all(count([" ".join(c)])[0] <= 20 for c in chunks)
    assert len(chunks) == 4  # 3 sentences (1 + 3*5 + joins) fit in 20 tokens, the last chunk has one


def test_pack_chunks_splits_a_sentence_longer_than_the_budget() -> None:
    count = ScriptedBackend().count_tokens
    long_sentence = words(50)
    chunks = pack_chunks([long_sentence], budget=16, count_tokens=count, overhead=1)
    assert len(chunks) > 1
    assert " ".join(" ".join(c) for c in chunks).split() == long_sentence.split()


def test_short_input_is_one_chunk_with_final_settings() -> None:
    backend = ScriptedBackend(lambda text, s: f"S({len(text.split())})", max_input_tokens=100)
    out = Summariser(backend, length="short").summarise(["Een korte tekst.", "Nog een zin."])
    assert (out.summary, out.chunks, out.levels, out.warnings) == ("S(6)", 1, 1, [])
    settings = backend.calls[0][1]
    assert (settings.min_new_tokens, settings.max_new_tokens) == (20, 60)


def test_long_input_is_map_reduced_not_truncated() -> None:
    backend = ScriptedBackend(lambda text, s: "Partial summary here.", max_input_tokens=30)
    sentences = [words(8, i * 10) for i in range(12)]  # 12 x 9 tokens: far over a 30-token context
    out = Summariser(backend, max_new_tokens=40, min_new_tokens=5).summarise(sentences)
    # three 8-word sentences fit in 30 tokens -> 4 chunks; their 4 partial summaries fit in one -> 2 rounds
    assert out.chunks == 4 and out.levels == 2
    # every source word reached the model in the first (map) round, in order
    assert " ".join(backend.calls[0][0]).split() == " ".join(sentences).split()
    assert backend.calls[1][0] == [" ".join(["Partial summary here."] * 4)]
    # partial summaries are capped at a third of the context so each round shrinks
    assert backend.calls[0][1].max_new_tokens == 10
    assert backend.calls[-1][1].max_new_tokens == 40
    assert out.warnings == ["input longer than the model's 30-token context: summarised in 4 chunks and "
                            "2 rounds (map-reduce)"]


def test_documents_share_model_calls_and_empty_input_is_reported() -> None:
    backend = ScriptedBackend(lambda text, s: "Sum.", max_input_tokens=100)
    summariser = Summariser(backend)
    docs = [Document(id="a", translations=["One.", "Two."]), Document(id="b", translations=[]),
            Document(id="c", translations=["Three."])]
    summariser(docs)
    assert len(backend.calls) == 1 and backend.calls[0][0] == ["One. Two.", "Three."]
    assert [d.summary for d in docs] == ["Sum.", None, "Sum."]
    assert docs[1].error == {"stage": "summarise", "reason": "nothing to summarise: the translation is empty"}
    assert [d.summary_chunks for d in docs] == [1, 0, 1]


def test_a_summary_that_only_repeats_the_headline_is_not_a_summary() -> None:
    """Checked against the headline as written and as translated (the first paragraph's sentences)."""
    backend = ScriptedBackend(lambda text, s: "Utrecht plants more trees." if "Utrecht" in text else
                              "De kop.", max_input_tokens=100)
    docs = [Document(id="a", metadata={"title": "Utrecht plant meer bomen"},
                     paragraphs=["Utrecht plant meer bomen", "De raad besloot."], sentence_paragraphs=[0, 1],
                     translations=["Utrecht plants more trees", "The council decided."]),
            Document(id="b", metadata={"title": "De kop"}, paragraphs=["Tekst."], sentence_paragraphs=[0],
                     translations=["Text."]),
            Document(id="c", metadata={"title": "Een andere kop"}, paragraphs=["Tekst."], sentence_paragraphs=[0],
                     translations=["Utrecht text."])]
    Summariser(backend)(docs)
    assert [d.error for d in docs[:2]] == [{"stage": "summarise",
                                            "reason": "the model's summary only repeats the headline"}] * 2
    assert docs[2].ok and docs[2].summary == "Utrecht plants more trees."


def test_length_settings_are_validated() -> None:
    backend = ScriptedBackend()
    with pytest.raises(BeknoptError, match="unknown summary length 'huge'"):
        Summariser(backend, length="huge")
    with pytest.raises(BeknoptError, match="min summary length 90 is larger than max length 60"):
        Summariser(backend, length="short", min_new_tokens=90)


def test_lead_summary_takes_first_sentences() -> None:
    doc = Document(id="x", translations=["A.", "B.", "C.", "D."])
    LeadSummariser(2)([doc])
    assert doc.summary == "A. B." and doc.summary_chunks == 0
    assert LeadSummariser(3).summarise("One thing. Two things. Three. Four.").summary == "One thing. Two things. Three."


def test_real_bart_chunks_a_long_translation(tiny_models) -> None:
    from beknopt.models import load_backend
    from beknopt.models.tiny import flores_lines

    _, bart = tiny_models
    backend = load_backend(str(bart), device="cpu")
    assert backend.max_input_tokens == 128
    summariser = Summariser(backend, num_beams=1, min_new_tokens=2, max_new_tokens=16)
    sentences = flores_lines("en")[:30]
    total = sum(backend.count_tokens(sentences))
    out = summariser.summarise(sentences)
    assert total > 128 * 3
    assert out.chunks >= total // 128 and out.levels >= 2
    assert isinstance(out.summary, str) and out.summary
    short = summariser.summarise(sentences[:1])
    assert short.chunks == 1 and short.warnings == []


def test_partial_summaries_that_grow_on_retokenising_are_capped_so_reduce_converges() -> None:
    # A model whose partial outputs are always longer than the cap: without capping, no round would shrink.
    backend = ScriptedBackend(lambda text, s: " ".join(["blah"] * 40) + ".", max_input_tokens=30)
    sentences = [words(8, i * 10) for i in range(12)]
    out = Summariser(backend, max_new_tokens=40, min_new_tokens=5).summarise(sentences)
    assert out.levels >= 2 and out.summary.startswith("blah")
    assert any("shortened to it" in w for w in out.warnings)
    cap = backend.calls[0][1].max_new_tokens
    for texts, _ in backend.calls[1:]:
        # every later round's input is built from partials of at most `cap` tokens each
        assert all(backend.count_tokens([t])[0] <= 30 for t in texts)
    assert cap == 10


# Empty model output: the reduce loop must stop at once with an honest reason, never spin on zero chunks.


def test_all_partial_summaries_empty_fails_at_once_with_an_honest_reason() -> None:
    # Before the fix: pending held zero sentences, each round packed zero chunks, and after 6 rounds the whole
    # batch failed with "summary did not converge after 6 reduce rounds".
    backend = ScriptedBackend(lambda text, s: "", max_input_tokens=30)
    sentences = [words(8, i * 10) for i in range(9)]  # three 8-word sentences per 30-token chunk -> 3 chunks
    summariser = Summariser(backend, max_new_tokens=40, min_new_tokens=5)
    doc = Document(id="a", translations=sentences)
    summariser([doc])
    assert len(backend.calls) == 1 and len(backend.calls[0][0]) == 3  # one map round, no reduce rounds
    assert doc.error == {"stage": "summarise", "reason": "the model returned empty summaries for all 3 chunks"}
    assert doc.summary is None and doc.summary_chunks == 3 and doc.warnings == []
    with pytest.raises(SummaryError, match=r"^the model returned empty summaries for all 3 chunks$"):
        summariser.summarise(sentences)


@pytest.mark.parametrize("empty", ["", "   \n", "</s><pad>", "<s> </s>", " . ", "[PAD]"])
def test_a_single_chunk_with_an_empty_summary_fails_without_looping(empty: str) -> None:
    backend = ScriptedBackend(lambda text, s: empty, max_input_tokens=100)
    out = Summariser(backend).summarise_many([["One short sentence.", "Another one."]])[0]
    assert len(backend.calls) == 1
    assert (out.summary, out.chunks, out.levels, out.error) == ("", 1, 1, "the model returned an empty summary")
    assert out.warnings == []


def test_some_empty_partials_are_left_out_with_a_warning_and_the_rest_carries_on() -> None:
    # chunk 2 of 4 (the one holding w30...) gets an empty partial summary; the others are reduced as usual
    def respond(text: str, settings) -> str:
        if text.startswith("w30 "):
            return " "
        return "Partial summary here." if settings.max_new_tokens == 10 else "Final summary."

    backend = ScriptedBackend(respond, max_input_tokens=30)
    sentences = [words(8, i * 10) for i in range(12)]
    doc = Document(id="a", translations=sentences)
    Summariser(backend, max_new_tokens=40, min_new_tokens=5)([doc])
    assert doc.ok and doc.summary == "Final summary." and doc.summary_chunks == 4
    assert backend.calls[1][0] == [" ".join(["Partial summary here."] * 3)]  # the empty one is not passed on
    assert doc.warnings == [
        "summarise: the model returned an empty summary for 1 of 4 chunks in round 1: the summary leaves that "
        "chunk out",
        "summarise: input longer than the model's 30-token context: summarised in 4 chunks and 2 rounds "
        "(map-reduce)",
    ]


def test_an_empty_final_summary_after_a_reduce_round_names_the_round() -> None:
    backend = ScriptedBackend(lambda text, s: "Partial summary here." if s.max_new_tokens == 10 else "",
                              max_input_tokens=30)
    sentences = [words(8, i * 10) for i in range(12)]
    out = Summariser(backend, max_new_tokens=40, min_new_tokens=5).summarise_many([sentences])[0]
    assert len(backend.calls) == 2 and (out.chunks, out.levels) == (4, 2)
    assert out.error == ("the model returned an empty summary in reduce round 2, when combining the partial "
                         "summaries of the 4 chunks")
    assert out.warnings == []  # no "summarised in 4 chunks" claim for a summary that does not exist


def test_only_the_document_with_empty_output_fails_and_the_batch_goes_on() -> None:
    backend = ScriptedBackend(lambda text, s: "" if text.startswith("w") else "Sum.", max_input_tokens=30)
    docs = [Document(id="a", translations=["One.", "Two."]),
            Document(id="b", translations=[words(8, i * 10) for i in range(9)]),
            Document(id="c", translations=["Three."])]
    Summariser(backend, max_new_tokens=40, min_new_tokens=5)(docs)
    assert [d.summary for d in docs] == ["Sum.", None, "Sum."]
    assert [d.ok for d in docs] == [True, False, True]
    assert docs[1].error == {"stage": "summarise", "reason": "the model returned empty summaries for all 3 chunks"}
    assert len(backend.calls) == 2  # the finals of a and c, and b's three chunks: no rounds on zero chunks


def test_lead_fallback_is_used_only_when_asked_and_says_so() -> None:
    backend = ScriptedBackend(lambda text, s: "", max_input_tokens=30)
    sentences = [words(8, i * 10) for i in range(9)]
    summariser = Summariser(backend, max_new_tokens=40, min_new_tokens=5, lead_fallback=2)
    out = summariser.summarise(sentences)
    assert (out.summary, out.error, out.fallback) == (" ".join(sentences[:2]), None, True)
    assert out.warnings == ["the model returned empty summaries for all 3 chunks: the summary is the first "
                            "2 sentences (lead) instead"]
    assert summariser.describe()["lead_fallback"] == 2
    assert "lead_fallback" not in Summariser(backend).describe()  # fingerprints of existing outputs unchanged
    doc = Document(id="x", translations=["Only one sentence."])
    Summariser(ScriptedBackend(lambda text, s: ""), lead_fallback=3)([doc])
    assert doc.ok and doc.summary == "Only one sentence."
    assert doc.warnings == ["summarise: the model returned an empty summary: the summary is the first "
                            "1 sentence (lead) instead"]
    with pytest.raises(BeknoptError, match="lead_fallback needs at least 1 sentence, got 0"):
        Summariser(backend, lead_fallback=0)


def test_non_convergence_fails_the_document_not_the_batch() -> None:
    # 4 chunks -> 2 -> 1: a third round is needed, but max_levels=2 ends it, for this document only.
    backend = ScriptedBackend(lambda text, s: " ".join(["blah"] * 9) + ".", max_input_tokens=30)
    docs = [Document(id="long", translations=[words(8, i * 10) for i in range(12)]),
            Document(id="short", translations=["One."])]
    Summariser(backend, max_new_tokens=40, min_new_tokens=5, max_levels=2)(docs)
    assert docs[0].error == {"stage": "summarise",
                             "reason": "summary did not converge after 2 reduce rounds (1 chunk left)"}
    assert docs[1].ok and docs[1].summary.startswith("blah")


def test_real_bart_that_can_only_emit_special_tokens_fails_honestly(tiny_models) -> None:
    # BART forces <s> as the first and </s> as the last token: with 2 new tokens it can write nothing else,
    # so the decoded output is empty whatever the random weights are.
    from beknopt.models import load_backend
    from beknopt.models.tiny import flores_lines

    _, bart = tiny_models
    backend = load_backend(str(bart), device="cpu")
    summariser = Summariser(backend, num_beams=1, min_new_tokens=0, max_new_tokens=2)
    assert backend.generate(["A sentence."], summariser.final) == [""]
    sentences = flores_lines("en")[:12]
    long_doc, short_doc = Document(id="long", translations=sentences), Document(id="short", translations=sentences[:1])
    summariser([long_doc, short_doc])
    chunks = long_doc.summary_chunks
    assert chunks > 1
    assert long_doc.error == {"stage": "summarise",
                              "reason": f"the model returned empty summaries for all {chunks} chunks"}
    assert short_doc.error == {"stage": "summarise", "reason": "the model returned an empty summary"}
    out = Summariser(backend, num_beams=1, min_new_tokens=0, max_new_tokens=2, lead_fallback=1).summarise(sentences)
    assert out.summary == sentences[0] and out.fallback
