"""LatestTask: of jobs started back to back, only the newest one's answer arrives; the older ones are told to stop."""

from __future__ import annotations

import threading

from aegui.gui.concurrency.latest import LatestTask


def _held(gate: threading.Event, answer, _cancel: threading.Event):
    """A job that waits for `gate` (set by the test), then answers (or fails, given an exception)."""
    gate.wait(30)
    if isinstance(answer, Exception):
        raise answer
    return answer


def _collector():
    results, errors = [], []
    return results, errors, LatestTask(results.append, errors.append)


def test_of_two_jobs_started_back_to_back_only_the_second_answers_and_the_first_is_told_to_stop(qtbot):
    results, errors, task = _collector()
    gate, gave_up = threading.Event(), []

    def until_told_to_stop(cancel: threading.Event) -> str:
        gave_up.append(cancel.wait(30))
        return "first"

    first = task.start(until_told_to_stop)
    second = task.start(_held, gate, "second")
    assert first.is_set() and not second.is_set() and task.busy
    qtbot.waitUntil(lambda: gave_up == [True], timeout=5_000)  # the first job saw its Event and ended
    gate.set()
    qtbot.waitUntil(lambda: results == ["second"], timeout=5_000)  # (the first's answer was dropped)
    assert not task.busy and errors == []


def test_an_old_jobs_error_is_dropped_and_the_newest_ones_delivered(qtbot):
    results, errors, task = _collector()
    gate = threading.Event()
    task.start(_held, gate, ValueError("old"))
    task.start(_held, gate, "new")
    gate.set()
    qtbot.waitUntil(lambda: results == ["new"], timeout=5_000)
    assert errors == []
    task.start(_held, gate, ValueError("newest"))
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5_000)
    assert str(errors[0]) == "newest" and isinstance(errors[0], ValueError) and results == ["new"]


def test_cancel_sets_the_jobs_event_and_stops_its_delivery(qtbot):
    results, errors, task = _collector()
    gate = threading.Event()
    cancel = task.start(_held, gate, "answer")
    task.cancel()
    assert cancel.is_set() and not task.busy
    ended = task.start(_held, gate, "after")  # a job after the cancel answers (and so the first has ended)
    gate.set()
    qtbot.waitUntil(lambda: results == ["after"], timeout=5_000)
    assert not ended.is_set() and errors == []


def test_one_at_a_time_a_job_waits_for_the_superseded_one_and_only_the_newest_waiting_runs(qtbot):
    results, errors = [], []
    task = LatestTask(results.append, errors.append, one_at_a_time=True)
    running, started = threading.Event(), []
    gate = threading.Event()

    def job(name: str, cancel: threading.Event) -> str:
        started.append(name)
        if name == "first":  # holds on until it is told to stop, and then a little more
            running.set()
            cancel.wait()
            gate.wait()
        return name

    task.start(job, "first")
    qtbot.waitUntil(running.is_set, timeout=5_000)
    task.start(job, "second")
    task.start(job, "third")
    assert started == ["first"]  # nothing else starts while the first runs
    gate.set()
    qtbot.waitUntil(lambda: results == ["third"], timeout=5_000)
    assert started == ["first", "third"] and errors == []
