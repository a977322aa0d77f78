"""The training process's side (`aegui.core.training.server.serve`), driven in a thread over a real multiprocessing
Pipe, as the window drives it: typed messages, commands that cross the start of a job, a window that goes away."""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest
import torch

from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.model.configs import TrainConfig
from aegui.core.spawning import main_script_hidden
from aegui.core.training import server
from aegui.core.training.protocol import (
    Ended,
    FinalWeights,
    Job,
    Pause,
    Paused,
    Quit,
    Ready,
    Resume,
    RunState,
    SetRate,
    Stop,
    TrainingProgress,
    Unknown,
)
from aegui.core.training.server import SnapshotBuffers

TINY = ModelConfig(hidden_sizes=(8,), code_size=2, activation="relu")
REPLY_S = 60  # the most a reply may take on a loaded machine (how long a condition is waited for, not a wait)
ROUNDS = 200  # jobs with a command right behind them: a command lost in one of them fails the test


class Served:
    """serve() in a thread, the window's end of its pipe, and what the thread raised."""

    def __init__(self, window: Connection, process: Connection) -> None:
        self.window, self.errors = window, []
        self.thread = threading.Thread(target=self._serve, args=(process,), name="test-serve", daemon=True)
        self.thread.start()

    def _serve(self, process: Connection) -> None:
        try:
            server.serve(process)
        except BaseException as error:  # (the test says what it was)
            self.errors.append(error)

    def reply(self) -> object:
        assert self.window.poll(REPLY_S), "no reply from the training side"
        return self.window.recv()

    def until_ended(self) -> tuple[list[object], Ended]:
        seen = []
        while not isinstance(message := self.reply(), Ended):
            seen.append(message)
        return seen, message

    def ends_quietly(self) -> None:
        self.thread.join(REPLY_S)
        assert not self.thread.is_alive() and self.errors == []


@pytest.fixture
def threads() -> Iterator[None]:
    """serve() sets the training threads (of this process, here): as they were afterwards."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def often_switched() -> Iterator[None]:
    """Threads switched every microsecond: a command and a job's start cross in every possible order."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def served(threads, often_switched) -> Iterator[Served]:
    window, process = multiprocessing.Pipe()
    served = Served(window, process)
    assert isinstance(served.reply(), Ready)
    yield served
    with contextlib.suppress(OSError):
        window.send(Quit())
    served.ends_quietly()
    window.close()


@pytest.fixture(scope="module")
def data(small_sample):
    data = small_sample.subset(200, 50)  # four batches of 50 an epoch
    for tensor in (data.train_images, data.train_labels, data.test_images, data.test_labels):
        tensor.share_memory_()  # (sent once, not copied for every job)
    return data


def job(data, epochs: int) -> Job:
    buffers = SnapshotBuffers(build_model(TINY, seed=0).state_dict())
    return Job(TINY.to_dict(), TrainConfig(epochs=epochs, batch_size=50, lr=1e-3, optimizer="adam"), [], data, "cpu",
               buffers)  # fmt: skip


def test_a_stop_sent_right_behind_a_job_stops_it_every_time(served, data):
    long = job(data, epochs=100)  # 400 batches: a run that missed its stop finishes instead
    for _ in range(ROUNDS):
        served.window.send(long)
        served.window.send(Stop())
        seen, ended = served.until_ended()
        assert ended.reason == "stopped" and ended.steps < 400
        assert isinstance(seen[-2], FinalWeights) and isinstance(seen[-1], RunState)


def test_a_pause_sent_right_behind_a_job_holds_it_and_a_resume_lets_it_go_every_time(served, data):
    long, short = job(data, epochs=100), job(data, epochs=1)
    for _ in range(ROUNDS // 2):
        served.window.send(long)
        served.window.send(Pause())  # it pauses, whenever the pause lands
        while not isinstance(message := served.reply(), Paused):
            assert not isinstance(message, Ended), message
        served.window.send(Stop())
        _, ended = served.until_ended()
        assert ended.reason == "stopped" and ended.steps == message.step
        served.window.send(short)
        served.window.send(Pause())
        served.window.send(Resume())  # a resume lost behind the pause would hold the run forever
        _, ended = served.until_ended()
        assert ended.reason == "finished"


def test_a_rate_sent_right_behind_a_job_applies_to_it(served, data):
    served.window.send(job(data, epochs=2))
    served.window.send(SetRate(0.005))
    seen, ended = served.until_ended()
    assert ended.reason == "finished"
    assert all(record.lr == pytest.approx(0.005) for record in seen if isinstance(record, TrainingProgress))


def test_an_unknown_command_is_answered_not_ignored(served, data):
    served.window.send(("stop",))  # (the untyped messages of old)
    answer = served.reply()
    assert isinstance(answer, Unknown) and "('stop',)" in answer.what
    served.window.send(job(data, epochs=1))  # and the process goes on serving
    assert served.until_ended()[1].reason == "finished"


def test_a_window_gone_before_the_process_is_ready_ends_it_quietly(threads):
    window, process = multiprocessing.Pipe()
    window.close()
    served = Served(None, process)
    served.ends_quietly()  # (it raised BrokenPipeError, printed as a traceback, as it said it was ready)


def test_a_window_gone_during_a_run_ends_it_quietly(threads, data):
    window, process = multiprocessing.Pipe()
    served = Served(window, process)
    assert isinstance(served.reply(), Ready)
    window.send(job(data, epochs=1000))
    while not isinstance(served.reply(), TrainingProgress):
        pass
    window.close()
    served.ends_quietly()


def test_a_window_gone_as_a_run_ends_ends_it_quietly(threads, data):
    window, process = multiprocessing.Pipe()
    served = Served(window, process)
    assert isinstance(served.reply(), Ready)
    window.send(job(data, epochs=1000))
    window.send(Stop())
    window.close()  # before the final weights, the state and the end are sent
    served.ends_quietly()


def test_the_training_process_says_nothing_when_its_window_is_gone_before_it_is_ready(capfd):
    context = torch.multiprocessing.get_context("spawn")
    window, child = context.Pipe()
    process = context.Process(target=server.serve, args=(child,), name="aegui-training-test", daemon=True)
    with main_script_hidden():
        process.start()
    child.close()
    window.close()
    process.join(REPLY_S)
    assert process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err
