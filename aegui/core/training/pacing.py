"""The one pacing rule for work that reports to a person: at most once per interval.

Plain Python, so that worker threads and the training process use the same rule as the window.
"""

from __future__ import annotations

import math
import time

MAX_UPDATES_PER_SECOND = 10


class Interval:
    """Says when `seconds` have passed since the last time something ran."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = -math.inf

    def wait(self, now: float | None = None) -> float:
        """Seconds until the next run is due (<= 0: due now)."""
        return self._last + self.seconds - (time.perf_counter() if now is None else now)

    def due(self, now: float | None = None) -> bool:
        return self.wait(now) <= 0

    def mark(self, now: float | None = None) -> None:
        self._last = time.perf_counter() if now is None else now

    def take(self, now: float | None = None) -> bool:
        """True, and counted as a run, when a run is due."""
        if not self.due(now):
            return False
        self.mark(now)
        return True
