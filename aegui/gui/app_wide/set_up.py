"""Everything the window changes for its whole process, made once, at start-up, here where it can be seen
(`aegui.gui.app.make_application` calls it; the tests' application is set up the same way):

- Python's cyclic garbage is collected in the GUI thread only (`concurrency.threads.MainThreadCollector`
  says why: a collection in a worker can free a Qt object's wrapper there and deadlock);
- the training processes are stopped when the application quits;
- uncaught errors of every thread go to the one error sink (`notices`);
- large freed blocks go back to the system at once (`core.training.memory.return_large_blocks_when_freed`);
- OpenMP's idle threads sleep at once (`OMP_WAIT_POLICY`, unless a person set it), in the training processes
  started from here and in this one where PyTorch is not loaded yet: by default each spins for milliseconds
  after every parallel step, so a run's two threads held both cores of a 2-core machine between its steps and
  the window's thread waited for one (heartbeat p99 while training 33 ms, 24 ms with them asleep; training's
  speed the same).
"""

from __future__ import annotations

import os
import sys
import threading

from PySide6.QtCore import QCoreApplication

_set_up_for: QCoreApplication | None = None
OPENMP_WAIT, IDLE_THREADS_SLEEP = "OMP_WAIT_POLICY", "PASSIVE"


def set_up_process(app: QCoreApplication) -> None:
    global _set_up_for
    if _set_up_for is app:
        return
    from aegui.core.training.memory import return_large_blocks_when_freed
    from aegui.gui.app_wide.notices import notices
    from aegui.gui.concurrency.threads import collect_in_the_gui_thread

    _set_up_for = app
    collect_in_the_gui_thread(app)
    app.aboutToQuit.connect(_stop_training_processes)
    sink = notices()
    sys.excepthook = sink.on_uncaught
    threading.excepthook = sink.on_uncaught_in_thread
    return_large_blocks_when_freed()
    os.environ.setdefault(OPENMP_WAIT, IDLE_THREADS_SLEEP)  # (read as OpenMP loads, and by the processes started)


def _stop_training_processes() -> None:
    """The training processes, asked to quit (daemon processes would also end with this one). Their module
    imports torch, so it is not imported for this: where it never was, no process was started."""
    processes = sys.modules.get("aegui.gui.concurrency.processes")
    if processes is not None:
        processes.stop_training_processes()
