"""The Generate tab: a grid of new digits, how many and how varied, and where they come from."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aegui.core.words import with_article
from aegui.gui.widgets.digit_mosaic import DigitMosaic

DEFAULT_COUNT = 64
MAX_COUNT = 400


class GenerateView(QWidget):
    newBatchRequested = Signal()
    moreLikeDrawingRequested = Signal()
    digitChosen = Signal(object)  # the (28, 28) image clicked

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("generateView")
        self.mosaic = DigitMosaic("generatedDigits", 220)
        self.count_spin = QSpinBox(objectName="generateCountSpin", minimum=1, maximum=MAX_COUNT, suffix=" digits")
        self.count_spin.setValue(DEFAULT_COUNT)
        self.count_spin.setToolTip(f"How many digits a new batch has (1 to {MAX_COUNT}).")
        self.temperature_spin = QDoubleSpinBox(objectName="temperatureSpin", minimum=0.0, maximum=2.0, decimals=2,
                                               singleStep=0.1, value=1.0)  # fmt: skip
        self.temperature_spin.setToolTip("How far the drawn codes spread around the density's centres (0 to 2): "
                                         "below 1, clearer, more alike; above 1, more varied, less clear.")  # fmt: skip
        self.new_button = QPushButton("New batch", objectName="newBatchButton")
        self.like_button = QPushButton("More like my drawing", objectName="moreLikeDrawingButton")
        self.like_button.setToolTip("Codes near the code of the digit on the canvas")
        self.status = QLabel("", objectName="generateStatus", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        hint = self._hint = QLabel("Click a digit to put it on the canvas, then draw over it.", wordWrap=True)
        form = QFormLayout()
        form.addRow("How many", self.count_spin)
        form.addRow("Temperature", self.temperature_spin)
        side = QVBoxLayout()
        side.addWidget(self.status)
        side.addLayout(form)
        side.addWidget(self.new_button)
        side.addWidget(self.like_button)
        side.addWidget(hint)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.mosaic, 3)
        layout.addLayout(side, 1)
        self.new_button.clicked.connect(self.newBatchRequested)
        self.like_button.clicked.connect(self.moreLikeDrawingRequested)
        self.mosaic.digitClicked.connect(self._on_digit_clicked)

    def count(self) -> int:
        return self.count_spin.value()

    def temperature(self) -> float:
        return self.temperature_spin.value()

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image"): words follow the data."""
        self.count_spin.setSuffix(f" {noun}s")
        self.count_spin.setToolTip(f"How many {noun}s a new batch has (1 to {MAX_COUNT}).")
        self.like_button.setToolTip(f"Codes near the code of the {noun} on the canvas")
        self._hint.setText(f"Click {with_article(noun)} to put it on the canvas, then draw over it.")

    def show_digits(self, images: np.ndarray) -> None:
        self.mosaic.show_images(images)

    def show_state(self, text: str, can_sample: bool) -> None:
        """Where the digits come from (or why there are none yet), and whether sampling is possible."""
        self.status.setText(text)
        self.new_button.setEnabled(can_sample)
        self.like_button.setEnabled(can_sample)

    def _on_digit_clicked(self, index: int) -> None:
        self.digitChosen.emit(self.mosaic.images()[index])
