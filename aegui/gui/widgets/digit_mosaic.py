"""Digits in a grid, each clickable: generated batches and the manifold of a 2-value code."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent

from aegui.core.mosaic import GAP, grid, grid_columns
from aegui.gui.widgets.digit_view import DigitFrame, image_area
from aegui.gui.widgets.plots import pg

STEP = 28 + GAP


class DigitMosaic(DigitFrame):
    digitClicked = Signal(int)  # the index of the digit clicked

    def __init__(self, object_name: str, min_height: int = 160, parent=None) -> None:
        super().__init__(parent)
        _, self._view, self._item = image_area(min_height, self)
        self.setObjectName(object_name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._images = np.zeros((0, 28, 28), np.float32)
        self._columns = 1
        self._shape: tuple[int, ...] | None = None

    def show_images(self, images: np.ndarray, columns: int | None = None) -> None:
        self._images = np.asarray(images, np.float32).reshape(-1, 28, 28)
        self._columns = columns or grid_columns(len(self._images))
        picture = grid(self._images, self._columns)
        self._item.setImage(picture, levels=(0.0, 1.0), autoLevels=False)
        if picture.shape != self._shape:  # another grid: show all of it
            self._shape = picture.shape
            self._view.autoRange(padding=0)

    def images(self) -> np.ndarray:
        return self._images.copy()

    def index_at(self, x: float, y: float) -> int | None:
        """The digit under picture coordinates (x, y), or None (a gap, or outside)."""
        column, row = int(x // STEP), int(y // STEP)
        if x < 0 or y < 0 or x % STEP >= 28 or y % STEP >= 28 or column >= self._columns:
            return None
        index = row * self._columns + column
        return index if index < len(self._images) else None

    def centre_of(self, index: int) -> tuple[float, float]:
        """Where digit `index` is, in widget pixels (for tests and scripts that click it)."""
        row, column = divmod(index, self._columns)
        point = self._view.mapViewToScene(pg.Point(column * STEP + 14, row * STEP + 14))
        widget_point = self.mapFromScene(point)
        return float(widget_point.x()), float(widget_point.y())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self._view.mapSceneToView(self.mapToScene(event.position().toPoint()))
        index = self.index_at(point.x(), point.y())
        if index is not None:
            self.digitClicked.emit(index)
