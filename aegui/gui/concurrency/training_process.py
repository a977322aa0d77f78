"""A training run in a training process (`aegui.gui.concurrency.processes` starts and keeps them).

Training runs in a process of its own (`aegui.core.training.server` says why). The window talks to
it through `TrainingRun`, which looks like a `Trainer` to the session (pause, resume, stop, set the
rate, the latest weights) and reports its records as signals in the GUI thread, read from the pipe
with a socket notifier: no thread waits on it. Processes are kept and reused run after run.

A process takes seconds to start (importing PyTorch). A run asked for before its process is ready trains
its first batches in a worker of the window's own, and hands over to the process, exactly where it stands
(weights, optimizer, schedule, random state: `TrainingState`), as soon as the process says it is ready:
the first losses show within a fraction of a second of Train.

However fast the batches come, the window takes a run's records in at most WINDOW_UPDATES_PER_SECOND times a
second, gathered into one `TrainingUpdate` (`UpdatePacer`): what it does with each is bounded by the time
since the last, never by the batches or epochs (a tiny data set can end an epoch every batch).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import torch
from PySide6.QtCore import QObject, Signal

from aegui.core.checks import ConfigError
from aegui.core.data.datasets import Dataset
from aegui.core.model.autoencoder import AutoEncoder, model_for_weights
from aegui.core.model.device import describe_device
from aegui.core.training.pacing import Interval
from aegui.core.training.protocol import (
    FinalWeights,
    Job,
    Pause,
    Resume,
    RunState,
    SetRate,
    SnapshotWritten,
    Stop,
    TrainingProgress,
    Unknown,
)
from aegui.core.training.resume import TrainingState
from aegui.core.training.server import SnapshotBuffers
from aegui.core.training.trainer import (
    Ended,
    EpochEnd,
    History,
    Paused,
    Snapshot,
    TrainConfig,
    check_learning_rate,
)
from aegui.gui.concurrency.first_batches import FirstBatches, train_first_batches
from aegui.gui.concurrency.pacer import WINDOW_UPDATES_PER_SECOND, TrainingUpdate, UpdatePacer
from aegui.gui.concurrency.processes import acquire, release
from aegui.gui.concurrency.threads import run_generator_in_thread
from aegui.gui.concurrency.window_share import SHARE

__all__ = ["WINDOW_UPDATES_PER_SECOND", "TrainingProgress", "TrainingRun", "TrainingUpdate"]
log = logging.getLogger(__name__)
QUIT_WAIT_S = 2.0
# the threads a training process trains on (at most: see BusyMachine): a new process's own, which this one had
# when it started (while training, the window gives its own up: `TrainingRun.__init__`)
PROCESS_THREADS = torch.get_num_threads()


def describe_training_device(device: torch.device) -> str:
    """Where the window's training runs, as every part of the window says it (About, the training message)."""
    return describe_device(device, PROCESS_THREADS)


_busy: set[TrainingRun] = set()


def live_runs() -> int:
    """Training runs whose end the window has not yet received."""
    return len(_busy)


def share_dataset(dataset: Dataset) -> Dataset:
    """Move the dataset's tensors into shared memory, where the training process reads them without a
    copy (a copy of full MNIST takes tens of milliseconds: done once, by the worker that loaded it)."""
    for name in ("train_images", "train_labels", "test_images", "test_labels"):
        tensor = getattr(dataset, name)
        if not tensor.is_shared():
            tensor.share_memory_()
    return dataset


class TrainingRun(QObject):
    """A training run in a training process, with a Trainer's controls; its records arrive as `yielded`
    (a TrainingUpdate, at most WINDOW_UPDATES_PER_SECOND a second) and, at the end, `returned` (the Ended
    record). Once ended,
    `final_state` holds the final weights (after a divergence, the last good ones)."""

    yielded = Signal(object)
    returned = Signal(object)

    def __init__(self, model: AutoEncoder, dataset: Dataset, config: TrainConfig, device: torch.device,
                 history: History, resume: TrainingState | None = None) -> None:  # fmt: skip
        super().__init__()
        # (the process leaves a class out as the Trainer does: the counts here must match its own)
        train_count = int(dataset.kept(config.exclude_class)[0].sum()) if config.exclude_class >= 0 else \
            len(dataset.train_images)  # fmt: skip
        if train_count == 0:
            raise ConfigError("The training set is empty.")
        self.config = config
        self.batch_size = min(config.batch_size, train_count)
        self.steps_per_epoch = math.ceil(train_count / self.batch_size)
        self.total_steps = config.epochs * self.steps_per_epoch
        if resume is not None and resume.interrupted:  # (the batches its epoch had before it stopped)
            self.total_steps -= min(resume.batches_done, self.steps_per_epoch - 1)
        self.lr = config.lr
        self.is_paused = False
        self.final_state: dict[str, torch.Tensor] | None = None
        self.final_training_state: TrainingState | None = None  # where the run stood at its end, to go on from
        self._latest: tuple[int, int, int, int] | None = None  # buffer index, version, step, epoch
        self._snapshot: Snapshot | None = None
        share_dataset(dataset)
        self._buffers = SnapshotBuffers(model.state_dict())
        self._dataset, self._device = dataset, str(device)
        self._offset: tuple[int, float] = (0, 0.0)  # steps and seconds trained in the window before the handover
        self._local: FirstBatches | None = None  # the run's first batches, trained here while the process starts
        self._stopping = False  # a person asked the run to stop
        self._local_lr: float | None = None  # the last rate asked while the first batches trained here
        self._updates = UpdatePacer(self._deliver, self)
        self._process = acquire()
        self._process.message.connect(self._on_message)
        self._process.died.connect(self._on_died)
        if self._process.ready:
            self._send(Job(model.config.to_dict(), config, list(history.epochs), dataset, self._device,
                           self._buffers, resume))  # fmt: skip
        else:
            self._start_here(model, dataset, config, history, resume)
        _busy.add(self)
        # the window's own inference (drawing, gallery, scales) runs on one thread while the process uses the
        # cores: a thread team of its own would wait at its barriers for descheduled threads
        self._window_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        SHARE.begin(self, self._window_threads)  # (its workers keep to their share of a core until it ends)

    def batch_note(self) -> str:
        """What a person should know of the batch size: that the training set was smaller than asked."""
        return f"; batch {self.batch_size} (the whole training set)" if self.batch_size < self.config.batch_size else ""

    # --- a Trainer's controls ---

    def pause(self) -> None:
        self.is_paused = True
        self._command(Pause())

    def resume(self) -> None:
        self.is_paused = False
        self._command(Resume())

    def request_stop(self) -> None:
        self.is_paused, self._stopping = False, True
        self._command(Stop())

    def set_lr(self, lr: float) -> None:
        self._command(SetRate(check_learning_rate(lr)))

    def _command(self, command: Pause | Resume | Stop | SetRate) -> None:
        """To the process, or to the run's first batches while they train here."""
        local = self._local
        if local is None:
            self._process.send(command)
            return
        if isinstance(command, SetRate):
            self._local_lr = command.lr  # (asked as they hand over, it goes with them)
        local.ask(command)

    def latest_snapshot(self) -> Snapshot | None:
        """The newest published weights, copied out of shared memory once per version."""
        if self._local is not None:
            trainer = self._local.trainer
            return None if trainer is None else trainer.latest_snapshot()
        if self._latest is None:
            return None
        index, version, step, epoch = self._latest
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = Snapshot(version, step, epoch, self._buffers.read(index))
        return self._snapshot

    def abandon(self) -> None:
        """Nobody listens any more (the window closed before the run ended): report nothing further.
        The process still finishes the run and goes back to the pool for the next one."""
        for signal in (self.yielded, self.returned):
            signal.disconnect()
        if self._local is not None:
            self._stopping = True
            self._local.ask(Stop())  # (its worker ends at the next batch)
        torch.set_num_threads(self._window_threads)

    def wait(self, seconds: float) -> bool:
        """Deliver the records until the run has ended, up to `seconds`; True if it ended."""
        deadline = Interval(seconds)
        deadline.mark()
        if self._local is not None:  # its end comes through the event loop: the caller abandons the run, and the
            return False  # worker stops at its next batch (the window's close waits for workers)
        while self in _busy and not deadline.due():
            if not self._process.receive(0.05):
                break
        return self not in _busy

    # --- from the process ---

    # --- the first batches, here ---

    def _start_here(self, model: AutoEncoder, dataset: Dataset, config: TrainConfig, history: History,
                    resume: TrainingState | None) -> None:  # fmt: skip
        local = model_for_weights(model.config)
        local.load_state_dict(model.state_dict())
        self._local = FirstBatches()  # (its Trainer is made in the worker)
        self._config = config
        self._process.readied.connect(self._on_process_ready)
        run_generator_in_thread(train_first_batches, self._local, local, dataset, config,
                                History(list(history.epochs), []), resume, on_yield=self._on_local_record,
                                on_result=self._on_local_ended, on_error=self._on_local_failed)  # fmt: skip

    def _on_process_ready(self) -> None:
        if self._local is not None:
            self._local.ask(Stop())  # at the next batch; its end hands the run over

    def _on_local_record(self, item: TrainingProgress | EpochEnd | Paused) -> None:
        self._record(item)

    def _on_local_failed(self, error: Exception) -> None:
        self._on_local_ended(Ended("failed", f"Training failed: {type(error).__name__}: {error}", 0, 0.0))

    def _on_local_ended(self, ended: Ended) -> None:
        first, self._local = self._local, None
        self._process.readied.disconnect(self._on_process_ready)
        if not self._process.alive:
            self._finish(self._died())
            return
        local = first.trainer
        if local is None:  # (it could not be made: the model keeps its weights)
            self._finish(ended)
            return
        weights = {name: tensor.detach().clone() for name, tensor in local.model.state_dict().items()}
        if ended.reason == "stopped" and not self._stopping and self._process.alive:  # stopped to hand over
            done = local.epochs_finished
            self._offset = (ended.steps, ended.elapsed)
            self._buffers.write(weights)
            config = replace(self._config, epochs=self._config.epochs - done)
            job = Job(local.model.config.to_dict(), config, list(local.history.epochs), self._dataset, self._device,
                      self._buffers, local.training_state())  # fmt: skip
            asked = [Pause()] if self.is_paused else []
            asked += [SetRate(self._local_lr)] if self._local_lr is not None else []
            if self._process.send(job) and all(self._process.send(command) for command in asked):
                return
            ended = Ended(
                "failed",
                "The training process could not be reached; the run stopped after "
                f"{ended.steps:,} batches, and the model keeps their weights.",
                ended.steps,
                ended.elapsed,
            )
        self.final_state = weights
        if ended.reason in ("finished", "stopped"):
            self.final_training_state = local.training_state()
        self._finish(ended)

    def _send(self, job: Job) -> None:
        if not self._process.send(job):
            raise ConfigError("The training process could not be reached; try again.")

    def _shifted(self, item):
        """A record from the process, its steps and seconds counted from the run's start (the batches trained
        here before the handover included)."""
        steps, seconds = self._offset
        if not steps:
            return item
        if isinstance(item, TrainingProgress):
            last = replace(item.last, step=item.last.step + steps, total_steps=item.last.total_steps + steps,
                           elapsed=item.last.elapsed + seconds)  # fmt: skip
            return replace(item, first_step=item.first_step + steps, last=last)
        if isinstance(item, Paused):
            return replace(item, step=item.step + steps)
        if isinstance(item, Ended):
            return replace(item, steps=item.steps + steps, elapsed=item.elapsed + seconds)
        if isinstance(item, EpochEnd):
            return replace(item, elapsed=item.elapsed + seconds)
        return item

    # --- from the process ---

    def _on_message(self, message: object) -> None:
        match self._shifted(message):
            case SnapshotWritten(index=index, version=version, step=step, epoch=epoch):
                self._latest = (index, version, step, epoch)
            case FinalWeights(index=index):
                self.final_state = self._buffers.read(index)
            case RunState(state=state):
                self.final_training_state = state
            case Ended() as ended:
                self._finish(ended)
            case TrainingProgress() | EpochEnd() | Paused() as record:
                self._record(record)
            case Unknown(what=what):
                log.error("The training process did not know %s.", what)
            case other:
                log.error("An unknown message from the training process: %.200r", other)

    def _record(self, record: TrainingProgress | EpochEnd | Paused) -> None:
        """A record for the window (from the process or the first batches here), gathered until it is due."""
        if isinstance(record, (TrainingProgress, EpochEnd)):
            self.lr = record.lr
        self._updates.add(record)

    def _deliver(self, update: TrainingUpdate) -> None:
        if self in _busy:
            self.yielded.emit(update)

    def _on_died(self) -> None:
        if self._local is not None:  # before it took the run over: the first batches stop, and count for nothing
            self._stopping = True
            self._local.ask(Stop())
            return
        self._finish(self._died())

    def _died(self) -> Ended:
        code = self._process.process.exitcode
        return Ended("failed", f"The training process ended unexpectedly (exit code {code}); the model keeps the "
                     "weights it had before this run.", 0, 0.0)  # fmt: skip

    def _finish(self, ended: Ended) -> None:
        if self not in _busy:
            return
        self._updates.flush()  # every record before the end
        self._process.message.disconnect(self._on_message)
        self._process.died.disconnect(self._on_died)
        if self._process.alive:
            release(self._process)  # ready for the next run
        _busy.discard(self)
        SHARE.end(self)
        torch.set_num_threads(self._window_threads)
        self.returned.emit(ended)
