"""Find and load models: a hub id (cached, ``HF_HUB_OFFLINE`` respected) or a local directory.

Loading never runs remote code and never unpickles arbitrary objects. A local model directory is loaded from
safetensors only: a folder whose weights are only ``pytorch_model.bin`` (a pickle, which can run code when
read) is refused with the one-line recipe to convert it. A hub id may still fall back to ``pytorch_model.bin``
when its repository has no safetensors, and then only through torch's weights-only loader, which refuses a
pickle holding anything but tensors. Broken files (a truncated ``model.safetensors``, a ``config.json`` that
is not JSON, a missing shard or tokenizer) are checked before transformers reads them and raise
:class:`ModelLoadError` with one line naming the model and the file, instead of a deep traceback; a model that
cannot be found raises :class:`ModelNotFoundError`, which says how to fetch it ahead of time.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

from beknopt.models.devices import torch_device as device_for  # noqa: F401  (beknopt info imports it from here)
from beknopt.models.errors import ModelLoadError, ModelNotFoundError

SAFE_WEIGHTS = "model.safetensors"
SAFE_WEIGHTS_INDEX = "model.safetensors.index.json"
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
# Files that carry a tokenizer's vocabulary; without one, transformers 5 quietly builds an empty tokenizer.
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "vocab.txt", "spiece.model", "sentencepiece.bpe.model",
                   "sentencepiece.model", "tokenizer.model", "source.spm", "target.spm")


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


HUB_PROBE_TIMEOUT = 3.0  # seconds: long enough for a slow link, far shorter than the hub client's retries


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT) -> bool:
    """Can a TCP connection to the hub endpoint (``HF_ENDPOINT``) be opened? One quick try, no retries."""
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    url = urlsplit(os.environ.get("HF_ENDPOINT") or constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def _in_hub_cache(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except (ValueError, OSError):
        return False


def hub_access(name: str) -> dict[str, Any]:
    """The ``from_pretrained`` keywords for hub id ``name``, decided once and fast.

    Without a reachable hub the hub client retries for half a minute before failing, or before falling back to
    its cache: so the hub is probed once first. Unreachable and cached: load from the cache only. Unreachable
    and not cached: :class:`ModelNotFoundError` at once. Offline mode (``HF_HUB_OFFLINE=1``) needs no probe.
    """
    if hub_offline() or hub_reachable():
        return {}
    if _in_hub_cache(name):
        return {"local_files_only": True}
    from huggingface_hub import constants

    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    raise ModelNotFoundError(not_found_message(name, f"the hub at {endpoint} cannot be reached"))


def not_found_message(name: str, reason: str = "") -> str:
    where = "offline mode is on (HF_HUB_OFFLINE=1) and it is not in the local cache" if hub_offline() else (
        "it is not a local directory and could not be fetched from the Hugging Face hub"
    )
    detail = f" ({reason})" if reason else ""
    return (
        f"model '{name}' not found: {where}{detail}. Pre-download it on a machine with network access with "
        f"`beknopt models download` (or `hf download {name} --local-dir DIR`) and pass the directory instead."
    )


def is_ctranslate2_dir(path: str | Path) -> bool:
    """A CTranslate2 conversion holds ``model.bin`` and no PyTorch/safetensors weights."""
    p = Path(path)
    return (p / "model.bin").is_file() and not any(
        (p / n).exists() for n in ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
    )


def model_source(name: str) -> str:
    """The local directory ``name`` names, or ``name`` as a hub id; a path-like name that is no directory is
    an error here, rather than a confusing hub lookup of "./models/x"."""
    local = Path(name).expanduser()
    if local.is_dir():
        return str(local)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelNotFoundError(f"model directory '{name}' does not exist")
    return name


def one_line(text: str, limit: int = 160) -> str:
    """``text`` on one line (whitespace runs collapsed); past ``limit`` characters, its first sentence only."""
    text = " ".join(text.split())
    if len(text) > limit and ". " in text:
        text = text.split(". ", 1)[0]
    return text


def _safetensors_detail(exc: BaseException) -> str:
    return first_line(exc).removeprefix("Error while deserializing header: ")


def check_json_files(name: str, directory: Path) -> None:
    """Every top-level ``*.json`` of a local model must parse: transformers' own errors do not say which file
    was broken, and a broken ``generation_config.json`` is even skipped silently (the card's defaults lost)."""
    for path in sorted(directory.glob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelLoadError(f"model '{name}': {path.name} is not valid JSON ({first_line(exc)}); "
                                 "the file is damaged or truncated, copy or download the model again") from exc
        except OSError as exc:
            raise ModelLoadError(f"model '{name}': {path.name} cannot be read ({exc.strerror or exc})") from exc


def check_config_files(name: str, directory: Path) -> None:
    """A local directory needs a readable ``config.json``; all its JSON files must parse."""
    if not (directory / "config.json").is_file():
        raise ModelLoadError(f"model '{name}': config.json is missing, so '{directory}' is not a Hugging Face "
                             "model directory (expected config.json, tokenizer files and model.safetensors)")
    check_json_files(name, directory)


def _check_safetensors(name: str, path: Path) -> None:
    """Open the file's header: a truncated or damaged file fails here, before any tensor is read."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt"):
            pass
    except SafetensorError as exc:
        raise ModelLoadError(f"model '{name}': {path.name} is damaged or truncated (safetensors: "
                             f"{_safetensors_detail(exc)}); copy or download the model again") from exc
    except OSError as exc:
        raise ModelLoadError(f"model '{name}': {path.name} cannot be read ({exc.strerror or exc})") from exc


def check_weight_files(name: str, directory: Path) -> None:
    """Safetensors only, whole, and every shard the index lists present; a pickle-only folder is refused."""
    if (directory / SAFE_WEIGHTS).is_file():
        _check_safetensors(name, directory / SAFE_WEIGHTS)
        return
    if (directory / SAFE_WEIGHTS_INDEX).is_file():
        index = json.loads((directory / SAFE_WEIGHTS_INDEX).read_text(encoding="utf-8"))  # parsed already
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelLoadError(f"model '{name}': {SAFE_WEIGHTS_INDEX} has no weight_map; copy or download "
                                 "the model again")
        for shard in sorted(set(map(str, weight_map.values()))):
            path = directory / shard
            if not path.is_file():
                raise ModelLoadError(f"model '{name}': {shard}, listed in {SAFE_WEIGHTS_INDEX}, is missing; "
                                     "copy or download the model again")
            _check_safetensors(name, path)
        return
    pickled = next((n for n in PICKLE_WEIGHTS if (directory / n).is_file()), None)
    if pickled:
        raise ModelLoadError(
            f"model '{name}': only {pickled} found, and beknopt loads local models from {SAFE_WEIGHTS} only "
            "(a .bin file is a pickle, which can run code when read); convert it once with transformers: "
            f"AutoModelForSeq2SeqLM.from_pretrained(DIR, use_safetensors=False).save_pretrained(DIR) writes "
            f"{SAFE_WEIGHTS} beside it"
        )
    raise ModelLoadError(f"model '{name}': no weights, {SAFE_WEIGHTS} is missing from '{directory}'; copy or "
                         "download the model again")


def has_tokenizer_files(directory: Path) -> bool:
    return any((directory / n).is_file() for n in TOKENIZER_FILES) or any(directory.glob("*.spm"))


def check_tokenizer_files(name: str, directory: Path) -> None:
    if not has_tokenizer_files(directory):
        raise ModelLoadError(f"model '{name}': no tokenizer files (tokenizer.json, vocab.json or a sentencepiece "
                             "model) in the directory; copy them from the original model")


def check_model_dir(name: str, directory: Path) -> None:
    """All checks on a local Hugging Face model directory, each failing with one line that names the file."""
    check_config_files(name, directory)
    check_weight_files(name, directory)
    check_tokenizer_files(name, directory)


def _hub_weights_file(name: str) -> str:
    """Which weights file transformers read for hub id ``name``: safetensors when it is in the cache."""
    try:
        from huggingface_hub import try_to_load_from_cache

        for filename in (SAFE_WEIGHTS, SAFE_WEIGHTS_INDEX):
            if isinstance(try_to_load_from_cache(name, filename), str):
                return filename
    except (ImportError, ValueError, OSError):
        pass
    return PICKLE_WEIGHTS[0]


def weights_error(name: str, exc: BaseException, *, local: bool) -> ModelLoadError:
    """The one-line error for what reading weights raised: a safetensors header error, the weights-only
    unpickler's refusal, or torch's reader error (a truncated zip archive, say)."""
    from safetensors import SafetensorError

    file = SAFE_WEIGHTS if local else _hub_weights_file(name)
    again = "copy or download the model again" if local else (
        f"remove it with `hf cache rm model/{name}` and download it again with `beknopt models download`")
    if isinstance(exc, SafetensorError):
        return ModelLoadError(f"model '{name}': {file} is damaged or truncated (safetensors: "
                              f"{_safetensors_detail(exc)}); {again}")
    if isinstance(exc, pickle.UnpicklingError):
        return ModelLoadError(
            f"model '{name}': {PICKLE_WEIGHTS[0]} was refused: it holds more than plain tensors, and beknopt only "
            "reads weights with torch's weights-only loader because a pickle can run code; use a copy of the "
            f"model with {SAFE_WEIGHTS} weights"
        )
    return ModelLoadError(f"model '{name}': {file} could not be loaded ({one_line(str(exc))}); if the "
                          f"file is damaged or truncated, {again}")


def load_seq2seq(name: str, *, device: str, dtype: Any) -> tuple[Any, Any]:
    """Load tokenizer and seq2seq model from a local dir or hub id, with errors that name the model and file.

    A local directory is checked file by file first (see the module docstring) and read with
    ``use_safetensors=True``; a hub id keeps transformers' default (safetensors when the repository has them,
    else ``pytorch_model.bin`` through the weights-only loader).
    """
    from safetensors import SafetensorError
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    source = model_source(name)
    local = Path(source).is_dir()
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    if local:
        check_config_files(name, Path(source))
    else:
        kwargs.update(hub_access(name))
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
    except OSError as exc:
        if local:
            raise ModelLoadError(f"model '{name}': config.json cannot be read ({first_line(exc)})") from exc
        raise ModelNotFoundError(not_found_message(name, first_line(exc))) from exc
    except ValueError as exc:
        raise ModelLoadError(f"model '{name}': unsupported or broken config: {first_line(exc)}") from exc
    if not getattr(config, "is_encoder_decoder", False):
        raise ModelLoadError(
            f"model '{name}' is a {type(config).__name__} model, not a sequence-to-sequence (encoder-decoder) "
            "model such as Marian, BART or PEGASUS"
        )
    if local:
        check_weight_files(name, Path(source))
        check_tokenizer_files(name, Path(source))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    except OSError as exc:
        if not local:
            raise ModelNotFoundError(not_found_message(name, first_line(exc))) from exc
        raise ModelLoadError(f"model '{name}': the tokenizer files cannot be read ({first_line(exc)})") from exc
    except (ValueError, RuntimeError, TypeError) as exc:
        # sentencepiece names the file in its message ("could not parse ModelProto from .../source.spm").
        raise ModelLoadError(f"model '{name}': the tokenizer files are damaged or incomplete "
                             f"({one_line(str(exc))}); copy or download the model again") from exc
    try:
        model = AutoModelForSeq2SeqLM.from_pretrained(
            source, dtype=dtype, use_safetensors=True if local else None, **kwargs
        )
    except OSError as exc:
        if local:
            raise ModelLoadError(f"model '{name}': the weights cannot be read ({first_line(exc)})") from exc
        raise ModelNotFoundError(not_found_message(name, first_line(exc))) from exc
    except (SafetensorError, pickle.UnpicklingError, EOFError, RuntimeError) as exc:
        raise weights_error(name, exc, local=local) from exc
    model.to(device)
    model.eval()
    return tokenizer, model


def model_context(config: Any, tokenizer: Any) -> int:
    """The longest input the model accepts, in tokens: position embeddings bound it (when ``config`` is given),
    the tokenizer may too; 512 when neither says."""
    limits = [getattr(config, "max_position_embeddings", None)]
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
        limits.append(tok_max)
    values = [v for v in limits if isinstance(v, int) and v > 0]
    return min(values) if values else 512


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
