"""Run a refresh for the latest request, at most once per interval, and at once whenever it can."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer


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
        self._interval = interval_ms / 1000.0
        self._last_start = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._run)

    def request(self) -> None:
        if self._timer.isActive():
            return  # a call is already due; it will see the latest state
        wait = self._last_start + self._interval - time.perf_counter()
        if wait <= 0:
            self._run()
        else:
            self._timer.start(max(1, math.ceil(wait * 1000)))

    def _run(self) -> None:
        self._last_start = time.perf_counter()
        self._function()
