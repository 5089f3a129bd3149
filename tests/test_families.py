"""Translation model families on tiny random models of the real classes, on both backends.

Each family must get its language token to the model where it needs it (the encoder's first input id, or the
first generated token), and the token must never reach the text. The generate calls are observed, not faked:
the real ``model.generate`` and the real ``ctranslate2.Translator`` run underneath a recording wrapper.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ctranslate2")

from beknopt import Pipeline  # noqa: E402
from beknopt.models import GenerationSettings, load_backend  # noqa: E402
from beknopt.models.convert import METADATA_FILE, convert  # noqa: E402
from beknopt.models.families import PLAIN, TargetTokenError, detect_family  # noqa: E402
from beknopt.models.presets import (  # noqa: E402
    TRANSLATION_PRESETS,
    licence_notice,
    licence_record,
    resolve_translation_model,
    summary_generation,
)

SENTENCES = ["De kat zit op de mat.", "Kort.", "Het kabinet besloot vandaag om de regels te versoepelen.", "Kort."]
GREEDY = GenerationSettings(num_beams=1, max_new_tokens=8)
# family -> (first source token, forced first output token or None)
EXPECTED = {"marian": (">>eng<<", None), "nllb": ("nld_Latn", "eng_Latn"), "m2m100": ("__nl__", "__en__"),
            "madlad": ("<2en>", None)}


@pytest.fixture(scope="session")
def family_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny models of each family, plus their float32 CTranslate2 conversions (``<name>-ct2``)."""
    from beknopt.models import tiny

    nl, en = tiny.flores_lines("nl"), tiny.flores_lines("en")
    root = tmp_path_factory.mktemp("families")
    models = {
        "marian": tiny.build_tiny_marian(root / "marian", nl, en, max_positions=128,
                                         language_tokens=(">>deu<<", ">>eng<<", ">>nld<<")),
        "nllb": tiny.build_tiny_nllb(root / "nllb", nl + en),
        "m2m100": tiny.build_tiny_m2m100(root / "m2m100", nl + en),
        "madlad": tiny.build_tiny_t5(root / "madlad", nl + en),
        "pegasus": tiny.build_tiny_pegasus(root / "pegasus", en),
    }
    for name in list(models):
        models[f"{name}-ct2"] = convert(str(models[name]), root / f"{name}-ct2", quantization="float32")
    return models


def load(family_models: dict[str, Path], name: str, backend: str, **options: Any) -> Any:
    if backend == "ctranslate2":
        return load_backend(str(family_models[f"{name}-ct2"]), device="cpu", dtype="float32", **options)
    return load_backend(str(family_models[name]), device="cpu", **options)


class RecordingTranslator:
    """Forwards to a real ``ctranslate2.Translator`` and keeps each call's source tokens, prefixes and results."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []

    def translate_batch(self, source: list[list[str]], **kwargs: Any) -> Any:
        results = self.inner.translate_batch(source, **kwargs)
        self.calls.append({"source": source, "target_prefix": kwargs.get("target_prefix"), "results": results})
        return results


def observe(backend: Any) -> list[dict[str, Any]]:
    """Record what reaches the model: source tokens and generated tokens, per batch."""
    seen: list[dict[str, Any]] = []
    if backend.name == "ctranslate2":
        recorder = RecordingTranslator(backend.translator)
        backend.translator = recorder

        class View(list):
            def __iter__(self):  # resolved lazily: results are asynchronous
                for call in recorder.calls:
                    yield {"source": call["source"], "target_prefix": call["target_prefix"],
                           "output": [r.result().hypotheses[0] for r in call["results"]]}

        return View()
    tokenizer, generate = backend.tokenizer, backend.model.generate

    def recording(**kwargs: Any) -> Any:
        out = generate(**kwargs)
        seen.append({"source": [tokenizer.convert_ids_to_tokens(row) for row in kwargs["input_ids"].tolist()],
                     "forced_bos_token_id": kwargs.get("forced_bos_token_id"),
                     "output": [tokenizer.convert_ids_to_tokens(row) for row in out.tolist()]})
        return out

    backend.model.generate = recording
    return seen


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
@pytest.mark.parametrize("name", list(EXPECTED))
def test_language_token_reaches_the_model_and_never_the_text(family_models, name: str, backend: str) -> None:
    model = load(family_models, name, backend)
    source_token, forced = EXPECTED[name]
    seen = observe(model)
    outputs = model.generate(SENTENCES, GREEDY)
    calls = list(seen)
    assert calls, "the model was never called"
    sources = [row for call in calls for row in call["source"]]
    real = [[t for t in row if t != model.tokenizer.pad_token] for row in sources]
    assert len(real) == len(SENTENCES) and all(row[0] == source_token for row in real)
    assert sum(row.count(source_token) for row in real) == len(SENTENCES)  # once each, never twice
    generated = [row for call in calls for row in call["output"]]
    if forced is not None:
        # transformers: decoder start (</s>) then the forced token; CTranslate2 returns the target prefix first
        firsts = [row[1] if backend == "transformers" else row[0] for row in generated]
        assert firsts == [forced] * len(SENTENCES)
        if backend == "ctranslate2":
            assert all(c["target_prefix"] == [[forced]] * len(c["source"]) for c in calls)
        else:
            assert all(c["forced_bos_token_id"] == model.tokenizer.convert_tokens_to_ids(forced) for c in calls)
    assert len(outputs) == len(SENTENCES) and outputs[1] == outputs[3]  # one per sentence, duplicates alike
    for text in outputs:
        assert source_token not in text and (forced is None or forced not in text)
        assert not any(code in text for code in model.family.strip_tokens)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_both_backends_translate_alike_and_keep_order(family_models, name: str) -> None:
    hf, ct2 = load(family_models, name, "transformers"), load(family_models, name, "ctranslate2")
    assert hf.count_tokens(SENTENCES) == ct2.count_tokens(SENTENCES)
    assert hf.family == ct2.family and hf.max_input_tokens == ct2.max_input_tokens
    forward = hf.generate(SENTENCES, GREEDY)
    assert ct2.generate(SENTENCES, GREEDY) == forward
    assert hf.generate(SENTENCES[::-1], GREEDY) == forward[::-1]


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_a_generated_language_token_is_dropped_from_the_text(family_models, backend: str) -> None:
    for name in EXPECTED:
        model = load(family_models, name, backend)
        vocab = {**model.tokenizer.get_vocab(), **(getattr(model.tokenizer, "lang_token_to_id", None) or {})}
        words = model.tokenizer(["de kat"], add_special_tokens=False)["input_ids"][0]
        codes = [vocab[t] for t in model.family.strip_tokens]
        out = [""]
        model.decode_into(out, [0], [[codes[0], *words, codes[-1], model.tokenizer.eos_token_id]])
        assert out[0] == model.tokenizer.decode(words, skip_special_tokens=True).strip()
        assert out[0] and not any(model.tokenizer.convert_ids_to_tokens(c) in out[0] for c in codes)


def test_detection_from_config_class_and_vocabulary(family_models, tiny_models) -> None:
    marian, bart = tiny_models
    assert load_backend(str(marian), device="cpu").family == PLAIN  # single pair: nothing needed
    expected = {"marian": ("marian-multi", ">>eng<<", None, 128), "nllb": ("nllb", "eng_Latn", "nld_Latn", 512),
                "m2m100": ("m2m100", "__en__", "nl", 1024), "madlad": ("madlad", "<2en>", None, 256)}
    for name, (family, token, source, limit) in expected.items():
        model = load(family_models, name, "transformers")
        assert (model.family.name, model.family.target_lang_token, model.family.src_lang) == (family, token, source)
        assert model.max_input_tokens == limit
        described = model.describe()
        assert described["family"] == family and described["target_lang_token"] == token
    meta = json.loads((family_models["nllb-ct2"] / METADATA_FILE).read_text())
    assert meta["config_class"] == "M2M100Config" and meta["max_input_tokens"] == 1024


def test_overrides_are_checked_and_change_the_fingerprint(family_models, tiny_models) -> None:
    base = load(family_models, "marian", "transformers")
    german = load(family_models, "marian", "ctranslate2", target_lang_token=">>deu<<")
    assert german.family.source_prefix == ">>deu<<" and german.describe()["target_lang_token"] == ">>deu<<"
    assert german.count_tokens(["Kort."]) == base.count_tokens(["Kort."])
    with pytest.raises(TargetTokenError, match=r"'>>fry<<' is not in the vocabulary.*>>deu<<, >>eng<<, >>nld<<"):
        load(family_models, "marian", "transformers", target_lang_token=">>fry<<")
    with pytest.raises(TargetTokenError, match="--source-lang 'nl' cannot be set"):
        load(family_models, "madlad", "transformers", source_lang="nl")
    nllb = load(family_models, "nllb", "ctranslate2", source_lang="deu_Latn", target_lang_token="fra_Latn")
    assert (nllb.family.src_lang, nllb.family.forced_bos) == ("deu_Latn", "fra_Latn")
    with pytest.raises(TargetTokenError, match="source language 'xx_Latn'"):
        load(family_models, "nllb", "transformers", source_lang="xx_Latn")
    m2m = load(family_models, "m2m100", "transformers", target_lang_token="de")  # the bare code is accepted
    assert m2m.family.forced_bos == "__de__"
    with pytest.raises(TargetTokenError, match="takes no language tokens"):
        load_backend(str(tiny_models[1]), device="cpu", target_lang_token="<2en>")
    with pytest.raises(TargetTokenError, match="takes no language tokens"):
        detect_family("BartConfig", None, source_lang="nl")

    small = dict(summarizer="lead", device="cpu", num_beams=1, checks=False)
    english = Pipeline.from_pretrained(str(family_models["marian"]), **small)
    deutsch = Pipeline.from_pretrained(str(family_models["marian"]), target_lang_token=">>deu<<", **small)
    assert english.fingerprint() != deutsch.fingerprint()
    assert deutsch.describe()["translate"]["target_lang_token"] == ">>deu<<"
    plain = Pipeline.from_pretrained(str(tiny_models[0]), **small).describe()["translate"]
    assert not {"family", "target_lang_token", "source_lang"} & set(plain)  # the default path is unchanged


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pipeline_gives_one_translation_per_sentence_in_order_on_both_backends(family_models, name: str) -> None:
    article = ("De kat zit op de mat. Het kabinet besloot vandaag om de regels te versoepelen.\n\n"
               "Kort. De minister zei dat het besluit volgende week ingaat. Kort.")
    records = []
    for model in (family_models[name], family_models[f"{name}-ct2"]):
        pipeline = Pipeline.from_pretrained(str(model), summarizer="lead", device="cpu", dtype="float32",
                                            num_beams=1, max_new_tokens=6, checks=False, language_check=False)
        records.append(pipeline.only("clean", "split", "translate")(article))
    hf, ct2 = records
    assert len(hf.sentences) == 5 and hf.sentence_paragraphs == [0, 0, 1, 1, 1]
    assert len(hf.translations) == len(ct2.translations) == 5 and hf.translations == ct2.translations
    assert hf.translations[2] == hf.translations[4]  # the same sentence, the same place
    token, forced = EXPECTED[name]
    assert not any(token in t or (forced and forced in t) for t in hf.translations)
    assert hf.settings["translate"]["target_lang_token"] == ct2.settings["translate"]["target_lang_token"]


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_pipeline_splits_at_the_family_limit(family_models, backend: str) -> None:
    model = str(family_models["madlad-ct2" if backend == "ctranslate2" else "madlad"])
    pipeline = Pipeline.from_pretrained(model, summarizer="lead", device="cpu", num_beams=1, max_new_tokens=4,
                                        checks=False, language_check=False, dtype="float32")
    long_sentence = " ".join(["De minister zei dat het kabinet de regels voor thuiswerken wil versoepelen"] * 30)
    translated = pipeline.only("clean", "split", "translate")  # random T5 weights may translate to ""
    result = translated(f"{long_sentence}.\n\nKort daarna volgde een tweede besluit.")
    translator = translated.stages[-1]
    assert translator.max_input_tokens == 256 and translator.count_tokens(long_sentence) > 256
    assert result.ok and len(result.translations) == len(result.sentences) >= 3
    assert all(translator.count_tokens(s) <= 256 for s in result.sentences)
    assert all("<2en>" not in t for t in result.translations)


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_pegasus_newline_becomes_a_sentence_break(family_models, backend: str) -> None:
    model = load(family_models, "pegasus", backend)
    assert model.describe()["newline_token"] == "<n>"
    ids = model.tokenizer(["The cabinet met today<n>It decided nothing.<n>"])["input_ids"][0]
    out = [""]
    model.decode_into(out, [0], [ids])
    assert out[0] == "The cabinet met today. It decided nothing."
    model.decode_into(out, [0], [model.tokenizer(["<n><n>"])["input_ids"][0]])
    assert out[0] == ""  # nothing but line breaks is an empty summary, never "<n>" text


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_summariser_follows_the_card_unless_the_user_overrides(family_models, tiny_models, backend: str) -> None:
    marian, bart = tiny_models
    pegasus = family_models["pegasus-ct2" if backend == "ctranslate2" else "pegasus"]
    small = dict(device="cpu", dtype="float32", checks=False)
    card = Pipeline.from_pretrained(str(marian), str(pegasus), **small).describe()["summarise"]
    assert card["generation"] == {"num_beams": 8, "length_penalty": 0.8, "min_new_tokens": 32,
                                  "max_new_tokens": 128}  # google/pegasus-cnn_dailymail's own defaults
    chosen = Pipeline.from_pretrained(str(marian), str(pegasus), summary_num_beams=2, summary_length="short",
                                      **small).describe()["summarise"]["generation"]
    assert chosen["num_beams"] == 2 and (chosen["min_new_tokens"], chosen["max_new_tokens"]) == (20, 60)
    run = Pipeline.from_pretrained(str(marian), str(pegasus), summary_num_beams=1, num_beams=1, max_new_tokens=6,
                                   max_summary_tokens=12, min_summary_tokens=2, language_check=False, **small)
    result = run("De kat zit op de mat. Het kabinet besloot vandaag om de regels te versoepelen.")
    assert result.ok and result.summary and "<n>" not in result.summary
    bart_card = Pipeline.from_pretrained(str(marian), str(bart), **small).describe()["summarise"]["generation"]
    assert bart_card == {"num_beams": 4, "no_repeat_ngram_size": 3, "length_penalty": 2.0, "min_new_tokens": 56,
                         "max_new_tokens": 142}  # the BART CNN cards' defaults are beknopt's own


def test_summary_generation_rules() -> None:
    defaults = {"num_beams": 4, "no_repeat_ngram_size": 3, "length": "medium", "min_new_tokens": None,
                "max_new_tokens": None}
    assert summary_generation({}, defaults, defaults) == defaults
    card = {"num_beams": 8, "length_penalty": 0.6, "no_repeat_ngram_size": 0, "max_length": 64}
    out = summary_generation(card, {**defaults, "max_new_tokens": 40}, defaults)
    assert out == {**defaults, "num_beams": 8, "no_repeat_ngram_size": 0, "length_penalty": 0.6,
                   "max_new_tokens": 40}


def test_translation_presets_and_licences(caplog) -> None:
    assert resolve_translation_model(None) == resolve_translation_model("fast") == "Helsinki-NLP/opus-mt-nl-en"
    assert resolve_translation_model("balanced") == "Helsinki-NLP/opus-mt-tc-big-gmw-gmw"
    assert resolve_translation_model("org/model") == "org/model"
    assert licence_notice(TRANSLATION_PRESETS["fast"]) is None
    assert licence_notice(TRANSLATION_PRESETS["balanced"]) is None
    assert "CC-BY-NC-4.0: non-commercial use only" in (licence_notice(TRANSLATION_PRESETS["best"]) or "")
    assert licence_record(TRANSLATION_PRESETS["best"]) == {"licence": "CC-BY-NC-4.0 (non-commercial use only)"}
    assert licence_record(TRANSLATION_PRESETS["fast"]) == {}  # so the default record is unchanged
    from beknopt.models.errors import ModelNotFoundError

    with caplog.at_level(logging.WARNING, logger="beknopt.models"), pytest.raises(ModelNotFoundError):
        Pipeline.from_pretrained("best", summarizer="lead", device="cpu")  # offline: warned, then not found
    assert any("non-commercial" in r.getMessage() for r in caplog.records)


def test_models_list_and_download_presets(capsys, monkeypatch) -> None:
    from beknopt.cli import models as cli_models
    from beknopt.cli.app import main

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "facebook/nllb-200-distilled-1.3B" in out and "CC-BY-NC-4.0, NON-COMMERCIAL" in out
    assert "Helsinki-NLP/opus-mt-tc-big-gmw-gmw" in out and "rougeLsum" not in out.split("distilbart")[0]
    calls: list[str] = []
    monkeypatch.setattr(cli_models, "_snapshot", lambda model, local_dir: calls.append(model) or f"/c/{model}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert main(["models", "download", "--translation-preset", "all"]) == 0
    assert calls[:3] == list(TRANSLATION_PRESETS.values())
    calls.clear()
    assert main(["models", "download", "--translation-model", "balanced", "--summarization-model", "best"]) == 0
    assert calls == ["Helsinki-NLP/opus-mt-tc-big-gmw-gmw", "facebook/bart-large-cnn"]


def test_run_flag_reaches_the_record(family_models, tiny_models, tmp_path, capsys) -> None:
    from beknopt.cli.app import main

    article = tmp_path / "in" / "a.txt"
    article.parent.mkdir()
    article.write_text("De kat zit op de mat. Het kabinet besloot vandaag om de regels te versoepelen.\n")
    code = main(["run", str(article.parent), "-o", str(tmp_path / "out"), "--translation-model",
                 str(family_models["marian"]), "--target-lang-token", ">>nld<<", "--summarizer", "lead",
                 "--device", "cpu", "--beams", "1", "--max-new-tokens", "6", "--threads", "1", "-q"])
    assert code == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "out" / "a.json").read_text())
    assert record["settings"]["translate"]["target_lang_token"] == ">>nld<<"
    assert len(record["translations"]) == len(record["sentences"]) == 2
    from beknopt.options import ConfigError

    with pytest.raises(ConfigError, match="target_lang_token"):
        Pipeline.from_pretrained(str(tiny_models[0]), target_lang_token=">> eng <<")


def test_convert_command_for_each_family(family_models, tmp_path) -> None:
    from beknopt.models.convert import main

    for name in ("nllb", "m2m100", "madlad", "pegasus"):
        assert main([str(family_models[name]), str(tmp_path / name), "-q", "int8"]) == 0
        meta = json.loads((tmp_path / name / METADATA_FILE).read_text())
        model = load_backend(str(tmp_path / name), device="cpu")
        assert model.family.name == name and model.generate(["Kort."], GREEDY)[0] is not None
        assert meta["config_class"] in {"M2M100Config", "T5Config", "PegasusConfig"}


def test_a_shared_cache_never_serves_another_target_language(family_models) -> None:
    """Two translators of one model sharing a cache, asked for English and for German, each generate."""
    from beknopt.translate import TranslationCache, Translator

    cache = TranslationCache()
    english = Translator(load(family_models, "marian", "transformers"), num_beams=1, max_new_tokens=8, cache=cache)
    german = Translator(load(family_models, "marian", "transformers", target_lang_token=">>deu<<"), num_beams=1,
                        max_new_tokens=8, cache=cache)
    sentences = ["Het kabinet valt.", "De Kamer stemt."]
    english.translate(sentences)
    german.translate(sentences)
    assert (cache.hits, cache.misses, len(cache)) == (0, 4, 4)
    english.translate(sentences)
    assert cache.hits == 2
