"""The training process's thread count under load (`BusyMachine`), on fake clocks and fake CPU readings: no timing."""

from __future__ import annotations

import pytest

from aegui.core.training.threads_advice import BusyMachine, cpu_seconds

TICKS = 100  # (SC_CLK_TCK on Linux; the fake readings are in ticks and read back in seconds)


@pytest.mark.parametrize("faster", [1, 2])
def test_on_a_busy_machine_training_keeps_the_thread_count_that_makes_more_steps(faster):
    """Which count wins under load depends on the machine: it is measured, not assumed."""
    clock = {"now": 0.0, "step": 0, "others": 0.0, "ours": 0.0}

    def cpu_times():
        return clock["others"] + clock["ours"], clock["ours"]

    busy = BusyMachine(2, interval=1.0, trial=3.0, every=30.0, clock=lambda: clock["now"], cpu_times=cpu_times)
    counts = []
    for second in range(120):
        threads = busy.advise(clock["step"])
        counts.append(threads)
        clock["now"] += 1.0
        clock["step"] += 100 if threads == faster else 60
        clock["ours"] += threads * 0.5
        clock["others"] += 1.8 if second < 90 else 0.0  # two busy programs, then they end
    busy_counts = counts[40:88]
    assert busy_counts.count(faster) > 0.8 * len(busy_counts)  # mostly the faster count, trying the other now and then
    assert counts[-1] == 2  # quiet again: every thread


class FakeProc:
    """/proc as the training process reads it: the machine's busy ticks (its own, its parent's, other
    programs') and its own ticks."""

    def __init__(self) -> None:
        self.ticks = {"ours": 0, "window": 0, "others": 0}

    def read(self, path: str) -> str:
        if path == "/proc/stat":
            busy = sum(self.ticks.values())
            # user nice system idle iowait irq softirq steal guest guest_nice; idle and iowait are not busy
            return f"cpu  {busy - busy // 4} 0 {busy // 4} 987654 321 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
        if path == "/proc/self/stat":
            ours = self.ticks["ours"]
            # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
            return f"4242 (python (aegui)) R 4200 4242 4242 0 -1 4194304 10 0 0 0 {ours - ours // 3} {ours // 3} 0 0\n"
        raise OSError(path)


def test_cpu_seconds_reads_the_machine_and_the_process(monkeypatch):
    import os

    monkeypatch.setattr(os, "sysconf", lambda name: TICKS)
    proc = FakeProc()
    proc.ticks = {"ours": 300, "window": 150, "others": 50}
    assert cpu_seconds(proc.read) == (5.0, 3.0)  # the window's and the others' ticks are the machine's, not ours
    assert cpu_seconds(lambda path: (_ for _ in ()).throw(OSError(path))) is None  # no /proc: nothing is known


def test_a_busy_window_makes_training_use_fewer_threads(monkeypatch):
    """Issue 45: the window's own CPU (a t-SNE, a heavy redraw in its process: the training process's parent) is
    load like any other program's. While it keeps one core of two busy, two threads make 0.1x the steps of one
    (their team waits at its barriers for the descheduled thread): training takes one thread until the window
    is quiet again, then every thread."""
    import os

    monkeypatch.setattr(os, "sysconf", lambda name: TICKS)
    proc = FakeProc()
    clock = {"now": 0.0, "step": 0}
    busy = BusyMachine(2, interval=1.0, trial=3.0, every=30.0, clock=lambda: clock["now"],
                       cpu_times=lambda: cpu_seconds(proc.read))  # fmt: skip
    counts = []
    for second in range(100):
        threads = busy.advise(clock["step"])
        counts.append(threads)
        window_busy = 10 <= second < 70
        clock["now"] += 1.0
        clock["step"] += (10 if threads == 2 else 100) if window_busy else (150 if threads == 2 else 100)
        proc.ticks["ours"] += (
            threads * TICKS // (2 if window_busy else 1)
        )  # (while the window holds a core, ours share)
        proc.ticks["window"] += TICKS if window_busy else TICKS // 20  # one core, or its idle 5%
    assert counts[:10] == [2] * 10  # quiet: every thread (the window's idle 5% is not load enough)
    while_busy = counts[15:70]
    assert while_busy.count(1) > 0.8 * len(while_busy)  # one thread, trying two now and then
    assert counts[-10:] == [2] * 10  # the window quiet again: every thread
