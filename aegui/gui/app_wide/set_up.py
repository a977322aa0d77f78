"""Everything the window changes for its whole process, made once, at start-up, here where it can be seen
(`aegui.gui.app.make_application` calls it; the tests' application is set up the same way):

- Python's cyclic garbage is collected in the GUI thread only (`concurrency.threads.MainThreadCollector`
  says why: a collection in a worker can free a Qt object's wrapper there and deadlock);
- the training processes are stopped when the application quits;
- uncaught errors of every thread go to the one error sink (`notices`);
- large freed blocks go back to the system at once (`core.training.memory.return_large_blocks_when_freed`).
"""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QCoreApplication

_set_up_for: QCoreApplication | None = None


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


def _stop_training_processes() -> None:
    """The training processes, asked to quit (daemon processes would also end with this one). Their module
    imports torch, so it is not imported for this: where it never was, no process was started."""
    processes = sys.modules.get("aegui.gui.concurrency.processes")
    if processes is not None:
        processes.stop_training_processes()
