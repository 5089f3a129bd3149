"""The Ray Data engine: the same pipeline, spread over the actors of a Ray cluster.

Only the model work moves: the driver still discovers, reads, resumes and writes (atomic files, ``errors.jsonl``,
the final counts), exactly as the local engine does, so both engines give the same outputs. Articles that need
work are sent in windows through ``Dataset.map_batches`` to a pool of stateful actors; each actor builds its
pipeline (and loads the models) once, in its constructor, and processes many batches.

Ray is optional (``pip install "beknopt[ray]"``); importing this module does not import Ray.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from beknopt.document import BeknoptError, Document
from beknopt.engine.optional import MissingPackageError, require
from beknopt.models.loading import first_line

PipelineFactory = Callable[[], Any]


class RayNotInstalledError(MissingPackageError):
    """``--engine ray`` was asked for but Ray (with Ray Data) is not installed."""


def require_ray() -> Any:
    """Ray itself; Ray Data is a separate extra of ray, so it is checked too."""
    install = 'pip install "beknopt[ray]" (or: pip install "ray[data]")'
    require("ray.data", feature="the Ray engine", install=install, error=RayNotInstalledError)
    return require("ray", feature="the Ray engine", install=install, error=RayNotInstalledError)


@dataclass(frozen=True)
class RaySettings:
    """Where to run and how wide: ``address`` None starts a local Ray instance, ``auto`` joins a running one."""

    address: str | None = None
    workers: int = 1
    num_gpus_per_worker: float = 0.0
    num_cpus_per_worker: float = 1.0
    window: int = 1024  # articles per Ray dataset; actors are started once per window

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise BeknoptError(f"--workers must be at least 1, got {self.workers}")
        if self.num_gpus_per_worker < 0 or self.num_cpus_per_worker <= 0:
            raise BeknoptError("GPUs per worker must be 0 or more and CPUs per worker more than 0")


class PipelineActor:
    """A Ray Data actor: one pipeline per actor, built once, applied to many batches."""

    def __init__(self, factory: PipelineFactory) -> None:
        self.pipeline = factory()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        docs = [pickle.loads(blob) for blob in batch["doc"]]
        self.pipeline.process(docs)  # isolates a failing article itself
        return {"index": batch["index"], "doc": [pickle.dumps(doc) for doc in docs]}


class RayEngine:
    """``process(docs)`` for the batch runner, executed by Ray actors; fills the documents in place."""

    name = "ray"

    def __init__(self, factory: PipelineFactory, settings: RaySettings, *, batch_size: int = 16) -> None:
        self.ray = require_ray()
        self.factory = factory
        self.settings = settings
        self.batch_size = batch_size
        self._started = False

    @property
    def window(self) -> int:
        """Articles the batch runner hands over per ``process`` call: one Ray dataset, one actor start-up."""
        return self.settings.window

    def start(self) -> None:
        if self._started:
            return
        if not self.ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "ERROR",
                                      "log_to_driver": False}
            if self.settings.address:
                kwargs["address"] = self.settings.address
            try:
                self.ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BeknoptError(self._cannot_start(exc)) from exc
        context = self.ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = True
        self._started = True

    def _cannot_start(self, exc: BaseException) -> str:
        """Ray's own advice names its flags (``--address``); say it with beknopt's."""
        address = self.settings.address
        if address == "auto":
            return ("no running Ray cluster found: --ray-address auto joins one that is already running on this "
                    "machine (start it with `ray start --head`); leave out --ray-address to start a local Ray "
                    "instance for this run, or pass --ray-address ray://HOST:PORT for a remote cluster")
        first = first_line(exc)
        if address:
            return (f"cannot reach the Ray cluster at --ray-address {address} ({first}); check the address, or "
                    "leave out --ray-address to start a local Ray instance")
        return f"cannot start a local Ray instance ({first})"

    def process(self, docs: list[Document]) -> None:
        """Send the documents through the actor pool and copy the finished records back into them."""
        if not docs:
            return
        self.start()
        items = [{"index": i, "doc": pickle.dumps(doc)} for i, doc in enumerate(docs)]
        dataset = self.ray.data.from_items(items)
        mapped = dataset.map_batches(
            PipelineActor,
            fn_constructor_args=(self.factory,),
            batch_size=self.batch_size,
            compute=self.ray.data.ActorPoolStrategy(size=min(self.settings.workers, len(docs))),
            num_gpus=self.settings.num_gpus_per_worker or None,
            num_cpus=self.settings.num_cpus_per_worker,
            batch_format="numpy",
        )
        seen = set()
        for row in mapped.iter_rows():
            index = int(row["index"])
            done: Document = pickle.loads(row["doc"])
            docs[index].__dict__.update(done.__dict__)
            seen.add(index)
        for index, doc in enumerate(docs):
            if index not in seen and doc.error is None:
                doc.fail("ray", "the Ray job returned no result for this article")

    def shutdown(self) -> None:
        if self._started and self.ray.is_initialized() and not self.settings.address:
            self.ray.shutdown()
        self._started = False
