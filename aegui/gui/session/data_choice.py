"""The session's data: loading a dataset or a folder of images, changing how folders are read or where data
lives, and downloading; and what the phase and the status line do while that happens.

`DataChoice` is a part of `SessionController`: it asks the session's `loaders.DataSource` (which does the work
in workers, the latest request winning) and handles what it reports; the phase, the model and the status
line are the session's, which it reaches through `host.DataChoiceHost`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aegui.core.data.catalog import dataset_title
from aegui.core.data.datasets import IMAGES, Dataset
from aegui.core.data.shapes import Reading
from aegui.gui.session.phases import Action, Phase

if TYPE_CHECKING:
    from aegui.gui.session.host import DataChoiceHost

HOW_TO_GET_MNIST_HERE = "Full MNIST: File › Download full MNIST… or File › Choose data folder…"


def describe(dataset: Dataset) -> str:
    """The status line's words for the data in use (short enough for a 1366-pixel window)."""
    if dataset.is_embedded_sample:
        return f"Data: {dataset.summary} (train / test), shipped with aegui. {HOW_TO_GET_MNIST_HERE}"
    return dataset.describe()


class DataChoice:
    """Which data the session uses, and getting it, for the session that is its host."""

    def __init__(self, host: DataChoiceHost) -> None:
        self.host = host
        data = host.data
        data.loaded.connect(self._on_loaded)
        data.failed.connect(self._on_failed)
        data.downloaded.connect(self._on_downloaded)
        data.downloadFailed.connect(self._on_download_failed)

    def load_data(self, choice: str, images_folder: str | Path | None = None) -> bool:
        """Load a dataset (or, choice "images", a folder of images) in a worker; the latest request wins,
        earlier results are dropped."""
        if not self.host.may(Action.CHOOSE_DATA):
            return False
        self.host.data.load(choice, Path(images_folder) if images_folder else None)
        self.host.set_phase(Phase.LOADING)
        return True

    def set_image_reading(self, reading: Reading) -> bool:
        """How image folders are read (size or None, colour, fit); a folder in use is read again so."""
        data = self.host.data
        if reading == data.reading:
            return True
        if not self.host.may(Action.CHOOSE_DATA):
            return False
        data.reading = reading
        if data.choice == IMAGES and data.images_folder is not None:
            return self.load_data(IMAGES)
        return True

    def set_data_folder(self, folder: str | Path) -> bool:
        if not self.host.may(Action.CHOOSE_DATA):
            return False
        self.host.data.folder = Path(folder)
        return self.load_data(self.host.data.choice)

    def _on_loaded(self, dataset: Dataset) -> None:
        host = self.host
        if host.closed:
            return  # it arrived after the window closed: start nothing more
        host.idle_status = describe(dataset)
        host.set_phase(Phase.IDLE)
        model = host.model
        if model is not None and model.image_shape != dataset.image_shape and host.is_untouched():
            host.new_model(model.config, host.preset_name)  # an untrained model takes the data's size and colour
        host.datasetLoaded.emit(dataset)

    def _on_failed(self, message: str, loading_sample: bool) -> None:
        host = self.host
        if host.closed:
            return
        host.message.emit(message, True)
        if loading_sample:
            host.set_phase(Phase.LOADING)  # (its status names the sample now)
            return
        dataset = host.dataset
        host.idle_status = (f"The data was not changed: {describe(dataset)}" if dataset is not None else
                            "No data could be loaded: see the message in the training panel.")  # fmt: skip
        host.set_phase(Phase.IDLE)
        if dataset is not None:
            host.datasetLoaded.emit(dataset)  # views go back to showing the data in use

    def download(self, name: str = "mnist") -> bool:
        """Download a dataset into the data folder in a worker, then load it (once)."""
        host = self.host
        if not host.may(Action.DOWNLOAD):
            return False
        host.set_phase(Phase.DOWNLOADING, f"Downloading {dataset_title(name)}…")
        host.progressChanged.emit(0.0, "download · 0%")
        host.data.download(name)
        return True

    def cancel_download(self) -> bool:
        if not self.host.may(Action.CANCEL_DOWNLOAD):
            return False
        self.host.data.cancel()
        self.host.statusChanged.emit("Cancelling the download…")
        return True

    def _on_downloaded(self, name: str) -> None:
        self.host.message.emit(f"{dataset_title(name)} downloaded to {self.host.data.folder}.", False)
        self.host.set_phase(Phase.IDLE)
        self.load_data(name)

    def _on_download_failed(self, problem: str) -> None:
        self.host.message.emit(problem, True)
        self.host.set_phase(Phase.IDLE)
