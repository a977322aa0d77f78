"""The one pacing rule for GUI work (`aegui.core.training.pacing.Interval`), applied to refreshes in the GUI
thread: run at most once per interval, at once whenever it can, deferring a request that comes too
soon instead of dropping it; and to a training run's records (`UpdatePacer`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

from aegui.core.training.pacing import Interval
from aegui.core.training.protocol import EpochEnd, Paused, TrainingProgress

WINDOW_UPDATES_PER_SECOND = 30  # the most times a second a training run's records reach the window's views
FRAME_MS = 16  # a displayed frame (60 Hz): work put off by one lets the window paint first


class FramePacer(QObject):
    """Calls `function` at most once per `interval_ms`, counting from the start of the previous call.

    superqt's qthrottled waits a full interval after each call has *finished*, so with a pen
    reporting every 8 ms and a 2-3 ms refresh it falls steadily behind; here a request that comes
    an interval after the last refresh began runs immediately, and one that comes sooner runs
    when the interval is up. Requests in between collapse into that one call.
    """

    def __init__(self, function: Callable[[], None], interval_ms: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._function = function
        self._interval = Interval(interval_ms / 1000.0)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._run)

    def request(self) -> None:
        if self._timer.isActive():
            return  # a call is already due; it will see the latest state
        wait = self._interval.wait()
        if wait <= 0:
            self._run()
        else:
            self._timer.start(max(1, math.ceil(wait * 1000)))

    def flush(self) -> None:
        """Run a deferred call now."""
        if self._timer.isActive():
            self._timer.stop()
            self._run()

    def cancel(self) -> None:
        self._timer.stop()

    def _run(self) -> None:
        self._interval.mark()
        self._function()


@dataclass(frozen=True)
class TrainingUpdate:
    """What a run reported since the window last took its records in: the losses of every batch since, in one
    TrainingProgress; the epochs that ended; the pause it stopped at (nothing after a pause is in the same update)."""

    progress: TrainingProgress | None = None
    epochs: tuple[EpochEnd, ...] = ()
    paused: Paused | None = None


def gathered(records: list[TrainingProgress | EpochEnd | Paused]) -> TrainingUpdate:
    """Records, in the order they came, as one update (their batches follow each other)."""
    progress = [record for record in records if isinstance(record, TrainingProgress)]
    joined = progress[-1] if progress else None
    if len(progress) > 1:
        losses = np.concatenate([record.losses for record in progress])
        joined = replace(progress[-1], losses=losses, first_step=progress[0].first_step)
    epochs = tuple(record for record in records if isinstance(record, EpochEnd))
    return TrainingUpdate(joined, epochs, next((record for record in records if isinstance(record, Paused)), None))


class UpdatePacer(QObject):
    """Gathers a run's records as they come and hands them on as one TrainingUpdate, at once when the last was
    handed on long enough ago, else when it is due: at most WINDOW_UPDATES_PER_SECOND a second, none dropped.
    A pause is handed on at once, with what came before it."""

    def __init__(self, deliver: Callable[[TrainingUpdate], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._pending: list[TrainingProgress | EpochEnd | Paused] = []
        self._pacer = FramePacer(self._hand_on, 1000.0 / WINDOW_UPDATES_PER_SECOND, self)

    def add(self, record: TrainingProgress | EpochEnd | Paused) -> None:
        self._pending.append(record)
        if isinstance(record, Paused):  # (a person's pauses come at a person's pace)
            self.flush()
        else:
            self._pacer.request()

    def flush(self) -> None:
        """Hand on what is gathered now (before a pause, before the run's end)."""
        self._pacer.cancel()
        self._hand_on()

    def _hand_on(self) -> None:
        if self._pending:
            records, self._pending = self._pending, []
            self._deliver(gathered(records))
