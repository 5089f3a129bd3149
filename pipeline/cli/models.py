"""``beknopt models list`` (presets, licences), ``models download`` (hub snapshots for offline use) and
``models tiny`` (demo models)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from beknopt.cli.common import EXIT_FAILED, EXIT_OK, error, print_help
from beknopt.cli.util import ArgumentParser

__all__ = ["add_models_parser", "list_models", "models_to_download", "to_safetensors"]


def add_models_parser(sub: Any) -> None:
    models = sub.add_parser("models", help="download models ahead of time, or build tiny demo models")
    models_sub = models.add_subparsers(dest="models_command", parser_class=ArgumentParser, metavar="ACTION")
    listing = models_sub.add_parser(
        "list", help="the translation and summarisation presets, their licences, sizes and scores",
        description="The models beknopt knows by name: each preset's hub id, licence (non-commercial ones are "
        "marked), download size and published scores.")
    listing.set_defaults(handler=_cmd_list)
    download = models_sub.add_parser(
        "download", help="pre-fetch models for offline use",
        description="Download the translation model and summarisation preset(s) into the Hugging Face cache "
        "(or --dir), so later runs work with HF_HUB_OFFLINE=1.")
    download.add_argument("--preset", choices=("fast", "balanced", "best", "all"), default=None,
                          help="summarisation preset(s) to fetch (default: balanced)")
    download.add_argument("--translation-preset", choices=("fast", "balanced", "best", "all"), default=None,
                          help="translation preset(s) to fetch (default: fast, Helsinki-NLP/opus-mt-nl-en)")
    download.add_argument("--translation-model", metavar="MODEL", help="translation model or preset (default: "
                          "Helsinki-NLP/opus-mt-nl-en)")
    download.add_argument("--summarization-model", metavar="MODEL", action="append",
                          help="summarisation model instead of the preset (repeatable)")
    download.add_argument("--dir", metavar="DIR", type=Path,
                          help="download into DIR/<org>/<name> instead of the cache; pass those folders to run")
    download.set_defaults(handler=_cmd_download)
    tiny = models_sub.add_parser(
        "tiny", help="build tiny random demo models (offline, seconds)",
        description="Build a tiny random Marian translator and BART summariser: gibberish output, but every "
        "code path runs, offline. For a first try of the CLI and for tests.")
    tiny.add_argument("dir", metavar="DIR", type=Path)
    tiny.set_defaults(handler=_cmd_tiny)
    models.set_defaults(handler=lambda ns: print_help(models))


IGNORED_FILES = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "onnx/*", "rust_model*", "*.tflite", "coreml/*",
                 "flax_model*", "tf_model*"]


def _repo_files(model: str) -> list[str]:
    from huggingface_hub import HfApi

    return list(HfApi().list_repo_files(model))


def _snapshot(model: str, local_dir: Path | None) -> str:
    """Fetch one model, weights as safetensors when the repository has them (then skip the .bin copies)."""
    from huggingface_hub import snapshot_download

    ignore = list(IGNORED_FILES)
    if any(name.endswith(".safetensors") for name in _repo_files(model)):
        ignore += ["*.bin", "*.pt"]
    kwargs: dict[str, Any] = {"repo_id": model, "ignore_patterns": ignore}
    if local_dir is not None:
        kwargs["local_dir"] = str(local_dir)
    path = str(snapshot_download(**kwargs))
    if local_dir is not None:
        to_safetensors(Path(path))
    return path


def to_safetensors(folder: Path) -> bool:
    """Give a downloaded folder that has only ``pytorch_model.bin`` a ``model.safetensors``.

    beknopt loads local folders from safetensors only; the pickle is read once here, with torch's weights-only
    loader (which refuses anything but tensors), on the machine that downloaded it. True when it converted.
    """
    from beknopt.models.loading import PICKLE_WEIGHTS, SAFE_WEIGHTS, SAFE_WEIGHTS_INDEX

    if (folder / SAFE_WEIGHTS).exists() or (folder / SAFE_WEIGHTS_INDEX).exists():
        return False
    if not any((folder / name).is_file() for name in PICKLE_WEIGHTS):
        return False
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(str(folder), use_safetensors=False, trust_remote_code=False)
    model.save_pretrained(str(folder))
    print(f"  {folder.name}: wrote {SAFE_WEIGHTS} (beknopt reads local folders from safetensors only)")
    return True


def models_to_download(preset: str | None, translation_model: str | None,
                       summarization_models: Sequence[str] | None, translation_preset: str | None = None
                       ) -> list[str]:
    """The translation model(s) plus the chosen summariser(s): explicit models, else the presets (translation
    fast, summarisation balanced)."""
    from beknopt.models.registry import (
        DEFAULT_SUMMARY_PRESET,
        SUMMARY_PRESETS,
        TRANSLATION_PRESETS,
        resolve_translation_model,
    )

    if translation_preset == "all":
        models = list(TRANSLATION_PRESETS.values())
    else:
        models = [resolve_translation_model(translation_model or translation_preset)]
    if translation_model and translation_preset:
        models.append(resolve_translation_model(translation_model))
    if summarization_models:
        models += [SUMMARY_PRESETS.get(m, m) for m in summarization_models]
    if preset == "all":
        models += list(SUMMARY_PRESETS.values())
    elif preset is not None or not summarization_models:
        models.append(SUMMARY_PRESETS[preset or DEFAULT_SUMMARY_PRESET])
    return list(dict.fromkeys(models))


def _cmd_download(ns: argparse.Namespace) -> int:
    from beknopt.models.loading import hub_offline
    from beknopt.models.registry import MODEL_SIZES_MB

    models = models_to_download(ns.preset, ns.translation_model, ns.summarization_model, ns.translation_preset)
    if hub_offline():
        error("cannot download models: offline mode is on (HF_HUB_OFFLINE=1). Run `beknopt models download` "
               "with network access (HF_HUB_OFFLINE unset), then copy the Hugging Face cache or the --dir "
               f"folder to this machine. Models: {', '.join(models)}")
        return EXIT_FAILED
    failed = 0
    paths: dict[str, str] = {}
    for model in models:
        if Path(model).expanduser().is_dir():
            print(f"{model}: a local folder, nothing to download")
            paths[model] = model
            continue
        size = MODEL_SIZES_MB.get(model)
        print(f"downloading {model}" + (f" (about {size} MB)" if size else "") + " ...", flush=True)
        target = ns.dir / model if ns.dir is not None else None
        try:
            paths[model] = _snapshot(model, target)
        except Exception as exc:  # noqa: BLE001 - network, auth or not-found errors of the hub client, reported
            failed += 1
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error(f"cannot download {model}: {type(exc).__name__}: {first} (check the model id and the network)")
            continue
        print(f"  -> {paths[model]}")
    if ns.dir is not None and paths:
        translation, *summaries = [paths[m] for m in models if m in paths]
        hint = f"--translation-model {translation}" + (f" --summarization-model {summaries[0]}" if summaries else "")
        print(f"use them with: beknopt run INPUT -o OUTDIR {hint}")
    return EXIT_FAILED if failed else EXIT_OK


def list_models() -> list[dict[str, Any]]:
    """One row per preset: stage, preset, model, licence, commercial use, size in MB, scores."""
    from beknopt.models.presets import MODEL_SIZES_MB, MODELS, SUMMARY_PRESETS, TRANSLATION_PRESETS, ModelInfo

    rows = []
    for stage, presets in (("translation", TRANSLATION_PRESETS), ("summarization", SUMMARY_PRESETS)):
        for preset, model in presets.items():
            info = MODELS.get(model, ModelInfo("unknown"))
            rows.append({"stage": stage, "preset": preset, "model": model, "licence": info.licence,
                         "commercial": info.commercial, "size_mb": MODEL_SIZES_MB.get(model),
                         "scores": info.scores})
    return rows


def _cmd_list(ns: argparse.Namespace) -> int:
    from beknopt.models.presets import DEFAULT_SUMMARY_PRESET, DEFAULT_TRANSLATION_PRESET

    defaults = {"translation": DEFAULT_TRANSLATION_PRESET, "summarization": DEFAULT_SUMMARY_PRESET}
    for row in list_models():
        default = " (default)" if defaults[row["stage"]] == row["preset"] else ""
        licence = row["licence"] + ("" if row["commercial"] else ", NON-COMMERCIAL")
        size = f"~{row['size_mb']:>5} MB" if row["size_mb"] else "      ? MB"
        print(f"{row['stage']:<13} {row['preset'] + default:<18} {row['model']:<38} {size}  {licence:<28} "
              f"{row['scores']}")
    print("use a preset with --translation-model PRESET / --summarization-model PRESET; fetch it ahead of time "
          "with `beknopt models download --translation-preset PRESET` / `--preset PRESET`")
    return EXIT_OK


def _cmd_tiny(ns: argparse.Namespace) -> int:
    from beknopt.models.tiny import build_tiny_models

    translation, summarization = build_tiny_models(ns.dir)
    print(f"translation model:   {translation}")
    print(f"summarization model: {summarization}")
    print("random weights: the output is gibberish, but every step runs. Try:")
    print(f"  beknopt run ARTICLES -o out --translation-model {translation} "
          f"--summarization-model {summarization} --device cpu")
    return EXIT_OK
