"""Starting the application."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from aegui import __version__
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
    return app


def settle_heap() -> None:
    """Move everything made while starting (modules, classes, the window's widgets) out of the garbage
    collector's sight. Otherwise each full collection scans all of it in the GUI thread: 190-360 ms
    pauses, at random moments, measured here (a person's click on Train froze the window 320 ms)."""
    gc.freeze()  # no collection first: that alone scans it all once (~0.3 s)


def run_app(
    data_dir: str | Path | None = None, model_path: str | Path | None = None, exit_when_shown: bool = False
) -> int:
    app = make_application()
    from aegui.gui import MainWindow

    window = MainWindow(data_dir=data_dir, model_path=model_path)
    window.show()
    settle_heap()
    if exit_when_shown:  # for start-up benchmarks: leave as soon as the first frame is up
        from PySide6.QtCore import QTimer

        def leave() -> None:
            print("window shown", flush=True)
            window.close()

        QTimer.singleShot(0, leave)
    return app.exec()
