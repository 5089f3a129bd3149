from __future__ import annotations

import json

import pytest

from beknopt.document import BeknoptError
from beknopt.models import (
    SUMMARY_PRESETS,
    BatchSettings,
    GenerationSettings,
    ModelLoadError,
    ModelNotFoundError,
    load_backend,
    plan_batches,
    resolve_summary_model,
)
from beknopt.models.loading import is_ctranslate2_dir


def test_plan_batches_sorts_by_length_and_respects_both_limits() -> None:
    lengths = [5, 50, 7, 49, 6, 8]
    batches = plan_batches(lengths, BatchSettings(batch_size=3, max_tokens=100))
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert batches == [[1, 3], [5, 2, 4], [0]]
    for batch in batches:
        assert len(batch) <= 3 and max(lengths[i] for i in batch) * len(batch) <= 100


def test_plan_batches_gives_an_over_budget_input_its_own_batch() -> None:
    assert plan_batches([500, 3], BatchSettings(batch_size=8, max_tokens=100)) == [[0], [1]]


def test_batch_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        BatchSettings(batch_size=0)


def test_generation_kwargs_turn_ratio_into_a_cap() -> None:
    settings = GenerationSettings(num_beams=1, max_new_tokens=100, length_penalty=2.0, max_length_ratio=2.0)
    assert settings.generate_kwargs(10) == {"num_beams": 1, "max_new_tokens": 28}
    assert settings.generate_kwargs(60)["max_new_tokens"] == 100
    beam = GenerationSettings(num_beams=4, length_penalty=2.0)
    assert beam.generate_kwargs(10) == {"num_beams": 4, "length_penalty": 2.0}


def test_presets_resolve() -> None:
    assert resolve_summary_model(None) == "sshleifer/distilbart-cnn-12-6"
    assert resolve_summary_model("fast") == SUMMARY_PRESETS["fast"] == "sshleifer/distilbart-cnn-6-6"
    assert resolve_summary_model("best") == "facebook/bart-large-cnn"
    assert resolve_summary_model("./my-model") == "./my-model"


def test_missing_hub_model_names_it_and_says_how_to_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError) as info:
        load_backend("nobody/no-such-model-beknopt", device="cpu")
    message = str(info.value)
    assert "'nobody/no-such-model-beknopt' not found" in message
    assert "HF_HUB_OFFLINE=1" in message and "beknopt models download" in message


def test_missing_local_directory(tmp_path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_backend(str(tmp_path / "nope"), device="cpu")


def test_non_seq2seq_model_is_refused(tmp_path) -> None:
    from transformers import GPT2Config

    GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=10).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="not a sequence-to-sequence"):
        load_backend(str(tmp_path), device="cpu")


def test_unknown_backend_and_device() -> None:
    with pytest.raises(BeknoptError, match="unknown backend 'onnx'"):
        load_backend("x", backend="onnx")
    from beknopt.models.loading import device_for

    with pytest.raises(BeknoptError, match="unknown device 'tpu'"):
        device_for("tpu")


def test_ctranslate2_dir_detection(tmp_path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\0")
    (tmp_path / "config.json").write_text(json.dumps({}))
    assert is_ctranslate2_dir(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\0")
    assert not is_ctranslate2_dir(tmp_path)


def test_tiny_models_have_the_real_classes_and_layout(tiny_models) -> None:
    from transformers import AutoConfig

    marian, bart = tiny_models
    assert {"source.spm", "target.spm", "vocab.json", "model.safetensors"} <= {p.name for p in marian.iterdir()}
    assert AutoConfig.from_pretrained(marian).architectures == ["MarianMTModel"]
    assert AutoConfig.from_pretrained(bart).architectures == ["BartForConditionalGeneration"]
    backend = load_backend(str(marian), device="cpu")
    assert backend.name == "transformers" and backend.max_input_tokens == 128
    assert backend.count_tokens(["Hallo wereld."])[0] >= 2


@pytest.mark.parametrize(("options", "expected"), [({"quantize": "dynamic-int8"}, ("float32", "dynamic-int8")),
                                                   ({"dtype": "bfloat16"}, ("bfloat16", None))])
def test_transformers_cpu_speed_options_still_generate(tiny_models, options, expected) -> None:
    marian, _ = tiny_models
    backend = load_backend(str(marian), device="cpu", **options)
    info = backend.describe()
    assert (info["dtype"], info.get("quantize")) == expected
    out = backend.generate(["Het kabinet besloot woensdag.", "Hallo."],
                           GenerationSettings(num_beams=1, max_new_tokens=6))
    assert len(out) == 2 and all(isinstance(t, str) and t for t in out)


def test_bad_speed_options_are_refused(tiny_models) -> None:
    marian, _ = tiny_models
    with pytest.raises(BeknoptError, match="unknown quantisation 'int4'"):
        load_backend(str(marian), device="cpu", quantize="int4")
    with pytest.raises(BeknoptError, match="float16 is not supported for generation on CPU"):
        load_backend(str(marian), device="cpu", dtype="float16")


def test_transformers_backend_refuses_input_over_its_context(tiny_models) -> None:
    from beknopt.models import InputTooLongError

    marian, _ = tiny_models
    backend = load_backend(str(marian), device="cpu")
    long_text = " ".join(["Het kabinet besloot woensdag iets nieuws."] * 40)
    assert backend.count_tokens([long_text])[0] > 128
    with pytest.raises(InputTooLongError, match="1 input\\(s\\) exceed the 128-token context"):
        backend.generate(["Kort.", long_text], GenerationSettings(num_beams=1, max_new_tokens=4))
