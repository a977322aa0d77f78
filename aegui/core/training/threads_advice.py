"""How many threads the training process trains on while other work keeps the cores busy (`BusyMachine`).

"Other work" is every CPU second the machine spent outside the training process: other programs, and the
window's own process too (its drawing, a t-SNE in one of its workers). Before issue 45 the window's CPU
was left out, as if nobody used it; with the window's thread busy on one core of two, training kept two
threads whose team waited at its barriers for the descheduled one, and ran at 0.10x."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

# the fields of /proc/stat's "cpu" line that are not busy: idle and iowait
_NOT_BUSY = (3, 4)


def _read(path: str) -> str:
    with open(path) as file:
        return file.read()


def cpu_seconds(read: Callable[[str], str] = _read) -> tuple[float, float] | None:
    """(CPU seconds the whole machine has used, of which this process's) so far, or None where unknown.

    The machine's figure counts every process, the window's (this process's parent) among them: whatever
    the window does takes cores from training as another program would."""
    try:
        fields = read("/proc/stat").splitlines()[0].split()[1:]
        own = read("/proc/self/stat").rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        busy = sum(int(value) for index, value in enumerate(fields[:8]) if index not in _NOT_BUSY)
        return busy / ticks, (int(own[11]) + int(own[12])) / ticks  # (utime, stime: fields 14 and 15)
    except (OSError, ValueError, IndexError):
        return None


class BusyMachine:
    """Chooses how many threads training uses while other work keeps the cores busy, by measuring.

    PyTorch's thread team meets at a barrier many times per batch; when other work keeps every core
    busy, a descheduled member makes the others wait, so one thread fewer can be faster, or slower:
    it depends on the machine and its load. Measured on the same 2-core machine with two busy programs,
    on 2026-11-28 one thread won (3,300 samples/s against 500-2,400 with two); on 2026-11-29 two did
    (6,900 against 4,600). So while others (the window's process included) take more than half a core,
    training tries the other count for a few seconds now and then and keeps whichever made more steps per
    second; once they take less than a quarter of a core, it uses every thread again.
    """

    def __init__(self, threads: int, interval: float = 1.0, trial: float = 3.0, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 cpu_times: Callable[[], tuple[float, float] | None] = cpu_seconds) -> None:  # fmt: skip
        self.most = max(threads, 1)
        self.threads = self.most
        self._interval, self._trial, self._every = interval, trial, every
        self._clock = clock
        self._cpu_times = cpu_times
        self._rates: dict[int, float] = {}  # steps per second last measured with each thread count
        self._trying: tuple[int, float] | None = None  # (the count before the trial, when the trial ends)
        self._next_trial = -math.inf
        self._last_check: tuple[float, int, tuple[float, float] | None] | None = None
        self.others = 0.0  # the cores that other work took over the last interval

    def restart(self) -> None:
        """Steps stop counting for a while (an epoch's evaluation, a pause): measure afresh."""
        self._last_check = None

    def advise(self, step: int) -> int:
        """The thread count for now, given the steps done so far (checked once per interval)."""
        now = self._clock()
        if self.most == 1:
            return self.threads
        if self._last_check is None:
            self._last_check = (now, step, self._cpu_times())
            return self.threads
        then, then_step, then_times = self._last_check
        if now - then < self._interval:
            return self.threads
        times = self._cpu_times()
        self._last_check = (now, step, times)
        if times is None or then_times is None:
            return self.threads
        seconds = now - then
        self._rates[self.threads] = (step - then_step) / seconds
        self.others = max((times[0] - then_times[0]) - (times[1] - then_times[1]), 0.0) / seconds
        if self.others < 0.25:  # quiet again: every thread
            self.threads, self._trying, self._next_trial = self.most, None, -math.inf
        elif self.others > 0.5 or self._trying is not None:
            self._while_busy(now)
        return self.threads

    def _while_busy(self, now: float) -> None:
        if self._trying is not None:
            before, ends = self._trying
            if now < ends:
                return
            tried = self.threads
            self.threads = tried if self._rates.get(tried, 0.0) > self._rates.get(before, 0.0) else before
            self._trying, self._next_trial = None, now + self._every
        elif now >= self._next_trial:
            other = self.most - 1 if self.threads == self.most else self.most
            self._trying = (self.threads, now + self._trial)
            self.threads = other
