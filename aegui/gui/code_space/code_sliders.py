"""One slider per code value (up to 32): start from the drawing, drag one, see the decoded digit."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QWidget

MAX_SLIDERS = 32
STEPS = 1000


class CodeSliders(QWidget):
    codeChanged = Signal()  # a person moved a slider

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("codeSliders")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(0)
        self._sliders: list[QSlider] = []
        self._low = np.zeros(0, np.float32)
        self._high = np.ones(0, np.float32)
        self._code = np.zeros(0, np.float32)
        self.note = QLabel("")

    def set_model(self, code_size: int, low: np.ndarray, high: np.ndarray) -> None:
        """Sliders for a model: one per code value, each spanning where that value falls on test digits."""
        for slider in self._sliders:
            slider.deleteLater()
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None and item.widget() is not self.note:
                item.widget().deleteLater()
        self._sliders = []
        shown = min(code_size, MAX_SLIDERS)
        self._low, self._high = np.asarray(low, np.float32), np.asarray(high, np.float32)
        self._code = np.zeros(code_size, np.float32)
        columns = 2 if shown > 8 else 1
        rows = (shown + columns - 1) // columns
        for index in range(shown):
            slider = QSlider(Qt.Orientation.Horizontal, objectName=f"codeSlider{index}", minimum=0, maximum=STEPS)
            slider.setAccessibleName(f"code value {index}")
            slider.valueChanged.connect(lambda value, i=index: self._on_slider_moved(i, value))
            row, column = index % rows, index // rows
            self._grid.addWidget(QLabel(f"{index}"), row, 2 * column)
            self._grid.addWidget(slider, row, 2 * column + 1)
            self._sliders.append(slider)
        self._describe_ranges()
        text = f"showing the first {MAX_SLIDERS} of {code_size} values" if code_size > MAX_SLIDERS else ""
        self.note.setText(text)
        self._grid.addWidget(self.note, rows, 0, 1, 2 * columns)

    def set_ranges(self, low: np.ndarray, high: np.ndarray) -> None:
        """New spans for the same sliders (the weights changed): the code stays, the sliders move."""
        self._low, self._high = np.asarray(low, np.float32), np.asarray(high, np.float32)
        self._describe_ranges()
        self.set_code(self._code)

    def _describe_ranges(self) -> None:
        for index, slider in enumerate(self._sliders):
            slider.setToolTip(f"Code value {index}, from {self._low[index]:.3g} (left) to {self._high[index]:.3g} "
                              "(right): where it falls on the test digits. Move it to see what the decoder makes of "
                              "the code.")  # fmt: skip

    def set_code(self, code: np.ndarray) -> None:
        """Move the sliders to a code (the drawing's) without emitting codeChanged."""
        self._code = np.asarray(code, np.float32).copy()
        shown = len(self._sliders)
        span = np.maximum(self._high[:shown] - self._low[:shown], 1e-6)
        positions = np.clip(np.round((self._code[:shown] - self._low[:shown]) / span * STEPS), 0, STEPS)
        for slider, position in zip(self._sliders, positions.tolist(), strict=True):
            slider.blockSignals(True)
            slider.setValue(int(position))
            slider.blockSignals(False)

    def code(self) -> np.ndarray:
        return self._code.copy()

    def sliders(self) -> list[QSlider]:
        return list(self._sliders)

    def _on_slider_moved(self, index: int, value: int) -> None:
        self._code[index] = self._low[index] + (self._high[index] - self._low[index]) * value / STEPS
        self.codeChanged.emit()
