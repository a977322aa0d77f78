"""The code as bars, on a scale fixed per model so bars compare as you draw.

The scale covers 99% of the test digits' code values (see `code_range`); a drawing can go beyond it. Such a bar stops at
the edge of the scale and a triangle there points on, so it is not silently cut off.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from aegui.gui.theme.themes import Theme, follow_theme, style_plot
from aegui.gui.widgets.plot_cache import paint_from_cache
from aegui.gui.widgets.plots import pg

BEYOND_SYMBOLS = {True: "t1", False: "t"}  # pyqtgraph: "t1" points up, "t" points down


class CodeView(pg.PlotWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("codeView")
        self.setMinimumSize(220, 150)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a picture: Tab passes it by
        plot = self.getPlotItem()
        plot.setTitle("code")
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showGrid(y=True, alpha=0.2)
        paint_from_cache(plot)  # bars change with every stroke and training update; the scale does not
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        plot.addItem(self._bars)
        self._beyond = pg.ScatterPlotItem(size=11)
        plot.addItem(self._beyond)
        self._values: np.ndarray | None = None
        self._range = (0.0, 1.0)
        self._size = 0
        self._on_theme_changed(follow_theme(self._on_theme_changed))

    def _on_theme_changed(self, theme: Theme) -> None:
        if not style_plot(self, theme):
            return
        self._brushes = {True: pg.mkBrush(theme.code_positive), False: pg.mkBrush(theme.code_negative)}
        self._beyond.setPen(pg.mkPen(theme.beyond_edge))
        self._beyond.setBrush(pg.mkBrush(theme.beyond_fill))
        if self._values is not None:
            self.set_code(self._values)

    def set_model(self, code_size: int, value_range: tuple[float, float]) -> None:
        """A new model or new weights: the bar count and the fixed scale."""
        self._size = code_size
        self._range = value_range
        plot = self.getPlotItem()
        plot.setXRange(-0.6, code_size - 0.4, padding=0)
        step = next(step for step in (1, 2, 5, 10, 20, 50, 100, 200, 500) if code_size / step <= 8)
        plot.getAxis("bottom").setTicks([[(index, str(index)) for index in range(0, code_size, step)], []])
        plot.setYRange(*value_range, padding=0.05)
        plot.setTitle(f"code: {code_size} values")
        if self._values is not None:
            self.set_code(self._values)

    def set_code(self, values: np.ndarray | None) -> None:
        self._values = None if values is None else np.asarray(values, np.float32).copy()
        if self._values is None:
            self._bars.setOpts(x=[], height=[])
            self._beyond.clear()
            return
        low, high = self._range
        positions = np.arange(len(self._values))
        brushes = [self._brushes[bool(v >= 0)] for v in self._values]
        heights = np.clip(self._values, min(low, 0.0), max(high, 0.0))
        self._bars.setOpts(x=positions, height=heights, width=0.8, brushes=brushes)
        beyond = heights != self._values
        above = self._values[beyond] > 0
        self._beyond.setData(x=positions[beyond], y=heights[beyond], symbol=[BEYOND_SYMBOLS[bool(a)] for a in above])

    def values(self) -> np.ndarray | None:
        return None if self._values is None else self._values.copy()

    def value_range(self) -> tuple[float, float]:
        return self._range

    def beyond_scale(self) -> np.ndarray:
        """Indices of the code values drawn at the edge of the scale because they lie past it."""
        x, _ = self._beyond.getData()
        return np.asarray(x, int)
