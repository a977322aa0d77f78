"""GUI fixtures: a window on the embedded sample, mouse drags with the button held, thread checks."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aegui.core.training.trainer import TrainConfig
from tests.conftest import UNIPEN

# how long a worker given up as its window closed may take to end: on a machine other programs keep busy a
# pass it was in (a PCA fit, a block of images) takes many times its quiet seconds; one that never ends still fails
WORKER_END_MS = 30_000
ONE_EPOCH = TrainConfig(epochs=1, batch_size=200, lr=3e-3, loss="bce", optimizer="adam")


@pytest.fixture(autouse=True)
def no_thread_outlives_a_test(qapp, widgets_are_deleted_by_qt):  # (so the widgets are deleted after this)
    from aegui.gui.concurrency.threads import live_workers, unfinished_workers, wait_for_workers
    from aegui.gui.concurrency.training_process import live_runs

    yield
    finished = wait_for_workers(WORKER_END_MS)
    assert finished and live_workers() == 0, "a worker thread outlived the test"
    qapp.processEvents()  # deliver the workers' last queued signals
    assert unfinished_workers() == 0
    assert live_runs() == 0, "a training run outlived the test"


@pytest.fixture(autouse=True)
def widgets_are_deleted_by_qt(monkeypatch):
    """Each widget a test hands to `qtbot.addWidget` is held until pytest-qt has closed it and asked for
    its deletion, and deleted here by Qt, whole.

    pytest-qt holds them weakly, so Python's cycle collector could free one first (a plot dropped when the
    test returns): it empties the Python objects' attributes before Qt takes their C++ side down, and Qt
    then calls overrides of emptied objects (pyqtgraph's LabelItem.sizeHint raised AttributeError in the
    event loop of whichever test ran; a legend plot collected that way did so every time).
    """
    held: list = []
    add_widget = QtBot.addWidget

    def add_and_hold(self, widget, **options):
        held.append(widget)
        add_widget(self, widget, **options)

    monkeypatch.setattr(QtBot, "addWidget", add_and_hold)
    yield
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    held.clear()


@pytest.fixture(autouse=True)
def fresh_settings(tmp_path, monkeypatch):
    """Each test starts with default settings, no autosave and no kept runs (a window saves settings when it
    closes, and keeps its runs)."""
    monkeypatch.setenv("AEGUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AEGUI_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    monkeypatch.setenv("AEGUI_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture(autouse=True)
def discard_unsaved_on_close(request, monkeypatch):
    """Closing a window with a trained model asks first; tests that do not test that answer Discard.

    Tests marked `real_unsaved_dialog` get the real dialog.
    """
    from aegui.gui.window.file_actions import FileActions

    if request.node.get_closest_marker("real_unsaved_dialog") is None:
        monkeypatch.setattr(FileActions, "ask_unsaved", lambda self, doing: "discard")


@pytest.fixture
def window_factory(qtbot):
    """Opens windows (on the embedded sample, shown, data loaded); each is closed after the test."""
    from aegui.gui import MainWindow

    opened = []

    def open_window(**arguments):
        main = MainWindow(**arguments)
        qtbot.addWidget(main)
        main.show()
        qtbot.waitUntil(lambda: main.session.dataset is not None, timeout=20_000)
        opened.append(main)
        return main

    yield open_window
    for main in opened:
        main.close()


@pytest.fixture
def window(window_factory):
    return window_factory()


def mouse(widget, kind: QEvent.Type, x: float, y: float, button, buttons) -> None:
    position = QPointF(x, y)
    event = QMouseEvent(kind, position, widget.mapToGlobal(position), button, buttons,
                        Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, event)


def drag(widget, strokes, between=None) -> None:
    """Replay strokes as real mouse drags: press, moves with the left button held, release; `between()`, when
    given, runs after each event (a benchmark paces the events as a hand does, with the event loop running)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        mouse(widget, QEvent.Type.MouseButtonPress, x0, y0, left, left)
        for x, y in rest:
            if between is not None:
                between()
            mouse(widget, QEvent.Type.MouseMove, x, y, none, left)
        x1, y1 = stroke[-1]
        mouse(widget, QEvent.Type.MouseButtonRelease, x1, y1, left, none)


def fit_to_canvas(strokes, side: int, height_fraction: float = 0.68, offset=(0.0, 0.0)):
    """Scale a pen sample so it is drawn at a person's size on the canvas (aspect kept)."""
    import numpy as np

    points = np.concatenate([np.asarray(s, float) for s in strokes])
    low, high = points.min(0), points.max(0)
    extent = np.maximum(high - low, 1.0)
    scale = min(side * height_fraction / extent[1], side * 0.9 / extent[0])
    start = (side - extent * scale) / 2 + np.asarray(offset)
    return [((np.asarray(s, float) - low) * scale + start).round(2).tolist() for s in strokes]


def pen_samples(count: int):
    with UNIPEN.open() as lines:
        return [json.loads(line) for _, line in zip(range(count), lines, strict=False)]


def wait_for_drawing(window, qtbot) -> None:
    """Until the views show the canvas's latest drawing (updates are throttled to the display rate)."""
    import numpy as np

    qtbot.waitUntil(lambda: np.array_equal(window.draw_panel.input_view.image(), window.canvas.model_input()))
