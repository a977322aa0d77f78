"""The Outliers tab: the most unusual images first, a click puts one on the canvas, a class filter, exports,
moving a file aside, and the novelty of a class left out of training."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from aegui.core.analysis.mosaic import READABLE_SIDE
from benchmarks.images import write_digit_folder
from tests.gui.test_faults import train_briefly


def open_outliers(window, qtbot):
    view = window.parts.outliers_view
    with qtbot.waitSignal(window.parts.outliers.scored, timeout=60_000):
        window.tabs.setCurrentWidget(view)
    return view


def test_the_tab_lists_the_most_unusual_first_and_a_click_draws_it(window, qtbot, tmp_path):
    train_briefly(window, qtbot)
    view = open_outliers(window, qtbot)
    controller = window.parts.outliers
    assert view.objectName() == "outliersView" and len(controller.rows) == 48
    scores = [row[3] for row in controller.rows]
    assert scores == sorted(scores, reverse=True) and len(controller.report.scores) == 5000
    header = [view.table.horizontalHeaderItem(column).text() for column in range(view.table.columnCount())]
    assert header == ["rank", "score", "class", "file or index"] and view.table.horizontalHeader().isVisible()
    rank, score, label, name = view.row_text(0)
    assert view.table.rowCount() == 48 and rank == "1" and float(score) == float(f"{scores[0]:.4g}")
    assert label == controller.rows[0][2] and name == controller.rows[0][1]
    with qtbot.waitSignal(window.parts.drawing_controller.drawingUpdated, timeout=10_000):
        x, y = view.mosaic.centre_of(0)
        QTest.mouseClick(view.mosaic.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(round(x), round(y)))  # fmt: skip
    assert not window.canvas.is_empty() and view.marker_position() == scores[0]
    view.class_combo.setCurrentIndex(view.class_combo.findData(7))
    assert {row[2] for row in controller.rows} == {"7"}
    assert controller.export("csv", tmp_path / "sevens.csv") and controller.export("png", tmp_path / "top.png")
    sheet = np.asarray(Image.open(tmp_path / "top.png"))  # each image over its rank, score, class and name
    under_first = sheet[2 + READABLE_SIDE + 2 :, : sheet.shape[1] // 7][:40]
    assert sheet.shape[0] > 7 * (READABLE_SIDE + 40) and under_first.max() > 200  # text, in white, under it
    lines = (tmp_path / "sevens.csv").read_text().splitlines()
    assert len(lines) == 1 + int((np.concatenate([window.session.dataset.train_labels.numpy(),
                                                  window.session.dataset.test_labels.numpy()]) == 7).sum())  # fmt: skip


def test_a_file_of_an_image_folder_is_moved_aside_never_deleted(window, qtbot, tmp_path, sample):
    folder = write_digit_folder(tmp_path / "digits", sample.test_images[:80].numpy(), sample.test_labels[:80].numpy(),
                                broken=0, text_files=0)  # fmt: skip
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        window.parts.data_controller.load_images(folder)
    view = open_outliers(window, qtbot)
    assert view.move_button.isEnabled() and view.show_button.isEnabled()
    view.table.setCurrentCell(0, 2)  # a click in the table's first row
    chosen = window.parts.outliers.selected_file()
    assert chosen is not None and chosen.is_file()
    moved = window.parts.outliers.move_aside(tmp_path / "aside")
    assert moved == tmp_path / "aside" / chosen.name and moved.is_file() and not chosen.exists()
    assert "Moved" in window.panel.message_label.text()


def test_a_class_left_out_shows_its_roc_curve_and_auc(window, qtbot):
    window.panel.data_box.set_excluded(0)
    train_briefly(window, qtbot, epochs=2)
    assert window.session.train_config.exclude_class == 0
    view = open_outliers(window, qtbot)
    assert "Left out in training: 0" in view.novelty_label.text() and "ROC AUC" in view.novelty_label.text()
    assert view.roc.isVisibleTo(window)


def test_exports_and_saves_that_would_replace_an_input_are_refused(window, qtbot, tmp_path, sample):
    """Outputs never replace inputs: not an image of the folder in use, not the model's own file (by export)."""
    folder = write_digit_folder(tmp_path / "digits", sample.test_images[:40].numpy(), sample.test_labels[:40].numpy(),
                                broken=0, text_files=0)  # fmt: skip
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        window.parts.data_controller.load_images(folder)
    open_outliers(window, qtbot)
    image = next(path for path in sorted(folder.rglob("*.png")))
    before = image.read_bytes()
    session = window.session
    assert not window.parts.outliers.export("csv", image)
    assert "the image folder in use" in window.panel.message_label.text()
    assert not window.parts.outliers.export("png", folder / "sheet.png") and not (folder / "sheet.png").exists()
    assert not session.save(image) and image.read_bytes() == before
    model = tmp_path / "m.aegui.pt"
    assert session.save(model)
    saved = model.read_bytes()
    assert not session.export(model, "torchscript") and "the model's own file" in window.panel.message_label.text()
    assert model.read_bytes() == saved and session.save(model)  # (saving over its own file is what Save does)


def test_scores_on_their_way_are_given_up_when_training_starts(window, qtbot):
    """Scoring a collection takes a core: started for a fresh model, it stops when Train starts, and the tab
    says the scores follow when training ends."""
    controller = window.parts.outliers
    window.tabs.setCurrentWidget(window.parts.outliers_view)
    qtbot.waitUntil(lambda: controller._scoring.busy or controller.report is not None, timeout=60_000)
    window.panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.start_training()
        assert not controller._scoring.busy
        assert "when training ends" in window.parts.outliers_view.status.text()
