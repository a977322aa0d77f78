"""A run's first batches, trained in a worker of the window while its training process starts.

The Trainer is made in that worker, not in the GUI thread: the first optimizer imports torch._dynamo (a
second or more, and the GUI thread would wait on the import lock while the start-up warm-up holds it) and a
model with a linear path fits its images' principal components. A command asked before the Trainer exists
is kept and handed to it as it is made: none is lost, none waits.
"""

from __future__ import annotations

import threading
from collections.abc import Generator

from aegui.core.data.datasets import Dataset
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.training.protocol import Pause, Resume, SetRate, Stop
from aegui.core.training.resume import TrainingState
from aegui.core.training.server import window_run
from aegui.core.training.trainer import History, TrainConfig, Trainer

Command = Pause | Resume | Stop | SetRate


def _apply(trainer: Trainer, command: Command) -> None:
    match command:
        case Pause():
            trainer.pause()
        case Resume():
            trainer.resume()
        case Stop():
            trainer.request_stop()
        case SetRate(lr=lr):
            trainer.set_lr(lr)


class FirstBatches:
    """The Trainer of a run's first batches once the worker has made it (`trainer`; None before), and the
    commands asked of it meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.trainer: Trainer | None = None
        self._asked: list[Command] = []

    def ask(self, command: Command) -> None:
        """Pause, resume, stop or set the rate: now if the Trainer exists, else as soon as it does."""
        with self._lock:
            if self.trainer is None:
                self._asked.append(command)
                return
            trainer = self.trainer
        _apply(trainer, command)

    def attach(self, trainer: Trainer) -> None:
        """(In the worker) the Trainer is made: what was asked of it meanwhile, in order, then it is public."""
        with self._lock:
            for command in self._asked:
                _apply(trainer, command)
            self._asked.clear()
            self.trainer = trainer


def train_first_batches(first: FirstBatches, model: AutoEncoder, dataset: Dataset, config: TrainConfig,
                        history: History, resume: TrainingState | None) -> Generator:  # fmt: skip
    """(A worker's generator) make the Trainer, then train as `window_run` does; returns the Ended record."""
    trainer = Trainer(model, dataset, config, "cpu", history=history, resume=resume)
    first.attach(trainer)
    return (yield from window_run(trainer))
