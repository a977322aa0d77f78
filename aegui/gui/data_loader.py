"""Loading and downloading data off the GUI thread, for the session controller.

Only the latest load request's result is reported: a person who picks MNIST and then, before it has
loaded, the sample gets the sample. The session decides what each result means for its phase.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from aegui.core.data import download_dataset, load_dataset
from aegui.gui.workers import ProgressRelay, run_in_thread


class DataLoader(QObject):
    loaded = Signal(object)  # the Dataset of the latest request
    failed = Signal(object)  # the exception of the latest request
    downloaded = Signal(str)  # the dataset's name
    downloadFailed = Signal(object)  # the exception
    downloadProgress = Signal(str, int, int)  # file name, bytes done, bytes expected (0: unknown)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._request = 0  # bumped by every load: only the latest request's result is reported
        self._cancelled = False
        self._relay = ProgressRelay()
        self._relay.progress.connect(self.downloadProgress)

    def load(self, choice: str, folder: Path) -> None:
        self._request += 1
        request = self._request
        run_in_thread(load_dataset, choice, folder, on_result=lambda data: self._on_loaded(request, data),
                      on_error=lambda error: self._on_failed(request, error))  # fmt: skip

    def _on_loaded(self, request: int, dataset) -> None:
        if request == self._request:
            self.loaded.emit(dataset)

    def _on_failed(self, request: int, error: Exception) -> None:
        if request == self._request:
            self.failed.emit(error)

    def download(self, name: str, folder: Path, mirrors: list[str] | None) -> None:
        self._cancelled = False
        run_in_thread(download_dataset, name, folder, mirrors=mirrors, progress=self._relay.report,
                      cancelled=lambda: self._cancelled, on_result=lambda _root: self.downloaded.emit(name),
                      on_error=self.downloadFailed.emit)  # fmt: skip

    def cancel(self) -> None:
        """Make a download in progress give up at its next read."""
        self._cancelled = True
