"""Shared fixtures: tiny real models built once per test session, and the project's sample articles.

Nothing here touches the network or ../shared: tokenizers are trained on the FLORES copy shipped in
``beknopt.eval`` and the sample article lives in ``tests/data``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models gain nothing from intra-op threads; one thread avoids oversubscription on shared CI cores. Set
# through the environment (read when torch is imported) so that tests of the pure-Python parts (splitting,
# cleaning, metrics) never import torch at all.
os.environ.setdefault("OMP_NUM_THREADS", "1")

DATA = Path(__file__).parent / "data"
SAMPLE_ARTICLE = DATA / "articles" / "2020-09-vs-troepen-irak.txt"


# Debian's Chromium, driven by Playwright for Python; Playwright's own browser downloads are never used.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]


def require_chromium() -> None:
    """Skip the calling test module where Debian's chromium or the playwright package is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
                    allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install "
                        "playwright)")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one test module (modules that use it call ``require_chromium()`` first)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def fresh_python(code: str, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter, for what is process-wide (which modules loaded, malloc settings)."""
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True,
                          timeout=timeout)


def flores_documents() -> list[dict]:
    path = files("beknopt.eval").joinpath("data", "flores200_devtest_nl_en", "flores200_devtest_nl_en_by_url.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def long_article(min_words: int = 3000) -> str:
    """A ~3,000-word Dutch article: FLORES documents as paragraphs, under a date header."""
    paragraphs, words = [], 0
    for doc in flores_documents():
        paragraphs.append(" ".join(s.strip() for s in doc["nl"]))
        words += sum(len(s.split()) for s in doc["nl"])
        if words >= min_words:
            break
    return "date: 2024-05-01\n\n" + "\n\n".join(paragraphs)


def check_sample_article(result) -> None:
    """What every backend must give on the sample article: header parsed, one translation per sentence, order
    and the 10 paragraphs kept, a summary."""
    assert result.ok and result.metadata == {"date": "2020-09"}
    assert result.clean_text.startswith("De Verenigde Staten zullen deze maand")
    assert len(result.paragraphs) == 10
    assert len(result.translations) == len(result.sentences) == len(result.sentence_paragraphs)
    assert result.sentence_paragraphs == sorted(result.sentence_paragraphs)
    assert set(result.sentence_paragraphs) == set(range(10))
    assert len(result.translation.split("\n\n")) == 10
    assert all(result.translations)
    assert isinstance(result.summary, str) and result.summary and result.summary_chunks >= 1


def check_long_article(result, article: str) -> None:
    """A 3,000-word article: nothing dropped by splitting, paragraphs kept, the summary map-reduced."""
    n_paragraphs = article.count("\n\n")  # header block + one separator per paragraph
    assert len(result.paragraphs) == n_paragraphs
    assert len(result.translations) == len(result.sentences) >= 100
    assert len(result.translation.split("\n\n")) == n_paragraphs
    assert " ".join(result.sentences).split() == " ".join(result.paragraphs).split()
    assert result.summary_chunks > 5
    assert any("map-reduce" in w for w in result.warnings)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(marian_dir, bart_dir): random Marian nl→en and a BART with a 128-token context, so chunking is exercised."""
    from beknopt.models.tiny import build_tiny_bart, build_tiny_marian, flores_lines

    root = tmp_path_factory.mktemp("tiny-models")
    marian = build_tiny_marian(root / "marian", flores_lines("nl"), flores_lines("en"), max_positions=128)
    bart = build_tiny_bart(root / "bart", flores_lines("en"), max_positions=128)
    return marian, bart


@pytest.fixture(scope="session")
def copy_marian() -> Path:
    """The stored ``MarianMTModel`` trained to copy its input (``tests/models/build_copy_marian.py``): real
    output in which numbers, names and inserted English terms come back unchanged, so checks can be tested."""
    path = DATA / "models" / "copy-marian"
    assert (path / "model.safetensors").is_file(), f"{path} is missing: run tests/models/build_copy_marian.py"
    return path


@pytest.fixture(scope="module")
def restore_torch_threads():
    """``--threads 1`` (fast on a busy 2-core machine) sets torch's global thread count: put it back."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def model_args(tiny_models) -> list[str]:
    """``beknopt run`` flags for the tiny models, with the smallest settings that still run every stage."""
    marian, bart = tiny_models
    return ["--translation-model", str(marian), "--summarization-model", str(bart), "--device", "cpu",
            "--beams", "1", "--max-new-tokens", "12", "--max-summary-tokens", "8", "--min-summary-tokens", "2",
            "--threads", "1"]


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_models: tuple[Path, Path]):
    from beknopt import Pipeline

    marian, bart = tiny_models
    return Pipeline.from_pretrained(
        str(marian), str(bart), device="cpu", num_beams=1, summary_num_beams=1,
        max_summary_tokens=24, min_summary_tokens=4,
    )


@pytest.fixture
def sample_article() -> str:
    return SAMPLE_ARTICLE.read_text(encoding="utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/data/golden/outputs.json from this run (review its diff)")
