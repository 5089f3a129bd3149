"""The ctranslate2 backend on the tiny real models: conversion, parity with transformers, the same end-to-end checks.

The tiny models are converted once per session (int8 and float32). float32 must reproduce the transformers
backend token for token (same tokenizer, same weights, same decoding rules) for greedy search and short beam
searches (long beam searches over random weights meet near-ties that the two implementations may break
differently); int8 is checked for structure only.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest
from conftest import check_long_article, check_sample_article, fresh_python, long_article

pytest.importorskip("ctranslate2")

from beknopt import Pipeline  # noqa: E402
from beknopt.models import GenerationSettings, load_backend  # noqa: E402
from beknopt.models.convert import METADATA_FILE, cache_root, main  # noqa: E402
from beknopt.models.loading import is_ctranslate2_dir  # noqa: E402

SENTENCES = [
    "De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen.",
    "Kort.",
    "Het kabinet besloot vandaag om de regels voor thuiswerken te versoepelen.",
]
SMALL = dict(device="cpu", num_beams=1, summary_num_beams=1, max_summary_tokens=24, min_summary_tokens=4)


@pytest.fixture(scope="session")
def ct2_models(tiny_models: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{'marian-int8', 'bart-int8', 'marian-float32', 'bart-float32'}: the tiny models, converted once."""
    from beknopt.models.convert import convert

    root = tmp_path_factory.mktemp("ct2")
    marian, bart = tiny_models
    return {f"{name}-{q}": convert(str(src), root / f"{name}-{q}", quantization=q)
            for name, src in (("marian", marian), ("bart", bart)) for q in ("int8", "float32")}


@pytest.fixture(scope="session")
def backend_pairs(ct2_models: dict[str, Path], tiny_models: tuple[Path, Path]) -> dict[str, tuple]:
    """(transformers, ctranslate2 float32) backends per model, loaded once."""
    return {name: (load_backend(str(hf_dir), device="cpu"),
                   load_backend(str(ct2_models[f"{name}-float32"]), device="cpu", dtype="float32"))
            for name, hf_dir in zip(("marian", "bart"), tiny_models, strict=True)}


@pytest.fixture(scope="session")
def ct2_pipeline(ct2_models: dict[str, Path]) -> Pipeline:
    return Pipeline.from_pretrained(str(ct2_models["marian-int8"]), str(ct2_models["bart-int8"]), **SMALL)


@pytest.fixture(scope="session")
def ct2_pipeline_f32(ct2_models: dict[str, Path]) -> Pipeline:
    """float32 decodes like the transformers backend; random int8 weights can emit broken UTF-8 byte tokens whose
    text re-tokenises longer than the partial-summary cap, so map-reduce would not shrink (a random-weight artefact)."""
    return Pipeline.from_pretrained(str(ct2_models["marian-float32"]), str(ct2_models["bart-float32"]),
                                    dtype="float32", **SMALL)


def test_converted_dir_holds_model_tokenizer_and_metadata(ct2_models: dict[str, Path]) -> None:
    for path in ct2_models.values():
        assert is_ctranslate2_dir(path)
        assert (path / "tokenizer_config.json").is_file()
    meta = json.loads((ct2_models["bart-int8"] / METADATA_FILE).read_text())
    assert meta["quantization"] == "int8" and meta["max_input_tokens"] == 128
    assert meta["forced_bos_token"] == "<s>" and meta["architecture"] == "BartForConditionalGeneration"
    assert json.loads((ct2_models["marian-int8"] / METADATA_FILE).read_text())["forced_bos_token"] is None


@pytest.mark.parametrize("name", ["marian", "bart"])
@pytest.mark.parametrize("settings", [
    GenerationSettings(num_beams=1, max_new_tokens=10),
    GenerationSettings(num_beams=4, min_new_tokens=5, max_new_tokens=12, no_repeat_ngram_size=3),
    GenerationSettings(num_beams=1, max_new_tokens=40, max_length_ratio=0.5, repetition_penalty=1.3),
])
def test_float32_matches_transformers_token_for_token(
    backend_pairs: dict[str, tuple], name: str, settings: GenerationSettings
) -> None:
    hf, ct = backend_pairs[name]
    assert ct.name == "ctranslate2" and hf.name == "transformers"
    assert ct.count_tokens(SENTENCES) == hf.count_tokens(SENTENCES)
    assert ct.max_input_tokens == hf.max_input_tokens == 128
    assert ct.generate(SENTENCES, settings) == hf.generate(SENTENCES, settings)


def test_describe_records_compute_type_and_threads(ct2_models: dict[str, Path]) -> None:
    backend = load_backend(str(ct2_models["marian-int8"]), device="cpu", threads=1)
    info = backend.describe()
    assert info["backend"] == "ctranslate2" and info["device"] == "cpu"
    from beknopt.models.ct2 import available_cores

    parallel = 2 if available_cores() >= 2 else 1  # two single-threaded decoders by default on a CPU
    assert info["compute_type"].startswith("int8") and info["intra_threads"] == 1
    assert info["inter_threads"] == parallel
    assert load_backend(str(ct2_models["marian-int8"]), device="cpu").describe()["intra_threads"] == max(
        1, available_cores() // parallel)
    assert info["architecture"] == "MarianMTModel"


def test_too_long_input_is_refused_not_truncated(ct2_models: dict[str, Path]) -> None:
    from beknopt.models.backend import InputTooLongError

    backend = load_backend(str(ct2_models["marian-int8"]), device="cpu")
    with pytest.raises(InputTooLongError, match="128-token context"):
        backend.generate([" ".join(["woord"] * 300)], GenerationSettings(num_beams=1))


def test_sample_article_end_to_end(ct2_pipeline: Pipeline, sample_article: str) -> None:
    result = ct2_pipeline(sample_article, id="irak")
    check_sample_article(result)
    assert result.settings["translate"]["backend"] == "ctranslate2"
    assert result.settings["summarise"]["architecture"] == "BartForConditionalGeneration"


def test_3000_word_article_is_chunked_not_truncated(ct2_pipeline_f32: Pipeline) -> None:
    article = long_article(3000)
    check_long_article(ct2_pipeline_f32(article), article)


def test_backend_ctranslate2_converts_hf_dirs_into_the_cache(
    tiny_models: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEKNOPT_CACHE", str(tmp_path / "cache"))
    marian, bart = tiny_models
    pipe = Pipeline.from_pretrained(str(marian), str(bart), backend="ctranslate2", **SMALL)
    converted = sorted(p for p in cache_root().iterdir())
    assert len(converted) == 2 and all(is_ctranslate2_dir(p) for p in converted)
    assert not [p for p in cache_root().iterdir() if p.name.startswith(".")]  # no temp dirs left behind
    result = pipe("Eerste zin over Irak. Tweede zin over Duitsland.\n\nNieuwe alinea.")
    assert len(result.translations) == 3 and result.summary
    assert result.settings["translate"]["converted_dir"] in {str(p) for p in converted}
    # Second load hits the cache: same dirs, nothing new.
    again = load_backend(str(marian), "ctranslate2", device="cpu")
    assert again.describe()["converted_dir"] in {str(p) for p in converted}
    assert sorted(cache_root().iterdir()) == converted


def test_cache_respects_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BEKNOPT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_root() == tmp_path / "beknopt" / "ct2"


def test_convert_cli(tiny_models: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marian, _ = tiny_models
    out = tmp_path / "marian-ct2"
    assert main([str(marian), str(out), "--quantization", "int8"]) == 0
    assert is_ctranslate2_dir(out) and "converted" in capsys.readouterr().out
    assert main([str(marian), str(out)]) == 1  # non-empty output dir without --force
    assert "--force" in capsys.readouterr().err
    assert main([str(marian), str(out), "--force", "-q", "float32"]) == 0
    assert json.loads((out / METADATA_FILE).read_text())["quantization"] == "float32"


def test_convert_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "no-such-model"), str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["some/model", str(tmp_path / "out"), "--quantization", "int4"]) == 2
    assert "invalid choice: 'int4'" in capsys.readouterr().err
    assert main([]) == 2
    assert not (tmp_path / "out").exists()


def test_thread_settings_reach_ctranslate2_through_the_pipeline(ct2_models: dict[str, Path]) -> None:
    pipe = Pipeline.from_pretrained(str(ct2_models["marian-int8"]), summarizer="lead", device="cpu", threads=1,
                                    inter_threads=2)
    info = pipe.describe()["translate"]
    assert (info["intra_threads"], info["inter_threads"]) == (1, 2)
    assert len(pipe("Een zin. Nog een zin.").translations) == 2


def test_parallel_decoders_keep_every_output_in_its_place(ct2_models: dict[str, Path]) -> None:
    """Two decoders get half the batch each and finish in any order; outputs must still line up with inputs."""
    from beknopt.models import BatchSettings, GenerationSettings

    texts = [f"{s} Zin {i}." for i in range(5) for s in SENTENCES]  # 15 inputs of three lengths
    settings = GenerationSettings(num_beams=2, max_new_tokens=12)
    batching = BatchSettings(batch_size=4)
    model = str(ct2_models["marian-float32"])
    serial = load_backend(model, device="cpu", dtype="float32", threads=1, inter_threads=1)
    parallel = load_backend(model, device="cpu", dtype="float32", threads=1, inter_threads=2)
    expected = [serial.generate([t], settings)[0] for t in texts]  # one at a time: no batching at all
    assert serial.generate(texts, settings, batching) == expected
    assert parallel.generate(texts, settings, batching) == expected
    assert len(set(expected)) >= 2  # outputs differ by input length, and batches are planned by length


def test_cpu_backend_caps_malloc_arenas_unless_told_not_to(ct2_models: dict[str, Path]) -> None:
    """The cap is process-wide and the first call sets it, so only its form is checked here; the subprocess
    probes (below and in test_hf_speed.py) check that it holds threads to that many arenas."""
    import os
    import platform

    from beknopt.models import apply_process_settings

    model = str(ct2_models["marian-int8"])
    assert load_backend(model, device="cpu", malloc_tuning=False).malloc == "untouched"
    assert apply_process_settings(backend="ctranslate2", device="cpu", threads=None, inter_threads=None,
                                  malloc_tuning=False)["malloc"] == "untouched"
    done = apply_process_settings(backend="ctranslate2", device="cpu", threads=None, inter_threads=None)
    capped = load_backend(model, device="cpu").malloc
    assert done == {"backend": "ctranslate2", "device": "cpu", "malloc": capped}
    if platform.libc_ver()[0] == "glibc" and os.environ.get("BEKNOPT_MALLOC_TUNING", "") != "0":
        assert capped.startswith("arenas capped at ")
    else:
        assert capped.startswith(("off", "unsupported"))
    assert load_backend(model, device="cpu", malloc_tuning=False).malloc == "untouched"


ARENA_PROBE = """
import ctypes, sys
from beknopt.models import GenerationSettings, apply_process_settings, load_backend
from beknopt.models.allocator import applied

done = {}
if sys.argv[2] == "apply":  # before the Translator starts its threads, as the entry points do
    done = apply_process_settings(backend="ctranslate2", device="cpu", threads=1, inter_threads=2)
backend = load_backend(sys.argv[1], device="cpu", threads=1, inter_threads=2)
backend.generate(["Een zin.", "Nog een zin, wat langer dan de eerste.", "Kort.", "En nog een."] * 4,
                 GenerationSettings(num_beams=2, max_new_tokens=8))
print(done.get("malloc"), applied("arenas"), backend.malloc, sep="|")
sys.stdout.flush()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the arena cap is glibc-only")
def test_arena_cap_applied_before_loading_holds_the_decoders_to_two_arenas(ct2_models: dict[str, Path]) -> None:
    """In a fresh process: loading alone leaves malloc alone (main thread and two decoders: three arenas);
    ``apply_process_settings`` first caps them at two, which only works because it runs before the Translator."""
    env = {k: v for k, v in os.environ.items() if k not in {"BEKNOPT_MALLOC_TUNING", "MALLOC_ARENA_MAX"}}
    model = str(ct2_models["marian-int8"])
    applied = fresh_python(ARENA_PROBE, model, "apply", env=env, timeout=120)
    assert applied.stdout.strip().splitlines()[-1] == "|".join(["arenas capped at 2"] * 3)
    assert applied.stderr.count("Arena ") == 2
    loaded = fresh_python(ARENA_PROBE, model, "leave", env=env, timeout=120)
    assert loaded.stdout.strip().splitlines()[-1] == "None|None|untouched"
    assert loaded.stderr.count("Arena ") > 2
