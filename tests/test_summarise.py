from __future__ import annotations

import pytest
from fakes import ScriptedBackend

from beknopt.document import BeknoptError, Document
from beknopt.summarise import LeadSummariser, Summariser, pack_chunks


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
    assert [d.summary for d in docs] == ["Sum.", "", "Sum."]
    assert docs[1].warnings == ["summarise: nothing to summarise: the translation is empty"]
    assert [d.summary_chunks for d in docs] == [1, 0, 1]


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
