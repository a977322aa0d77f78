"""A 2-D map of test digits, coloured by label: hover shows a digit, click picks it or decodes the spot;
zoomed in (a few hundred digits in view) the digits themselves are drawn."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Signal

from aegui.gui.theme.themes import CLASS_COLOURS, Theme, class_colours, follow_theme, style_plot, themes
from aegui.gui.widgets.plot_cache import paint_from_cache
from aegui.gui.widgets.plots import pg

THUMBNAIL_LIMIT = 300  # points in view at most for their images to be shown
THUMBNAIL_SIZE = 0.045  # a thumbnail's side, as a share of the view's
THUMBNAIL_DELAY_MS = 80  # after the view stops moving


class LatentMapView(pg.PlotWidget):
    pointHovered = Signal(int)  # index into the map's points, or -1
    pointClicked = Signal(int)
    spotClicked = Signal(float, float)  # a click away from any point, in map coordinates

    def __init__(self, title: str, object_name: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(f"map of test digits: {title}")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # pointed at with the mouse; Tab passes it by
        self.setMinimumSize(220, 160)  # (a 1366x768 screen leaves the maps ~250 px)
        self.setToolTip("Hover a point to see its digit. Click a point to pick it; click anywhere else to decode "
                        "that spot.")  # fmt: skip
        self._title = title
        plot = self.getPlotItem()
        plot.setTitle(title)
        plot.setAspectLocked(False)
        plot.showGrid(x=True, y=True, alpha=0.15)
        paint_from_cache(plot)  # the drawing's marker moves often; the axes do not (the legend is a label below)
        # one scatter per class, each with one brush: no per-point styles, so 10,000 points redraw fast
        self._scatters: list[pg.ScatterPlotItem] = []
        self._set_class_count(len(CLASS_COLOURS))
        self._marker = pg.ScatterPlotItem(size=22, symbol="star")
        self._marker.setZValue(10)
        plot.addItem(self._marker)
        self._points = np.zeros((0, 2), np.float32)
        self._labels = np.zeros(0, np.int64)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._clicked_point = False
        self._thumbnail_images: np.ndarray | None = None  # (N, 28, 28) uint8, one per point
        self._thumbnails: list[pg.ImageItem] = []  # reused: made once, moved and refilled
        self._thumbnail_timer = QTimer(self, singleShot=True, interval=THUMBNAIL_DELAY_MS)
        self._thumbnail_timer.timeout.connect(self._show_thumbnails)
        plot.vb.sigRangeChanged.connect(lambda *_args: self._thumbnail_timer.start())
        self._on_theme_changed(follow_theme(self._on_theme_changed))

    def _on_theme_changed(self, theme: Theme) -> None:
        if not style_plot(self, theme):
            return
        self._marker.setPen(pg.mkPen(theme.marker_edge, width=1.5))
        self._marker.setBrush(pg.mkBrush(theme.marker_fill))
        for scatter in self._scatters:
            scatter.opts["hoverPen"] = pg.mkPen(theme.marker_edge, width=1.5)

    def _set_class_count(self, count: int) -> None:
        if count == len(self._scatters):
            return
        plot = self.getPlotItem()
        for scatter in self._scatters:
            plot.removeItem(scatter)
        self._scatters = []
        for colour in class_colours(count):
            hover_pen = pg.mkPen(themes().theme.marker_edge, width=1.5)
            scatter = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(*colour, 200), hoverable=True, hoverSize=9,
                                         hoverPen=hover_pen, tip=None)  # fmt: skip
            scatter.sigHovered.connect(self._on_hovered)
            scatter.sigClicked.connect(self._on_points_clicked)
            plot.addItem(scatter)
            self._scatters.append(scatter)

    def set_points(self, points: np.ndarray, labels: np.ndarray, score: float | None = None,
                   classes: int | None = None, title: str | None = None) -> None:  # fmt: skip
        """The points coloured by label; `classes` (default: the labels' range, at least ten) sets the
        colours; `title` names the map (its score follows it)."""
        if title is not None:
            self._title = title
        self._thumbnail_images = None  # (the images of other points: set_thumbnails gives these points' own)
        self._points = np.asarray(points, np.float32)
        self._labels = np.asarray(labels, np.int64)
        largest = int(self._labels.max()) + 1 if len(self._labels) else 0
        self._set_class_count(max(classes or len(CLASS_COLOURS), largest))
        for label, scatter in enumerate(self._scatters):
            chosen = np.flatnonzero(self._labels == label)
            scatter.setData(x=self._points[chosen, 0], y=self._points[chosen, 1], data=chosen)
        self.getPlotItem().setTitle(f"{self._title}: separation {score:.3f}" if score is not None else self._title)
        self.show_most_points()

    def set_thumbnails(self, images: np.ndarray | None) -> None:
        """The points' images (uint8, one per point), shown in place of dots once few enough are in view."""
        self._thumbnail_images = None if images is None or len(images) != len(self._points) else np.asarray(images)
        self._thumbnail_timer.start()

    def thumbnails_shown(self) -> int:
        return sum(item.isVisible() for item in self._thumbnails)

    def _show_thumbnails(self) -> None:
        """Digit images at the points in view when there are at most THUMBNAIL_LIMIT of them (as the
        Embedding Projector does), each a few percent of the view wide."""
        if self.closed:  # closed while the timer ran (pyqtgraph has let its plot go)
            return
        (left, right), (bottom, top) = self.getPlotItem().vb.viewRange()
        shown = np.zeros(0, np.int64)
        if self._thumbnail_images is not None and len(self._points):
            x, y = self._points[:, 0], self._points[:, 1]
            shown = np.flatnonzero((x >= left) & (x <= right) & (y >= bottom) & (y <= top))
            if len(shown) > THUMBNAIL_LIMIT:
                shown = shown[:0]
        side_x, side_y = (right - left) * THUMBNAIL_SIZE, (top - bottom) * THUMBNAIL_SIZE
        while len(self._thumbnails) < len(shown):
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(5)
            self.getPlotItem().addItem(item)
            self._thumbnails.append(item)
        for item, index in zip(self._thumbnails, shown, strict=False):
            item.setImage(self._thumbnail_images[index][::-1], levels=(0, 255), autoLevels=False)  # y points up
            item.setRect(QRectF(self._points[index, 0] - side_x / 2, self._points[index, 1] - side_y / 2, side_x,
                                side_y))  # fmt: skip
            item.show()
        for item in self._thumbnails[len(shown) :]:
            item.hide()

    def show_most_points(self) -> None:
        """Frame the middle 99% of the points: a few far outliers should not shrink the rest to a dot."""
        if len(self._points) == 0:
            return
        low, high = np.percentile(self._points, [0.5, 99.5], axis=0)
        margin = (high - low) * 0.08 + 1e-6
        self.getPlotItem().setRange(xRange=(low[0] - margin[0], high[0] + margin[0]),
                                    yRange=(low[1] - margin[1], high[1] + margin[1]), padding=0)  # fmt: skip

    def set_marker(self, point: np.ndarray | None) -> None:
        if point is None:
            self._marker.setData([], [])
        else:
            self._marker.setData([float(point[0])], [float(point[1])])

    def marker(self) -> np.ndarray | None:
        x, y = self._marker.getData()
        return None if len(x) == 0 else np.array([x[0], y[0]])

    def point_count(self) -> int:
        return len(self._points)

    def title(self) -> str:
        return self.getPlotItem().titleLabel.text

    def _on_hovered(self, _item, points, _event) -> None:
        self.pointHovered.emit(int(points[0].data()) if len(points) else -1)

    def _on_points_clicked(self, _item, points, _event) -> None:
        if len(points):
            self._clicked_point = True
            self.pointClicked.emit(int(points[0].data()))

    def _on_scene_clicked(self, event) -> None:
        if self._clicked_point:  # the scatter handled this click
            self._clicked_point = False
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        view = self.getPlotItem().vb
        if view.sceneBoundingRect().contains(event.scenePos()):
            spot = view.mapSceneToView(event.scenePos())
            self.spotClicked.emit(spot.x(), spot.y())
