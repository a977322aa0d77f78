"""The Data box: what to train on (the data picker), what is loaded, and the offer to download full MNIST.
Shared: the training panel shows it (and reads the class left out), the data feature acts on its choices.
It shows and emits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from aegui.core.data.catalog import DatasetInfo, dataset_title
from aegui.core.data.datasets import DATASET_CHOICES, IMAGES
from aegui.core.data.shapes import Reading
from aegui.gui.session.phases import Action, Phase, allowed
from aegui.gui.widgets.combos import select
from aegui.gui.window.settings import read

AUTO_LABEL = "Auto (MNIST if present)"
IMAGES_LABEL = "Image folder…"
CHOICE_KEY = "data/choice"


IMAGE_SIZES = (28, 32, 48, 64, 96, 128)
COLOR_CHOICES = (("auto", "auto colour"), ("rgb", "colour"), ("gray", "grey"))
FIT_CHOICES = (("auto", "auto fit"), ("content", "content"), ("whole", "whole"))
READING_KEY = "data/reading"


class DataBox(QGroupBox):
    datasetChosen = Signal(str)
    downloadRequested = Signal()
    readingChanged = Signal()  # how an image folder is read: size, colour or fit

    def __init__(self, parent=None) -> None:
        super().__init__("Data", parent)
        self.dataset_combo = QComboBox(objectName="datasetCombo")
        self.dataset_combo.setToolTip("What to train on. Datasets not yet downloaded are offered for download; "
                                      "an image folder holds your own images (one subfolder per class).")  # fmt: skip
        self.set_datasets([DatasetInfo(name, dataset_title(name), "", True, "") for name in DATASET_CHOICES[1:]])
        self.dataset_label = QLabel("Loading data…", objectName="datasetLabel", wordWrap=True)
        self.download_button = QPushButton("Download full MNIST…", objectName="downloadButton")
        self.download_button.hide()
        self.exclude_combo = QComboBox(objectName="excludeClassCombo")
        self.exclude_combo.setToolTip("A novelty experiment: train without one class (it stays in the test set); the "
                                      "Outliers tab then shows how well the model's error finds it. A small code "
                                      "(say 8) finds it better: it rebuilds less of what it never saw.")  # fmt: skip
        self.set_classes(())
        self.size_combo = QComboBox(objectName="imageSizeCombo")
        self.size_combo.addItem("auto size", 0)
        for side in IMAGE_SIZES:
            self.size_combo.addItem(f"{side}×{side}", side)
        self.size_combo.setToolTip("The side an image folder's images are made: as suits them (28 for digit-like "
                                   "images, 32 for photos) or one you choose.")  # fmt: skip
        self.color_combo = QComboBox(objectName="imageColorCombo")
        self.fit_combo = QComboBox(objectName="imageFitCombo")
        for combo, choices in ((self.color_combo, COLOR_CHOICES), (self.fit_combo, FIT_CHOICES)):
            for value, text in choices:
                combo.addItem(text, value)
        self.color_combo.setToolTip("Colour or grey: auto keeps colour when the images have it.")
        self.fit_combo.setToolTip("Content: crop to the content and centre it (ink on paper, as MNIST's digits). "
                                  "Whole: fit the whole image (photos). Auto: chosen from the images.")  # fmt: skip
        self.reading_row = QHBoxLayout()
        for combo in (self.size_combo, self.color_combo, self.fit_combo):
            self.reading_row.addWidget(combo, 1)
            combo.currentIndexChanged.connect(self._on_reading_changed)
        self.show_reading(False)
        leave_out = QHBoxLayout()
        leave_out.addWidget(QLabel("Leave out"))
        leave_out.addWidget(self.exclude_combo, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.dataset_combo)
        layout.addWidget(self.dataset_label)
        layout.addLayout(self.reading_row)
        layout.addWidget(self.download_button)
        layout.addLayout(leave_out)
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        self.download_button.clicked.connect(self.downloadRequested)

    def dataset_choice(self) -> str:
        return self.dataset_combo.currentData()

    def reading(self) -> Reading:
        """How an image folder is read: size (None for as suits), colour, fit."""
        return Reading(self.size_combo.currentData() or None, self.color_combo.currentData(),
                       self.fit_combo.currentData())  # fmt: skip

    def set_reading(self, reading: Reading) -> None:
        """Show a reading without asking for it again."""
        shown = (reading.size or 0, reading.colour, reading.fit)
        for combo, value in zip((self.size_combo, self.color_combo, self.fit_combo), shown, strict=True):
            combo.blockSignals(True)
            select(combo, value)
            combo.blockSignals(False)

    def show_reading(self, shown: bool) -> None:
        """The size, colour and fit choices: for an image folder only."""
        for combo in (self.size_combo, self.color_combo, self.fit_combo):
            combo.setVisible(shown)

    def _on_reading_changed(self, _index: int) -> None:
        self.readingChanged.emit()

    def set_datasets(self, infos: list[DatasetInfo], images_folder: Path | None = None) -> None:
        """The data picker's entries: Auto, every dataset (those not downloaded say so), and the image
        folder (named once one is chosen). The choice shown stays."""
        choice = self.dataset_choice()
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        self.dataset_combo.addItem(AUTO_LABEL, "auto")
        for info in infos:
            self.dataset_combo.addItem(info.title if info.present else f"{info.title} (download…)", info.name)
            self.dataset_combo.setItemData(self.dataset_combo.count() - 1, info.about or None,
                                           Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.dataset_combo.addItem(f"Images: {images_folder.name}" if images_folder else IMAGES_LABEL, IMAGES)
        select(self.dataset_combo, choice or "auto")
        self.dataset_combo.blockSignals(False)

    def set_data_choice(self, choice: str) -> None:
        """Show the data in use (or asked for) without asking for it again."""
        self.dataset_combo.blockSignals(True)
        select(self.dataset_combo, choice)
        self.dataset_combo.blockSignals(False)

    def set_dataset(self, text: str, offer_download: bool) -> None:
        self.dataset_label.setText(text)
        self.download_button.setVisible(offer_download)

    def set_classes(self, classes: tuple[str, ...]) -> None:
        """The classes one may leave out of training: none, or one of the data's (the choice stays if it can)."""
        chosen = self.excluded_class()
        self.exclude_combo.blockSignals(True)
        self.exclude_combo.clear()
        self.exclude_combo.addItem("no class", -1)
        for label, name in enumerate(classes):
            self.exclude_combo.addItem(f"class {name}", label)
        self.set_excluded(chosen)
        self.exclude_combo.blockSignals(False)

    def excluded_class(self) -> int:
        value = self.exclude_combo.currentData()
        return -1 if value is None else int(value)

    def set_excluded(self, label: int) -> None:
        index = self.exclude_combo.findData(label)
        self.exclude_combo.setCurrentIndex(max(index, 0))

    def apply_phase(self, phase: Phase) -> None:
        self.exclude_combo.setEnabled(allowed(Action.EDIT_SETTINGS, phase))
        self.dataset_combo.setEnabled(allowed(Action.CHOOSE_DATA, phase))
        for combo in (self.size_combo, self.color_combo, self.fit_combo):
            combo.setEnabled(allowed(Action.CHOOSE_DATA, phase))
        self.download_button.setEnabled(allowed(Action.DOWNLOAD, phase))

    def save_settings(self, settings: QSettings) -> None:
        settings.setValue(CHOICE_KEY, self.dataset_choice())
        reading = self.reading()
        settings.setValue(READING_KEY, f"{reading.size or 'auto'},{reading.colour},{reading.fit}")

    def restore_settings(self, settings: QSettings) -> None:
        choice = read(settings, CHOICE_KEY, "auto", str)
        self.set_data_choice(choice if self.dataset_combo.findData(choice) >= 0 else "auto")
        size, _, rest = read(settings, READING_KEY, "auto,auto,auto", str).partition(",")
        color, _, fit = rest.partition(",")
        self.set_reading(Reading(int(size) if size.isdigit() and int(size) in IMAGE_SIZES else None,
                                 color if color in dict(COLOR_CHOICES) else "auto",
                                 fit if fit in dict(FIT_CHOICES) else "auto"))  # fmt: skip

    def _on_dataset_changed(self, _index: int) -> None:
        self.datasetChosen.emit(self.dataset_choice())
