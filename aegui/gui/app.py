"""Starting the application."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from aegui import __version__
from aegui.gui.app_wide.set_up import set_up_process
from aegui.resources import resource_path


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("aegui")
    app.setOrganizationName("aegui")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("aegui")  # the menu entry `aegui install-desktop` writes: its icon in the task bar
    icon = resource_path("aegui.svg")
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    set_up_process(app)
    return app


def settle_heap() -> None:
    """Move everything made while starting (modules, classes, the window's widgets) out of the garbage
    collector's sight. Otherwise each full collection scans all of it in the GUI thread: 190-360 ms
    pauses, at random moments, measured here (a person's click on Train froze the window 320 ms)."""
    gc.freeze()  # no collection first: that alone scans it all once (~0.3 s)


LIBRARY_WAIT_MS = 120_000


def run_app(
    data_dir: str | Path | None = None,
    model_path: str | Path | None = None,
    image_path: str | Path | None = None,
    exit_when_shown: bool = False,
    exit_when_ready: bool = False,
) -> int:
    """The window first (panel and canvas: no torch, no pyqtgraph), then the model library loaded in a
    worker thread and the rest of the window built from it."""
    from PySide6.QtCore import QTimer

    from aegui.gui.concurrency.threads import wait_for_workers
    from aegui.gui.window.main_window import MainWindow

    app = make_application()
    window = MainWindow(data_dir=data_dir, model_path=model_path, load_later=True, image_path=image_path)
    window.ready.connect(settle_heap)
    window.show()
    QTimer.singleShot(0, window.load_the_rest)
    if exit_when_shown or exit_when_ready:  # for start-up benchmarks: leave once the first frame (or all) is up

        def leave(what: str) -> None:
            print(f"window {what}", flush=True)
            window.close()

        if exit_when_shown:
            QTimer.singleShot(0, lambda: leave("shown"))
        else:
            window.ready.connect(lambda: QTimer.singleShot(0, lambda: leave("ready")))
    code = app.exec()
    wait_for_workers(LIBRARY_WAIT_MS)  # a library still loading (an import cannot be stopped): let it finish
    return code
