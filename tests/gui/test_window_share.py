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


def _spend(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_a_job_is_charged_from_its_start_and_for_what_it_did_after_its_last_check():
    """A job on a pooled thread was once charged from its first check: a t-SNE's affinities (seconds of CPU
    before its first check) went uncharged, and the map cost training a third of a core."""
    from aegui.gui.concurrency.window_share import SHARE, begin_job, end_job

    share = WindowShare(cores=0.01, allowance=0.0)
    share.begin(run := Run())
    waits: list[float] = []

    def job() -> None:
        begin_job()
        _spend(0.05)
        waits.append(_charge_this_thread(share))  # its first check: what it did since it began

    SHARE.begin(training := Run())
    try:
        for target in (job, lambda: (begin_job(), _spend(0.1), end_job())):  # (no check at all: charged as it ends)
            worker = threading.Thread(target=target)
            worker.start()
            worker.join(30)
        left = SHARE._tokens
    finally:
        SHARE.end(training)
    assert waits[0] > 1.0 and left < SHARE.allowance - 0.05 and run is not None


def test_a_job_begun_before_the_run_is_charged_for_its_part_since():
    """What a job spent before Train is not the window's share's to pay; of a span across the start, the part
    after (in proportion to the time)."""
    now = [0.0]
    share = WindowShare(cores=0.001, allowance=0.0, clock=lambda: now[0])

    def charged_across_the_start() -> float:
        _charge_this_thread(share)  # a check before the run (nothing charged; the mark)
        _spend(0.1)
        now[0] = 10.0
        share.begin(run := Run())
        now[0] = 20.0
        return _charge_this_thread(share) if run is not None else 0.0

    answers: list[float] = []
    worker = threading.Thread(target=lambda: answers.append(charged_across_the_start()))
    worker.start()
    worker.join(30)
    # half of the ~0.1 CPU-second spent (10 of the 20 s were before the run), less 10 s at a thousandth of a core
    assert 30.0 < answers[0] < 60.0
