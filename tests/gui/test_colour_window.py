"""Colour images of any size in the window (issue 27): a photo folder loaded, the model following its
shape, the canvas as the model's image, views in colour, the Data box's reading choices."""

from __future__ import annotations

import numpy as np
import pytest

from aegui.core.data.image_files import image_to_input
from benchmarks.images import write_photo_folder
from tests.gui.conftest import drag
from tests.gui.test_own_images import drop


@pytest.fixture
def photos(tmp_path):
    return write_photo_folder(tmp_path / "photos", per_class=12)


def load(window, qtbot, folder):
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
        assert window.parts.data_controller.load_images(folder)
    return loaded.args[0]


def shown_input(window) -> np.ndarray:
    """What the model sees, as the drawing row shows it, in the model's own layout."""
    image = window.draw_panel.input_view.image()
    return image.transpose(2, 0, 1) if image is not None and image.ndim == 3 else image


def test_a_photo_folder_makes_the_window_a_colour_studio(window, qtbot, photos):
    dataset = load(window, qtbot, photos)
    session, panel, canvas = window.session, window.panel, window.canvas
    assert dataset.image_shape == (3, 32, 32)
    assert session.model.image_shape == (3, 32, 32)  # the untrained model follows the data
    assert panel.preset_name() == "photos"  # and so does the preset
    box = panel.data_box
    assert box.size_combo.isVisibleTo(window) and box.color_combo.isVisibleTo(window)
    assert "images (32×32 colour) in 2 classes" in box.dataset_label.text()
    assert "Read as 32×32 colour, fitted whole (the images have colour)." in panel.message_label.text()
    # the canvas is the model's image: a photo dropped on it is fitted as the folder's were
    assert not canvas.is_digit_pad() and window.draw_panel.ink_button.isVisibleTo(window)
    photo = next(photos.rglob("*.jpg"))
    with qtbot.waitSignal(window.parts.drawing_controller.drawingUpdated, timeout=10_000):
        assert drop(canvas, photo).isAccepted()
    expected = image_to_input(photo, canvas.fitting)
    assert expected.shape == (3, 32, 32) and np.abs(canvas.model_input() - expected).max() <= 1e-6
    qtbot.waitUntil(lambda: np.array_equal(shown_input(window), canvas.model_input()))
    assert window.draw_panel.reconstruction_view.image().shape == (32, 32, 3)
    # strokes paint in the ink colour over it
    canvas.set_ink((1.0, 0.0, 0.0))
    drag(canvas, [[(40, 160), (280, 160)]])
    painted = canvas.model_input()
    assert painted[0, 16, 16] > 0.9 and painted[1:, 16, 16].max() < 0.1
    qtbot.waitUntil(lambda: np.array_equal(shown_input(window), painted))
    assert "32×32 colour" in window.draw_panel.input_view._title.text()


def test_reading_the_folder_at_another_size_and_training_in_colour(window, qtbot, photos):
    load(window, qtbot, photos)
    box = window.panel.data_box
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
        box.size_combo.setCurrentIndex(box.size_combo.findData(48))
    assert loaded.args[0].image_shape == (3, 48, 48) and window.session.model.image_shape == (3, 48, 48)
    assert window.canvas.fitting.size == 48
    window.panel.epochs_spin.setValue(2)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=120_000):
        window.start_training()
    gallery = window.parts.gallery
    qtbot.waitUntil(lambda: gallery._picture.ndim == 3 and gallery._picture.shape[2] == 3, timeout=10_000)
    # generated images in colour at the model's size
    window.tabs.setCurrentIndex(window.tabs.indexOf(window.parts.generate_view))
    mosaic = window.parts.generate_view.mosaic
    qtbot.waitUntil(lambda: mosaic.images().shape[1:] == (48, 48, 3), timeout=30_000)
    # a trained colour model and digit data: Train would start a new model, and says so
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        window.session.load_data("sample")
    assert "This model takes 48×48 colour images" in window.session.data_note()
