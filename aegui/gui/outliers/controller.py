"""Keeps the Outliers tab in step with the model and the data: every image scored in a worker (from a copy of
the current weights, cancellable, with progress), kept per weights, data and score; a click asks the session
to put the image on the canvas (and so in the drawing row and on the code map) and to show its nearest images;
exports, Show in folder and Move aside."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from aegui.core.analysis.outliers import (
    Cancelled,
    OutlierReport,
    image_at,
    novelty,
    score_dataset,
    sheet_captions,
    write_csv,
)
from aegui.core.data.datasets import IMAGES
from aegui.core.data.shapes import pictures, stored
from aegui.core.errors import AeguiError
from aegui.core.files.moves import Moved, move_files, plan_moves
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.outliers.keeping_up import KeepingUp
from aegui.gui.outliers.outliers_view import SHOWN, OutliersView


def _score(config, state, dataset, method: str, precision: str, cancel: threading.Event):
    """In a worker: every image of `dataset` scored by a model with these weights, and the novelty of the
    class it was trained without (if any)."""
    from aegui.core.model.autoencoder import model_for_weights

    model = model_for_weights(config)
    model.load_state_dict(state)
    report = score_dataset(model, dataset, method, precision, cancel)
    return report, model


class OutliersController(KeepingUp):
    scored = Signal()  # the tab shows the scores of the current weights and data
    WAITING = "The scores follow when training ends (each costs a pass over the data)."

    def __init__(self, session, view: OutliersView, report, parent: QObject | None = None) -> None:
        super().__init__(session, view, parent)
        self._report = report
        self.report: OutlierReport | None = None
        self.label: int | None = None  # the class shown (None: all)
        self.method = "standardised"
        self.rows: list[tuple[int, str, str, float, int]] = []
        self._scoring = LatestTask(self._on_scored, self._on_failed, self)
        view.imageChosen.connect(self._on_image_chosen)
        view.classChosen.connect(self._on_class_chosen)
        view.scoreChosen.connect(self._on_score_chosen)
        view.showInFolderRequested.connect(self.show_in_folder)
        view.moveAsideRequested.connect(self._on_move_aside_requested)

    # --- keeping up (when, in `KeepingUp`) ---

    def _forget(self) -> None:
        self.report, self.rows = None, []

    def refresh(self) -> None:
        inputs = self._fresh_inputs()
        if inputs is None:
            return
        (state, dataset), session = inputs, self.session
        self.view.set_classes(dataset.classes)
        self.view.show_files(dataset.name == IMAGES and bool(dataset.train_files))
        self.view.show_status(f"Scoring {len(dataset.train_images) + len(dataset.test_images):,} images…")
        precision = session.train_config.precision if session.train_config else "auto"
        self._scoring.start(_score, session.model.config, state, dataset, self.method, precision)

    def cancel(self) -> None:
        self._scoring.cancel()

    def _on_scored(self, result) -> None:
        if self.session.closed:
            return
        self.report, model = result
        self._show()
        dataset, config = self.session.model_data, self.session.train_config
        left_out = config.exclude_class if config is not None else -1
        if dataset is not None and 0 <= left_out < len(dataset.classes):
            found = novelty(model, dataset, left_out)
            self.view.show_novelty(found.describe(dataset.class_name(left_out)), found.false_positive_rate,
                                   found.true_positive_rate)  # fmt: skip
        else:
            self.view.show_novelty("Train with a class left out (Leave out, in the Data box) to see how well the score "
                                   "finds images of a kind the model never saw.")  # fmt: skip
        self.scored.emit()

    def _on_failed(self, error: Exception) -> None:
        if not isinstance(error, Cancelled):
            self.view.show_status(f"Could not score the images: {error}")

    def _show(self) -> None:
        report, dataset = self.report, self.session.model_data
        if report is None or dataset is None:
            return
        self.rows = report.rows(SHOWN, self.label)
        images = pictures(np.stack([image_at(dataset, report, position).numpy() / 255.0
                                    for position, *_rest in self.rows]), dataset.image_shape) \
            if self.rows else np.zeros((0, *stored(dataset.image_shape)), np.float32)  # fmt: skip
        self.view.show_outliers(images, self.rows, report.scores)
        which = "all classes" if self.label is None else dataset.class_name(self.label)
        self.view.show_status(f"The {len(self.rows)} most unusual of {len(report.scores):,} images ({which}), by "
                              f"{report.method} error; click one to draw over it.")  # fmt: skip

    # --- a person's choices ---

    def _on_class_chosen(self, label) -> None:
        self.label = label
        self._show()

    def _on_score_chosen(self, method: str) -> None:
        self.method = method
        self._on_changed()

    def _on_image_chosen(self, row: int) -> None:
        if self.report is None or not 0 <= row < len(self.rows):
            return
        position = self.rows[row][0]
        self.session.imageRequested.emit(image_at(self.session.model_data, self.report, position).numpy() / 255.0)
        self.session.similarRequested.emit(position)  # (after the canvas takes it: it holds over the drawing)
        self.view.mark(row, float(self.report.scores[position]))

    def selected_file(self) -> Path | None:
        row = self.view.current_row()
        dataset = self.session.model_data
        if self.report is None or not self.report.files or not 0 <= row < len(self.rows) or dataset is None:
            return None
        return Path(dataset.source) / self.rows[row][1]

    def show_in_folder(self) -> bool:
        path = self.selected_file()
        if path is None:
            self._report("Pick an image of a folder first.", True)
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    def _on_move_aside_requested(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path = self.selected_file()
        if path is None:
            self._report("Pick an image of a folder first.", True)
            return
        folder = QFileDialog.getExistingDirectory(self.view, "Move the image into which folder?", str(path.parent))
        if folder:
            self.move_aside(Path(folder))

    def move_aside(self, folder: Path) -> Path | None:
        """Move the selected image's file into `folder` (never over another file, never deleting)."""
        path = self.selected_file()
        if path is None:
            return None
        try:
            moved = move_files(plan_moves([path], folder))
        except AeguiError as error:
            moved = Moved((), f"Could not move {path.name}: {error}")
        if moved.problem:
            self._report(moved.problem, True)
            return None
        self._report(f"Moved {path.name} to {folder}. Open the image folder again to train without it.", False)
        return moved.done[0].target

    def export(self, kind: str, path: str | Path) -> bool:
        """The list as CSV (every image, most unusual first, of the class shown) or the grid as a PNG sheet."""
        from aegui.core.analysis.mosaic import save_contact_sheet

        if self.report is None:
            self._report("The scores are not ready yet.", True)
            return False
        if not self.session.may_write(path, "The export"):
            return False
        try:
            if kind == "csv":
                write_csv(path, self.report, self.report.rows(None, self.label))
            else:
                save_contact_sheet(path, self.view.mosaic.images(), captions=sheet_captions(self.rows))
        except AeguiError as error:
            self._report(str(error), True)
            return False
        self._report(f"Exported {path}.", False)
        return True
