"""The one pacing rule for GUI work (`aegui.core.training.pacing.Interval`), applied to refreshes in the GUI
thread: run at most once per interval, at once whenever it can, deferring a request that comes too
soon instead of dropping it."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

from aegui.core.training.pacing import Interval


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
