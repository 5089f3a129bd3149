"""Progress while the models work: the backends report each batch, the stages pass it on, ``beknopt run`` shows
it (a bar, or plain lines where a terminal has no width), and model loading draws no bars of its own.

The model paths run the tiny real models; only the display's own arithmetic is tested without them.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from test_cli import _Terminal

from beknopt.cli import main
from beknopt.cli import progress as cli_progress
from beknopt.cli.progress import Reporter, terminal_size
from beknopt.engine.progress import NO_PROGRESS
from beknopt.models import GenerationSettings, load_backend
from beknopt.models.backend import BatchSettings, plan_batches

DATA = Path(__file__).parent / "data"
ARTICLES = DATA / "cli" / "articles"
SENTENCES = [
    "De Verenigde Staten zullen deze maand het aantal Amerikaanse militairen in Irak verlagen.",
    "Kort.",
    "Het kabinet besloot vandaag om de regels voor thuiswerken te versoepelen.",
    "De gemeenteraad van Utrecht heeft gisteren ingestemd met een nieuw plan voor het centrum.",
    "Volgens de wethouder komen er meer bomen en minder parkeerplaatsen.",
    "Het plan kost tien miljoen euro.",
    "Ja.",
]
PROGRESS_LINE = re.compile(r"^progress: translating ([\d,]+)/([\d,]+) sentences", re.MULTILINE)

pytestmark = pytest.mark.usefixtures("restore_torch_threads")


class Recorder:
    """A progress sink that keeps what it hears."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []

    def begin(self, unit: str, total: int) -> None:
        self.events.append(("begin", unit, total))

    def advance(self, unit: str, n: int) -> None:
        self.events.append(("advance", unit, n))

    def counts(self, kind: str, unit: str) -> list[int]:
        return [n for k, u, n in self.events if k == kind and u == unit]


@pytest.fixture(scope="module")
def ct2_marian(tiny_models: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("ctranslate2")
    from beknopt.models.convert import convert

    return convert(str(tiny_models[0]), tmp_path_factory.mktemp("ct2") / "marian-float32", quantization="float32")


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_generate_reports_each_batch(engine: str, tiny_models: tuple[Path, Path], request) -> None:
    """One call per planned batch, with its size, so they sum to the inputs; the outputs are those of a call
    nobody listens to."""
    if engine == "ctranslate2":  # one decoder: batches are finished in the order they were planned
        backend = load_backend(str(request.getfixturevalue("ct2_marian")), device="cpu", dtype="float32",
                               inter_threads=1, threads=1)
    else:
        backend = load_backend(str(tiny_models[0]), device="cpu")
    settings, batching = GenerationSettings(num_beams=1, max_new_tokens=8), BatchSettings(batch_size=3)
    calls: list[int] = []
    outputs = backend.generate(SENTENCES, settings, batching, progress=calls.append)
    planned = [len(b) for b in plan_batches(backend.count_tokens(SENTENCES), batching)]
    assert calls == planned and len(calls) == 3 and sum(calls) == len(SENTENCES)
    assert outputs == backend.generate(SENTENCES, settings, batching)


def test_pipeline_passes_progress_to_the_model_stages(tiny_models: tuple[Path, Path]) -> None:
    """Sentences per translation batch and chunks per summary batch reach the sink; outputs stay the same and
    the stages have no sink left afterwards."""
    from conftest import long_article

    from beknopt import Pipeline
    from beknopt.document import Document

    marian, bart = tiny_models
    pipe = Pipeline.from_pretrained(str(marian), str(bart), device="cpu", num_beams=1, summary_num_beams=1,
                                    max_summary_tokens=8, min_summary_tokens=2, max_new_tokens=12, cache=False,
                                    guard=False, translation_batch_size=4, summary_batch_size=2)
    text = long_article(300)
    quiet = pipe.process([Document(id="a", source=text), Document(id="b", source=SENTENCES[0])])
    recorder = Recorder()
    heard = pipe.process([Document(id="a", source=text), Document(id="b", source=SENTENCES[0])],
                         progress=recorder)
    assert [(d.translations, d.summary) for d in heard] == [(d.translations, d.summary) for d in quiet]
    sentences = sum(len(d.sentences) for d in heard)
    assert recorder.counts("begin", "sentences") == [sentences]  # all distinct, no cache, no retries
    assert sum(recorder.counts("advance", "sentences")) == sentences
    assert max(recorder.counts("advance", "sentences")) == 4 and len(recorder.counts("advance", "sentences")) > 2
    chunks = recorder.counts("begin", "chunks")  # one task per map-reduce round
    assert sum(chunks) > 2 and sum(recorder.counts("advance", "chunks")) == sum(chunks)
    assert max(recorder.counts("advance", "chunks")) == 2
    # the first task is announced before any of its batches finish
    assert recorder.events[0] == ("begin", "sentences", sentences)
    assert all(stage.progress is NO_PROGRESS for stage in pipe.stages if hasattr(stage, "progress"))


# ----------------------------------------------------------------------------------------------------
# the display


def test_mode_follows_the_flag_and_the_terminal(monkeypatch) -> None:
    assert Reporter(stream=_Terminal(tty=False)).mode == "off"  # today's default off a terminal
    assert Reporter(stream=_Terminal(tty=False), verbose=True).mode == "lines"
    assert Reporter(stream=_Terminal(tty=False), mode="lines").mode == "lines"
    assert Reporter(stream=_Terminal(), quiet=True, mode="lines").mode == "off"
    assert Reporter(stream=_Terminal(), json_logs=True).mode == "off"
    assert Reporter(stream=_Terminal(), json_logs=True, mode="lines").mode == "lines"
    assert Reporter(stream=_Terminal(), mode="off").progress is None
    # a terminal that reports no width gets lines; one with a width gets the bar
    assert Reporter(stream=_Terminal()).mode == "lines"
    monkeypatch.setattr(cli_progress, "terminal_size", lambda stream: (80, 24, True))
    reporter = Reporter(stream=_Terminal())
    assert reporter.mode == "bar" and reporter.progress is reporter
    with pytest.raises(ValueError, match="progress mode"):
        Reporter(mode="sometimes")


def test_terminal_size_of_a_pty(monkeypatch) -> None:
    """A fresh pty is 0x0: no width, so no bar; COLUMNS=0 says the same; a sized pty has its width."""
    monkeypatch.delenv("COLUMNS", raising=False)
    master, slave = pty.openpty()
    try:
        with open(slave, "w", closefd=False) as stream:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
            assert terminal_size(stream) is None
            monkeypatch.setenv("COLUMNS", "100")
            assert terminal_size(stream) == (100, 24, False)
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 90, 0, 0))
            assert terminal_size(stream) == (90, 30, True)
            monkeypatch.setenv("COLUMNS", "0")
            assert terminal_size(stream) is None
    finally:
        os.close(master)
        os.close(slave)


def test_lines_say_what_is_done_how_fast_and_how_long_yet() -> None:
    from beknopt.batch import BatchSummary, Outcome

    terminal = _Terminal(tty=False)
    reporter = Reporter(stream=terminal, mode="lines", interval=0)
    reporter.start(3)
    reporter.begin("sentences", 1500)
    reporter.advance("sentences", 1000)
    reporter.begin("retries", 2)
    reporter.begin("chunks", 40)
    reporter.advance("chunks", 12)
    for i in range(3):
        reporter.outcome(Outcome("done", f"a{i}", f"a{i}.txt", sentences=500))
    reporter.finish(BatchSummary(done=3))
    lines = terminal.text.splitlines()
    assert lines[0] == "progress: translating 0/1,500 sentences; articles 0/3"
    assert re.fullmatch(r"progress: translating 1,000/1,500 sentences, [\d,.]+/(s|min), ETA \S+; articles 0/3",
                        lines[1])
    assert lines[2] == "progress: translating again 0/2 looping sentences; articles 0/3"  # the loop guard's
    # the chunks task begins with no rate of its own yet; the next line has one
    assert lines[3] == "progress: summarising 0/40 chunks; articles 0/3"
    assert re.fullmatch(r"progress: summarising 12/40 chunks, [\d,.]+/(s|min), ETA \S+; articles 0/3", lines[4])
    # written articles end the batch's task: the articles are shown, with their rate and ETA
    assert re.fullmatch(r"progress: articles 1/3, [\d,.]+/(s|min), ETA \S+; [\d.]+ sentences/s", lines[5])
    assert re.fullmatch(r"progress: articles 3/3, .*ETA 0s; [\d.]+ sentences/s", lines[-1])
    assert len(lines) == 8


def test_lines_are_spaced_by_the_interval_and_the_articles() -> None:
    from beknopt.batch import Outcome

    clock = [100.0]
    terminal = _Terminal(tty=False)
    reporter = Reporter(stream=terminal, mode="lines", interval=10, clock=lambda: clock[0])
    reporter.start(40)
    reporter.begin("sentences", 100)  # the first news is shown at once
    for _ in range(9):
        clock[0] += 1
        reporter.advance("sentences", 10)  # 9 s: no new line yet
    clock[0] += 1
    reporter.advance("sentences", 10)  # 10 s since the last line
    assert [line.split(";")[0] for line in terminal.text.splitlines()] == [
        "progress: translating 0/100 sentences", "progress: translating 100/100 sentences, 10.0/s, ETA 0s"]
    reporter.outcome(Outcome("done", "a", "a.txt", sentences=1))  # 1/40 articles: under 5%, too soon
    reporter.outcome(Outcome("done", "b", "b.txt", sentences=1))  # 2/40 = 5%: a line
    assert terminal.text.splitlines()[-1].startswith("progress: articles 2/40")
    assert len(terminal.text.splitlines()) == 3


def test_json_logs_get_progress_events() -> None:
    import json

    terminal = _Terminal(tty=False)
    reporter = Reporter(stream=terminal, json_logs=True, mode="lines", interval=0)
    reporter.start(2)
    reporter.begin("sentences", 10)
    reporter.advance("sentences", 4)
    events = [json.loads(line) for line in terminal.text.splitlines()]
    assert [e["event"] for e in events] == ["start", "progress", "progress"]
    assert events[-1]["task"] == "translating" and events[-1]["done"] == 4 and events[-1]["total"] == 10
    assert events[-1]["unit"] == "sentences" and events[-1]["articles_total"] == 2 and "eta_s" in events[-1]


# ----------------------------------------------------------------------------------------------------
# beknopt run


def test_run_reports_sentences_before_the_first_article_is_written(tmp_path, capsys, monkeypatch,
                                                                   model_args) -> None:
    """One batch holds all articles (--batch-size 16 > 6): the sentence counts must move inside it."""
    monkeypatch.setattr(cli_progress, "LINE_INTERVAL", 0.0)
    code = main(["run", str(ARTICLES), "-o", str(tmp_path / "out"), "--progress", "lines", "--verbose",
                 "--translation-batch-size", "4", "--summary-batch-size", "2", *model_args])
    captured = capsys.readouterr()
    assert code == 0 and captured.out == "6 done, 0 skipped, 0 failed\n"
    err = captured.err
    first_done = err.index("\ndone    ")
    counts = [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b in PROGRESS_LINE.findall(err[:first_done])]
    total = counts[0][1]
    assert counts[0] == (0, total) and total > 8 and all(of == total for _, of in counts)  # the batch: one task
    done = [n for n, _ in counts]
    assert done == sorted(done) and done[-1] == total
    assert any(0 < n < total for n in done)  # intermediate counts, not only 0 and the total
    between = [line for line in err[:first_done].splitlines() if line.startswith("progress: translating 4/")]
    assert between and "/s" in between[0] and "ETA" in between[0] and "articles 0/6" in between[0]
    assert "progress: summarising" in err[:first_done]
    assert "progress: articles 6/6" in err


@pytest.fixture
def loading_bars():
    """transformers' bars on, as in a fresh process (an earlier --quiet run in this one turned them off)."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()
    yield
    (hf_logging.enable_progress_bar if was else hf_logging.disable_progress_bar)()


@pytest.mark.usefixtures("loading_bars")
def test_a_normal_run_draws_no_loading_bars(tmp_path, capsys, model_args) -> None:
    code = main(["run", str(ARTICLES), "-o", str(tmp_path / "out"), *model_args])
    captured = capsys.readouterr()
    assert code == 0 and captured.out == "6 done, 0 skipped, 0 failed\n"
    assert "Loading weights" not in captured.err
    assert "progress:" not in captured.err  # off a terminal, without --verbose: as before


@pytest.mark.slow
def test_a_pty_of_unknown_width_gets_plain_lines(tmp_path, model_args) -> None:
    """stderr on a 0x0 pty with COLUMNS unset: a bar would have no room, so plain progress lines are drawn."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run([sys.executable, "-m", "beknopt.cli", "run", str(ARTICLES), "-o", str(tmp_path / "out"),
                               "--translation-batch-size", "8", *model_args],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env, text=True,
                              timeout=300)
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0 and proc.stdout == "6 done, 0 skipped, 0 failed\n"
    assert re.search(r"^progress: translating 0/\d+ sentences; articles 0/6\r?$", shown, re.MULTILINE), shown
    assert "progress: articles 6/6" in shown
    assert "Loading weights" not in shown and "%|" not in shown  # neither transformers' bars nor ours
