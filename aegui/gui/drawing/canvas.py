"""The drawing canvas: mouse and tablet pen, smooth round-capped strokes, undo and clear; an image
(a generated digit, or an image file opened or dropped on it) may lie under the strokes, to be drawn
over. Undo takes back strokes one by one, and brings back a drawing that Clear (or a new image or
drawing put in its place) threw away.

For a digit model (28x28 grey) it is MNIST's pen pad: strokes alone are fitted as MNIST's digits were.
For any other model the canvas is the model's image, whatever its size and colour: an image opened or
dropped on it is fitted as the model's data was, and strokes are painted over it in the chosen ink colour.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from aegui.core.data.image_files import DIGITS, Fitting, ImageFileError, image_to_input
from aegui.core.data.preprocessing import brush_width, strokes_over_image, strokes_to_image
from aegui.core.data.shapes import is_digit_pad
from aegui.gui.theme.themes import DIGIT_FIELD, DIGIT_HINT, DIGIT_INK
from aegui.gui.window.drops import dropped_file

BACKGROUND, INK, HINT = (QColor(colour) for colour in (DIGIT_FIELD, DIGIT_INK, DIGIT_HINT))

Point = tuple[float, float]
STROKE = "stroke"  # an entry of the undo history: a stroke was added (the others are drawings thrown away)
UNDO_DEPTH = 200  # entries of the undo history kept


def smooth_path(points: list[Point]) -> QPainterPath:
    """A path through the points' midpoints with quadratic curves: smooth, and exact at the ends."""
    path = QPainterPath(QPointF(*points[0]))
    if len(points) == 1:
        return path
    for (x0, y0), (x1, y1) in itertools.pairwise(points[1:]):
        path.quadTo(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    path.lineTo(QPointF(*points[-1]))
    return path


class DrawCanvas(QWidget):
    """A square canvas; `strokes()` are in its pixels, y down; `model_input()` is what the model sees."""

    strokesChanged = Signal()
    imageRefused = Signal(str)  # why an image file opened or dropped here could not be used

    def __init__(self, side: int = 320, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("drawCanvas")
        self.setFixedSize(side, side)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw a digit, or drop an image file here. Delete clears; Ctrl+Z undoes the last stroke, or "
                        "the Clear.")  # fmt: skip
        self.setAcceptDrops(True)
        self.setAccessibleName("Drawing canvas")
        self.setAccessibleDescription(self.toolTip())
        self._strokes: list[list[Point]] = []
        self._current: list[Point] | None = None
        self._image: np.ndarray | None = None  # a picture under the strokes, filling the canvas
        self._history: list[str | tuple[list[list[Point]], np.ndarray | None]] = []  # for undo: STROKE, or a
        # drawing (strokes and image) thrown away, newest last
        self._fitting = DIGITS  # the model's image size and colour, and how opened images are fitted
        self._ink = (1.0, 1.0, 1.0)  # the ink's colour (RGB in [0, 1]) over a colour model's image
        self._finished = QImage(side, side, QImage.Format.Format_RGB32)
        self._pen = QPen(INK, brush_width((side, side)), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                         Qt.PenJoinStyle.RoundJoin)  # fmt: skip
        self._revision = 0
        self._cached_input: tuple[int, np.ndarray] | None = None
        self.last_change = time.perf_counter()
        self._redraw_finished()

    # --- what tests and the window read ---

    def strokes(self) -> list[list[Point]]:
        """Every stroke, the one being drawn included, as lists of (x, y)."""
        strokes = [list(stroke) for stroke in self._strokes]
        if self._current:
            strokes.append(list(self._current))
        return strokes

    def is_empty(self) -> bool:
        return not self._strokes and not self._current and self._image is None

    def image(self) -> np.ndarray | None:
        """The picture under the strokes ((height, width) or (height, width, 3)), if one was put there."""
        return None if self._image is None else self._image.copy()

    @property
    def fitting(self) -> Fitting:
        return self._fitting

    def is_digit_pad(self) -> bool:
        """Whether strokes alone are fitted as digits (a 28x28 grey model), not painted on the image."""
        return is_digit_pad(self._fitting.shape)

    def set_fitting(self, fitting: Fitting) -> None:
        """The model's image size and colour and how opened images are fitted; another size or colour
        clears the canvas (its image was made for another model)."""
        if fitting.shape != self._fitting.shape:
            self._strokes, self._current, self._image = [], None, None
            self._history.clear()  # (drawings made for another model: not to be brought back)
            self._fitting = fitting
            self._pen.setColor(INK if self.is_digit_pad() or not fitting.color else QColor.fromRgbF(*self._ink))
            self._redraw_finished()
            self._changed()
        self._fitting = fitting

    def set_ink(self, colour: tuple[float, float, float]) -> None:
        """The colour new strokes paint with over a colour model's image (RGB in [0, 1])."""
        self._ink = tuple(float(np.clip(value, 0.0, 1.0)) for value in colour)
        if self._fitting.color:
            self._pen.setColor(QColor.fromRgbF(*self._ink))
            self._redraw_finished()
            self._changed()

    def ink(self) -> tuple[float, float, float]:
        return self._ink

    def canvas_size(self) -> tuple[int, int]:
        return self.width(), self.height()

    def model_input(self) -> np.ndarray:
        """The image the model sees, in its layout ((height, width) grey, (3, height, width) colour): on the
        digit pad, `strokes_to_image(self.strokes(), self.canvas_size())`; over an image, or for another
        model, `strokes_over_image(self.strokes(), self.canvas_size(), image, ink)`."""
        if self._cached_input is None or self._cached_input[0] != self._revision:
            if self._image is None and self.is_digit_pad():
                seen = strokes_to_image(self.strokes(), self.canvas_size())
            else:
                base = self._image if self._image is not None else np.zeros(self._picture_shape(), np.float32)
                ink = self._ink if self._fitting.color else None
                seen = strokes_over_image(self.strokes(), self.canvas_size(), base, ink)
                seen = np.ascontiguousarray(seen.transpose(2, 0, 1)) if seen.ndim == 3 else seen
            self._cached_input = (self._revision, seen)
        return self._cached_input[1].copy()

    # --- editing ---

    def clear(self) -> None:
        """Remove the strokes and the image under them (`undo` brings them back)."""
        if self.is_empty():
            return
        self._keep_for_undo()
        self._strokes = []
        self._current = None
        self._image = None
        self._redraw_finished()
        self._changed()

    def can_undo(self) -> bool:
        return bool(self._current or self._strokes or self._history)

    def undo(self) -> None:
        """Take back the stroke being drawn or the last one, or bring back the drawing last thrown away."""
        if self._current:
            self._current = None
        elif self._history:
            entry = self._history.pop()
            if entry == STROKE:
                self._strokes.pop()
            else:
                strokes, self._image = entry
                self._strokes = [list(stroke) for stroke in strokes]
        elif self._strokes:  # (its entry was dropped from a long history)
            self._strokes.pop()
        else:
            return
        self._redraw_finished()
        self._changed()

    def _keep_for_undo(self, entry: str | None = None) -> None:
        """Record a stroke added (STROKE), or, by default, the drawing about to be thrown away, if any."""
        if entry is None:
            if self.is_empty():
                return
            entry = ([list(stroke) for stroke in self._strokes], self._image)
        self._history.append(entry)
        del self._history[:-UNDO_DEPTH]

    def set_strokes(self, strokes: list[list[Point]]) -> None:
        """Replace the drawing (for example with a saved or replayed one; `undo` brings the old one back)."""
        self._keep_for_undo()
        self._strokes = [[(float(x), float(y)) for x, y in stroke] for stroke in strokes if len(stroke)]
        self._current = None
        self._image = None
        self._redraw_finished()
        self._changed()

    def _picture_shape(self) -> tuple[int, ...]:
        channels, height, width = self._fitting.shape
        return (height, width) if channels == 1 else (height, width, 3)

    def set_image(self, image: np.ndarray) -> None:
        """Start over from an image in [0, 1] of the model's size (a picture, or the model's layout, or flat),
        filling the canvas, to draw over."""
        picture = np.asarray(image, np.float32)
        channels, height, width = self._fitting.shape
        if picture.shape == (channels, height, width) and channels == 3:
            picture = picture.transpose(1, 2, 0)
        if picture.size != channels * height * width or not np.isfinite(picture).all():
            raise ValueError(f"The canvas takes a finite {width}x{height} image with {channels} channel(s), not "
                             f"one shaped {picture.shape}.")  # fmt: skip
        if picture.ndim <= 2 and channels == 3:
            picture = picture.reshape(channels, height, width).transpose(1, 2, 0)
        self._keep_for_undo()
        self._image = np.clip(picture.reshape(self._picture_shape()), 0.0, 1.0)
        self._strokes, self._current = [], None
        self._redraw_finished()
        self._changed()

    def open_image(self, path: str | Path) -> bool:
        """Put an image file on the canvas, fitted as `aegui.image_to_input(path, fitting)` fits it for the
        model (a digit model: as MNIST's digits); False (and `imageRefused` with the reason) if it cannot be
        read."""
        try:
            image = image_to_input(path, self._fitting)
        except ImageFileError as error:
            self.imageRefused.emit(f"{Path(path).name} {error}; the canvas is unchanged.")
            return False
        self.set_image(image)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event.mimeData(), "image") is not None:
            event.acceptProposedAction()
        else:
            event.ignore()  # (a model file goes on to the window)

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event.mimeData(), "image")
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_image(path)

    def _changed(self) -> None:
        self._revision += 1
        self.last_change = time.perf_counter()
        self.update()
        self.strokesChanged.emit()

    def _begin(self, position: QPointF) -> None:
        self._current = [(position.x(), position.y())]
        self._changed()

    def _extend(self, position: QPointF) -> None:
        if self._current is None:
            return
        point = (position.x(), position.y())
        if point == self._current[-1]:
            return
        self._current.append(point)
        self._changed()

    def _end(self) -> None:
        if self._current is None:
            return
        self._strokes.append(self._current)
        self._keep_for_undo(STROKE)
        self._current = None
        self._draw_into(self._finished, [self._strokes[-1]])
        self.update()

    # --- input ---

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._extend(event.position())
            self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QTabletEvent.Type.TabletMove and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()  # no synthesized mouse events after a pen event

    # --- painting ---

    def _redraw_finished(self) -> None:
        ratio = self.devicePixelRatioF()
        if self._finished.devicePixelRatio() != ratio:  # a HiDPI screen: the finished ink in device pixels
            size = QSize(round(self.width() * ratio), round(self.height() * ratio))
            self._finished = QImage(size, QImage.Format.Format_RGB32)
            self._finished.setDevicePixelRatio(ratio)
        self._finished.fill(BACKGROUND)
        if self._image is not None:
            pixels = np.ascontiguousarray(np.rint(self._image * 255), np.uint8)
            height, width = pixels.shape[:2]
            colour = pixels.ndim == 3
            picture = QImage(pixels.data, width, height, width * (3 if colour else 1),
                             QImage.Format.Format_RGB888 if colour else QImage.Format.Format_Grayscale8)  # fmt: skip
            painter = QPainter(self._finished)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(self.rect()), picture)
            painter.end()
        self._draw_into(self._finished, self._strokes)

    def _draw_into(self, image: QImage, strokes: list[list[Point]]) -> None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen)
        for stroke in strokes:
            painter.drawPath(smooth_path(stroke))
        painter.end()

    def paintEvent(self, event) -> None:
        if self._finished.devicePixelRatio() != self.devicePixelRatioF():  # moved to another screen
            self._redraw_finished()
        painter = QPainter(self)
        painter.drawImage(0, 0, self._finished)
        if self._current:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(self._pen)
            painter.drawPath(smooth_path(self._current))
        if self.is_empty():
            painter.setPen(HINT)
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            hint = "Draw a digit here" if self.is_digit_pad() else "Drop an image here,\nor draw"
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, hint)
        painter.end()
