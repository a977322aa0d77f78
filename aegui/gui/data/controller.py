"""Choosing what to train on: the data picker's entries, downloads (with their progress dialog), the
data folder and folders of one's own images. The session does the work; this asks the person what
the session cannot (which folder? download it?) and keeps the picker showing the data in use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from aegui.core.data.catalog import available_datasets, dataset_title
from aegui.core.data.datasets import DOWNLOADABLE, IMAGES, Dataset
from aegui.core.data.shapes import describe_shape
from aegui.core.errors import AeguiError
from aegui.core.folders import remember_data_folder
from aegui.gui.data.download_dialog import DownloadDialog
from aegui.gui.session.controller import SessionController
from aegui.gui.session.phases import Phase
from aegui.gui.widgets.data_box import DataBox
from aegui.gui.window.recent_files import RecentFiles
from aegui.gui.window.settings import read

IMAGES_KEY = "data/images"


class DataController(QObject):
    def __init__(self, window: QWidget, session: SessionController, box: DataBox, settings: QSettings,
                 recent: RecentFiles) -> None:  # fmt: skip
        super().__init__(window)
        self._window, self._session, self._box = window, session, box
        self._settings, self._recent = settings, recent
        self._download_dialog: DownloadDialog | None = None
        stored = read(settings, IMAGES_KEY, "", str)
        self.images_folder: Path | None = Path(stored) if stored else None
        self._box.datasetChosen.connect(self._on_dataset_chosen)
        self._box.readingChanged.connect(self._on_reading_changed)
        session.set_image_reading(self._box.reading())  # (as the settings left it)
        self._box.downloadRequested.connect(self.download_mnist)
        session.datasetLoaded.connect(self._on_dataset_loaded)
        session.phaseChanged.connect(self._on_phase_changed)
        session.data.downloadProgress.connect(self._on_download_progress)
        self.refresh()

    def refresh(self) -> None:
        """The picker's entries, after the data folder changed or a download."""
        self._box.set_datasets(available_datasets(self._session.data.folder), self.images_folder)

    def load_chosen(self) -> None:
        """Load what the picker shows (at start: last session's choice; an image folder needs its folder)."""
        choice = self._box.dataset_choice()
        if choice == IMAGES and self.images_folder is None:
            choice = "auto"
            self._box.set_data_choice(choice)
        self._session.load_data(choice, self.images_folder if choice == IMAGES else None)

    def download(self, name: str) -> bool:
        """Download a dataset into the data folder with a progress dialog, then use it."""
        if not self._session.download(name):
            return False
        self._download_dialog = DownloadDialog(f"Downloading {dataset_title(name)}…", self._window)
        self._download_dialog.canceled.connect(self._session.cancel_download)
        self._download_dialog.show()
        return True

    def download_mnist(self) -> None:
        self.download("mnist")

    def choose_data_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self._window, "Folder holding MNIST/raw (and other datasets)",
                                                  str(self._session.data.folder))  # fmt: skip
        if folder and self._session.set_data_folder(folder):
            try:
                remember_data_folder(folder)  # (the next start and `aegui train`, `aegui datasets` use it too)
            except AeguiError as error:
                self._session.message.emit(str(error), True)
            self.refresh()

    def choose_image_folder(self) -> bool:
        """Ask for a folder of images (one subfolder per class, or just images) and train on it."""
        folder = QFileDialog.getExistingDirectory(self._window, "Folder of images (one subfolder per class)",
                                                  str(self._recent.folder()))  # fmt: skip
        if not folder:
            return False
        self._recent.remember_folder(folder)
        return self.load_images(folder)

    def load_images(self, folder: str | Path) -> bool:
        return self._session.load_data(IMAGES, folder)

    def _on_dataset_chosen(self, choice: str) -> None:
        if choice == IMAGES and self.images_folder is None:
            chosen = self.choose_image_folder()
        elif choice in DOWNLOADABLE and not self._is_present(choice):
            chosen = self._offer_download(choice)
        else:
            chosen = self._session.load_data(choice, self.images_folder if choice == IMAGES else None)
        if not chosen:
            self._box.set_data_choice(self._session.data.choice)  # refused or cancelled: show the data in use

    def _on_reading_changed(self) -> None:
        if not self._session.set_image_reading(self._box.reading()):
            self._box.set_reading(self._session.data.reading)  # refused: show the reading in use

    def _info(self, name: str):
        return next(info for info in available_datasets(self._session.data.folder) if info.name == name)

    def _is_present(self, name: str) -> bool:
        return self._info(name).present

    def _offer_download(self, name: str) -> bool:
        info = self._info(name)
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, f"Download {info.title}?",
                          f"{info.title} ({info.about}) is not in the data folder {self._session.data.folder}. "
                          "Download it now?", buttons.Yes | buttons.Cancel, self._window)  # fmt: skip
        box.setObjectName("downloadQuestion")
        return buttons(box.exec()) == buttons.Yes and self.download(name)

    def _on_dataset_loaded(self, dataset: Dataset) -> None:
        text = dataset.summary
        if dataset.is_embedded_sample:
            text = f"Embedded sample {len(dataset.train_images) + len(dataset.test_images):,} digits " \
                   f"({len(dataset.train_images):,} train / {len(dataset.test_images):,} test)"  # fmt: skip
        elif dataset.name == IMAGES:
            text += f" images ({describe_shape(dataset.image_shape)}) in {len(dataset.classes)} classes from " \
                    f"{dataset.source}"  # fmt: skip
            self.images_folder = Path(dataset.source)
            self._settings.setValue(IMAGES_KEY, dataset.source)
        self.refresh()
        self._box.set_dataset(text, offer_download=dataset.is_embedded_sample)
        self._box.set_data_choice(self._session.data.choice)
        self._box.set_classes(dataset.classes)
        self._box.show_reading(dataset.name == IMAGES)
        self._box.set_reading(self._session.data.reading)  # (a model opened may have asked for its own)

    def _on_phase_changed(self, phase: Phase) -> None:
        if phase is not Phase.DOWNLOADING and self._download_dialog is not None:
            self._download_dialog.canceled.disconnect(self._session.cancel_download)  # closing it cancels nothing
            self._download_dialog.close()
            self._download_dialog = None
            self.refresh()

    def _on_download_progress(self, name: str, done: int, total: int) -> None:
        if self._download_dialog is not None:
            self._download_dialog.show_progress(name, done, total)
