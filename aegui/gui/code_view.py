"""The code as bars, on a scale fixed per model so bars compare as you draw."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from aegui.gui.plot_cache import paint_from_cache

POSITIVE = pg.mkBrush(60, 140, 220)
NEGATIVE = pg.mkBrush(220, 110, 60)


class CodeView(pg.PlotWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("codeView")
        self.setMinimumSize(220, 150)
        plot = self.getPlotItem()
        plot.setTitle("code")
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showGrid(y=True, alpha=0.2)
        paint_from_cache(plot)  # bars change with every stroke and training update; the scale does not
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        plot.addItem(self._bars)
        self._values: np.ndarray | None = None
        self._range = (0.0, 1.0)
        self._size = 0

    def set_model(self, code_size: int, value_range: tuple[float, float]) -> None:
        """A new model or new weights: the bar count and the fixed scale."""
        self._size = code_size
        self._range = value_range
        plot = self.getPlotItem()
        plot.setXRange(-0.6, code_size - 0.4, padding=0)
        plot.setYRange(*value_range, padding=0.05)
        plot.setTitle(f"code: {code_size} values")

    def set_code(self, values: np.ndarray | None) -> None:
        self._values = None if values is None else np.asarray(values, np.float32).copy()
        if self._values is None:
            self._bars.setOpts(x=[], height=[])
            return
        brushes = [POSITIVE if v >= 0 else NEGATIVE for v in self._values]
        self._bars.setOpts(x=np.arange(len(self._values)), height=self._values, width=0.8, brushes=brushes)

    def values(self) -> np.ndarray | None:
        return None if self._values is None else self._values.copy()

    def value_range(self) -> tuple[float, float]:
        return self._range
