"""About ten digits decoded along the line between two codes: two drawings, or two picked digits."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from aegui.core.mosaic import tile
from aegui.gui.widgets.digit_view import image_area

STEPS = 10
START_TEXT = "Set A and B from a drawing or from a digit picked on the map."


class InterpolationStrip(QWidget):
    endpointRequested = Signal(str, str)  # ("a" or "b", "drawing" or "picked")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("interpolationStrip")
        self.status = QLabel(START_TEXT, wordWrap=True)
        buttons = QGridLayout()  # one row: the strip keeps its height on a short screen
        for row, end in enumerate(("a", "b")):
            for column, source in enumerate(("drawing", "picked")):
                label = f"{end.upper()} ← {'the drawing' if source == 'drawing' else 'picked digit'}"
                button = QPushButton(label, objectName=f"{end}From{source.capitalize()}Button")
                button.clicked.connect(lambda _c=False, e=end, s=source: self.endpointRequested.emit(e, s))
                buttons.addWidget(button, 0, 2 * row + column)
        self._graphics, view, self._item = image_area(56)
        self._images: np.ndarray | None = None
        self.clear()
        view.autoRange(padding=0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self._graphics, 1)
        layout.addWidget(self.status)

    def show_images(self, images: np.ndarray) -> None:
        self._images = np.asarray(images, np.float32).reshape(-1, 28, 28)
        self._item.setImage(tile([self._images]), levels=(0.0, 1.0), autoLevels=False)

    def clear(self) -> None:
        """No ends, no digits (a new model: codes of the old one mean nothing to it)."""
        self._images = None
        self._item.setImage(tile([np.zeros((STEPS, 28, 28))]), levels=(0.0, 1.0), autoLevels=False)
        self.status.setText(START_TEXT)

    def images(self) -> np.ndarray | None:
        return None if self._images is None else self._images.copy()
