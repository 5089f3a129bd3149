from __future__ import annotations

import pytest
from fakes import ScriptedBackend

from beknopt.document import Document
from beknopt.models.backend import BatchSettings
from beknopt.translate import TranslationCache, Translator, degenerate_reason


def test_one_translation_per_sentence_in_order_across_documents() -> None:
    backend = ScriptedBackend()
    translator = Translator(backend, batching=BatchSettings(batch_size=2, max_tokens=1000))
    docs = [
        Document(id="a", sentences=["Een twee drie.", "Vier."], sentence_paragraphs=[0, 1]),
        Document(id="b", sentences=["Vijf zes zeven acht negen."], sentence_paragraphs=[0]),
    ]
    translator(docs)
    assert docs[0].translations == ["EN[Een twee drie.]", "EN[Vier.]"]
    assert docs[1].translations == ["EN[Vijf zes zeven acht negen.]"]
    assert docs[0].translation == "EN[Een twee drie.]\n\nEN[Vier.]"
    # all three sentences went to the model in one call, in length-sorted batches of at most two
    assert len(backend.calls) == 1
    assert backend.batches == [["Vijf zes zeven acht negen.", "Een twee drie."], ["Vier."]]
    assert set(docs[0].timings) == {"translate"}


def test_cache_reuses_identical_sentences_and_keys_on_settings() -> None:
    backend = ScriptedBackend()
    cache = TranslationCache()
    translator = Translator(backend, cache=cache)
    assert translator.translate(["Goedemorgen.", "Goedemorgen.", "Dag."]) == [
        "EN[Goedemorgen.]", "EN[Goedemorgen.]", "EN[Dag.]"]
    assert backend.calls[0][0] == ["Goedemorgen.", "Dag."]  # duplicates inside a call are sent once
    translator.translate(["Dag.", "Nieuw."])
    assert backend.calls[1][0] == ["Nieuw."]
    assert cache.hits == 1
    # other decoding settings must not see those entries
    other = Translator(backend, cache=cache, num_beams=1)
    other.translate(["Dag."])
    assert backend.calls[2][0] == ["Dag."]


def test_cache_is_bounded() -> None:
    cache = TranslationCache(max_entries=2)
    for i in range(3):
        cache.put(("m", "s", str(i)), (str(i), ()))
    assert len(cache) == 2
    assert cache.get(("m", "s", "0")) is None
    assert cache.get(("m", "s", "2")) == ("2", ())


@pytest.mark.parametrize(
    ("source", "output", "expected"),
    [
        ("Hij zei nee.", "He said no.", None),
        ("Hij zei nee.", "no no no no no", "word 'no' repeated 4 times in a row"),
        ("Een korte zin.", "the man and the man and the man and the man", "'the man' repeated 4 times"),
        ("Kort.", "This is a very long output that goes on and on and on without end.", "longer than the source"),
    ],
)
def test_degenerate_reason(source: str, output: str, expected: str | None) -> None:
    reason = degenerate_reason(source, output)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason


def test_degenerate_output_is_retried_with_no_repeat_and_flagged() -> None:
    def respond(text, settings):
        if settings.no_repeat_ngram_size:
            return "The army stays."
        return "the the the the the" if "leger" in text else "Fine."

    backend = ScriptedBackend(respond)
    doc = Document(id="d", sentences=["Goed.", "Het leger blijft."], sentence_paragraphs=[0, 0])
    translator = Translator(backend)
    translator([doc])
    assert doc.translations == ["Fine.", "The army stays."]
    assert len(backend.calls) == 2 and backend.calls[1][0] == ["Het leger blijft."]
    assert backend.calls[1][1].no_repeat_ngram_size == 3
    assert doc.warnings == [
        "translate: sentence 2: degenerate output (word 'the' repeated 4 times in a row); "
        "retried with a no-repeat constraint"
    ]
    # the same sentence served from the cache reports the same warning, without calling the model
    again = Document(id="e", sentences=["Het leger blijft."], sentence_paragraphs=[0])
    translator([again])
    assert len(backend.calls) == 2
    assert again.warnings == [doc.warnings[0].replace("sentence 2", "sentence 1")]


def test_guard_off_keeps_first_output() -> None:
    backend = ScriptedBackend(lambda text, s: "x x x x x")
    assert Translator(backend, guard=False).translate(["Iets."]) == ["x x x x x"]
    assert len(backend.calls) == 1


def test_over_long_sentence_is_split_and_rejoined_not_truncated() -> None:
    backend = ScriptedBackend(lambda text, s: text.upper(), max_input_tokens=8)
    sentence = "Dit is een zin die veel te lang is, maar we vertalen hem toch helemaal zonder iets te verliezen."
    report = Translator(backend).translate_report([sentence])
    assert report.translations[0].split() == sentence.upper().split()
    assert all(len(t.split()) + 1 <= 8 for t in backend.calls[0][0])
    assert "over the model's 8; translated in" in report.warnings[0][0]


def test_real_marian_translates_every_sentence(tiny_models) -> None:
    from beknopt.models import load_backend

    marian, _ = tiny_models
    backend = load_backend(str(marian), device="cpu")
    assert backend.describe()["architecture"] == "MarianMTModel"
    translator = Translator(backend, num_beams=2, batching=BatchSettings(batch_size=2, max_tokens=256))
    sentences = ["De Verenigde Staten verlagen het aantal militairen.", "Dat besloot het kabinet woensdag.",
                 "Duitsland blijft Irak helpen.", "De Verenigde Staten verlagen het aantal militairen."]
    out = translator.translate(sentences)
    assert len(out) == 4 and all(isinstance(t, str) and t for t in out)
    assert out[0] == out[3]
    assert translator.cache is not None and len(translator.cache) == 3


def test_translations_compose_cache_around_guard_around_model() -> None:
    """Each part does one job: the cache answers repeats without asking the part it wraps; the guard retries
    only the looping output; the model generates each distinct unit once."""
    from beknopt.models.backend import BatchSettings, GenerationSettings
    from beknopt.translate import CachedTranslation, GuardedTranslation, ModelTranslation, TranslationCache

    calls: list[tuple[list[str], int | None]] = []

    class Backend:
        model_id = "fake"

        def generate(self, texts, settings, batching):
            calls.append((list(texts), settings.no_repeat_ngram_size))
            looping = settings.no_repeat_ngram_size is None
            return [("ja ja ja ja ja" if looping and t == "Ja." else t.upper()) for t in texts]

    model = ModelTranslation(Backend(), GenerationSettings(num_beams=1), BatchSettings(4))
    guarded = GuardedTranslation(model, GenerationSettings(num_beams=1, no_repeat_ngram_size=3))
    cached = CachedTranslation(guarded, TranslationCache(), key=lambda unit: ("fake", unit))
    first = cached.translate(["Goed.", "Ja.", "Goed."])
    assert [t.text for t in first] == ["GOED.", "JA.", "GOED."] and not any(t.cached for t in first)
    assert first[1].notes == ("degenerate output (word 'ja' repeated 4 times in a row); retried with a no-repeat "
                              "constraint",)
    assert calls == [(["Goed.", "Ja."], None), (["Ja."], 3)]
    again = cached.translate(["Ja.", "Nee."])
    assert [(t.text, t.cached) for t in again] == [("JA.", True), ("NEE.", False)]
    assert again[0].notes == first[1].notes and calls[-1] == (["Nee."], None)
