"""End to end on real model output: the stored copy-trained Marian (``copy_marian``) through beknopt.

The model gives back its input, so what comes out of the translate stage is known in advance: every number and
name of a Dutch sentence must reach the check stage unchanged (no finding), and a backend wrapper that changes
one digit must produce exactly one number finding, in the result, its JSON record and its Markdown page. Both
backends run: transformers on the stored weights and CTranslate2 on a conversion of them. Nothing here trains;
the first tests fail loudly if the stored weights stop copying.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from beknopt import Pipeline, check_translation
from beknopt.batch.render import render_markdown
from beknopt.models import GenerationSettings, load_backend
from beknopt.models.tiny import flores_lines

pytestmark = pytest.mark.usefixtures("restore_torch_threads")

GREEDY = GenerationSettings(num_beams=1, max_length_ratio=2.0)
# Numbers written the same way in Dutch and English (times, years, percentages, counts under 1.000), so a copy
# agrees with its source; a Dutch thousands point or "miljoen" would be read differently in English.
ARTICLE = (
    "Om 12.30 uur opende minister Anna de Vries in Utrecht de nieuwe brug over de Waal. "
    "De brug is 840 meter lang en kostte 25 procent meer dan gepland.\n\n"
    "In 2023 reden er elke dag 64 bussen en 310 auto's over de oude brug. "
    "Volgens Rijkswaterstaat gaat de nieuwe brug 120 jaar mee."
)
SENTENCES = [
    "Om 12.30 uur opende minister Anna de Vries in Utrecht de nieuwe brug over de Waal.",
    "De brug is 840 meter lang en kostte 25 procent meer dan gepland.",
    "In 2023 reden er elke dag 64 bussen en 310 auto's over de oude brug.",
    "Volgens Rijkswaterstaat gaat de nieuwe brug 120 jaar mee.",
]
NUMBERS = ["12.30", "840", "25", "2023", "64", "310", "120"]
# What a glossary step leaves in the source: English terms and names inside Dutch sentences.
MIXED = [
    "De supply chain van ASML kwam in 2022 onder druk te staan.",
    "Volgens de Prime Minister blijft de interest rate voorlopig gelijk.",
    "Het data center van Google in Eemshaven verbruikt veel stroom.",
    "Minister Jansen sprak met de European Central Bank over climate change.",
    "De Home Office in Londen wil meer border control.",
    "Mark Rutte en Ursula von der Leyen spraken over de trade deal.",
]


def held_out_short(model_dir: Path) -> list[str]:
    """FLORES sentences of at most 15 words that the build never trained on (the last lines of each language)."""
    held_out = json.loads((model_dir / "build_report.json").read_text(encoding="utf-8"))["held_out_flores_lines"]
    lines = flores_lines("nl")[-held_out:] + flores_lines("en")[-held_out:]
    return [s for s in lines if len(s.split()) <= 15]


class OneDigitChanged:
    """The real backend, except that in outputs containing ``old`` the first ``old`` becomes ``new``: a
    translation that got one number wrong, for the check stage to catch."""

    def __init__(self, inner: Any, old: str, new: str) -> None:
        self.inner, self.old, self.new = inner, old, new

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def generate(self, texts: Sequence[str], settings: Any, batching: Any = None, **kwargs: Any) -> list[str]:
        return [out.replace(self.old, self.new, 1) for out in self.inner.generate(texts, settings, batching, **kwargs)]


@pytest.fixture(scope="module")
def model_dirs(copy_marian: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{'transformers': the stored model, 'ctranslate2': it converted (int8, the CPU default) where installed}."""
    dirs = {"transformers": copy_marian}
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return dirs
    from beknopt.models.convert import convert

    dirs["ctranslate2"] = convert(str(copy_marian), tmp_path_factory.mktemp("copy-ct2") / "int8")
    return dirs


@pytest.fixture(scope="module")
def hf_backend(copy_marian: Path) -> Any:
    return load_backend(str(copy_marian), "transformers", device="cpu", threads=1)


def wrapping_load_backend(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> list[Any]:
    """Make every backend that pipelines load a ``OneDigitChanged`` around the real one; returns those made."""
    import beknopt.models.registry as registry

    real: Callable[..., Any] = registry.load_backend
    made: list[Any] = []

    def load(*args: Any, **kwargs: Any) -> Any:
        made.append(OneDigitChanged(real(*args, **kwargs), old, new))
        return made[-1]

    monkeypatch.setattr(registry, "load_backend", load)
    return made


def copy_pipeline(model_dirs: dict[str, Path], backend: str) -> Pipeline:
    """The full pipeline on the copy model with ``backend``; a lead summary, so no second model is needed."""
    if backend not in model_dirs:
        pytest.skip(f"{backend} is not installed")
    return Pipeline.from_pretrained(str(model_dirs[backend]), summarizer="lead", lead_sentences=2, device="cpu",
                                    num_beams=2, threads=1)


def test_stored_model_is_small_safetensors_and_documented(copy_marian: Path) -> None:
    files = {p.name: p.stat().st_size for p in copy_marian.iterdir()}
    assert {"model.safetensors", "config.json", "generation_config.json", "source.spm", "target.spm", "vocab.json",
            "tokenizer_config.json", "README.md", "build_report.json"} <= set(files)
    assert not {"pytorch_model.bin", "model.bin"} & set(files)
    assert sum(files.values()) < 1_500_000
    readme = (copy_marian / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in readme and "test fixture only" in readme and "build_copy_marian.py" in readme


def test_model_copies_held_out_sentences(copy_marian: Path, hf_backend: Any) -> None:
    texts = held_out_short(copy_marian)
    assert len(texts) >= 30
    outputs = hf_backend.generate(texts, GREEDY)
    copied = sum(o == t for o, t in zip(outputs, texts, strict=True))
    assert copied >= 0.9 * len(texts), [(t, o) for t, o in zip(texts, outputs, strict=True) if o != t][:5]


def test_english_terms_and_names_inside_dutch_are_copied(hf_backend: Any) -> None:
    """What the glossary feature relies on: an English term put into the Dutch source comes out as it went in."""
    assert hf_backend.generate(MIXED, GREEDY) == MIXED


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_numbers_survive_translation(model_dirs: dict[str, Path], backend: str) -> None:
    result = copy_pipeline(model_dirs, backend)(ARTICLE, id="brug")
    assert result.ok and result.sentences == SENTENCES
    assert result.translations == SENTENCES
    assert result.checks == []
    assert not [w for w in result.warnings if w.startswith("check")]
    for number in NUMBERS:
        assert number in result.translation
    assert result.summary.startswith("Om 12.30 uur opende minister Anna de Vries")


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_one_changed_digit_is_one_number_finding(model_dirs: dict[str, Path], backend: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    made = wrapping_load_backend(monkeypatch, "840", "850")
    result = copy_pipeline(model_dirs, backend)(ARTICLE, id="brug")
    assert len(made) == 1 and made[0].inner.name == backend
    assert result.translations[1] == SENTENCES[1].replace("840", "850")
    assert [result.translations[i] for i in (0, 2, 3)] == [SENTENCES[i] for i in (0, 2, 3)]
    assert result.checks == [{"stage": "translate", "kind": "number", "sentence": 1, "source": "840",
                              "output": "850", "detail": "number changed: 840 in the source, 850 in the translation"}]
    assert [w for w in result.warnings if "840" in w] == [
        "check: sentence 2: number changed: 840 in the source, 850 in the translation"]
    record = json.loads(result.to_json())
    assert record["checks"] == result.checks
    page = render_markdown(record)
    checks = page.split("## Checks\n\n", 1)[1].split("\n\n", 1)[0]
    assert checks.strip().splitlines() == ["- sentence 2 (number): number changed: 840 in the source, "
                                           "850 in the translation"]


def test_beknopt_run_writes_the_finding_to_json_and_markdown(copy_marian: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from beknopt.cli import main

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "brug.txt").write_text(ARTICLE + "\n", encoding="utf-8")
    (src / "goed.txt").write_text(ARTICLE.replace("840", "720") + "\n", encoding="utf-8")
    wrapping_load_backend(monkeypatch, "840", "850")
    code = main(["run", str(src), "-o", str(out), "--translation-model", str(copy_marian), "--summarizer", "lead",
                 "--device", "cpu", "--beams", "1", "--threads", "1", "--format", "md"])
    assert code == 0, capsys.readouterr().err
    records = {r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(records) == {"brug.txt", "goed.txt"}
    assert records["goed.txt"]["checks"] == [] and records["goed.txt"]["translations"][1] == SENTENCES[1].replace(
        "840", "720")
    (finding,) = records["brug.txt"]["checks"]
    assert (finding["kind"], finding["sentence"], finding["source"], finding["output"]) == ("number", 1, "840", "850")
    page = (out / "brug.md").read_text(encoding="utf-8")
    assert "## Checks\n\n- sentence 2 (number): number changed: 840 in the source, 850 in the translation\n" in page
    assert "## Checks" not in (out / "goed.md").read_text(encoding="utf-8")


def test_check_translation_on_real_copies(hf_backend: Any) -> None:
    """The checks on what the model really wrote: format-neutral numbers and names agree; a Dutch thousands point
    or "miljoen" copied verbatim reads as another number in English, which is exactly what the check reports."""
    sources = [*SENTENCES, *MIXED, "Het bedrijf ontsloeg 5.200 medewerkers.", "De omzet steeg tot 3,5 miljoen euro."]
    outputs = hf_backend.generate(sources, GREEDY)
    assert outputs == sources
    assert [check_translation(s, o) for s, o in zip(sources[:-2], outputs[:-2], strict=True)] == [[]] * (
        len(sources) - 2)
    thousands, million = (check_translation(s, o) for s, o in zip(sources[-2:], outputs[-2:], strict=True))
    assert [(f.kind, f.source, f.detail) for f in thousands] == [
        ("number", "5.200", "number changed: 5200 in the source, 5.2 in the translation")]
    assert [(f.kind, f.source, f.detail) for f in million] == [
        ("number", "3,5 miljoen", "number changed: 3500000 in the source, 3.5 in the translation")]
    renamed = outputs[0].replace("Vries", "Jong")
    assert [(f.kind, f.source) for f in check_translation(sources[0], renamed)] == [("name", "Anna de Vries")]
