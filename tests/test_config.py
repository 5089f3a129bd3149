"""The option table and config file (``beknopt.options``) and the one pipeline description (``PipelineConfig``)."""

from __future__ import annotations

import dataclasses

import pytest

from beknopt.config import PipelineConfig
from beknopt.options import RUN_OPTIONS, ConfigError, load_config, parse_bytes


def test_parse_bytes() -> None:
    assert [parse_bytes(x) for x in ("5000000", "5M", "5mb", "500k", "2MiB", "1.5K", 42)] == \
        [5_000_000, 5_000_000, 5_000_000, 500_000, 2 * 1024 * 1024, 1500, 42]
    for bad in ("", "veel", "-1", "0", "5 TB"):
        with pytest.raises(ValueError):
            parse_bytes(bad)


def test_config_file_values_are_checked_and_mapped(tmp_path) -> None:
    config = tmp_path / "beknopt.toml"
    config.write_text('beams = 2\nno_cache = true\nno_guard = false\nsummary_length = "short"\n'
                      'max_bytes = 1000\ndutch_threshold = 1\ninputs = ["a", "b"]\n', encoding="utf-8")
    settings = load_config(config)
    assert settings == {"beams": 2, "no_cache": True, "no_guard": False, "summary_length": "short",
                        "max_bytes": 1000, "dutch_threshold": 1.0, "inputs": ["a", "b"]}
    assert PipelineConfig.from_options(settings) == PipelineConfig(
        num_beams=2, summary_num_beams=2, cache=False, summary_length="short", dutch_threshold=1.0)
    assert PipelineConfig.from_toml(config) == PipelineConfig.from_options(settings)
    both = PipelineConfig.from_options({"beams": 2, "summary_beams": 5})
    assert (both.num_beams, both.summary_num_beams) == (2, 5)
    config.write_text("[run]\nbeams = 2\n")
    with pytest.raises(ConfigError, match="unknown key 'run'"):
        load_config(config)
    config.write_text("no_cache = 1\n")
    with pytest.raises(ConfigError, match="'no_cache' must be true or false"):
        load_config(config)


def test_every_pipeline_option_names_a_config_field() -> None:
    fields = {f.name for f in dataclasses.fields(PipelineConfig)}
    kwargs = [o.kwarg for o in RUN_OPTIONS if o.kwarg is not None]
    assert len(kwargs) == len(set(kwargs))
    assert fields - set(kwargs) == {"backend_options", "boilerplate", "language_check"}  # API-only settings
    assert {o.name for o in RUN_OPTIONS if o.kwarg is None} == {
        "engine", "ray_address", "workers", "num_gpus_per_worker", "ray_window", "output", "format", "max_bytes",
        "force", "dry_run", "quiet", "verbose", "log_format", "progress", "digest", "ninjs_version"}


@pytest.mark.parametrize("config", [
    PipelineConfig(),
    PipelineConfig(num_beams=2, summary_num_beams=2, cache=False, guard=False, summary_length="short"),
    PipelineConfig(num_beams=2, summary_num_beams=4),
    PipelineConfig(summary_num_beams=1, extra_boilerplate=("^Lees ook.*", 'met "quotes" en \\\\'),
                   translation_model="modellen/opus mt", device="cuda:1", dutch_threshold=0.75,
                   on_non_dutch="translate", max_summary_tokens=40, min_summary_tokens=0, summarizer="lead",
                   lead_sentences=2, inter_threads=2, threads=1, batch_size=3),
])
def test_config_round_trips_through_a_toml_file(tmp_path, config) -> None:
    path = tmp_path / "beknopt.toml"
    path.write_text(config.to_toml(), encoding="utf-8")
    assert PipelineConfig.from_toml(path) == config
    assert PipelineConfig().to_options() == {}


def test_config_is_validated_once_with_clear_reasons() -> None:
    with pytest.raises(ConfigError, match="'num_beams' must be a whole number of at least 1, got 0"):
        PipelineConfig(num_beams=0)
    with pytest.raises(ConfigError, match="'on_non_dutch' must be one of skip, translate, fail, got 'maybe'"):
        PipelineConfig(on_non_dutch="maybe")
    with pytest.raises(ConfigError, match="'dutch_threshold' must be a number between 0 and 1"):
        PipelineConfig(dutch_threshold=1.5)
    with pytest.raises(ConfigError, match="'cache' must be true or false"):
        PipelineConfig(cache="yes")
    with pytest.raises(ConfigError, match="unknown pipeline setting 'num_beam' \\(did you mean 'num_beams'\\?\\)"):
        PipelineConfig.from_kwargs(num_beam=2)
    with pytest.raises(ConfigError, match="backend_options cannot be written"):
        PipelineConfig(backend_options={"malloc_tuning": False}).to_toml()
    frozen = PipelineConfig(extra_boilerplate=["^x"])
    assert frozen.extra_boilerplate == ("^x",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen.num_beams = 3  # type: ignore[misc]
