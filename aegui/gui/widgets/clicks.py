"""Clicks on a grid of pictures in a DigitFrame: where a left click fell, in the picture's own coordinates, and
where a point of the picture is in the widget (for tests and scripts that click it)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent

from aegui.gui.widgets.plots import pg


def clicked_index(frame: pg.GraphicsView, view: pg.ViewBox, event: QMouseEvent,
                  index_at: Callable[[float, float], int | None]) -> int | None:  # fmt: skip
    """The image a left click on `frame` fell on, by `index_at(x, y)` in the coordinates of `view` (its
    picture); None for another button, a gap or outside."""
    if event.button() != Qt.MouseButton.LeftButton:
        return None
    point = view.mapSceneToView(frame.mapToScene(event.position().toPoint()))
    return index_at(point.x(), point.y())


def widget_point(frame: pg.GraphicsView, view: pg.ViewBox, x: float, y: float) -> tuple[float, float]:
    """Where the point (x, y) of the picture in `view` is, in `frame`'s widget pixels."""
    point = frame.mapFromScene(view.mapViewToScene(pg.Point(x, y)))
    return float(point.x()), float(point.y())
