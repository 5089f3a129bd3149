"""Convert a Hugging Face seq2seq checkpoint into a CTranslate2 model directory (``beknopt convert``).

This wraps CTranslate2's official ``TransformersConverter`` and adds what beknopt needs next to ``model.bin``:
the Hugging Face tokenizer (``count_tokens`` must count exactly as the reference backend does) and
``beknopt_ct2.json`` with the facts the converter drops (context length, forced BOS token, the model card's
generation defaults), so a converted directory loads on its own, offline.

transformers 5 removed ``BartConfig.normalize_before`` (BART is always post-norm), which CTranslate2 4.x's
BART/PEGASUS loaders still read; ``_Converter`` restores the old default before the official loader runs. Nor
does transformers 5 list M2M-100's ``__xx__`` language tokens in ``get_vocab()``, so CTranslate2's M2M-100 loader
would build a vocabulary 100 tokens short: ``_Converter`` gives it the full one. Which family a model belongs to
(``beknopt.models.families``) is detected again at load time from the config class recorded here.
The conversion cache used by ``backend="ctranslate2"`` lives here too: conversions are written into a temporary
directory beside the target and renamed into place, so an interrupted run never leaves a half-written model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from beknopt.cli.util import ArgumentParser, UsageError
from beknopt.document import BeknoptError
from beknopt.models.devices import require_ctranslate2
from beknopt.models.errors import ConversionError, ModelLoadError, ModelNotFoundError
from beknopt.models.loading import (
    check_model_dir,
    first_line,
    hub_access,
    is_ctranslate2_dir,
    model_context,
    model_source,
    not_found_message,
    weights_error,
)
from beknopt.models.presets import card_defaults

QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16",
                 "float32")
METADATA_FILE = "beknopt_ct2.json"
# Generation defaults worth carrying over: CTranslate2 has no generation_config, so "model default" comes from here.
_GENERATION_KEYS = ("num_beams", "no_repeat_ngram_size", "length_penalty", "repetition_penalty",
                    "forced_bos_token_id", "decoder_start_token_id")
# Architectures whose CTranslate2 loader we have checked end to end against the transformers backend.
SUPPORTED_CONFIGS = ("MarianConfig", "BartConfig", "PegasusConfig", "M2M100Config", "T5Config")


def _converter_class() -> Any:
    from ctranslate2.converters import TransformersConverter

    class _Converter(TransformersConverter):
        """Official converter plus the transformers-5 config defaults it still expects."""

        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            config = kwargs.get("config")
            if config is not None and not hasattr(config, "normalize_before"):
                # BART/PEGASUS: transformers 4 stored normalize_before (False for BART, True for PEGASUS).
                config.normalize_before = type(config).__name__ == "PegasusConfig"
            if type(config).__name__ == "PegasusConfig" and not hasattr(config, "normalize_embedding"):
                config.normalize_embedding = False  # PEGASUS has no embedding layer norm (read as True if absent)
            return super().load_model(model_class, model_name_or_path, **kwargs)

        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            languages = getattr(tokenizer, "lang_token_to_id", None)
            if languages and not set(languages) <= set(tokenizer.get_vocab()):  # M2M100Tokenizer in transformers 5
                full = {**tokenizer.get_vocab(), **languages}
                tokenizer.get_vocab = lambda: full
            return tokenizer

    return _Converter


def convert(model: str, output_dir: str | Path, *, quantization: str = "int8", force: bool = False) -> Path:
    """Convert ``model`` (hub id or local dir) into ``output_dir`` with weights stored as ``quantization``."""
    if quantization not in QUANTIZATIONS:
        raise ConversionError(f"unknown quantization '{quantization}': choose one of {', '.join(QUANTIZATIONS)}")
    require_ctranslate2()
    source = model_source(model)
    if Path(source).is_dir():
        source = str(Path(source).resolve())
    out = Path(output_dir)
    if out.exists() and any(out.iterdir()) and not force:
        raise ConversionError(f"output directory '{out}' exists and is not empty; pass --force to overwrite")
    if Path(source).is_dir() and is_ctranslate2_dir(source):
        raise ConversionError(f"'{model}' is already a CTranslate2 model; load it directly")
    if Path(source).is_dir():
        check_model_dir(model, Path(source))  # one clear line for a damaged or pickle-only folder
    elif hub_access(model).get("local_files_only"):  # hub unreachable, model cached: convert the cached copy
        from huggingface_hub import snapshot_download

        source = snapshot_download(model, local_files_only=True)

    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=False)
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
    except OSError as exc:
        raise ModelNotFoundError(not_found_message(model, first_line(exc))) from exc
    except ValueError as exc:
        raise ModelLoadError(f"model '{model}': unsupported or broken config: {exc}") from exc
    kind = type(config).__name__
    if kind not in SUPPORTED_CONFIGS:
        raise ConversionError(
            f"model '{model}' is a {kind}; the ctranslate2 backend supports {', '.join(SUPPORTED_CONFIGS)}"
        )
    try:
        generation_config = GenerationConfig.from_pretrained(source)
    except OSError:  # older checkpoints keep their generation defaults in config.json
        generation_config = GenerationConfig.from_model_config(config)
    generation = generation_config.to_dict()

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        try:
            _converter_class()(source).convert(str(tmp), quantization=quantization, force=True)
        except SafetensorError as exc:
            raise weights_error(model, exc, local=Path(source).is_dir()) from exc
        except (ValueError, KeyError, AttributeError, NotImplementedError, RuntimeError) as exc:
            raise ConversionError(f"CTranslate2 could not convert '{model}' ({kind}): {exc}") from exc
        tokenizer.save_pretrained(tmp)
        meta = {
            "source_model": model,
            "architecture": (getattr(config, "architectures", None) or [kind])[0],
            "config_class": kind,
            "quantization": quantization,
            "max_input_tokens": model_context(config, tokenizer),
            "forced_bos_token": _token(tokenizer, generation.get("forced_bos_token_id",
                                                                 getattr(config, "forced_bos_token_id", None))),
            "forced_eos_token": _token(tokenizer, generation.get("forced_eos_token_id",
                                                                 getattr(config, "forced_eos_token_id", None))),
            "generation": {k: generation[k] for k in _GENERATION_KEYS if generation.get(k) is not None},
            "card": card_defaults(generation_config.to_diff_dict(), generation),
            "ctranslate2_version": require_ctranslate2().__version__,
        }
        (tmp / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _token(tokenizer: Any, token_id: Any) -> str | None:
    return tokenizer.convert_ids_to_tokens(int(token_id)) if isinstance(token_id, int) else None


def cache_root() -> Path:
    """``$BEKNOPT_CACHE/ct2``, else ``$XDG_CACHE_HOME/beknopt/ct2``, else ``~/.cache/beknopt/ct2``."""
    if os.environ.get("BEKNOPT_CACHE"):
        return Path(os.environ["BEKNOPT_CACHE"]).expanduser() / "ct2"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "beknopt" / "ct2"


def cache_key(model: str, quantization: str) -> str:
    """Hash of the model (resolved path plus weight-file stamps for a local dir, else the hub id) and settings.

    Stamps make a rebuilt local checkpoint miss the cache instead of silently serving the old conversion.
    """
    local = Path(model).expanduser()
    parts = [str(local.resolve()) if local.is_dir() else model, quantization]
    if local.is_dir():
        for name in sorted(p.name for p in local.iterdir() if p.suffix in {".safetensors", ".bin", ".json"}):
            stat = (local / name).stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    parts.append(require_ctranslate2().__version__)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def cached_conversion(model: str, quantization: str = "int8") -> Path:
    """The converted directory for ``model``, converting it into the cache on first use."""
    target = cache_root() / cache_key(model, quantization)
    if is_ctranslate2_dir(target) and (target / METADATA_FILE).is_file():
        return target
    return convert(model, target, quantization=quantization, force=True)


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="beknopt convert",
                description="Convert a Hugging Face Marian/BART/PEGASUS/M2M-100/NLLB/T5 model for the fast ctranslate2 "
                "backend.")
    p.add_argument("model", help="hub id (e.g. Helsinki-NLP/opus-mt-nl-en) or local model directory")
    p.add_argument("outdir", help="directory to write the CTranslate2 model to")
    p.add_argument("--quantization", "-q", default="int8", choices=QUANTIZATIONS,
                   help="weight type: int8 for CPU (default), int8_float16 or float16 for a GPU, float32 exact")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty output directory")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``beknopt convert MODEL OUTDIR``: 0 on success, 1 when conversion fails, 2 for usage errors and a model
    that is missing or broken (as ``beknopt run``)."""
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
    except UsageError as exc:
        print(f"beknopt convert: error: {exc}", file=sys.stderr)
        return 2
    try:
        out = convert(args.model, args.outdir, quantization=args.quantization, force=args.force)
    except (ModelNotFoundError, ModelLoadError) as exc:
        print(f"beknopt convert: error: {exc}", file=sys.stderr)
        return 2
    except BeknoptError as exc:
        print(f"beknopt convert: error: {exc}", file=sys.stderr)
        return 1
    print(f"converted {args.model} -> {out} ({args.quantization})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
