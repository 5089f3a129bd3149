"""The shape of the package: what imports what, and that the pure-Python parts stay free of torch."""

from __future__ import annotations

import pytest
from conftest import fresh_python

PURE = ["beknopt", "beknopt.split", "beknopt.cleaning", "beknopt.config", "beknopt.options", "beknopt.stage",
        "beknopt.document", "beknopt.formats.markdown", "beknopt.inputs", "beknopt.cleaning.language",
        "beknopt.eval.metrics", "beknopt.eval.harness"]


@pytest.mark.slow
def test_pure_python_parts_do_not_import_torch_or_the_models() -> None:
    code = ("import importlib, sys\n"
            f"for name in {PURE!r}: importlib.import_module(name)\n"
            "print(sorted(m for m in ('torch', 'transformers', 'ctranslate2', 'beknopt.models.hf', "
            "'beknopt.pipeline') if m in sys.modules))")
    assert fresh_python(code).stdout.strip() == "[]"


@pytest.mark.slow
def test_the_batch_runner_and_the_cli_import_without_a_cycle() -> None:
    """Each of these imported first, alone, in a fresh interpreter (an import cycle fails only in some orders)."""
    for name in ("beknopt.batch", "beknopt.batch.runner", "beknopt.inputs", "beknopt.cli", "beknopt.engine.ray",
                 "beknopt.pipeline", "beknopt.engine.runtime", "beknopt.eval.pipeline_eval"):
        assert fresh_python(f"import {name}").returncode == 0


@pytest.mark.slow
def test_the_built_wheel_holds_every_module_under_beknopt_and_no_test_data(tmp_path) -> None:
    """A plain (non-editable) install must have every sub-package; nothing generic lands at the top level, and
    the non-commercial WikiLingua fixtures never ship."""
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    src = tmp_path / "src"  # a copy: setuptools' build/ folder must not land in (or be reused from) the checkout
    for name in ("pipeline", "models", "eval", "tests"):
        shutil.copytree(root / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("beknopt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"beknopt/{p.relative_to(root / 'pipeline').as_posix()}" for p in (root / "pipeline").rglob("*.py")}
    expected |= {f"beknopt/{sub}/{p.relative_to(root / sub).as_posix()}" for sub in ("models", "eval")
                 for p in (root / sub).rglob("*.py")}
    assert expected <= names, sorted(expected - names)
    assert {n.split("/")[0] for n in names} == {"beknopt", "beknopt-0.1.0.dist-info"}
    assert not [n for n in names if "wikilingua" in n.lower() or n.startswith(("tests/", "models/", "eval/"))]
    assert any(n.startswith("beknopt/eval/data/flores200_devtest_nl_en/") for n in names)
    # the editor's page of beknopt serve ships with the package (no build step at install time)
    assert {"beknopt/serve/static/index.html", "beknopt/serve/static/app.js", "beknopt/serve/static/style.css"} <= names
