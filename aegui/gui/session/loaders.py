"""Loading data and model files, and downloading data, off the GUI thread, for the session controller.

Only the latest load request's result is reported: a person who picks MNIST and then, before it has
loaded, the sample gets the sample; of two model files opened in quick succession, the second. The
session decides what each result means for its phase.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from aegui.core.data.catalog import load_dataset
from aegui.core.data.datasets import IMAGES, Dataset
from aegui.core.data.shapes import AUTO_READING, Reading
from aegui.core.errors import AeguiError
from aegui.core.files.checkpoints import CheckpointError, load_checkpoint
from aegui.core.files.download import download_dataset
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.concurrency.threads import ProgressRelay, run_in_thread
from aegui.gui.concurrency.training_process import share_dataset


def _load_shared(choice: str, folder: Path, images: Path | None, progress: Callable[[str, int, int], None],
                 reading: Reading, cancel: threading.Event):  # fmt: skip
    """(the dataset in shared memory, what reading its folder found, whether files were skipped): a worker's job
    (an image folder's conversion stops when `cancel` is set)."""
    if choice != IMAGES:
        return share_dataset(load_dataset(choice, folder, reading.size)), "", False
    from aegui.core.data.images import load_image_folder

    dataset, report = load_image_folder(images, progress=functools.partial(progress, IMAGES), cancelled=cancel.is_set,
                                        size=reading.size, color=reading.colour, fit=reading.fit)  # fmt: skip
    found = " ".join(part for part in (report.describe_reading(), report.describe()) if part)
    return share_dataset(dataset), found, bool(report.skipped)


class DataSource(QObject):
    """The data the session trains on: its folder, what was chosen, and loading or downloading it in
    workers. Only the latest load request's result counts (an image folder still converting for an
    earlier request stops). While nothing is loaded, a load that fails falls back, once, to the embedded
    sample; a failed change keeps the data in use (and its choice)."""

    loaded = Signal(object)  # the Dataset now in use
    folderRead = Signal(str, bool)  # an image folder's layout and skipped files; whether files were skipped
    failed = Signal(str, bool)  # why the data asked for was not loaded, and whether the sample is loading instead
    downloaded = Signal(str)  # the dataset's name
    downloadFailed = Signal(str)  # why
    downloadProgress = Signal(str, int, int)  # file name, bytes done, bytes expected (0: unknown)
    progress = Signal(float, str)  # the download's fraction done and the progress bar's label

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.choice = "auto"  # what was asked for ("auto" stays "auto")
        self.images_folder: Path | None = None  # the folder of images, for the choice IMAGES
        self.reading = AUTO_READING  # how to read its images: size, colour and fit
        self.dataset: Dataset | None = None
        self.mirrors: list[str] | None = None  # None: torchvision's mirrors
        self._loaded_choice = "auto"  # the choice that gave the dataset in use
        self._tried_sample = False
        self._loads = LatestTask(self._on_result, self._on_failed, self)  # only the latest request's result counts
        self._closed = False
        self._cancelled = False
        self._downloading = ""
        self._relay = ProgressRelay()
        self._relay.progress.connect(self._on_progress)

    def load(self, choice: str, images_folder: Path | None = None) -> None:
        """Load a dataset by name, or (choice IMAGES) the folder of images given."""
        self.choice = choice
        if images_folder is not None:
            self.images_folder = Path(images_folder)
        self._loads.start(_load_shared, choice, self.folder, self.images_folder, self._relay.report, self.reading)

    def _on_result(self, outcome: tuple[Dataset, str, bool]) -> None:
        dataset, found, skipped = outcome
        self.dataset, self._loaded_choice = dataset, self.choice
        self.loaded.emit(dataset)
        if found:
            self.folderRead.emit(found, skipped)

    def _on_failed(self, error: Exception) -> None:
        message = str(error) if isinstance(error, AeguiError) else f"{type(error).__name__}: {error}"
        if self.dataset is None and not self._tried_sample and self.choice != "sample":
            self._tried_sample = True  # nothing to train on: fall back to the embedded sample, once
            self.failed.emit(f"{message} Using the embedded sample instead.", True)
            self.load("sample")
            return
        if self.dataset is not None:
            self.choice = self._loaded_choice
            self.images_folder = Path(self.dataset.source) if self.dataset.name == IMAGES else self.images_folder
        self.failed.emit(message, False)

    def download(self, name: str) -> None:
        self._cancelled = False
        self._downloading = name
        run_in_thread(download_dataset, name, self.folder, mirrors=self.mirrors, progress=self._relay.report,
                      cancelled=self.is_cancelled, on_result=self._on_downloaded,
                      on_error=self._on_download_failed)  # fmt: skip

    def is_cancelled(self) -> bool:
        return self._cancelled

    def _on_progress(self, name: str, done: int, total: int) -> None:
        if name == IMAGES:
            self.progress.emit(done / max(total, 1), f"converting images · {done:,} of {total:,}")
            return
        if total:
            self.progress.emit(done / total, f"{name} · {100 * done / total:.0f}%")
        self.downloadProgress.emit(name, done, total)

    def _on_downloaded(self, _root) -> None:
        if not self._closed:
            self.downloaded.emit(self._downloading)

    def _on_download_failed(self, error: Exception) -> None:
        if not self._closed:
            self.downloadFailed.emit(str(error))

    def cancel(self) -> None:
        """Make a download in progress give up at its next read."""
        self._cancelled = True

    def close(self) -> None:
        """Give up a download in progress; report nothing more."""
        self._closed = self._cancelled = True
        self._loads.cancel()


def _read_model_file(path: Path, _cancel: threading.Event):
    """(path, checkpoint or the sentence saying why it cannot be opened): a worker's job."""
    try:
        return path, load_checkpoint(path)
    except CheckpointError as error:  # (load_checkpoint turns every problem, memory included, into one)
        return path, str(error)


class ModelLoader(QObject):
    loaded = Signal(object, object)  # the path and the Checkpoint of the latest request
    failed = Signal(object, str)  # the path and why it cannot be opened

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reads = LatestTask(self._on_result, self._on_error, self)  # of two files opened, the second

    def load(self, path: Path) -> None:
        self._reads.start(_read_model_file, path)

    def _on_result(self, result) -> None:
        path, outcome = result
        (self.failed if isinstance(outcome, str) else self.loaded).emit(path, outcome)

    def _on_error(self, error: Exception) -> None:  # (_read_model_file reports a file's problems itself)
        self.failed.emit(None, f"Could not open the model: {error}")
