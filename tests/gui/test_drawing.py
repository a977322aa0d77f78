import itertools

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

import aegui
from tests.conftest import needs_unipen, open_and_wait
from tests.gui.conftest import drag, fit_to_canvas, pen_samples, wait_for_drawing

SQUARE = [[(100, 100), (220, 100), (220, 220), (100, 220), (100, 100)]]
TWO_STROKES = [[(160, 60), (160, 260)], [(120, 120), (200, 120)]]


@needs_unipen
def test_replayed_pen_digits_reach_the_model_exactly(window, qtbot):
    side = window.canvas.width()
    for sample in pen_samples(25):
        window.canvas.clear()
        strokes = fit_to_canvas(sample["strokes"], side, offset=(np.random.default_rng(0).uniform(-30, 30), 0))
        drag(window.canvas, strokes)
        replayed = window.canvas.strokes()
        expected = [[tuple(p) for p in stroke] for stroke in strokes]
        # consecutive duplicate points carry no ink; the canvas keeps one of each
        dedup = [[p for i, p in enumerate(s) if i == 0 or p != s[i - 1]] for s in expected]
        assert replayed == dedup
        np.testing.assert_array_equal(window.canvas.model_input(), aegui.strokes_to_image(replayed, (side, side)))
        shown = window.draw_panel.input_view
        qtbot.waitUntil(lambda: np.array_equal(shown.image(), window.canvas.model_input()))  # noqa: B023
        assert window.draw_panel.reconstruction_view.image() is not None


def test_drawing_shows_code_and_reconstruction_live(window, qtbot):
    assert window.draw_panel.code_view.values() is None and window.draw_panel.reconstruction_view.image() is None
    assert "Draw a digit" in window.draw_panel.hint.text()
    drag(window.canvas, TWO_STROKES)
    wait_for_drawing(window, qtbot)
    code, reconstruction = window.draw_panel.code_view.values(), window.draw_panel.reconstruction_view.image()
    assert code.shape == (window.session.model.code_size,) and reconstruction.shape == (28, 28)
    model_input = window.canvas.model_input()
    expected = window.session.model.reconstruct(model_input)
    np.testing.assert_allclose(reconstruction, expected, atol=1e-5)
    np.testing.assert_allclose(code, window.session.model.encode(model_input), atol=1e-5)
    assert "reconstruction error" in window.draw_panel.reconstruction_view.caption()


def test_drawing_updates_while_the_pen_moves(window, qtbot):
    from PySide6.QtCore import QEvent

    from tests.gui.conftest import mouse

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mouse(window.canvas, QEvent.Type.MouseButtonPress, 160, 60, left, left)
    seen = []
    for y in range(70, 260, 20):
        mouse(window.canvas, QEvent.Type.MouseMove, 160, y, none, left)
        qtbot.waitUntil(lambda: window.draw_panel.reconstruction_view.image() is not None)
        shown = window.draw_panel.input_view  # the stroke so far, once the throttle lets it through
        qtbot.waitUntil(lambda: np.array_equal(shown.image(), window.canvas.model_input()))  # noqa: B023
        seen.append(shown.image())
    mouse(window.canvas, QEvent.Type.MouseButtonRelease, 160, 260, left, none)
    assert len(window.canvas.strokes()) == 1
    distinct = {image.tobytes() for image in seen}
    assert len(distinct) > 3  # what the model sees changed as the stroke grew, before the pen was lifted


def test_clear_undo_and_keys(window, qtbot):
    drag(window.canvas, TWO_STROKES)
    assert len(window.canvas.strokes()) == 2
    window.canvas.setFocus()
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    assert len(window.canvas.strokes()) == 1
    qtbot.mouseClick(window.draw_panel.undo_button, Qt.MouseButton.LeftButton)
    assert window.canvas.is_empty()
    drag(window.canvas, SQUARE)
    QTest.keyClick(window, Qt.Key.Key_Delete)
    assert window.canvas.is_empty()
    drag(window.canvas, SQUARE)
    qtbot.mouseClick(window.draw_panel.clear_button, Qt.MouseButton.LeftButton)
    assert window.canvas.is_empty()
    qtbot.waitUntil(lambda: window.draw_panel.code_view.values() is None)
    assert window.draw_panel.reconstruction_view.image() is None
    assert "Draw a digit" in window.draw_panel.hint.text()
    assert not window.canvas.model_input().any()


def test_ctrl_z_after_delete_or_clear_brings_the_drawing_back(window, qtbot):
    canvas = window.canvas
    drag(canvas, TWO_STROKES)
    drawn, seen = canvas.strokes(), canvas.model_input()
    canvas.setFocus()
    QTest.keyClick(window, Qt.Key.Key_Delete)
    assert canvas.is_empty()
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    assert canvas.strokes() == drawn and np.array_equal(canvas.model_input(), seen)
    wait_for_drawing(window, qtbot)  # the views show it again
    qtbot.mouseClick(window.draw_panel.clear_button, Qt.MouseButton.LeftButton)
    drag(canvas, SQUARE)  # a new drawing after the Clear: undone stroke by stroke, then the Clear
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    assert canvas.is_empty()
    qtbot.mouseClick(window.draw_panel.undo_button, Qt.MouseButton.LeftButton)
    assert canvas.strokes() == drawn
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    assert canvas.strokes() == drawn[:1]


def test_undo_brings_back_a_drawing_an_image_replaced(window):
    canvas = window.canvas
    drag(canvas, SQUARE)
    drawn = canvas.strokes()
    image = np.zeros((28, 28), np.float32)
    image[8:20, 12:16] = 1.0
    canvas.set_image(image)
    assert canvas.strokes() == [] and canvas.image() is not None
    QTest.keySequence(window, QKeySequence("Ctrl+Z"))
    assert canvas.strokes() == drawn and canvas.image() is None
    QTest.keyClick(window, Qt.Key.Key_Delete)
    canvas.set_image(image)
    drag(canvas, TWO_STROKES)
    canvas.clear()
    canvas.undo()  # the image with its strokes
    assert len(canvas.strokes()) == 2 and np.array_equal(canvas.image(), image)


def test_right_button_and_moves_without_a_button_draw_nothing(window):
    from PySide6.QtCore import QEvent

    from tests.gui.conftest import mouse

    right, none = Qt.MouseButton.RightButton, Qt.MouseButton.NoButton
    mouse(window.canvas, QEvent.Type.MouseButtonPress, 100, 100, right, right)
    mouse(window.canvas, QEvent.Type.MouseMove, 150, 150, none, right)
    mouse(window.canvas, QEvent.Type.MouseMove, 180, 180, none, none)
    assert window.canvas.is_empty()


def test_drawing_follows_training(window, qtbot):
    drag(window.canvas, SQUARE)
    wait_for_drawing(window, qtbot)
    untrained = window.draw_panel.reconstruction_view.image()
    shown_with: list = []  # the published weights each refresh during training showed
    controller = window.parts.drawing_controller
    controller.drawingUpdated.connect(lambda: window.session.is_training() and shown_with.append(
        window.session.inference.version))  # fmt: skip
    window.panel.epochs_spin.setValue(3)
    window.start_training()
    qtbot.waitUntil(lambda: window.parts.loss_plot.batch_points() > 20, timeout=20_000)
    qtbot.waitUntil(
        lambda: not np.allclose(window.draw_panel.reconstruction_view.image(), untrained, atol=1e-3), timeout=20_000
    )
    assert shown_with and all(a != b for a, b in itertools.pairwise(shown_with))  # never the same weights twice
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        pass
    final = window.session.model.reconstruct(window.canvas.model_input())
    qtbot.waitUntil(lambda: np.allclose(window.draw_panel.reconstruction_view.image(), final, atol=1e-5))


def test_drawing_with_an_opened_model(window, qtbot, tmp_path):
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.autoencoder import ModelConfig, build_model

    model = build_model(ModelConfig(hidden_sizes=(64,), code_size=5, activation="relu"), seed=3)
    path = save_checkpoint(tmp_path / "five.aegui.pt", model)
    assert open_and_wait(qtbot, window.session, path) is None  # the bars start at [-1, 1] until a worker
    qtbot.waitUntil(lambda: window.draw_panel.code_view.value_range() != (-1.0, 1.0), timeout=10_000)  # scales them
    drag(window.canvas, SQUARE)
    wait_for_drawing(window, qtbot)
    assert window.draw_panel.code_view.values().shape == (5,)
    shown = window.draw_panel.reconstruction_view.image()
    np.testing.assert_allclose(shown, model.reconstruct(window.canvas.model_input()), atol=1e-5)
    scale = window.draw_panel.code_view.value_range()
    drag(window.canvas, TWO_STROKES)
    wait_for_drawing(window, qtbot)
    assert window.draw_panel.code_view.value_range() == scale  # fixed per model: bars compare as you draw


def test_a_drawing_refreshed_right_after_another_code_size_arrives(window, qtbot, tmp_path):
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.autoencoder import ModelConfig, build_model

    drag(window.canvas, SQUARE)
    wait_for_drawing(window, qtbot)
    path = save_checkpoint(tmp_path / "five.aegui.pt", build_model(ModelConfig(hidden_sizes=(64,), code_size=5)))
    assert open_and_wait(qtbot, window.session, path) is None
    window.parts.drawing_controller.refresh_drawing()  # before the views follow the new model (a frame later)
    assert window.draw_panel.code_view.values().shape == (5,)
    qtbot.waitUntil(lambda: len(window.parts.explore_panel.sliders.code()) == 5)


@pytest.mark.parametrize("strokes", [[[(50.0, 50.0)]], [[(10, 10), (10, 10)]], [[(1e9, 1e9), (2e9, 1e9)]]])
def test_odd_drawings_still_give_an_image(window, strokes):
    window.canvas.set_strokes(strokes)
    image = window.canvas.model_input()
    assert image.shape == (28, 28) and image.dtype == np.float32 and np.isfinite(image).all()


def test_code_values_past_the_scale_are_marked_not_cut_off(qtbot):
    from aegui.gui.drawing.code_view import CodeView

    view = CodeView()
    qtbot.addWidget(view)
    view.set_model(4, (-2.0, 3.0))
    view.set_code(np.array([1.0, 5.0, -0.5, -7.0]))
    np.testing.assert_array_equal(view.beyond_scale(), [1, 3])
    np.testing.assert_array_equal(view.values(), [1.0, 5.0, -0.5, -7.0])  # the true values stay available
    view.set_model(4, (-8.0, 8.0))  # a wider scale (new weights): nothing is past it any more
    assert view.beyond_scale().size == 0
    view.set_code(None)
    assert view.beyond_scale().size == 0


@pytest.mark.parametrize(
    ("code_size", "labelled"), [(2, [0, 1]), (32, [0, 5, 10, 15, 20, 25, 30]), (784, list(range(0, 701, 100)))]
)
def test_code_bars_are_labelled_by_whole_indices(qtbot, code_size, labelled):
    from aegui.gui.drawing.code_view import CodeView

    view = CodeView()
    qtbot.addWidget(view)
    view.set_model(code_size, (-1.0, 1.0))
    major = view.getPlotItem().getAxis("bottom")._tickLevels[0]
    assert [value for value, _label in major] == labelled


HIDPI_SCRIPT = """
import numpy as np
from PySide6.QtWidgets import QApplication
app = QApplication([])
from aegui.gui.drawing.canvas import DrawCanvas
canvas = DrawCanvas()
canvas.show()
canvas.set_strokes([[(50, 50), (270, 270)], [(270, 50), (50, 270)]])
canvas.repaint()
image = canvas.grab().toImage()
ratio = int(image.devicePixelRatio())
row = np.array([image.pixelColor(x, 160 * ratio).red() for x in range(image.width())])
print(ratio, int(((row > 40) & (row < 200)).sum()))
"""


def test_finished_strokes_are_crisp_on_a_hidpi_screen():
    """At twice the pixels, finished ink is drawn in device pixels, not scaled up (blurred) from 1x."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    output = subprocess.run([sys.executable, "-c", HIDPI_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=60, check=True).stdout.split()  # fmt: skip
    ratio, grey_edge_pixels = int(output[-2]), int(output[-1])
    assert ratio == 2
    assert grey_edge_pixels <= 2  # one anti-aliased pixel per edge of the two crossing strokes; 4 when upscaled
