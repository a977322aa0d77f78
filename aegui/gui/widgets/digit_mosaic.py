"""Images in a grid, each clickable: generated batches and the manifold of a 2-value code."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent

from aegui.core.analysis.mosaic import GAP, as_pictures, grid, grid_columns
from aegui.gui.widgets.clicks import clicked_index, widget_point
from aegui.gui.widgets.digit_view import DigitFrame, image_area


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
        self._images = as_pictures(images)
        self._columns = columns or grid_columns(len(self._images))
        picture = grid(self._images, self._columns)
        self._item.setImage(picture, levels=(0.0, 1.0), autoLevels=False)
        if picture.shape != self._shape:  # another grid: show all of it
            self._shape = picture.shape
            self._view.autoRange(padding=0)

    def images(self) -> np.ndarray:
        return self._images.copy()

    def index_at(self, x: float, y: float) -> int | None:
        """The image under picture coordinates (x, y), or None (a gap, or outside)."""
        height, width = self._images.shape[1:3]
        column, row = int(x // (width + GAP)), int(y // (height + GAP))
        if x < 0 or y < 0 or x % (width + GAP) >= width or y % (height + GAP) >= height or column >= self._columns:
            return None
        index = row * self._columns + column
        return index if index < len(self._images) else None

    def centre_of(self, index: int) -> tuple[float, float]:
        """Where image `index` is, in widget pixels (for tests and scripts that click it)."""
        row, column = divmod(index, self._columns)
        height, width = self._images.shape[1:3]
        return widget_point(self, self._view, column * (width + GAP) + width / 2, row * (height + GAP) + height / 2)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = clicked_index(self, self._view, event, self.index_at)
        if index is not None:
            self.digitClicked.emit(index)
