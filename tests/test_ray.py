"""``--engine ray``: a local Ray instance (2 CPUs) must give exactly the local engine's results and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import make_mixed_folder, read_jsonl

from beknopt.cli import main

pytest.importorskip("ray.data", reason='the Ray engine is an extra: pip install "beknopt[ray]"')
pytestmark = pytest.mark.slow


def _comparable(record: dict) -> dict:
    """A record without what legitimately differs between two runs (wall-clock timings)."""
    return {k: v for k, v in record.items() if k != "timings"}


@pytest.fixture
def model_args(model_args: list[str]) -> list[str]:
    """conftest's tiny-model flags, plus small files and batches so the window splits the mixed folder."""
    return [*model_args, "--max-bytes", "4k", "--batch-size", "3", "-q"]


def test_ray_engine_matches_local_engine_and_resumes(tmp_path: Path, capsys, model_args) -> None:
    import torch

    threads = torch.get_num_threads()
    folder = make_mixed_folder(tmp_path / "in")
    local, distributed = tmp_path / "local", tmp_path / "ray"
    try:
        code_local = main(["run", str(folder), "-o", str(local), *model_args])
        line_local = capsys.readouterr().out.strip().splitlines()[-1]
        code_ray = main(["run", str(folder), "-o", str(distributed), "--engine", "ray", "--workers", "2",
                         "--ray-window", "8", *model_args])
        line_ray = capsys.readouterr().out.strip().splitlines()[-1]
        assert (code_ray, line_ray) == (code_local, line_local) == (1, "9 done, 1 skipped, 10 failed")
        results_local = [_comparable(r) for r in read_jsonl(local / "results.jsonl")]
        results_ray = [_comparable(r) for r in read_jsonl(distributed / "results.jsonl")]
        assert [r["id"] for r in results_ray] == [r["id"] for r in results_local]
        assert results_ray == results_local
        assert read_jsonl(distributed / "errors.jsonl") == read_jsonl(local / "errors.jsonl")
        per_article = sorted(p.relative_to(distributed).as_posix() for p in distributed.rglob("*.json"))
        assert per_article == sorted(p.relative_to(local).as_posix() for p in local.rglob("*.json"))
        # a re-run on the Ray engine skips the finished articles and retries only the failed ones
        before = {p: p.stat().st_mtime_ns for p in distributed.rglob("*.json") if ".beknopt" not in p.parts}
        code_again = main(["run", str(folder), "-o", str(distributed), "--engine", "ray", "--workers", "2",
                           *model_args])
        assert code_again == 1
        assert capsys.readouterr().out.strip().splitlines()[-1] == "0 done, 10 skipped, 10 failed"
        assert {p: p.stat().st_mtime_ns for p in before} == before
        assert json.loads((distributed / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])["id"] == \
            results_local[0]["id"]
    finally:
        torch.set_num_threads(threads)


def test_missing_ray_is_a_clear_usage_error(tmp_path: Path, capsys, model_args, monkeypatch) -> None:
    import sys

    for name in ("ray", "ray.data"):  # None in sys.modules makes every import of it fail, as if not installed
        monkeypatch.setitem(sys.modules, name, None)
    folder = make_mixed_folder(tmp_path / "in")
    code = main(["run", str(folder), "-o", str(tmp_path / "out"), "--engine", "ray", *model_args])
    assert code == 2
    assert 'pip install "beknopt[ray]"' in capsys.readouterr().err


def test_python_api_ray_engine_gives_the_same_results(tiny_pipeline) -> None:
    from beknopt.engine.ray import RaySettings

    texts = ["Het kabinet besloot woensdag iets.", "", "Duitsland blijft Irak helpen. Dat zei de minister."]
    local = [_comparable(r.to_dict()) for r in tiny_pipeline.run_many(texts, batch_size=2)]
    distributed = [_comparable(r.to_dict()) for r in
                   tiny_pipeline.run_many(texts, batch_size=2, engine="ray", ray=RaySettings(workers=1, window=2))]
    assert distributed == local
    assert [r["error"] is None for r in distributed] == [True, False, True]


def test_pipeline_factory_rebuilds_from_pretrained_or_ships_itself(tiny_pipeline) -> None:
    import pickle

    from beknopt import Pipeline

    rebuilt = pickle.loads(pickle.dumps(tiny_pipeline.factory()))()
    assert rebuilt is not tiny_pipeline and rebuilt.fingerprint() == tiny_pipeline.fingerprint()
    custom = Pipeline(tiny_pipeline.stages[:2])
    assert custom.factory()() is custom


def test_batch_runner_hands_the_ray_engine_a_whole_window(tiny_pipeline, tmp_path: Path) -> None:
    """--ray-window sets how many articles go to the actors at once, not the pipeline's batch size."""
    from beknopt.batch import BatchOptions, BatchRunner
    from beknopt.engine.ray import RayEngine, RaySettings

    engine = RayEngine(tiny_pipeline.factory(), RaySettings(window=37), batch_size=tiny_pipeline.batch_size)
    assert engine.window == 37 != tiny_pipeline.batch_size
    runner = BatchRunner(tiny_pipeline, BatchOptions(output=tmp_path / "out"), engine=engine)
    assert runner._batch_size == 37
    assert BatchRunner(tiny_pipeline, BatchOptions(output=tmp_path / "out2"))._batch_size == tiny_pipeline.batch_size


def test_no_cluster_at_auto_is_explained_with_beknopts_own_flags() -> None:
    from beknopt.document import BeknoptError
    from beknopt.engine.ray import RayEngine, RaySettings

    engine = RayEngine(lambda: None, RaySettings(address="auto"))
    with pytest.raises(BeknoptError) as info:
        engine.start()
    message = str(info.value)
    assert message.startswith("no running Ray cluster found: --ray-address auto joins one")
    assert "leave out --ray-address" in message and "`--address`" not in message and "RAY_ADDRESS" not in message
