"""The only place the window starts threads: superqt workers on Qt's global thread pool for short jobs
(loading, saving, computing maps, loading the model library at start-up), their results and errors
delivered in the GUI thread. Light to import (no torch): the first frame uses it. (Training runs in a
process: `aegui.gui.concurrency.training_process`.)"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThreadPool, QTimer, Signal
from superqt.utils import FunctionWorker, WorkerBase, create_worker

from aegui.core.training.pacing import MAX_UPDATES_PER_SECOND, Interval


class MainThreadCollector(QObject):
    """Python's cycle collector runs in whichever thread happens to allocate. Run in a worker, it can
    free a Qt object's wrapper there: seen in a test run, a worker's collection ran ~QObject and waited
    for the GIL while the GUI thread, holding the GIL, waited for that object's lock (a deadlock). So
    while workers may run, automatic collection is off and the GUI thread collects, when the counts
    call for it, a few times a second."""

    INTERVAL_MS = 250

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    @staticmethod
    def collect() -> None:
        """Collect the oldest generation whose count is over its threshold (as automatic collection would)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def collect_in_the_gui_thread(application: QCoreApplication) -> None:
    """From now on, cyclic garbage is collected in the GUI thread only (at start-up: `aegui.gui.app_wide.set_up`)."""
    MainThreadCollector(application)


def run_in_thread(
    function: Callable,
    *args,
    on_result: Callable[[object], None],
    on_error: Callable[[Exception], None],
    **kwargs,
) -> FunctionWorker:
    """Run a function off the GUI thread; its result or exception arrives in the GUI thread."""
    connections = {"returned": on_result, "errored": on_error}  # connected before the thread starts
    return _started(create_worker(function, *args, _connect=connections, _start_thread=False, **kwargs))


def run_generator_in_thread(
    function: Callable,
    *args,
    on_yield: Callable[[object], None],
    on_result: Callable[[object], None],
    on_error: Callable[[Exception], None],
) -> WorkerBase:
    """Run a generator off the GUI thread; what it yields, then its return value (or exception), arrive in
    the GUI thread in order."""
    connections = {"yielded": on_yield, "returned": on_result, "errored": on_error}
    return _started(create_worker(function, *args, _connect=connections, _start_thread=False))


_unfinished: set[WorkerBase] = set()  # every worker started here whose end has not been signalled


def _started(worker: WorkerBase) -> WorkerBase:
    """Count the worker until its end is signalled (connected before it starts: a short one may be done before
    a later connection is made), then start it."""
    _unfinished.add(worker)
    held = weakref.ref(worker)  # (the connection must not keep the worker alive once it is done)
    worker.finished.connect(lambda: _unfinished.discard(held()))
    worker.start()
    return worker


def warm_in_background(function: Callable[[], None], name: str) -> None:
    """Run `function` in a daemon thread whose end nobody waits for: work that only warms a cache (an import
    the next step will need) and may be abandoned when the program exits. No Qt object is involved, so
    closing the window neither waits for it nor leaves it a signal to a deleted object."""
    threading.Thread(target=_quietly, args=(function,), name=name, daemon=True).start()


def _quietly(function: Callable[[], None]) -> None:
    try:
        function()
    except Exception as error:  # (a cache not warmed costs its time later, where it is needed: a warning)
        from aegui.gui.app_wide.notices import Severity, post_error

        post_error(error, "Could not prepare ahead", Severity.WARNING)


class ProgressRelay(QObject):
    """Carries progress reports from a worker thread to the GUI thread, a few times a second."""

    progress = Signal(str, int, int)

    def __init__(self) -> None:
        super().__init__()
        self._interval = Interval(1.0 / MAX_UPDATES_PER_SECOND)

    def report(self, name: str, done: int, total: int) -> None:
        if self._interval.take() or (total and done >= total):
            self.progress.emit(name, done, total)


def live_workers() -> int:
    """Threads still running a worker."""
    return QThreadPool.globalInstance().activeThreadCount()


def unfinished_workers() -> int:
    """Workers started here whose end has not been signalled yet."""
    return len(_unfinished)


def wait_for_workers(msecs: int) -> bool:
    """Wait until every worker is done and its end delivered; True if they all finished in time. superqt starts a
    worker created inside a running event loop on the next turn of the loop (a zero-time timer): the pool does
    not know it yet, so waiting on the pool alone missed it and it ran after the window had gone (seen closing
    the window just after an epoch's end). The loop turns here until no such worker is left."""
    pool = QThreadPool.globalInstance()
    deadline = time.monotonic() + msecs / 1000
    while True:
        if not pool.waitForDone(max(0, round((deadline - time.monotonic()) * 1000))):
            return False
        if unfinished_workers() == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
