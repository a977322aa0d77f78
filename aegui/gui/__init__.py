"""The window: PySide6 + pyqtgraph views on the core. `MainWindow()` needs no arguments."""

import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="k")

from aegui.gui.main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow"]
