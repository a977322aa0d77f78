"""The window: PySide6 + pyqtgraph views on the core."""
