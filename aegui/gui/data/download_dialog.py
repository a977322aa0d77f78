"""A download's progress, with Cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

STEPS = 1000


class DownloadDialog(QProgressDialog):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, "Cancel", 0, STEPS, parent)
        self.setObjectName("downloadDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)

    def show_progress(self, name: str, done: int, total: int) -> None:
        of_total = f" of {total / 1e6:.1f}" if total else ""
        self.setLabelText(f"Downloading {name}: {done / 1e6:.1f} MB{of_total}")
        self.setValue(int(STEPS * done / total) if total else 0)
