"""Fuzz ``beknopt serve`` from its own ``/openapi.json`` with schemathesis: whatever a client sends, valid for the
schema or not, the answer is never a server error (5xx other than the documented 503) and always the JSON error
shape. Bounded: a few dozen examples per operation, against a real uvicorn server with the tiny models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serve_util import TINY_SETTINGS, running

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'beknopt[serve]')")
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from hypothesis import HealthCheck, settings  # noqa: E402

from beknopt import Pipeline  # noqa: E402
from beknopt.serve import ServeSettings, create_app  # noqa: E402

pytestmark = pytest.mark.usefixtures("restore_torch_threads")
EXAMPLES = 15


@pytest.fixture(scope="module")
def served(tiny_models, tmp_path_factory) -> Iterator[str]:
    marian, bart = tiny_models
    # short generations: the fuzzer's articles are many and the answers' content is not what is tested here
    pipe = Pipeline.from_pretrained(str(marian), str(bart), **{**TINY_SETTINGS, "max_new_tokens": 4,
                                                               "max_summary_tokens": 6, "min_summary_tokens": 1})
    settings = ServeSettings(state_dir=tmp_path_factory.mktemp("state"), max_body=200_000, batch_wait_ms=0)
    with running(create_app(pipe, settings)) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(served):
    return schemathesis.openapi.from_url(f"{served}/openapi.json")


OPERATIONS = ["POST /v1/summarize", "POST /v1/jobs", "GET /v1/jobs/{job_id}", "GET /v1/jobs/{job_id}/results",
              "GET /health/live", "GET /health/ready", "GET /v1/info", "GET /metrics"]


def _check(response, case) -> None:
    where = f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500 or response.status_code == 503, where
    assert str(response.status_code) in case.operation.definition.raw["responses"], f"undocumented status: {where}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and body["error"]["status"] == response.status_code, where
        assert body["error"]["reason"] and "Traceback" not in response.text, where


def test_every_operation_is_fuzzed(api_schema) -> None:
    assert sorted(r.ok().label for r in api_schema.get_all_operations()) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_request_makes_the_server_fail(api_schema, served, label, mode) -> None:
    from hypothesis import given

    if mode == "negative" and label.startswith("GET /health/"):
        pytest.skip("nothing to make invalid: the health endpoints take no parameters, body or key")
    (operation,) = [r.ok() for r in api_schema.get_all_operations() if r.ok().label == label]
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        _check(case.call(base_url=served, timeout=60), case)

    run()
