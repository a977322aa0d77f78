"""The Outliers tab's Near-duplicates mode (issue 47): the copies in an image folder found in a worker, shown in
pairs beside their originals and grouped, moved aside into a folder (the originals stay) and put back; refused
where the images are no files, and said so while the model does not take the data."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from PySide6.QtCore import Qt

from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import History
from tests.gui.test_data_fit import EPOCH_RECORD, load, write_colour_photos
from tests.gui.test_faults import train_briefly

SIDE = 64


def write_textures(folder, count: int = 30, seed: int = 0):
    """`count` distinct random textures (smooth colour noise with grain), in two class folders, and three copies
    of three of them: re-encoded as JPEG, resized, and both. Returns {copy: original} (names in the folder)."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        coarse = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
        coarse = coarse.resize((SIDE, SIDE), Image.Resampling.BICUBIC)
        grain = rng.normal(0, 12, (SIDE, SIDE, 3))
        texture = np.clip(np.asarray(coarse, np.float64) + grain, 0, 255).astype(np.uint8)
        path = folder / ("stone" if index % 2 else "wood") / f"{index:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(texture).save(path)
    copies = {"wood/04 copy.jpg": "wood/04.png", "stone/07 small.png": "stone/07.png",
              "wood/10 small.jpg": "wood/10.png"}  # fmt: skip
    for copy, original in copies.items():
        image = Image.open(folder / original)
        if "small" in copy:
            image = image.resize((SIDE * 3 // 4, SIDE * 3 // 4), Image.Resampling.LANCZOS)
        image.save(folder / copy, **({"quality": 60} if copy.endswith(".jpg") else {}))
    return copies


def open_with_model(window, qtbot, tmp_path, folder):
    """A small colour model of these images, opened: its data (the folder) comes with it."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden_sizes=(64,), code_size=16, image_shape=(3, 32, 32)))
    path = save_checkpoint(tmp_path / "textures.aegui.pt", model, History([dict(EPOCH_RECORD)], [0.3]),
                           dataset=f"images:{folder.resolve()}")  # fmt: skip
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        window.files.open_model(path)


def open_duplicates(window, qtbot):
    view = window.parts.outliers_view
    window.tabs.setCurrentWidget(view)
    with qtbot.waitSignal(window.parts.duplicates.found, timeout=60_000):
        view.mode_combo.setCurrentIndex(view.mode_combo.findData("duplicates"))
    return view.duplicates


def test_copies_are_found_beside_their_originals_moved_aside_and_put_back(window, qtbot, tmp_path):
    folder = tmp_path / "textures"
    copies = write_textures(folder)
    open_with_model(window, qtbot, tmp_path, folder)
    view = open_duplicates(window, qtbot)
    controller = window.parts.duplicates
    names = controller.result.described.found.names
    pairs = controller.result.pairs
    listed = {frozenset((names[a], names[b])) for a, b in zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)}
    assert {frozenset(pair) for pair in copies.items()} <= listed and len(listed) <= 5
    assert view.objectName() == "duplicatesView" and view.table.rowCount() == len(pairs)
    shown = {view.row_text(row)[side].splitlines()[0] for row in range(len(pairs)) for side in (1, 2)}
    assert set(copies) | set(copies.values()) <= shown
    assert view.row_text(0)[0] == "1" and "×" in view.row_text(0)[1] and float(view.row_text(0)[3]) >= 0
    # the originals (more pixels, or the larger file) are kept; the copies are checked
    assert {names[position] for position in controller.copies} == set(copies)
    assert "3 checked as copies" in view.status.text() and view.move_button.isEnabled()
    # a group keeps one: its last kept image cannot be checked too
    row, side = next((row, side) for row in range(len(pairs)) for side in (0, 1)
                     if names[int((pairs.first, pairs.second)[side][row])] in copies.values())  # fmt: skip
    assert view.is_marked_copy(row, 1 - side) and not view.is_marked_copy(row, side)
    view.table.item(row, 1 + side).setCheckState(Qt.CheckState.Checked)
    assert not view.is_marked_copy(row, side) and "One image of each group is kept" in window.panel.message_label.text()
    view.table.item(row, 2 - side).setCheckState(Qt.CheckState.Unchecked)  # kept both: then one is a copy again
    assert len(controller.copies) == 2 and "2 checked as copies" in view.status.text()
    view.table.item(row, 2 - side).setCheckState(Qt.CheckState.Checked)
    # moving refuses a folder inside the image folder, then moves into one beside it
    assert controller.move_copies(folder / "aside") is None and not (folder / "aside").exists()
    moved = controller.move_copies(tmp_path / "copies")
    assert moved is not None and not moved.problem and len(moved.done) == 3
    for copy, original in copies.items():
        assert (tmp_path / "copies" / copy).is_file() and not (folder / copy).exists() and (folder / original).is_file()
    assert len(list(folder.rglob("*.*"))) == 30 and "Moved 3 copies" in view.status.text()
    assert "moved" in view.row_text(row)[2 - side] and view.put_back_button.isEnabled()
    # a new closeness searches again from the images described (the latest asked wins); the moved stay marked
    with qtbot.waitSignal(controller.found, timeout=60_000):
        view.ratio_spin.setValue(0.6)
        view.ratio_spin.setValue(0.5)
    assert controller.result.pairs.ratio == 0.5 and view.put_back_button.isEnabled()
    assert "moved" in view.row_text(row)[2 - side]
    # Put back returns them where they were
    view.put_back_button.click()
    assert all((folder / copy).is_file() for copy in copies) and not list((tmp_path / "copies").rglob("*.*"))
    assert not view.put_back_button.isEnabled() and "Put 3 copies back" in view.status.text()


def test_images_that_are_no_files_are_searched_but_not_moved_and_an_unfit_model_says_why(window, qtbot, tmp_path):
    train_briefly(window, qtbot)
    view = open_duplicates(window, qtbot)  # the embedded sample: identical digits are always listed
    controller = window.parts.duplicates
    assert not view.move_button.isEnabled() and "needs an image folder" in view.status.text()
    assert controller.move_copies(tmp_path / "aside") is None and not (tmp_path / "aside").exists()
    assert "needs an image folder" in window.panel.message_label.text()
    load(window, qtbot, write_colour_photos(tmp_path / "photos", per_class=6))
    assert "This model takes 28×28 grey images" in view.status.text() and view.table.rowCount() == 0
    assert not view.move_button.isEnabled() and not view.ratio_spin.isEnabled()
