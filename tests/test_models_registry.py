"""The backend registry, the model error tree, device names and the process settings, mostly without a model.

Backends declare their options where they are defined; these tests hold the declarations to the code (every
common option used or ignored, defaults equal to the constructors') and the refusals to their wording.
"""

from __future__ import annotations

import pytest
from conftest import fresh_python

from beknopt.document import BeknoptError
from beknopt.engine.optional import MissingPackageError
from beknopt.models import (
    COMMON_OPTIONS,
    BackendOptionError,
    ConversionError,
    ModelError,
    ModelLoadError,
    ModelNotFoundError,
    Option,
    UnknownBackendError,
    UnknownOptionError,
    apply_process_settings,
    backend_names,
    backend_spec,
    load_backend,
    register_backend,
    resolve_backend,
)
from beknopt.models.devices import canonical_dtype, resolve_device, split_device
from beknopt.models.errors import MissingCTranslate2Error


def test_importing_the_models_package_imports_no_engine() -> None:
    probe = ("import sys, beknopt.models, beknopt.models.registry, beknopt.models.runtime\n"
             "print('torch' in sys.modules, 'ctranslate2' in sys.modules, beknopt.models.backend_names())")
    assert fresh_python(probe).stdout.split("\n")[0] == "False False ['ctranslate2', 'transformers']"


def test_model_errors_share_one_base() -> None:
    for error in (ModelNotFoundError, ModelLoadError, ConversionError, UnknownBackendError, UnknownOptionError,
                  BackendOptionError, MissingCTranslate2Error):
        assert issubclass(error, ModelError) and issubclass(error, BeknoptError)
    assert issubclass(UnknownOptionError, BackendOptionError)
    # a missing ctranslate2 stays a ConversionError for callers, and is the shared missing-package error
    assert issubclass(MissingCTranslate2Error, ConversionError) and issubclass(MissingCTranslate2Error,
                                                                               MissingPackageError)
    assert issubclass(MissingCTranslate2Error, ImportError)


def test_missing_ctranslate2_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from beknopt.models.devices import require_ctranslate2

    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # import fails as if it were not installed
    with pytest.raises(ConversionError, match="the ctranslate2 backend needs the 'ctranslate2' package: "
                                              "pip install 'beknopt\\[ct2\\]'"):
        require_ctranslate2()


@pytest.mark.parametrize("name", ["transformers", "ctranslate2"])
def test_each_backend_declares_every_common_option(name: str) -> None:
    spec = backend_spec(name)
    assert spec.name == name and spec.factory.name == name
    assert set(COMMON_OPTIONS) <= set(spec.option_names()) | set(spec.ignores)
    assert all(line.split(" ")[0].rstrip(":") in {*spec.option_names(), *spec.ignores} for line in spec.help_lines())


def test_declarations_name_what_each_backend_uses_and_ignores() -> None:
    hf, ct2 = backend_spec("transformers"), backend_spec("ctranslate2")
    languages = ["target_lang_token", "source_lang"]  # beknopt.models.families: the translation model's
    assert hf.option_names() == ["device", "dtype", "quantize", "malloc_tuning", *languages]
    assert set(hf.ignores) == {"threads", "inter_threads"}
    assert ct2.option_names() == ["device", "dtype", "quantize", "compute_type", "threads", "intra_threads",
                                  "inter_threads", "quantization", "malloc_tuning", *languages]
    assert not ct2.ignores


def test_common_options_are_passed_or_dropped_by_declaration() -> None:
    common = {"device": "cpu", "dtype": "auto", "quantize": None, "threads": 2, "inter_threads": 2,
              "malloc_tuning": False}
    assert backend_spec("transformers").select(common) == {"device": "cpu", "dtype": "auto", "quantize": None,
                                                           "malloc_tuning": False}
    assert backend_spec("ctranslate2").select({**common, "compute_type": "int8"}) == {**common,
                                                                                     "compute_type": "int8"}


def test_an_unknown_option_is_refused_naming_it_the_backend_and_what_it_accepts() -> None:
    with pytest.raises(UnknownOptionError) as info:
        backend_spec("transformers").select({"device": "cpu", "compute_type": "int8"})
    assert str(info.value) == (
        "the transformers backend has no option 'compute_type': it accepts device, dtype, quantize, malloc_tuning, "
        "target_lang_token, source_lang; it also takes the common options threads, inter_threads, which it ignores")
    with pytest.raises(UnknownOptionError, match="has no options 'thread', 'foo' \\(did you mean 'threads'\\?\\): "
                                                 "it accepts device, dtype"):
        backend_spec("ctranslate2").select({"thread": 1, "foo": 2})


def test_load_backend_refuses_an_unknown_option_before_loading_anything(tmp_path) -> None:
    with pytest.raises(UnknownOptionError, match="the ctranslate2 backend has no option 'beams'"):
        load_backend(str(tmp_path / "not-even-there"), "ctranslate2", beams=4)


@pytest.mark.parametrize(("options", "message"), [
    ({"threads": "2"}, "option 'threads' of the ctranslate2 backend must be int or None, got '2'"),
    ({"threads": True}, "option 'threads' of the ctranslate2 backend must be int or None, got True"),
    ({"malloc_tuning": None}, "option 'malloc_tuning' of the ctranslate2 backend must be bool, got None"),
])
def test_option_values_must_have_the_declared_type(options: dict, message: str) -> None:
    with pytest.raises(BackendOptionError) as info:
        backend_spec("ctranslate2").select(options)
    assert str(info.value) == message


def test_unknown_backend_is_a_model_error() -> None:
    with pytest.raises(UnknownBackendError, match="unknown backend 'onnx': choose one of auto, ctranslate2, "
                                                  "transformers"):
        resolve_backend("x", "onnx")
    with pytest.raises(UnknownBackendError, match="unknown backend 'onnx'"):
        apply_process_settings(backend="onnx", device="cpu", threads=None, inter_threads=None)


def test_resolve_backend_recognises_a_converted_directory(tmp_path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\0")
    assert resolve_backend(str(tmp_path)) == "ctranslate2"
    assert resolve_backend("Helsinki-NLP/opus-mt-nl-en") == "transformers"
    assert resolve_backend(str(tmp_path), "transformers") == "transformers"


def test_a_wrong_declaration_fails_at_registration() -> None:
    class Backend:
        name = "broken"

        def __init__(self, model: str, *, device: str = "cpu") -> None: ...

    with pytest.raises(TypeError) as info:
        register_backend("broken", options=(Option("device", str, "auto", "where"),))(Backend)
    message = str(info.value)
    assert "option 'device' defaults to 'auto', Backend to 'cpu'" in message
    assert "common option 'dtype' is neither used nor ignored" in message
    assert "broken" not in backend_names()


def test_a_backend_registered_elsewhere_is_found_by_name() -> None:
    from beknopt.models import registry

    class Echo:
        name = "echo"

        def __init__(self, model: str, *, dtype: str = "auto") -> None:
            self.model_id = model
            self.dtype = dtype

    ignores = {n: "echo has no use for it" for n in COMMON_OPTIONS if n != "dtype"}
    register_backend("echo", options=(registry.common("dtype"),), ignores=ignores)(Echo)
    try:
        backend = load_backend("m", "echo", device="cpu", dtype="float32", threads=3)
        assert (backend.model_id, backend.dtype) == ("m", "float32")
        assert "echo" in backend_names()
        assert apply_process_settings(backend="echo", device="cpu", threads=3, inter_threads=None) == {
            "backend": "echo", "malloc": "untouched"}
    finally:
        registry._SPECS.pop("echo")


@pytest.mark.parametrize(("device", "kwargs", "expected"), [
    ("auto", {"cuda_devices": 0, "mps": False}, "cpu"),
    ("auto", {"cuda_devices": 0, "mps": True}, "mps"),
    ("auto", {"cuda_devices": 2, "mps": True}, "cuda"),
    ("auto", {"cuda_devices": 0}, "cpu"),
    ("cuda:1", {"cuda_devices": 2}, "cuda:1"),
    ("mps", {"cuda_devices": 0, "mps": False}, "mps"),  # asked for by name: torch says whether it works
])
def test_device_names_resolve_the_same_way_for_both_engines(device: str, kwargs: dict, expected: str) -> None:
    assert resolve_device(device, engine="x", **kwargs) == expected


@pytest.mark.parametrize(("device", "kwargs", "message"), [
    ("tpu", {"cuda_devices": 0, "mps": False}, "unknown device 'tpu': expected auto, cpu, cuda, cuda:N or mps"),
    ("cpu:0", {"cuda_devices": 0}, "unknown device 'cpu:0': expected auto, cpu, cuda or cuda:N"),
    ("cuda", {"cuda_devices": 0}, "device 'cuda' requested but no CUDA GPU is available; use --device cpu"),
    ("cuda:2", {"cuda_devices": 2}, "device 'cuda:2' requested but x sees 2 CUDA GPU(s)"),
    ("mps", {"cuda_devices": 0}, "device 'mps' is not supported by the x backend: use auto, cpu or cuda"),
])
def test_device_names_are_refused_with_one_message(device: str, kwargs: dict, message: str) -> None:
    with pytest.raises(BackendOptionError) as info:
        resolve_device(device, engine="x", **kwargs)
    assert str(info.value).startswith(message)


def test_dtype_spellings_and_device_indices() -> None:
    assert [canonical_dtype(d) for d in ("fp32", "fp16", "bf16", "bfloat16")] == ["float32", "float16",
                                                                                  "bfloat16", "bfloat16"]
    with pytest.raises(BackendOptionError, match="unknown dtype 'int3': expected auto, float32"):
        canonical_dtype("int3")
    assert split_device("cuda:1") == ("cuda", 1) and split_device("cpu") == ("cpu", 0)


def test_ctranslate2_devices_and_compute_types() -> None:
    pytest.importorskip("ctranslate2")
    from beknopt.models.ct2 import resolve_compute_type
    from beknopt.models.devices import ctranslate2_device

    assert ctranslate2_device("cpu") == ("cpu", 0)
    with pytest.raises(BackendOptionError, match="not supported by the ctranslate2 backend"):
        ctranslate2_device("mps")
    assert resolve_compute_type("cpu") == "int8"
    assert resolve_compute_type("cpu", "fp32") == "float32"
    assert resolve_compute_type("cpu", quantize="dynamic-int8") == "int8"
    with pytest.raises(BackendOptionError, match="unknown quantisation 'int4' for the ctranslate2 backend"):
        resolve_compute_type("cpu", quantize="int4")
    with pytest.raises(BackendOptionError, match="unknown dtype 'half'"):
        resolve_compute_type("cpu", "half")


def test_inter_threads_default_and_floor() -> None:
    from beknopt.models.runtime import available_cores, decoders_for

    assert decoders_for(None, "cpu") == (2 if available_cores() >= 2 else 1)
    assert decoders_for(None, "cuda") == 1 and decoders_for(3, "cpu") == 3
    with pytest.raises(BackendOptionError, match="inter_threads must be at least 1, got 0"):
        decoders_for(0, "cpu")
