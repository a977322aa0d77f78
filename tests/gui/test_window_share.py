"""The window's share of a core while training: its workers wait between blocks once it is spent."""

from __future__ import annotations

import gc
import threading
import time

from aegui.gui.concurrency.window_share import PacedEvent, WindowShare, _charge_this_thread


class Run:
    """A training run, as the share sees it."""


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_wait_when_no_training_runs():
    share = WindowShare(0.1, 0.3, clock=Clock())
    assert share.charge(50.0) == 0.0  # (a person waiting for a t-SNE gets the whole machine)


def test_the_allowance_then_the_share():
    clock = Clock()
    share = WindowShare(cores=0.1, allowance=0.3, clock=clock)
    run = Run()
    share.begin(run)
    assert share.charge(0.2) == 0.0  # within the allowance: a map begins at once
    assert abs(share.charge(0.3) - 2.0) < 1e-9  # 0.2 CPU-seconds over: two seconds at a tenth of a core
    clock.now += 1.0
    assert abs(share.charge(0.0) - 1.0) < 1e-9
    clock.now += 1.0
    assert share.charge(0.0) == 0.0
    clock.now += 100.0  # idle for long: still only the allowance ahead, not 10 CPU-seconds
    assert share.charge(0.0) == 0.0
    assert abs(share.charge(0.5) - 2.0) < 1e-9


def test_a_debt_is_paid_in_full_and_ends_with_training():
    share = WindowShare(cores=0.1, allowance=0.3, clock=Clock())
    first, second, dropped = Run(), Run(), Run()
    share.begin(first)
    assert abs(share.charge(30.3) - 300.0) < 1e-9  # one long block: paid for after it, at a tenth of a core
    share.begin(second)
    share.end(first)
    assert share.charge(0.0) > 0  # one still runs
    share.end(second)
    assert share.charge(0.0) == 0.0
    assert not share.active
    share.begin(dropped)
    assert share.active
    del dropped  # a run given up and dropped before its end never holds the window back
    gc.collect()
    assert not share.active


def test_each_worker_is_charged_its_own_cpu_between_its_checks():
    share = WindowShare(cores=0.01, allowance=0.0)
    share.begin(run := Run())
    waits: list[float] = []

    def spin(seconds: float) -> None:
        until = time.thread_time() + seconds
        while time.thread_time() < until:
            pass

    def work() -> None:
        waits.append(_charge_this_thread(share))  # its first check: nothing spent since
        spin(0.05)
        waits.append(_charge_this_thread(share))  # 0.05 CPU-seconds at a hundredth of a core: seconds to wait

    def other() -> None:
        waits.append(_charge_this_thread(share))  # another thread is not charged for the first one's work

    for target in (work, other):
        worker = threading.Thread(target=target)
        worker.start()
        worker.join(30)
    assert waits[0] == 0.0 and waits[1] > 1.0 and waits[2] <= waits[1] and run is not None


def test_a_worker_over_its_share_waits_and_a_cancel_wakes_it():
    share = WindowShare(cores=0.1, allowance=0.0)
    share.begin(run := Run())
    share.charge(1000.0)  # far over: the worker would wait for hours
    event = PacedEvent(share)
    assert event.is_set() is False  # the GUI thread never waits
    answers: list[bool] = []
    worker = threading.Thread(target=lambda: answers.append(event.is_set()))
    worker.start()
    worker.join(0.2)
    assert worker.is_alive()  # it waits for the window's share
    event.set()
    worker.join(10)
    assert answers == [True] and run is not None


def test_a_job_begun_before_training_computes_on_one_thread_from_its_next_check():
    """OpenMP keeps a thread count per thread: a job begun with the window's threads would keep them, one of them
    never charged, until it ended."""
    import torch

    from aegui.gui.concurrency.window_share import SHARE, compute_on_the_share_of_threads

    seen: list[int] = []
    begun, trained = threading.Event(), threading.Event()

    def job() -> None:
        event = PacedEvent()
        compute_on_the_share_of_threads()  # as the job starts: no run yet
        torch.set_num_threads(2)  # (the window's threads, on any machine)
        seen.append(torch.get_num_threads())
        begun.set()
        trained.wait(30)
        event.is_set()  # its next check, the run going
        seen.append(torch.get_num_threads())

    worker = threading.Thread(target=job)
    worker.start()
    begun.wait(30)
    SHARE.begin(run := Run(), window_threads=2)
    try:
        trained.set()
        worker.join(30)
    finally:
        SHARE.end(run)
    assert seen == [2, 1]
