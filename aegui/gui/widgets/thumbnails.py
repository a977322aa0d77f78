"""A picture as a small pixmap, for the cells of lists and tables (the nearest images, the near-duplicates)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def thumbnail(picture: np.ndarray, side: int, sharp: bool = False) -> QPixmap:
    """A picture in [0, 1], (height, width) or (height, width, 3), as a pixmap `side` pixels on its longer side:
    smoothed, or (`sharp`) its pixels kept sharp."""
    values = np.clip(np.asarray(picture, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if values.ndim == 2:
        values = np.repeat(values[..., None], 3, axis=2)
    values = np.ascontiguousarray(values[..., :3])
    height, width = values.shape[:2]
    image = QImage(values.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    scaling = Qt.TransformationMode.FastTransformation if sharp else Qt.TransformationMode.SmoothTransformation
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, scaling)
