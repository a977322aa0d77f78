"""The window's file flows, in one object the menus, drops and feature tabs call: open and save models
(with their dialogs and the recent files), open images onto the canvas, every export, and the question
about unsaved work. The session does the work; this asks where."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from aegui.core.errors import AeguiError
from aegui.core.model.configs import SUFFIX
from aegui.gui.window import dialogs
from aegui.gui.window.drops import dropped_file
from aegui.gui.window.recent_files import RecentFiles, fill_recent_menu

if TYPE_CHECKING:
    from aegui.gui.window.frame import Frame


class FileActions(QObject):
    def __init__(self, window: Frame, recent: RecentFiles) -> None:
        super().__init__(window)
        self._window, self.recent = window, recent
        self._asked_to_open: str | None = None  # the file last picked in a dialog (its failure gets a dialog too)
        recent.changed.connect(self.refill_recent_menu)

    def _report(self, text: str, error: bool = False) -> None:
        self._window.panel.show_message(text, error=error)

    # --- models ---

    def open_model(self, path: str | Path) -> bool:
        return self._window.session.open(path)

    def open_dialog(self) -> None:
        path = dialogs.model_open_path(self._window, self.recent.folder())
        if path:
            self._open_picked(path)

    def _open_picked(self, path: Path) -> None:
        self._asked_to_open = str(path)
        self.open_model(path)

    def open_recent(self, path: Path) -> None:
        if not path.is_file():
            self.recent.remove_model(path)
            self._report(f"{path} is no longer there; it was removed from the recent models.", error=True)
            return
        self._open_picked(path)

    def on_open_ended(self, path: str | Path, problem: str | None) -> None:
        picked, self._asked_to_open = str(path) == self._asked_to_open, None
        if problem is not None and picked:  # a file picked in a dialog: say so plainly
            QMessageBox.warning(self._window, "Could not open the model", problem)

    def refill_recent_menu(self) -> None:
        fill_recent_menu(self._window.recent_menu, self.recent, self.open_recent)

    def save_model(self, path: str | Path | None = None) -> bool:
        if path is None and self._window.session.model_path is None:
            return self.save_as_dialog()
        return self._window.session.save(path)

    def save_as_dialog(self) -> bool:
        session = self._window.session
        path = dialogs.model_save_path(self._window, self._model_dir() / f"{session.preset_name or 'model'}{SUFFIX}")
        if path is None:
            return False
        saved = session.save(path)
        if not saved:
            QMessageBox.warning(self._window, "Could not save the model", session.last_problem)
        return saved

    def _model_dir(self) -> Path:
        """Where a save dialog starts: the model's own folder, else the last folder used."""
        session = self._window.session
        return session.model_path.parent if session.model_path else self.recent.folder()

    def ask_unsaved(self, doing: str) -> str:
        """Ask what to do with unsaved training: 'save', 'discard' or 'cancel' ('save' without a file
        asks where first)."""
        answer = dialogs.ask_unsaved(self._window, doing)
        if answer == "save" and self._window.session.model_path is None:
            path = dialogs.model_save_path(self._window, self._model_dir() / f"model{SUFFIX}")
            if path is None:
                return "cancel"
            self._window.session.model_path = path
        return answer

    def export_model_dialog(self) -> None:
        """File › Export model…: ONNX or TorchScript, the whole model, its encoder or its decoder."""
        session = self._window.session
        chosen = dialogs.model_export_path(self._window, self._model_dir() / f"{session.preset_name or 'model'}.onnx")
        if chosen is not None:
            self.recent.remember_folder(chosen[0].parent)
            session.export(*chosen)

    # --- images ---

    def open_image(self, path: str | Path) -> bool:
        """Put an image file on the canvas (fitted as `aegui.image_to_input` fits it), to draw over."""
        return self._window.canvas.open_image(path)

    def open_image_dialog(self) -> None:
        path = dialogs.image_open_path(self._window, self.recent.folder())
        if path:
            self.recent.remember_folder(path.parent)
            self.open_image(path)

    # --- drops ---

    def accepts(self, event: QDragEnterEvent) -> bool:
        return any(dropped_file(event.mimeData(), kind) for kind in ("model", "image"))

    def drop(self, event: QDropEvent) -> None:
        """A model file dropped on the window opens (after the unsaved-work question); an image goes on the
        canvas."""
        model, image = (dropped_file(event.mimeData(), kind) for kind in ("model", "image"))
        if (model is None and image is None) or not self._window.is_ready:
            return
        event.acceptProposedAction()
        if model is not None:
            self._open_picked(model)
        else:
            self.open_image(image)

    # --- exports ---

    def _export_path(self, kind: str, name: str) -> Path | None:
        path = dialogs.export_path(self._window, kind, name, self.recent.folder())
        if path:
            self.recent.remember_folder(path.parent)
        return path

    def _unfit(self) -> bool:
        """True, after saying why, while the model does not take the data: its codes and scores are not there."""
        unfit = self._window.session.unfit_note()
        if unfit:
            self._report(f"Nothing to export: {unfit}", error=True)
        return bool(unfit)

    def export_code_space_dialog(self, kind: str) -> None:
        """The code map as a PNG ("png"), or every image's code (any other kind: CSV, .npy or Parquet, as the
        dialog's file type or the name's ending says), refused before asking where while the model does not fit."""
        if self._unfit():
            return
        if kind != "png":
            path = dialogs.codes_export_path(self._window, self.recent.folder())
            if path:
                self.recent.remember_folder(path.parent)
                self._window.parts.code_space.export("codes", path)  # (in a worker; it says when it is written)
            return
        path = self._export_path(kind, "map")
        if path and self._window.parts.code_space.export(kind, path):
            self._report(f"Exported {path}.")

    def export_outliers_dialog(self, kind: str) -> None:
        path = None if self._unfit() else self._export_path(kind, "outliers")
        if path:
            self._window.parts.outliers.export(kind, path)

    def export_runs_dialog(self) -> None:
        path = self._export_path("csv", "runs")
        if path:
            self.export_runs(path)

    def export_runs(self, path: str | Path) -> bool:
        run_list = self._window.parts.runs_controller
        try:
            run_list.export_csv(path)
        except AeguiError as error:
            self._report(str(error), error=True)
            return False
        self._report(f"Exported {len(run_list.runs)} runs to {path}.")
        return True

    def export_png_dialog(self, widget: QWidget, name: str) -> None:
        path = self._export_path("png", name)
        if path:
            self.export_png(widget, path)

    def export_png(self, widget: QWidget, path: str | Path) -> bool:
        ok = widget.grab().save(str(path), "PNG")
        self._report(f"Exported {path}." if ok else f"Could not write {path}.", error=not ok)
        return ok
