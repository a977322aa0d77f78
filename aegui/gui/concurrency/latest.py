"""The latest request wins: a job in a worker (`threads.run_in_thread`) whose result is wanted only while no newer
request has come. Starting a job supersedes the one before it: the older job's `threading.Event` is set (it may
check it between blocks and give up by raising) and its result or error is dropped; only the newest job's reaches
the owner, in the GUI thread. The shape of Orange3's ConcurrentMixin and TaskState."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject

from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.concurrency.window_share import PacedEvent, begin_job, end_job


class _Failed(Exception):
    """A job's error, with the Event that says which job it was."""

    def __init__(self, cancel: threading.Event, error: Exception) -> None:
        super().__init__(str(error))
        self.cancel, self.error = cancel, error


def _run(function: Callable, args: tuple, cancel: threading.Event) -> tuple[threading.Event, object]:
    """In the worker: `function(*args, cancel)`, its result or error carrying the job's Event."""
    try:
        begin_job()
        return cancel, function(*args, cancel)
    except Exception as error:
        raise _Failed(cancel, error) from error
    finally:
        end_job()


class LatestTask(QObject):
    """Runs its owner's jobs in workers, the latest request winning (see the module).

    `start(function, *args)` calls `function(*args, cancel)` in a worker, `cancel` being the job's Event (set once
    the job is superseded or cancelled); `on_result(result)` or `on_error(error)` follows in the GUI thread, for the
    newest job only. `cancel()` supersedes the job without a successor (new weights, the window closing). `busy`:
    a job's answer is awaited.

    `one_at_a_time`: a job started while a superseded one still runs waits for that one to end (never two of the
    owner's jobs at once on the cores); of those that wait, only the newest starts."""

    def __init__(self, on_result: Callable[[object], None], on_error: Callable[[Exception], None],
                 parent: QObject | None = None, *, one_at_a_time: bool = False) -> None:  # fmt: skip
        super().__init__(parent)
        self._on_result, self._on_error, self._one_at_a_time = on_result, on_error, one_at_a_time
        self._current: threading.Event | None = None  # the newest job's, until its answer is delivered
        self._running: threading.Event | None = None  # (one at a time) the job in a worker now
        self._waiting: tuple[Callable, tuple, threading.Event] | None = None  # (one at a time) the job to start next

    @property
    def busy(self) -> bool:
        return self._current is not None

    def start(self, function: Callable, *args) -> threading.Event:
        """Supersede the job before (if any) and run `function(*args, cancel)`; returns the new job's Event."""
        self.cancel()
        self._current = cancel = PacedEvent()  # (between blocks, it also keeps the job to the window's share)
        if self._one_at_a_time and self._running is not None:
            self._waiting = (function, args, cancel)
        else:
            self._launch(function, args, cancel)
        return cancel

    def cancel(self) -> None:
        """Give up the newest job: its Event is set, and its answer is dropped."""
        if self._current is not None:
            self._current.set()
            self._current = None
        self._waiting = None

    def _launch(self, function: Callable, args: tuple, cancel: threading.Event) -> None:
        if self._one_at_a_time:
            self._running = cancel
        # bound methods, not lambdas: Qt holds them weakly, so the owner is freed while a job runs on
        run_in_thread(_run, function, args, cancel, on_result=self._on_returned, on_error=self._on_failed)

    def _on_returned(self, outcome: tuple[threading.Event, object]) -> None:
        cancel, result = outcome
        if self._ended(cancel):
            self._on_result(result)

    def _on_failed(self, failure: _Failed) -> None:  # (`_run` wraps every error a job raises)
        if self._ended(failure.cancel):
            self._on_error(failure.error)

    def _ended(self, cancel: threading.Event) -> bool:
        """A job has ended: start the one waiting, if any; whether its answer is to be delivered."""
        if self._running is cancel:
            self._running = None
            if self._waiting is not None:
                function, args, waiting = self._waiting
                self._waiting = None
                self._launch(function, args, waiting)
        if cancel is not self._current:
            return False  # superseded or cancelled
        self._current = None
        return True
