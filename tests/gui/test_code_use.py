"""Using the codes in the window: every image's code exported by the command line's writer, the images nearest one
picked among the whole collection, and what the codes are worth where there are labels."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import drag
from tests.gui.test_code_space import ONE, open_tab


def _write_folder(folder, count: int = 24):
    """Grey 28x28 pictures without class folders (so: no labels), named out of order."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    names = [f"picture-{(7 * i) % count:02d}.png" for i in range(count)]
    for name in names:
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(folder / name)
    return sorted(names)


def test_export_writes_every_image_with_its_file_name_and_no_worth_without_labels(window, qtbot, tmp_path):
    names = _write_folder(tmp_path / "pictures")
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        assert window.parts.data_controller.load_images(tmp_path / "pictures")
    assert window.session.model_data is not None  # the digits model takes grey 28x28 pictures
    open_tab(window, qtbot, 1)
    uses, panel = window.parts.code_space.collection, window.parts.code_space_panel
    qtbot.waitUntil(lambda: uses.encoded is not None, timeout=30_000)
    assert panel.worth() == "" and not panel.worth_label.isVisible()  # no labels: nothing to weigh
    with qtbot.waitSignal(uses.exported, timeout=30_000):
        assert window.parts.code_space.export("codes", tmp_path / "codes.csv")
    rows = list(csv.reader((tmp_path / "codes.csv").open(newline="")))
    assert rows[0] == ["file", "label"] + [f"code_{i}" for i in range(32)]
    assert [row[0] for row in rows[1:]] == names and all(row[1] == "" for row in rows[1:])  # one row per image
    codes = np.array([row[2:] for row in rows[1:]], np.float32)
    np.testing.assert_allclose(codes, uses.encoded.codes, rtol=1e-6, atol=1e-7)
    assert f"Exported the codes of {len(names)} images" in window.panel.message_label.text()
    with qtbot.waitSignal(uses.exported, timeout=30_000):  # .npy: the same rows, the codes alone
        assert window.parts.code_space.export("codes", tmp_path / "codes.npy")
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), codes, rtol=1e-6, atol=1e-7)
    # never onto an input: not into the folder the images are read from
    assert not window.parts.code_space.export("codes", tmp_path / "pictures" / "codes.csv")
    assert "lies in the folder the data is read from" in window.panel.message_label.text()
    assert not (tmp_path / "pictures" / "codes.csv").exists()


def test_parquet_needs_pyarrow_and_other_endings_are_refused(window, qtbot, tmp_path, monkeypatch):
    code_space = window.parts.code_space
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # (import pyarrow: ImportError)
    assert not code_space.export("codes", tmp_path / "codes.parquet")
    assert "needs pyarrow" in window.panel.message_label.text() and not (tmp_path / "codes.parquet").exists()
    assert not code_space.export("codes", tmp_path / "codes.txt")
    assert "must end in .csv, .npy or .parquet" in window.panel.message_label.text()


def test_parquet_where_pyarrow_is_there(window, qtbot, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    uses = window.parts.code_space.collection
    with qtbot.waitSignal(uses.exported, timeout=60_000):
        assert window.parts.code_space.export("codes", tmp_path / "codes.parquet")
    table = pq.read_table(tmp_path / "codes.parquet")
    assert table.num_rows == 5000 and table.column("file")[0].as_py() == "sample train #0"
    assert table.column("label")[0].as_py() == window.session.dataset.class_name(
        int(window.session.dataset.train_labels[0])
    )


def test_the_file_menu_and_the_button_ask_where_and_as_what(window, qtbot, tmp_path, monkeypatch):
    asked = []

    def ask(parent, folder):
        asked.append(folder)
        return tmp_path / "from-the-dialog.npy"

    monkeypatch.setattr("aegui.gui.window.dialogs.codes_export_path", ask)
    uses = window.parts.code_space.collection
    with qtbot.waitSignal(uses.exported, timeout=60_000):
        window.actions["exportCodesAction"].trigger()
    assert np.load(tmp_path / "from-the-dialog.npy").shape == (5000, 32)
    button = window.parts.code_space_panel.findChild(type(window.panel.train_button), "exportCodesButton")
    assert button is not None and button.text() == "Export codes…"


def test_a_click_on_the_map_shows_the_images_nearest_it_itself_first(window, qtbot):
    open_tab(window, qtbot, 1)
    uses, view = window.parts.code_space.collection, window.parts.explore_panel.neighbours
    with qtbot.waitSignal(uses.neighboursShown, timeout=30_000):
        window.parts.code_space_panel.code_map.pointClicked.emit(5)
    shown = view.shown()
    assert len(shown) == 8 and shown[0].distance == 0.0 and shown[0].name == "test #5"
    dataset = window.session.dataset
    assert shown[0].label == dataset.class_name(int(dataset.test_labels[5]))
    np.testing.assert_allclose(shown[0].picture, dataset.test_images[5].numpy() / 255, atol=1e-6)
    distances = np.array([neighbour.distance for neighbour in shown])
    assert (np.diff(distances) >= 0).all() and (distances[1:] > 0).all()
    found = uses.encoded
    exact = np.sort(np.linalg.norm(found.codes - found.codes[found.position(1, 5)], axis=1))[:8]
    np.testing.assert_allclose(distances, exact, rtol=1e-4, atol=1e-5)  # the nearest of all 5,000, train and test
    assert "Nearest to test #5" in view.verdict.text() and "itself first" in view.verdict.text()
    # the drawing changing asks about the drawing again
    with qtbot.waitSignal(uses.neighboursShown, timeout=30_000):
        drag(window.canvas, ONE)
    assert view.shown()[0].distance > 0 and view.verdict.text().startswith("The drawing's nearest digits")


def test_the_worth_line_appears_for_labelled_data(window, qtbot):
    open_tab(window, qtbot, 1)
    panel, uses = window.parts.code_space_panel, window.parts.code_space.collection
    qtbot.waitUntil(lambda: uses.worth is not None, timeout=60_000)
    worth = uses.worth
    line = panel.worth()
    assert line.startswith("What the codes are worth: 5-nearest-neighbour accuracy on 1,000 test images")
    assert f"codes (32 values) {worth.codes:.1%}" in line and f"PCA (32 components) {worth.pca:.1%}" in line
    assert f"raw pixels (784 values) {worth.pixels:.1%}" in line and panel.worth_label.isVisible()


def test_an_outlier_row_shows_the_images_nearest_it(window, qtbot):
    outliers = window.parts.outliers
    with qtbot.waitSignal(outliers.scored, timeout=60_000):
        window.tabs.setCurrentIndex(window.tabs.indexOf(window.parts.outliers_view))
    uses, view = window.parts.code_space.collection, window.parts.explore_panel.neighbours
    with qtbot.waitSignal(uses.neighboursShown, timeout=30_000):
        window.parts.outliers_view.imageChosen.emit(0)  # (the canvas takes it too: the pick holds over the drawing)
    position, name = outliers.rows[0][0], outliers.rows[0][1]
    assert view.shown()[0].distance == 0.0 and view.shown()[0].name == name
    found = uses.encoded
    train = len(window.session.dataset.train_images)
    split, index = (0, position) if position < train else (1, position - train)
    assert found.found.names[found.position(split, index)] == name


def test_a_click_on_the_gallery_shows_the_images_nearest_that_test_image(window, qtbot):
    gallery, uses = window.parts.gallery, window.parts.code_space.collection
    window.tabs.setCurrentIndex(0)  # the Training tab, the gallery under the loss plot
    qtbot.waitUntil(lambda: gallery.isVisible() and gallery.count == 10, timeout=30_000)
    assert gallery.objectName() == "reconstructionGallery" and "most similar" in gallery.toolTip()
    x, y = gallery.centre_of(3, row=1)  # its reconstruction, under it: the same test image
    with qtbot.waitSignal(uses.neighboursShown, timeout=30_000):
        QTest.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(round(x), round(y)))  # fmt: skip
    shown, dataset = window.parts.explore_panel.neighbours.shown(), window.session.dataset
    assert shown[0].distance == 0.0 and shown[0].name == "test #3"
    np.testing.assert_allclose(shown[0].picture, dataset.test_images[3].numpy() / 255, atol=1e-6)
    assert not window.canvas.is_empty()  # as an outlier's click: onto the canvas too
