"""``beknopt info``: versions, device, allocator setting, model cache and which known models are cached."""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path
from typing import Any

from beknopt import __version__
from beknopt.cli.common import EXIT_OK

__all__ = ["add_info_parser", "collect_info"]


def add_info_parser(sub: Any) -> None:
    info = sub.add_parser("info", help="versions, device, model cache location")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=_cmd_info)


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _device_info() -> dict[str, Any]:
    try:
        import torch
    except ImportError as exc:
        return {"device": None, "error": f"torch cannot be imported: {exc}"}
    from beknopt.models.allocator import malloc_status
    from beknopt.models.loading import device_for

    device = device_for("auto")
    info: dict[str, Any] = {"device": device, "cuda_available": torch.cuda.is_available()}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    info["cpu_threads"] = torch.get_num_threads()
    info["cpu_malloc_tuning"] = malloc_status()
    return info


def collect_info() -> dict[str, Any]:
    """What ``beknopt info`` reports, as data."""
    from beknopt.models.loading import hub_offline
    from beknopt.models.registry import (
        DEFAULT_SUMMARY_PRESET,
        DEFAULT_TRANSLATION_MODEL,
        MODEL_SIZES_MB,
        SUMMARY_PRESETS,
    )

    try:
        from huggingface_hub import constants

        cache = str(constants.HF_HUB_CACHE)
    except ImportError:
        cache = None
    roles = {DEFAULT_TRANSLATION_MODEL: "translation (default)"}
    roles.update({m: f"summarisation preset {p}" + (" (default)" if p == DEFAULT_SUMMARY_PRESET else "")
                  for p, m in SUMMARY_PRESETS.items()})
    models = []
    for model, size in MODEL_SIZES_MB.items():
        cached = cache is not None and (Path(cache) / f"models--{model.replace('/', '--')}" / "snapshots").is_dir()
        models.append({"model": model, "size_mb": size, "role": roles.get(model, ""), "cached": cached})
    return {
        "versions": {"beknopt": __version__, "python": platform.python_version(),
                     **{p: _version(p) for p in ("torch", "transformers", "ctranslate2", "huggingface_hub")}},
        **_device_info(),
        "hf_cache": cache,
        "hf_hub_offline": hub_offline(),
        "models": models,
    }


def _cmd_info(ns: argparse.Namespace) -> int:
    info = collect_info()
    if ns.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    for name, version in info["versions"].items():
        print(f"{name + ':':17}{version or 'not installed'}")
    device = info.get("device") or f"unavailable ({info.get('error')})"
    if info.get("gpu"):
        device += f" ({info['gpu']}, CUDA {info.get('cuda')})"
    print(f"{'device:':17}{device}")
    if "cpu_malloc_tuning" in info:
        print(f"{'CPU malloc:':17}{info['cpu_malloc_tuning']}")
    print(f"{'model cache:':17}{info['hf_cache']}")
    offline = "on: models load only from the cache or local folders" if info["hf_hub_offline"] else "off"
    print(f"{'HF_HUB_OFFLINE:':17}{offline}")
    print("known models:")
    for m in info["models"]:
        state = "cached" if m["cached"] else "not cached"
        print(f"  {m['model']:34} ~{m['size_mb']:>5} MB  {state:10}  {m['role']}")
    return EXIT_OK
