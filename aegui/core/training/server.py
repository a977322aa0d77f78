"""Training in a process of its own, for the window: the child side, and what both sides share.

Why a process: in one process the window and the training thread share the GIL and PyTorch's
thread pools. On a busy desktop a thread preempted while holding the GIL stalls the other, and
training in the window ran at 0.06-0.7x of headless with two other busy programs (see
`python -m benchmarks gui`). In its own process the trainer is headless, with the window one more
program beside it.

Protocol, over one duplex pipe: the typed messages of `aegui.core.training.protocol`. The parent sends a
`Job` (tensors in shared memory), then control messages (Pause, Resume, Stop, SetRate, Quit); the child
answers with the records of `throttled_updates` (TrainingProgress, EpochEnd, Paused), SnapshotWritten
whenever it has published weights into the shared `SnapshotBuffers`, and finally FinalWeights, RunState
and the Ended record. A command is applied to the run under way, or kept for the job about to start
(`Controls`): none is lost however it crosses the start of a run. When the pipe breaks (the parent died),
the child stops training and leaves quietly.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from collections.abc import Generator

import numpy as np
import torch

from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import ModelConfig, model_for_weights
from aegui.core.training.pacing import MAX_UPDATES_PER_SECOND, Interval
from aegui.core.training.protocol import (
    Command,
    FinalWeights,
    Job,
    Pause,
    Quit,
    Ready,
    Reply,
    Resume,
    RunState,
    SetRate,
    SnapshotWritten,
    Stop,
    TrainingProgress,
    Unknown,
)
from aegui.core.training.threads_advice import BusyMachine
from aegui.core.training.trainer import BatchEnd, Ended, EpochEnd, History, Paused, Snapshot, Trainer

__all__ = ["Job", "SnapshotBuffers", "TrainingProgress", "serve", "throttled_updates", "window_run"]


def window_run(trainer: Trainer) -> Generator:
    """A run's first batches in the window's own worker, while the training process starts: its records,
    throttled as the process's are; returns the Ended record."""
    return (yield from throttled_updates(trainer, Interval(1.0 / MAX_UPDATES_PER_SECOND)))


def throttled_updates(trainer: Trainer, interval: Interval) -> Generator:
    """Yield TrainingProgress (at most once per interval), EpochEnd and Paused records; return the Ended record."""
    pending: list[float] = []
    last: BatchEnd | None = None
    for event in trainer.iterate():
        if isinstance(event, BatchEnd):
            pending.append(event.loss)
            last = event
        due = interval.due() or not isinstance(event, BatchEnd)
        if pending and last is not None and due:
            yield TrainingProgress(np.asarray(pending, np.float64), last.step - len(pending) + 1, last, trainer.lr)
            pending = []
            interval.mark()
        if isinstance(event, (EpochEnd, Paused)):  # a pause comes after the losses before it
            yield event
        elif isinstance(event, Ended):
            return event
    raise AssertionError("the trainer always ends with an Ended record")


class SnapshotBuffers:
    """Two copies of a model's (float32) weights in shared memory, written by the training process and
    read by the window. Each has a sequence counter, odd while it is being written (a seqlock): a reader
    that saw the counter change, or odd, reads again. Two buffers, written in turn, mean a reader almost
    never waits. One flat block for both (and one for the counters) keeps what crosses the pipe small.
    The model's current weights start in buffer 0."""

    def __init__(self, state: dict[str, torch.Tensor]) -> None:
        sizes = [tensor.numel() for tensor in state.values()]
        self.flat = torch.zeros(2, sum(sizes), dtype=torch.float32).share_memory_()
        self.counters = torch.zeros(2, dtype=torch.int64).share_memory_()
        self.shapes = {name: tuple(tensor.shape) for name, tensor in state.items()}
        self.latest = 1
        self.write(state)

    def _views(self, index: int) -> dict[str, torch.Tensor]:
        views, offset = {}, 0
        for name, shape in self.shapes.items():
            count = math.prod(shape)
            views[name] = self.flat[index, offset : offset + count].view(shape)
            offset += count
        return views

    def write(self, state: dict[str, torch.Tensor]) -> int:
        """Copy `state` into the buffer not read last; return its index (the child's side)."""
        index = 1 - self.latest
        self.counters[index] += 1  # odd: being written
        with torch.no_grad():
            for name, view in self._views(index).items():
                view.copy_(state[name])
        self.counters[index] += 1
        self.latest = index
        return index

    def read(self, index: int) -> dict[str, torch.Tensor]:
        """A private copy of buffer `index`, never a torn one (the window's side)."""
        while True:
            before = int(self.counters[index])
            copy = {name: view.clone() for name, view in self._views(index).items()}
            if before % 2 == 0 and int(self.counters[index]) == before:
                return copy


class PipeGone(Exception):
    """The window's end of the pipe is closed: its process is gone (or going)."""


class Link:
    """The process's end of the pipe. Both of its threads send (the run's records; what the command reader
    could not take), one message at a time; a send to a closed pipe raises PipeGone."""

    def __init__(self, conn) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: Reply) -> None:
        try:
            with self._lock:
                self._conn.send(message)
        except (OSError, EOFError) as error:  # BrokenPipeError, ConnectionResetError, a closed handle
            raise PipeGone from error

    def recv(self) -> object:
        return self._conn.recv()


class Controls:
    """The window's commands, for the run under way or, before it is under way, for the job about to start.

    One lock around "note the command, then reach the trainer" (the command reader) and "attach the trainer,
    then apply what was noted" (the run loop): a command that crosses the start of a run reaches it whichever
    of the two comes first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trainer: Trainer | None = None
        self._stop = self._pause = False
        self._lr: float | None = None

    def new_job(self) -> None:
        """A job has arrived: what was noted for the last one no longer holds."""
        with self._lock:
            self._stop = self._pause = False
            self._lr = None

    def command(self, command: Pause | Resume | Stop | SetRate | Quit) -> None:
        with self._lock:
            match command:
                case Stop() | Quit():
                    self._stop = True
                case Pause() | Resume():
                    self._pause = isinstance(command, Pause)
                case SetRate(lr=lr):
                    self._lr = lr
            if self._trainer is not None:
                self._apply(self._trainer, command)

    def attach(self, trainer: Trainer) -> None:
        """The run loop's trainer, from now on reached directly; what was asked before applies to it now."""
        with self._lock:
            self._trainer = trainer
            if self._lr is not None:
                self._apply(trainer, SetRate(self._lr))
            if self._pause:
                self._apply(trainer, Pause())
            if self._stop:
                self._apply(trainer, Stop())

    def detach(self) -> None:
        with self._lock:
            self._trainer = None

    @staticmethod
    def _apply(trainer: Trainer, command: Pause | Resume | Stop | SetRate | Quit) -> None:
        match command:
            case Stop() | Quit():
                trainer.request_stop()
            case Pause():
                trainer.pause()
            case Resume():
                trainer.resume()
            case SetRate(lr=lr):
                with contextlib.suppress(AeguiError):  # the window checks the rate before sending it
                    trainer.set_lr(lr)


def _failed(error: Exception) -> Ended:
    return Ended("failed", f"Training failed: {type(error).__name__}: {error}", 0, 0.0)


def _run(job: Job, link: Link, controls: Controls, busy: BusyMachine) -> None:
    buffers = job.buffers

    def publish(snapshot: Snapshot) -> None:
        link.send(SnapshotWritten(buffers.write(snapshot.state), snapshot.version, snapshot.step, snapshot.epoch))

    try:
        model = model_for_weights(ModelConfig.from_dict(job.model_config))
        model.load_state_dict(buffers.read(buffers.latest))
        history = History(list(job.history_epochs), [])
        trainer = Trainer(model, job.dataset, job.train_config, job.device, history=history, on_snapshot=publish,
                          resume=job.training_state)  # fmt: skip
    except Exception as error:  # the parent checked the settings; anything left is reported, not raised
        link.send(_failed(error))
        return
    controls.attach(trainer)
    updates = throttled_updates(trainer, Interval(1.0 / MAX_UPDATES_PER_SECOND))
    try:
        while True:
            item = next(updates)
            if isinstance(item, TrainingProgress):
                if busy.advise(item.last.step) != torch.get_num_threads():
                    torch.set_num_threads(busy.threads)
            else:  # an epoch's evaluation or a pause: no steps for a while
                busy.restart()
            link.send(item)
    except StopIteration as done:
        ended: Ended = done.value
    except PipeGone:
        raise
    except Exception as error:  # report every failure; the process lives on for the next job
        ended = _failed(error)
    finally:
        controls.detach()
    # the final weights (after a divergence, the last good ones), where the run stands, then the end
    link.send(FinalWeights(buffers.write(model.state_dict())))
    if ended.reason in ("finished", "stopped"):
        link.send(RunState(trainer.training_state()))
    link.send(ended)


def _read_commands(link: Link, jobs: queue.Queue, controls: Controls) -> None:
    """The command reader: jobs go to the run loop, commands to `controls`; leaves at Quit or when the pipe ends."""
    while True:
        try:
            message: Command | object = link.recv()
        except (EOFError, OSError):  # the window's process is gone: stop and leave
            message = Quit()
        except Exception as error:  # (a message that cannot be unpickled: reported, and the next one read)
            message = Unknown(f"an unreadable message ({type(error).__name__}: {error})")
        match message:
            case Job():
                controls.new_job()
                jobs.put(message)
            case Pause() | Resume() | Stop() | SetRate():
                controls.command(message)
            case Quit():
                controls.command(message)
                jobs.put(None)
                return
            case _:
                what = message.what if isinstance(message, Unknown) else f"an unknown command: {message!r:.200}"
                with contextlib.suppress(PipeGone):
                    link.send(Unknown(what))


def serve(conn) -> None:
    """The training process's main function: run the jobs the parent sends until it quits or goes away (then
    it leaves quietly, whenever that is: before it is ready, during a run, or as the run ends)."""
    link, jobs, controls = Link(conn), queue.Queue(), Controls()
    busy = BusyMachine(torch.get_num_threads())
    threading.Thread(target=_read_commands, args=(link, jobs, controls), name="aegui-commands", daemon=True).start()
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # the first optimizer imports torch._dynamo (a second)
    try:
        link.send(Ready())  # PyTorch is imported: the window hands its runs over from now on
        while (job := jobs.get()) is not None:
            _run(job, link, controls, busy)
    except PipeGone:
        return
