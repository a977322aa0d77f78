"""Own images in the window: image files onto the canvas (Open image, drops), model files dropped on
the window, recent models, image folders and the other datasets in the data picker, class names."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from aegui import image_to_input
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.model.configs import SUFFIX
from aegui.core.training.trainer import History
from aegui.gui.code_space.latent_map import LatentMapView
from aegui.gui.theme.themes import class_colours
from aegui.gui.window.recent_files import RECENT_COUNT
from benchmarks.images import DIGIT_NAMES, write_digit_folder
from tests.gui.conftest import drag, wait_for_drawing


def _mime(*paths) -> QMimeData:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return data


def drop(widget, *paths) -> QDropEvent:
    """A drop of local files onto the widget, after the drag entered it, as a person's would."""
    data = _mime(*paths)
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(centre.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, enter)
    event = QDropEvent(centre, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    if enter.isAccepted():
        QApplication.sendEvent(widget, event)
    return event


@pytest.fixture
def paper_digit(tmp_path, sample):
    """A dark digit on light paper, 3x the size of MNIST's, as a PNG."""
    digit = np.kron(255 - sample.test_images[7].numpy(), np.ones((3, 3), np.uint8))
    path = tmp_path / "photo of a digit.png"
    Image.fromarray(np.repeat(digit[..., None], 3, axis=2)).save(path)
    return path


def test_an_image_dropped_on_the_canvas_is_the_model_input_and_can_be_drawn_over(window, qtbot, paper_digit):
    canvas = window.canvas
    with qtbot.waitSignal(window.parts.drawing_controller.drawingUpdated, timeout=10_000):
        assert drop(canvas, paper_digit).isAccepted()
    assert np.abs(canvas.model_input() - image_to_input(paper_digit)).max() <= 1e-6
    assert np.abs(window.draw_panel.input_view.image() - image_to_input(paper_digit)).max() <= 1e-6
    under = canvas.model_input()
    drag(canvas, [[(20, 20), (60, 25), (100, 30)]])  # a stroke on top adds ink
    wait_for_drawing(window, qtbot)
    over = canvas.model_input()
    assert (over >= under - 1e-6).all() and over.sum() > under.sum() + 1
    window.actions["clearAction"].trigger()  # Clear: the image and the stroke
    assert canvas.is_empty() and not canvas.model_input().any()


def test_open_image_and_a_corrupt_drop_say_what_happened(window, qtbot, tmp_path, paper_digit):
    assert window.files.open_image(paper_digit)
    kept = window.canvas.model_input()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    drop(window.canvas, broken)
    assert "broken.png cannot be read as an image; the canvas is unchanged" in window.panel.message_label.text()
    assert np.array_equal(window.canvas.model_input(), kept)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert not drop(window.canvas, text).isAccepted()  # not an image: the canvas does not take it


def _model_file(tmp_path, name: str, code_size: int = 3):
    path = tmp_path / f"{name}{SUFFIX}"
    save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(16,), code_size=code_size)), History())
    return path


def test_a_model_file_dropped_on_the_window_opens_after_the_unsaved_question(window, qtbot, tmp_path, monkeypatch):
    path = _model_file(tmp_path, "dropped", code_size=5)
    with qtbot.waitSignal(window.session.openEnded, timeout=30_000):
        drop(window, path)
    assert window.session.model.config.code_size == 5 and window.session.model_path == path
    asked = []
    window.session.dirty = True  # unsaved work: a drop asks first, and Cancel keeps it
    monkeypatch.setattr(window.session, "ask_unsaved", lambda doing: asked.append(doing) or "cancel")
    other = _model_file(tmp_path, "other", code_size=7)
    with qtbot.waitSignal(window.session.openEnded, timeout=30_000):
        drop(window, other)
    assert asked == ["opening another model"] and window.session.model.config.code_size == 5


def test_recent_models_list_the_last_eight_and_drop_missing_ones(window, qtbot, tmp_path):
    paths = [_model_file(tmp_path, f"m{index}") for index in range(RECENT_COUNT + 2)]
    for path in paths:
        window.recent.add_model(path)
    entries = [action for action in window.recent_menu.actions() if action.objectName().startswith("recent")]
    assert [action.toolTip() for action in entries] == [str(path) for path in reversed(paths[-RECENT_COUNT:])]
    paths[-1].unlink()
    entries[0].trigger()  # the newest is gone: removed from the list, with a word why
    assert "no longer there" in window.panel.message_label.text()
    assert paths[-1] not in window.recent.models()
    assert window.recent.folder() == tmp_path  # the next file dialog starts where the last file was
    with qtbot.waitSignal(window.session.openEnded, timeout=30_000):
        window.recent_menu.actions()[0].trigger()  # (now paths[-2])
    assert window.session.model_path == paths[-2]
    window.files.save_model(tmp_path / f"saved{SUFFIX}")  # saving adds the file too
    assert window.recent.models()[0] == tmp_path / f"saved{SUFFIX}"


def test_an_image_folder_trains_with_its_folder_names_as_classes(window, qtbot, tmp_path, sample):
    folder = write_digit_folder(tmp_path / "digits", sample.test_images[:120].numpy(), sample.test_labels[:120].numpy())
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
        assert window.parts.data_controller.load_images(folder)
    dataset = loaded.args[0]
    assert dataset.classes == tuple(sorted(DIGIT_NAMES))
    assert "3 files skipped" in window.panel.message_label.text()
    assert window.panel.data_box.dataset_combo.currentText() == "Images: digits"
    assert "images (28×28 grey) in 10 classes" in window.panel.data_box.dataset_label.text()
    first = [dataset.class_name(int(label)) for label in dataset.test_labels[:10]]
    qtbot.waitUntil(
        lambda: ", ".join(first) in window.parts.gallery.caption(), timeout=10_000
    )  # the gallery names them
    window.tabs.setCurrentIndex(1)  # the code map's legend names the folders
    qtbot.waitUntil(lambda: window.parts.code_space.latent is not None, timeout=30_000)
    assert window.parts.code_space_panel.legend.classes() == tuple(sorted(DIGIT_NAMES))
    assert "zero" in window.parts.code_space_panel.legend.text()


def test_the_picker_offers_a_missing_dataset_for_download_and_keeps_the_data_on_no(window, qtbot, monkeypatch):
    combo = window.panel.data_box.dataset_combo
    labels = [combo.itemText(index) for index in range(combo.count())]
    assert "KMNIST (download…)" in labels and "EMNIST balanced (download…)" in labels and "Image folder…" in labels
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or QMessageBox.StandardButton.Cancel)
    before = window.session.data.choice
    combo.setCurrentIndex(combo.findData("kmnist"))
    assert asked and "KMNIST" in asked[0] and "Download it now?" in asked[0]
    assert combo.currentData() == before and window.session.phase.value == "idle"


def test_maps_colour_and_name_many_classes(qtbot):
    colours = class_colours(47)
    assert len(set(colours)) == 47 and class_colours(10)[0] == (31, 119, 180)
    view = LatentMapView("codes", "latentMap")
    qtbot.addWidget(view)
    labels = np.arange(470) % 47
    view.set_points(np.random.default_rng(0).normal(size=(470, 2)), labels, 0.5, classes=47)
    assert len(view._scatters) == 47 and all(len(s.data) == 10 for s in view._scatters)


def test_the_window_reopens_the_last_image_folder_and_copes_when_it_is_gone(qtbot, tmp_path, sample):
    from aegui.gui import MainWindow

    folder = write_digit_folder(tmp_path / "mine", sample.test_images[:30].numpy(), sample.test_labels[:30].numpy())
    first = MainWindow()
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.session.dataset is not None, timeout=20_000)
    with qtbot.waitSignal(first.session.datasetLoaded, timeout=30_000):
        first.parts.data_controller.load_images(folder)
    first.close()  # (saves the choice and the folder)
    second = MainWindow()
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.session.dataset is not None, timeout=30_000)
    assert second.session.dataset.name == "images" and second.session.dataset.source == str(folder.resolve())
    second.close()
    for path in sorted(folder.rglob("*"), reverse=True):  # the folder is gone: the sample, with a word why
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    third = MainWindow()
    qtbot.addWidget(third)
    qtbot.waitUntil(lambda: third.session.dataset is not None, timeout=30_000)
    assert third.session.dataset.name == "sample" and "does not exist" in third.panel.message_label.text()
    third.close()


def test_a_stored_image_choice_without_its_folder_loads_the_usual_data(qtbot):
    from aegui.gui import MainWindow
    from aegui.gui.window.settings import make_settings

    settings = make_settings()
    settings.setValue("data/choice", "images")
    settings.remove("data/images")
    settings.sync()
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=30_000)
    assert window.session.dataset.name == "sample" and window.panel.data_box.dataset_choice() == "auto"
    window.close()
