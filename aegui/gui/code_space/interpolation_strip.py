"""About ten digits decoded along the line between two codes: two drawings, or two picked digits."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from aegui.core.analysis.mosaic import as_pictures, tile
from aegui.core.words import with_article
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
        self._buttons: dict[tuple[str, str], QPushButton] = {}
        for row, end in enumerate(("a", "b")):
            for column, source in enumerate(("drawing", "picked")):
                label = f"{end.upper()} ← {'the drawing' if source == 'drawing' else 'picked digit'}"
                button = QPushButton(label, objectName=f"{end}From{source.capitalize()}Button")
                self._buttons[(end, source)] = button
                button.clicked.connect(lambda _c=False, e=end, s=source: self.endpointRequested.emit(e, s))
                buttons.addWidget(button, 0, 2 * row + column)
        self._graphics, self._view, self._item = image_area(56)
        self._shown_shape: tuple[int, ...] = ()
        self._images: np.ndarray | None = None
        self.clear()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self._graphics, 1)
        layout.addWidget(self.status)

    def show_images(self, images: np.ndarray) -> None:
        self._images = as_pictures(images)
        self._show(tile([self._images]))

    def _show(self, picture: np.ndarray) -> None:
        self._item.setImage(picture, levels=(0.0, 1.0), autoLevels=False)
        if picture.shape != self._shown_shape:  # another size of image: frame the strip whole
            self._shown_shape = picture.shape
            self._view.autoRange(padding=0)

    def clear(self) -> None:
        """No ends, no images (a new model: codes of the old one mean nothing to it)."""
        self._images_shape = self._images.shape[1:] if self._images is not None else None
        self._images = None
        self._show(tile([np.zeros((STEPS, *(self._images_shape or (28, 28))))]))
        self.status.setText(START_TEXT)

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image")."""
        for (end, source), button in self._buttons.items():
            if source == "picked":
                button.setText(f"{end.upper()} ← picked {noun}")
        if self.status.text().startswith("Set A and B"):
            self.status.setText(f"Set A and B from a drawing or from {with_article(noun)} picked on the map.")

    def images(self) -> np.ndarray | None:
        return None if self._images is None else self._images.copy()
