"""Broken or unsafe model files: one ModelLoadError line that names the model and the file, never a traceback.

Each test copies a tiny real model (``conftest.tiny_models``) into ``tmp_path``, damages the copy and loads it
through the real transformers/CTranslate2 code. The pickle tests check that the payload never ran: its
``__reduce__`` would create a marker file.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import DATA

from beknopt.models import ModelLoadError, load_backend


class Payload:
    """Unpickling this runs ``os.system``; it must never happen while loading a model."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def copy_model(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def load_error(model: Path | str, **options) -> str:
    """The message of the ModelLoadError loading ``model`` raises, checked to be one line naming the model."""
    with pytest.raises(ModelLoadError) as info:
        load_backend(str(model), device="cpu", **options)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert f"model '{model}'" in message
    return message


def write_pickle_weights(model_dir: Path, marker: Path, *, zipped: bool) -> None:
    """A ``pytorch_model.bin`` whose unpickling would create ``marker``: a raw pickle, or torch.save's zip."""
    (model_dir / "model.safetensors").unlink()
    if zipped:
        import torch

        torch.save({"model.shared.weight": Payload(marker)}, model_dir / "pytorch_model.bin")
    else:
        (model_dir / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(marker)))


@pytest.fixture(params=["marian", "bart"])
def tiny(request: pytest.FixtureRequest, tiny_models: tuple[Path, Path]) -> Path:
    return tiny_models[0] if request.param == "marian" else tiny_models[1]


@pytest.mark.parametrize("keep", ["100 bytes", "half"])
def test_truncated_safetensors_names_the_file(tiny: Path, tmp_path: Path, keep: str) -> None:
    model = copy_model(tiny, tmp_path / "model")
    weights = model / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:100] if keep == "100 bytes" else data[: len(data) // 2])
    message = load_error(model)
    assert "model.safetensors is damaged or truncated (safetensors:" in message


@pytest.mark.parametrize("zipped", [False, True], ids=["raw-pickle", "torch-save"])
def test_local_pickle_weights_are_refused_unread(tiny: Path, tmp_path: Path, zipped: bool) -> None:
    model = copy_model(tiny, tmp_path / "model")
    marker = tmp_path / "payload-ran"
    write_pickle_weights(model, marker, zipped=zipped)
    message = load_error(model)
    assert "only pytorch_model.bin found" in message and "model.safetensors only" in message
    assert not marker.exists()


def test_legitimate_pickle_weights_are_refused_with_a_recipe_that_works(tiny: Path, tmp_path: Path) -> None:
    """Safetensors-only for local folders even for a clean torch.save(state_dict); the message's recipe fixes it."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    model = copy_model(tiny, tmp_path / "model")
    torch.save(AutoModelForSeq2SeqLM.from_pretrained(model).state_dict(), model / "pytorch_model.bin")
    (model / "model.safetensors").unlink()
    message = load_error(model)
    assert "only pytorch_model.bin found" in message
    assert "from_pretrained(DIR, use_safetensors=False).save_pretrained(DIR)" in message

    AutoModelForSeq2SeqLM.from_pretrained(model, use_safetensors=False).save_pretrained(model)
    assert (model / "model.safetensors").is_file()
    assert load_backend(str(model), device="cpu").count_tokens(["Hallo wereld."])[0] > 0


@pytest.mark.parametrize("file", ["config.json", "generation_config.json", "tokenizer_config.json"])
def test_json_that_does_not_parse_names_the_file(tiny: Path, tmp_path: Path, file: str) -> None:
    """generation_config.json too: transformers would skip it silently and lose the model card's defaults."""
    model = copy_model(tiny, tmp_path / "model")
    (model / file).write_text('{"model_type": ', encoding="utf-8")
    assert f"{file} is not valid JSON" in load_error(model)


def test_damaged_tokenizer_files_name_the_file(tiny_models: tuple[Path, Path], tmp_path: Path) -> None:
    marian, bart = (copy_model(src, tmp_path / name) for src, name in zip(tiny_models, ("marian", "bart"),
                                                                          strict=True))
    (bart / "tokenizer.json").write_text((bart / "tokenizer.json").read_text(encoding="utf-8")[:100],
                                         encoding="utf-8")
    assert "tokenizer.json is not valid JSON" in load_error(bart)
    (marian / "source.spm").write_bytes((marian / "source.spm").read_bytes()[:50])
    message = load_error(marian)
    assert "tokenizer files are damaged" in message and "source.spm" in message


def test_missing_files(tiny: Path, tmp_path: Path) -> None:
    no_weights = copy_model(tiny, tmp_path / "no-weights")
    (no_weights / "model.safetensors").unlink()
    assert "no weights, model.safetensors is missing" in load_error(no_weights)

    no_config = copy_model(tiny, tmp_path / "no-config")
    (no_config / "config.json").unlink()
    assert "config.json is missing" in load_error(no_config)

    # transformers 5 would build an empty tokenizer (specials only) and translate into gibberish
    no_tokenizer = copy_model(tiny, tmp_path / "no-tokenizer")
    for name in ("tokenizer.json", "vocab.json", "source.spm", "target.spm"):
        (no_tokenizer / name).unlink(missing_ok=True)
    assert "no tokenizer files" in load_error(no_tokenizer)


def test_missing_or_damaged_shard(tiny_models: tuple[Path, Path], tmp_path: Path) -> None:
    model = copy_model(tiny_models[1], tmp_path / "model")
    (model / "model.safetensors").rename(model / "model-00001-of-00002.safetensors")
    index = {"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                                            "b": "model-00002-of-00002.safetensors"}}
    (model / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    assert "model-00002-of-00002.safetensors, listed in model.safetensors.index.json, is missing" in load_error(model)
    (model / "model-00002-of-00002.safetensors").write_bytes(b"\0" * 16)
    assert "model-00002-of-00002.safetensors is damaged or truncated" in load_error(model)


# ---------------------------------------------------------------------------------------------------- hub ids


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An offline Hugging Face cache under tmp_path; ``put(repo, src)`` stores ``src`` as repo's main snapshot."""
    import huggingface_hub.constants

    root = tmp_path / "hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def put(repo: str, src: Path) -> Path:
        entry = root / f"models--{repo.replace('/', '--')}"
        snapshot = copy_model(src, entry / "snapshots" / ("0" * 40))
        (entry / "refs").mkdir()
        (entry / "refs" / "main").write_text("0" * 40)
        return snapshot

    return put


def test_hub_pickle_goes_through_the_weights_only_loader(hub_cache, tiny_models: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    """Hub ids keep transformers' fallback to pytorch_model.bin, read weights-only: plain tensors load, a
    payload is refused before it runs."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    bart = tiny_models[1]
    marker = tmp_path / "payload-ran"
    write_pickle_weights(hub_cache("beknopt-test/evil", bart), marker, zipped=True)
    message = load_error("beknopt-test/evil")
    assert "pytorch_model.bin was refused" in message and "weights-only loader" in message
    assert not marker.exists()

    clean = hub_cache("beknopt-test/bin-only", bart)
    torch.save(AutoModelForSeq2SeqLM.from_pretrained(bart).state_dict(), clean / "pytorch_model.bin")
    (clean / "model.safetensors").unlink()
    assert load_backend("beknopt-test/bin-only", device="cpu").describe()["model"] == "beknopt-test/bin-only"


def test_hub_truncated_safetensors_names_the_file(hub_cache, tiny_models: tuple[Path, Path]) -> None:
    weights = hub_cache("beknopt-test/truncated", tiny_models[1]) / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    message = load_error("beknopt-test/truncated")
    assert "model.safetensors is damaged or truncated" in message
    assert "hf cache rm model/beknopt-test/truncated" in message


# ---------------------------------------------------------------------------------------------------- ctranslate2


@pytest.fixture(scope="module")
def ct2_bart(tiny_models: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("ctranslate2")
    from beknopt.models.convert import convert

    return convert(str(tiny_models[1]), tmp_path_factory.mktemp("ct2-files") / "bart", quantization="int8")


@pytest.mark.parametrize("damage", ["truncated", "empty", "metadata"])
def test_damaged_ctranslate2_dir(ct2_bart: Path, tmp_path: Path, damage: str) -> None:
    model = copy_model(ct2_bart, tmp_path / "ct2")
    weights = model / "model.bin"
    if damage == "truncated":
        weights.write_bytes(weights.read_bytes()[:100])
        assert f"CTranslate2 could not load {weights} (" in load_error(model)
    elif damage == "empty":
        weights.write_bytes(b"")
        assert f"{weights} is empty" in load_error(model)
    else:
        (model / "beknopt_ct2.json").write_text("{", encoding="utf-8")
        assert "beknopt_ct2.json is not valid JSON" in load_error(model)


def test_ctranslate2_backend_checks_a_local_hf_dir_before_converting(tiny_models: tuple[Path, Path],
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ctranslate2")
    monkeypatch.setenv("BEKNOPT_CACHE", str(tmp_path / "cache"))
    model = copy_model(tiny_models[1], tmp_path / "model")
    marker = tmp_path / "payload-ran"
    write_pickle_weights(model, marker, zipped=False)
    assert "only pytorch_model.bin found" in load_error(model, backend="ctranslate2")
    assert not marker.exists() and not (tmp_path / "cache").exists()


# ---------------------------------------------------------------------------------------------------- CLI


def broken_copy(model: Path, tmp_path: Path, damage: str, *, zipped: bool) -> tuple[Path, Path]:
    """A copy of ``model`` with its weights cut to 100 bytes, or replaced by a pickle that would create the
    returned marker file if it were ever unpickled."""
    broken = copy_model(model, tmp_path / f"broken-{model.name}")
    marker = tmp_path / "payload-ran"
    if damage == "truncated":
        weights = broken / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:100])
    else:
        write_pickle_weights(broken, marker, zipped=zipped)
    return broken, marker


@pytest.mark.parametrize("damage", ["truncated", "pickle"])
def test_cli_reports_one_line_and_exits_2(tiny_models: tuple[Path, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], damage: str) -> None:
    from beknopt.cli import main

    marian, bart = tiny_models
    broken, marker = broken_copy(marian, tmp_path, damage, zipped=True)
    capsys.readouterr()
    code = main(["run", str(DATA / "articles"), "-o", str(tmp_path / "out"), "--translation-model", str(broken),
                 "--summarization-model", str(bart), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("beknopt: error: ") and str(broken) in lines[0]
    assert ("model.safetensors" if damage == "truncated" else "pytorch_model.bin") in lines[0]
    assert not marker.exists()
    assert not (tmp_path / "out").exists()  # nothing is created before the models load


@pytest.mark.parametrize("damage", ["truncated", "pickle"])
def test_convert_reports_one_line_and_exits_2(tiny_models: tuple[Path, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str], damage: str) -> None:
    pytest.importorskip("ctranslate2")
    from beknopt.cli import main

    broken, marker = broken_copy(tiny_models[1], tmp_path, damage, zipped=False)
    capsys.readouterr()
    code = main(["convert", str(broken), str(tmp_path / "ct2")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"beknopt convert: error: model '{broken}': ")
    assert ("model.safetensors is damaged" if damage == "truncated" else "only pytorch_model.bin found") in err
    assert not marker.exists() and not (tmp_path / "ct2").exists()


def test_an_unreachable_hub_fails_fast_and_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Offline mode off, no network: one quick probe (a closed port on loopback here), not the hub client's
    half a minute of retries, and the same clear message."""
    import time

    from beknopt.cli import main
    from beknopt.models import ModelNotFoundError

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens there
    model = "beknopt-tests/nowhere-nl-en"  # in no cache
    start = time.monotonic()
    with pytest.raises(ModelNotFoundError, match="the hub at http://127.0.0.1:9 cannot be reached"):
        load_backend(model, device="cpu")
    out = tmp_path / "out"
    code = main(["run", str(DATA / "articles"), "-o", str(out), "--device", "cpu", "--translation-model", model])
    err = capsys.readouterr().err
    assert code == 2 and "beknopt models download" in err and not out.exists()
    assert time.monotonic() - start < 10
