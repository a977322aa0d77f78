"""The live loss plot keeps every loss in view while moving its y axis rarely (redrawing it is dear)."""

from __future__ import annotations

import gc
import itertools
import weakref

import numpy as np
import pytest

from aegui.gui.training.loss_plot import LossPlot

STEPS_PER_EPOCH = 469
CHUNK = 6  # losses per update, as the worker sends them


def falling_losses(count: int, seed: int = 0) -> np.ndarray:
    steps = np.arange(1, count + 1)
    noise = np.random.default_rng(seed).random(count)
    return 0.02 + 0.7 * np.exp(-steps / 60) + 0.01 * noise


def feed(plot: LossPlot, losses: np.ndarray, first_step: int = 1) -> list[tuple[float, float]]:
    """Send losses a chunk at a time, each drawn at once; the y range after each chunk."""
    ranges = []
    for start in range(0, len(losses), CHUNK):
        plot.add_batch_losses(losses[start : start + CHUNK], first_step + start)
        plot._redraw_curves.flush()
        ranges.append(tuple(plot.getPlotItem().getViewBox().viewRange()[1]))
    return ranges


@pytest.fixture
def plot(qtbot) -> LossPlot:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 300)
    plot.show()
    plot.begin_run(0, STEPS_PER_EPOCH, 2)
    return plot


@pytest.mark.parametrize("log", [False, True])
def test_every_loss_stays_in_view_and_the_axis_moves_rarely(plot, log):
    plot.set_log_scale(log)
    losses = falling_losses(2 * STEPS_PER_EPOCH)
    ranges = feed(plot, losses)
    shown = np.log10(losses) if log else losses
    for end, (low, high) in zip(range(CHUNK, len(losses) + CHUNK, CHUNK), ranges, strict=True):
        so_far = shown[:end]
        assert low < so_far.min() and so_far.max() < high
        assert so_far.max() - so_far.min() >= 0.4 * (high - low)  # snug: the losses fill the view
    changes = sum(a != b for a, b in itertools.pairwise(ranges))
    assert changes <= len(ranges) // 5, f"the y axis moved {changes} times in {len(ranges)} redraws"


def test_epoch_losses_are_kept_in_view_too(plot):
    feed(plot, falling_losses(STEPS_PER_EPOCH))
    plot.add_epoch(1, train_loss=0.9, test_loss=0.001)  # outside the batch losses on both sides
    plot._redraw_curves.flush()
    low, high = plot.getPlotItem().getViewBox().viewRange()[1]
    assert low < 0.001 and high > 0.9


def test_epochs_as_fast_as_batches_are_drawn_paced_not_one_redraw_each(plot, qtbot, monkeypatch):
    """A small data set ends many epochs a second: the window hands the plot one record each, in bursts.
    The plot draws what came at most 1000 / REDRAW_MS times a second, not once per record."""
    redraws = {"batch": 0, "epoch": 0}
    for curve, kind in ((plot._batch_curve, "batch"), (plot._train_curve, "epoch")):
        set_data = curve.setData

        def counted(*args, set_data=set_data, kind=kind, **kwargs):
            redraws[kind] += 1
            return set_data(*args, **kwargs)

        monkeypatch.setattr(curve, "setData", counted)
    losses = falling_losses(200)
    for epoch in range(1, 41):  # one burst: 40 epochs of 5 batches, as one window update carries them
        plot.add_batch_losses(losses[5 * (epoch - 1) : 5 * epoch], 5 * (epoch - 1) + 1)
        plot.add_epoch(epoch, train_loss=float(losses[5 * epoch - 1]), test_loss=float(losses[5 * epoch - 1]))
    assert redraws["epoch"] <= 1 and redraws["batch"] <= 1  # the first request draws; the rest wait for one redraw
    qtbot.waitUntil(
        lambda: plot._train_curve.getData()[0] is not None and len(plot._train_curve.getData()[0]) == 40
    )  # the waiting redraw shows them all
    assert redraws["epoch"] <= 2 and redraws["batch"] <= 2
    assert plot.epoch_points() == 40 and plot.batch_points() == 200


def test_a_view_the_person_moved_stays_where_they_put_it(plot):
    feed(plot, falling_losses(100))
    view = plot.getPlotItem().getViewBox()
    view.translateBy(y=0.05)  # what a mouse drag calls
    view.sigRangeChangedManually.emit(view.state["mouseEnabled"])
    moved = tuple(view.viewRange()[1])
    feed(plot, falling_losses(300)[100:] - 0.015, first_step=101)
    assert tuple(view.viewRange()[1]) == moved


def test_a_plot_a_test_drops_waits_for_qt_to_delete_it(qtbot):
    """A legend plot freed by Python's cycle collector has its Python side emptied before Qt takes the
    C++ side down; Qt then asks emptied labels for their size (AttributeError in the event loop, which
    failed whichever test was running). The GUI tests' fixture holds what a test shows until Qt deletes it."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.show()
    held = weakref.ref(plot)
    del plot
    gc.collect()
    assert held() is not None


def test_a_hidden_plot_draws_nothing_until_it_shows_again_then_everything(plot, qtbot, monkeypatch):
    """Behind another tab the plot only keeps the losses (each redraw costs the window's thread while training);
    shown again, it draws them all at once."""
    feed(plot, falling_losses(60))
    drawn = []
    set_data = plot._batch_curve.setData
    monkeypatch.setattr(plot._batch_curve, "setData", lambda *a, **k: (drawn.append(1), set_data(*a, **k)))
    plot.hide()
    for start in range(61, 241, CHUNK):
        plot.add_batch_losses(falling_losses(240)[start - 1 : start - 1 + CHUNK], start)
        plot.add_epoch(start, train_loss=0.1, test_loss=0.1)
    assert drawn == [] and not plot._redraw_curves._timer.isActive()  # (none drawn, none waiting to be)
    assert plot.batch_points() == 240
    plot.show()
    qtbot.waitUntil(lambda: len(plot._batch_curve.getData()[0]) == 240)
