"""The live loss plot: thin per-batch loss, bold per-epoch train and test loss; for a VAE, its test
KL divergence per pixel too (the test loss is then the reconstruction term: the two add up to the
objective at KL weight 1). Earlier runs are drawn faintly beneath, each in its colour; batch losses
can be smoothed as TensorBoard smooths them."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt

from aegui.core.training.runs import SMOOTHING_LEVELS, smooth, smoothed_levels
from aegui.core.training.trainer import History
from aegui.gui.concurrency.pacer import FramePacer
from aegui.gui.theme.themes import Theme, follow_theme, rgb, style_plot
from aegui.gui.widgets.plot_cache import paint_from_cache
from aegui.gui.widgets.plots import pg

EARLIER_ALPHA = 90  # earlier runs: their colour, faint
REDRAW_MS = 100
Y_MARGIN = 0.15  # of the data's span, left free above and below when the y range is refitted
Y_SNUG = 0.5  # refit when the data fill less than this share of the y range
Y_EDGE = 0.03  # or come closer than this share of it to its top or bottom


class GrowingBuffer:
    """Preallocated x/y arrays that double when full; views of them go to setData."""

    def __init__(self, capacity: int = 4096) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.size = 0
        self.low, self.high, self.low_positive = math.inf, -math.inf, math.inf  # of the finite y values

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        needed = self.size + len(x)
        if needed > len(self.x):
            capacity = max(needed, 2 * len(self.x))
            self.x = np.resize(self.x, capacity)
            self.y = np.resize(self.y, capacity)
        self.x[self.size : needed] = x
        self.y[self.size : needed] = y
        self.size = needed
        finite = y[np.isfinite(y)]
        if finite.size:
            self.low, self.high = min(self.low, float(finite.min())), max(self.high, float(finite.max()))
            positive = finite[finite > 0]
            if positive.size:
                self.low_positive = min(self.low_positive, float(positive.min()))

    def clear(self) -> None:
        self.size = 0
        self.low, self.high, self.low_positive = math.inf, -math.inf, math.inf

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.size], self.y[: self.size]


def faint(colour: tuple[int, int, int], alpha: int, background: tuple[int, int, int]) -> tuple[int, int, int]:
    """The colour as if drawn at `alpha` over the plot's background: opaque, because long translucent
    paths are several times dearer to paint."""
    share = alpha / 255
    return tuple(
        round(share * channel + (1 - share) * under) for channel, under in zip(colour, background, strict=True)
    )


class LossPlot(pg.PlotWidget):
    """x is in epochs, so runs with different batch sizes line up."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setMinimumHeight(130)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # zoomed with the mouse; Tab passes it by
        plot = self.getPlotItem()
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", "loss")
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.addLegend(offset=(-10, 10))
        # Every redraw while training takes CPU from training (2 cores here). Grid lines only at the
        # labelled ticks (a line per minor tick made a redraw ~4x dearer); axes and legend cached.
        plot.getAxis("bottom").setStyle(maxTickLevel=0)
        plot.getAxis("left").setStyle(maxTickLevel=1)
        paint_from_cache(plot, plot.legend)
        self._batches = GrowingBuffer()
        self._train = GrowingBuffer(64)
        self._test = GrowingBuffer(64)
        self._kl = GrowingBuffer(64)
        self._pixels = 784
        self._batch_curve = plot.plot(name="batch loss", antialias=False)
        self._batch_curve.setClipToView(True)
        self._batch_curve.setDownsampling(auto=True, method="peak")
        self._train_curve = plot.plot(symbol="o", symbolSize=7, name="train loss (epoch)")
        self._test_curve = plot.plot(symbol="s", symbolSize=7, name="test loss (epoch)")
        self._kl_curve: pg.PlotDataItem | None = None  # made at a VAE's first epoch (no legend entry before)
        self._earlier: list[tuple[pg.PlotDataItem, pg.PlotDataItem, np.ndarray, np.ndarray]] = []
        self._earlier_colours: list[tuple[int, int, int]] = []
        self._levels: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}  # the earlier runs' curves per level
        self._smoothing = 0.0
        self._epoch_offset = 0
        self._steps_per_epoch = 1
        self._follow_y = False  # a run fits y itself, in steps; until then pyqtgraph's auto range
        plot.getViewBox().sigRangeChangedManually.connect(self._on_range_changed_by_user)
        # Data arrives up to 30 times a second, epochs as fast as a small data set's batches; redrawing (axes
        # and all) 10 times a second is plenty: a burst of batches and epochs is drawn once.
        self._redraw_curves = FramePacer(self._redraw, REDRAW_MS, self)
        self._drawn = (0, 0)  # the batch and epoch points the curves show
        self._theme: Theme = follow_theme(self._on_theme_changed)
        self._on_theme_changed(self._theme)

    def _on_theme_changed(self, theme: Theme) -> None:
        self._theme = theme
        if not style_plot(self, theme):
            return
        self._batch_curve.setPen(pg.mkPen(theme.batch_loss, width=1))
        for curve, colour in ((self._train_curve, theme.train_loss), (self._test_curve, theme.test_loss),
                              (self._kl_curve, theme.kl_loss)):  # fmt: skip
            if curve is not None:
                curve.setPen(pg.mkPen(colour, width=3))
                curve.setSymbolBrush(colour)
        self._colour_earlier()

    def _colour_earlier(self) -> None:
        background = rgb(self._theme.plot_background)
        for (batch_curve, test_curve, _x, _y), colour in zip(self._earlier, self._earlier_colours, strict=True):
            batch_curve.setPen(pg.mkPen(faint(colour, EARLIER_ALPHA, background), width=1))
            test_curve.setPen(pg.mkPen(faint(colour, EARLIER_ALPHA + 60, background), width=2))

    # --- feeding ---

    def set_pixels(self, pixels: int) -> None:
        """Pixel values per image of the model shown (784 for digits): a VAE's KL is shown per value."""
        self._pixels = pixels

    def begin_run(self, epochs_done: int, steps_per_epoch: int, epochs: int) -> None:
        """Batches of the coming run are placed after the epochs already done.

        The x range is set once for the whole run: an axis that does not move is not redrawn, and
        redrawing tick labels is most of what a live plot costs.
        """
        self._epoch_offset = epochs_done
        self._steps_per_epoch = max(1, steps_per_epoch)
        self.getPlotItem().setXRange(0, epochs_done + epochs, padding=0.02)
        self._follow_y = True
        self._fit_y()

    def add_batch_losses(self, losses: np.ndarray, first_step: int) -> None:
        steps = np.arange(first_step, first_step + len(losses))
        self._batches.extend(self._epoch_offset + steps / self._steps_per_epoch, losses)
        self._request_redraw()

    def _request_redraw(self) -> None:
        """Draw what came, paced; not while another tab hides the plot (it catches up as it shows again)."""
        if self.isVisible():
            self._redraw_curves.request()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._redraw_curves.request()

    def _redraw(self, everything: bool = False) -> None:
        """The current run's curves that have points they do not show yet (`everything`: all of them)."""
        batches, epochs = self._drawn
        if everything or batches != self._batches.size:
            x, y = self._batches.view()
            self._batch_curve.setData(x, smooth(y, self._smoothing) if self._smoothing else y)
        if everything or epochs != self._train.size:
            self._train_curve.setData(*self._train.view())
            self._test_curve.setData(*self._test.view())
            if self._kl_curve is not None:
                self._kl_curve.setData(*self._kl.view())
        self._drawn = (self._batches.size, self._train.size)
        self._fit_y()

    # --- earlier runs and smoothing ---

    def set_earlier_runs(self, runs: list[tuple[tuple[int, int, int], History]]) -> None:
        """Runs drawn faintly beneath the current one: (colour, history) each, their batch losses (smoothed
        as the current run's) and their test losses per epoch."""
        plot = self.getPlotItem()
        for batch_curve, test_curve, _x, _y in self._earlier:
            plot.removeItem(batch_curve)
            plot.removeItem(test_curve)
        self._earlier, self._levels = [], {}
        self._earlier_colours = [colour for colour, _history in runs]
        for _colour, history in runs:
            losses = np.asarray(history.batch_losses, np.float64)
            epochs = history.epochs_done
            x = np.arange(1, len(losses) + 1) * epochs / len(losses) if len(losses) and epochs else np.zeros(0)
            batch_curve = pg.PlotDataItem(antialias=False)
            batch_curve.setSkipFiniteCheck(True)  # (peak_bins gives finite values only)
            test = [(float(r["epoch"]), float(r["test_loss"])) for r in history.epochs]
            test_curve = pg.PlotDataItem(*zip(*test, strict=True) if test else ([], []))
            for curve in (batch_curve, test_curve):
                curve.setZValue(-10)  # beneath the current run
                plot.addItem(curve)
            self._earlier.append((batch_curve, test_curve, x, losses if len(x) else np.zeros(0)))
        self._colour_earlier()
        self._show_earlier()

    def earlier_curves(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The earlier runs' raw batch losses (x in epochs, y), for `smoothed_levels`."""
        return [(x, y) for _batch, _test, x, y in self._earlier]

    def set_smoothed_levels(self, levels: dict[int, list[tuple[np.ndarray, np.ndarray]]]) -> None:
        """The earlier runs' curves at every slider level, computed ahead (`smoothed_levels`, in a worker):
        a drag then only swaps curves. Levels for other runs than those shown are ignored."""
        if levels and len(next(iter(levels.values()))) == len(self._earlier):
            self._levels = levels

    def _show_earlier(self) -> None:
        """Earlier runs' batch losses, smoothed and reduced to each bin's lowest and highest value (a faint
        curve needs no more points than the plot has pixels): ready-made when the levels are at hand."""
        level = round(self._smoothing * SMOOTHING_LEVELS)
        curves = self._levels.get(level) or smoothed_levels(self.earlier_curves(), [level])[level]
        for (batch_curve, _test, _x, _y), (x, y) in zip(self._earlier, curves, strict=True):
            batch_curve.setData(x, y)

    def set_smoothing(self, weight: float) -> None:
        """Smooth every batch-loss curve (0: raw; 0.99: very smooth), as TensorBoard's slider does. The
        view stays: a moving average never leaves the range of its values, so refitting it (the dearest
        part of a repaint with ten runs) would change nothing."""
        self.getPlotItem().getViewBox().disableAutoRange()
        self._smoothing = float(weight)
        self._show_earlier()
        self._redraw_curves.cancel()
        self._redraw(everything=True)

    def earlier_runs(self) -> int:
        return len(self._earlier)

    def _fit_y(self) -> None:
        """Keep every loss in view, moving the y range in steps rather than at each redraw.

        With pyqtgraph's auto range a falling loss moves the y axis at every redraw, and redrawing
        the axis (labels, grid) is most of what a live plot costs. Here the range changes only when
        a loss nears its edge or the losses fill less than half of it.
        """
        if not self._follow_y:
            return
        buffers = (self._batches, self._train, self._test, self._kl)
        log = self.getPlotItem().getAxis("left").logMode
        low = min(buffer.low_positive if log else buffer.low for buffer in buffers)
        high = max(buffer.high for buffer in buffers)
        if not math.isfinite(low):  # no losses yet (high is then not finite either)
            return
        if log:
            low, high = math.log10(low), math.log10(high)
        view_low, view_high = self.getPlotItem().getViewBox().viewRange()[1]
        edge = Y_EDGE * (view_high - view_low)
        inside = view_low + edge <= low and high <= view_high - edge
        if inside and high - low >= Y_SNUG * (view_high - view_low):
            return
        margin = Y_MARGIN * max(high - low, 0.05 if log else 1e-3 * max(abs(high), 1e-6))
        self.getPlotItem().setYRange(low - margin, high + margin, padding=0)

    def _on_range_changed_by_user(self, *_) -> None:
        self._follow_y = False  # the person zoomed or panned: leave the view where they put it

    def add_epoch(self, epoch: int, train_loss: float, test_loss: float, test_kl: float = 0.0) -> None:
        """An epoch's losses; `test_kl`: a VAE's mean KL divergence per test image (0: not a VAE). Drawn with the
        batches, at most 1000 / REDRAW_MS times a second however fast epochs end."""
        self._extend_epochs(epoch, train_loss, test_loss, test_kl)
        self._request_redraw()

    def _extend_epochs(self, epoch: int, train_loss: float, test_loss: float, test_kl: float) -> None:
        self._train.extend(np.array([epoch]), np.array([train_loss]))
        self._test.extend(np.array([epoch]), np.array([test_loss]))
        if test_kl > 0:
            if self._kl_curve is None:
                colour = self._theme.kl_loss
                name = f"test KL ÷ {self._pixels} (epoch)"
                self._kl_curve = self.getPlotItem().plot(pen=pg.mkPen(colour, width=3), symbol="t", symbolSize=7,
                                                         symbolBrush=colour, name=name)  # fmt: skip
            self._kl.extend(np.array([epoch]), np.array([test_kl / self._pixels]))

    def add_record(self, record) -> None:
        """An EpochEnd record."""
        self.add_epoch(record.epoch, record.train_loss, record.test_loss, record.test_kl)

    def show_history(self, history: History) -> None:
        """Replace everything with a saved model's history."""
        self.clear_all()
        epochs = history.epochs_done
        losses = np.asarray(history.batch_losses, np.float64)
        if len(losses) and epochs:
            self._batches.extend(np.arange(1, len(losses) + 1) * epochs / len(losses), losses)
        for record in history.epochs:
            self._extend_epochs(int(record["epoch"]), float(record["train_loss"]), float(record["test_loss"]),
                                float(record.get("test_kl", 0.0)))  # fmt: skip
        self._redraw(everything=True)  # (once, whatever the number of epochs)

    def clear_all(self) -> None:
        self._redraw_curves.cancel()
        self._drawn = (0, 0)
        self._follow_y = False
        self.getPlotItem().enableAutoRange(x=True, y=True)
        for buffer in (self._batches, self._train, self._test, self._kl):
            buffer.clear()
        for curve in (self._batch_curve, self._train_curve, self._test_curve):
            curve.setData([], [])
        if self._kl_curve is not None:  # the next model may not be a VAE: no KL in its legend
            self.getPlotItem().removeItem(self._kl_curve)
            self._kl_curve = None

    def set_log_scale(self, on: bool) -> None:
        self.getPlotItem().setLogMode(y=on)
        self._fit_y()

    # --- reading, for tests and exports ---

    def batch_points(self) -> int:
        return self._batches.size

    def epoch_points(self) -> int:
        return self._train.size

    def kl_points(self) -> int:
        return self._kl.size

    def batch_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._batches.view()
