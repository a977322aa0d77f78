"""The window: PySide6 + pyqtgraph views on the core. `MainWindow()` needs no arguments.

Importing this package is light (no torch, no pyqtgraph): the window's first frame is built from light
modules and shown before the model library has loaded (see `aegui.gui.app`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["MainWindow"]

if TYPE_CHECKING:
    from aegui.gui.window.main_window import MainWindow


def __getattr__(name: str):
    if name == "MainWindow":
        from aegui.gui.window.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'aegui.gui' has no attribute {name!r}")
