"""The only place aegui makes threads: superqt workers on Qt's global thread pool.

Training runs as a generator worker that forwards the trainer's records at most 30 times a second
(batch losses in chunks), so the window never receives a signal per batch.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, QThreadPool, Signal
from superqt.utils import FunctionWorker, GeneratorWorker, WorkerBase, create_worker

from aegui.core.training import BatchEnd, Ended, EpochEnd, Paused, Snapshot, Trainer
from aegui.gui.pacer import Interval

MAX_UPDATES_PER_SECOND = 10
# How the training thread shares the CPU (measured side by side by `python -m benchmarks gui`):
# "batch": Linux's SCHED_BATCH at the normal nice value. The thread keeps its fair share against
#   other programs but never preempts on wake-up, so the GUI thread (and the rest of the desktop)
#   still gets the CPU first when it wakes. The default.
# "normal": no change.
# "low": nice +10 and Qt's low priority. Every ordinary program then outranks training ~10:1: with
#   two other busy programs it trained at a fifth of the headless speed.
TRAINING_PRIORITIES = ("batch", "normal", "low")
DEFAULT_TRAINING_PRIORITY = "batch"
LOW_NICE = 10


@dataclass(frozen=True)
class TrainingProgress:
    """Batches done since the last update, and where training stands."""

    losses: np.ndarray  # per-batch losses, in order
    first_step: int  # the step of losses[0], 1-based within this run
    last: BatchEnd
    snapshot: Snapshot | None


def set_training_thread_priority(priority: str = DEFAULT_TRAINING_PRIORITY) -> None:
    """Set how this (training) thread competes for the CPU; see TRAINING_PRIORITIES.

    On Linux the policy and nice value are per thread and inherited by threads created later, so
    PyTorch's OpenMP team, made on this thread's first parallel region, gets the same.
    """
    if priority not in TRAINING_PRIORITIES:
        raise ValueError(f"unknown training priority {priority!r}")
    if priority == "low":
        QThread.currentThread().setPriority(QThread.Priority.LowPriority)
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        if priority == "batch":
            os.sched_setscheduler(thread, os.SCHED_BATCH, os.sched_param(0))
        elif priority == "low":
            os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + LOW_NICE, 19))
    except OSError:
        pass  # not allowed here: train at the normal priority


def training_updates(trainer: Trainer, rate: float = MAX_UPDATES_PER_SECOND,
                     priority: str = DEFAULT_TRAINING_PRIORITY) -> Generator:  # fmt: skip
    """Yield TrainingProgress (at most `rate` a second), EpochEnd and Paused records; return the Ended record."""
    set_training_thread_priority(priority)
    try:
        return (yield from _throttled(trainer, Interval(1.0 / rate)))
    except Exception as error:  # superqt drops RuntimeErrors from generators: report every failure
        return Ended("failed", f"Training failed: {type(error).__name__}: {error}", 0, 0.0)


def _throttled(trainer: Trainer, interval: Interval) -> Generator:
    pending: list[float] = []
    last: BatchEnd | None = None
    for event in trainer.iterate():
        if isinstance(event, BatchEnd):
            pending.append(event.loss)
            last = event
        due = interval.due() or not isinstance(event, BatchEnd)
        if pending and last is not None and due:
            yield TrainingProgress(np.asarray(pending, np.float64), last.step - len(pending) + 1, last,
                                   trainer.latest_snapshot())  # fmt: skip
            pending = []
            interval.mark()
        if isinstance(event, (EpochEnd, Paused)):  # a pause comes after the losses before it
            yield event
        elif isinstance(event, Ended):
            return event
    raise AssertionError("the trainer always ends with an Ended record")


def start_training(
    trainer: Trainer,
    on_update: Callable[[object], None],
    on_end: Callable[[Ended], None],
    priority: str = DEFAULT_TRAINING_PRIORITY,
) -> GeneratorWorker:
    """Train in a pool thread; updates and the final Ended record arrive in the GUI thread."""
    connections = {"yielded": on_update, "returned": on_end}  # connected before the thread starts
    return create_worker(training_updates, trainer, priority=priority, _connect=connections, _start_thread=True)


def run_in_thread(
    function: Callable,
    *args,
    on_result: Callable[[object], None],
    on_error: Callable[[Exception], None],
    **kwargs,
) -> FunctionWorker:
    """Run a function off the GUI thread; its result or exception arrives in the GUI thread."""
    connections = {"returned": on_result, "errored": on_error}  # connected before the thread starts
    return create_worker(function, *args, _connect=connections, _start_thread=True, **kwargs)


class ProgressRelay(QObject):
    """Carries progress reports from a worker thread to the GUI thread, a few times a second."""

    progress = Signal(str, int, int)

    def __init__(self) -> None:
        super().__init__()
        self._interval = Interval(1.0 / MAX_UPDATES_PER_SECOND)

    def report(self, name: str, done: int, total: int) -> None:
        if self._interval.take() or (total and done >= total):
            self.progress.emit(name, done, total)


def live_workers() -> int:
    """Threads still running a worker."""
    return QThreadPool.globalInstance().activeThreadCount()


def unfinished_workers() -> int:
    """Workers whose end the GUI thread has not yet processed."""
    return len(WorkerBase._worker_set)


def wait_for_workers(msecs: int) -> bool:
    """Wait until every worker thread is done; True if they all finished in time."""
    return QThreadPool.globalInstance().waitForDone(msecs)
