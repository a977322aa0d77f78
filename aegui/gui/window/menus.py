"""The window's menus as one table: text, handler, shortcut, objectName and the phase action that
enables the entry (none: always enabled); a bare name is a submenu the window fills (Open recent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from aegui.gui.app_wide.notices import notices
from aegui.gui.session.phases import Action
from aegui.gui.window import dialogs
from aegui.gui.window.help import SHORTCUTS, show_help

if TYPE_CHECKING:
    from aegui.gui.window.file_actions import FileActions
    from aegui.gui.window.frame import Frame

SUBMENUS = {"recentMenu": "Open &recent", "themeMenu": "T&heme"}
TABS = (
    ("&Training", "trainingTabAction"),
    ("&Code space", "codeSpaceTabAction"),
    ("&Explore", "exploreTabAction"),
    ("&Generate", "generateTabAction"),
    ("&Features", "featuresTabAction"),
    ("&Outliers", "outliersTabAction"),
)  # the bottom tabs, in order


def build_menus(window: Frame, files: FileActions) -> tuple[dict[str, QAction], list[tuple[QAction, Action]]]:
    """Fill the window's menu bar; return the actions by objectName, and those the phase enables. (Help ›
    Messages lists the error sink's notices; a new warning or error is said in the panel as it comes.)"""
    w, f = window, files
    notices().posted.connect(w.panel.show_notice)  # (a bound method: disconnected when the panel goes)
    keys = QKeySequence.StandardKey
    table = {
        "&File": [
            ("&Open model…", f.open_dialog, keys.Open, "openAction", Action.OPEN),
            "recentMenu",
            ("Open &image…", f.open_image_dialog, "Ctrl+I", "openImageAction", None),
            ("&Save model", lambda: f.save_model(), keys.Save, "saveAction", Action.SAVE),
            ("Save model &as…", f.save_as_dialog, "Ctrl+Shift+S", "saveAsAction", Action.SAVE),
            ("&Export model…", f.export_model_dialog, "Ctrl+E", "exportModelAction", Action.SAVE),
            None,
            ("Export loss plot as PNG…", lambda: f.export_png_dialog(w.parts.loss_plot, "loss"), None,
             "exportLossAction", None),
            ("Export gallery as PNG…", lambda: f.export_png_dialog(w.parts.gallery, "gallery"), None,
             "exportGalleryAction",
             None),
            ("Export codes (CSV, NPY, Parquet)…", lambda: f.export_code_space_dialog("codes"), None,
             "exportCodesAction", None),
            ("Export code map as PNG…", lambda: f.export_code_space_dialog("png"), None, "exportMapAction", None),
            ("Export runs as CSV…", f.export_runs_dialog, None, "exportRunsAction", None),
            None,
            ("Download full MNIST…", lambda: w.parts.data_controller.download("mnist"), None, "downloadAction",
             Action.DOWNLOAD),
            ("Choose data folder…", lambda: w.parts.data_controller.choose_data_folder(), None, "chooseFolderAction",
             Action.CHOOSE_DATA),
            ("Choose image folder…", lambda: w.parts.data_controller.choose_image_folder(), None, "chooseImagesAction",
             Action.CHOOSE_DATA),
            None,
            ("&Quit", w.close, "Ctrl+Q", "quitAction", None),
        ],
        "&Edit": [
            ("&Undo (a stroke or a Clear)", w.canvas.undo, "Ctrl+Z", "undoStrokeAction", None),
            ("Clear canvas", w.canvas.clear, Qt.Key.Key_Delete, "clearAction", None),
        ],
        "&Training": [
            ("Start / Pause / Resume", lambda: _toggle_training(w), Qt.Key.Key_Space, "startPauseAction", None),
            ("Stop", w.stop_training, None, "stopAction", Action.STOP),
            ("Reset model", w.reset_model, None, "resetAction", Action.RESET),
            None,
            ("&Generate a new batch", lambda: _generate_new_digits(w), "Ctrl+G", "generateAction", None),
            ("&Copy as command", lambda: copy_as_command(w), "Ctrl+Shift+C", "copyCommandAction", None),
        ],
        "&View": [
            *[(f"{title} tab", lambda _checked=False, index=index: w.tabs.setCurrentIndex(index), f"Ctrl+{index + 1}",
               name, None) for index, (title, name) in enumerate(TABS)],
            None,
            "themeMenu",
        ],
        "&Help": [
            ("&Documentation", lambda: show_help(w), keys.HelpContents, "docsAction", None),
            ("&Keyboard shortcuts", lambda: show_help(w, SHORTCUTS), "Ctrl+/", "shortcutsAction", None),
            ("&Messages…", lambda: dialogs.show_messages(w, notices().history), None, "messagesAction", None),
            None,
            ("&About aegui", lambda: QMessageBox.about(w, "About aegui", dialogs.about_text(w.session.device)),
             None, "aboutAction", None),
        ],
    }  # fmt: skip
    actions: dict[str, QAction] = {}
    by_phase: list[tuple[QAction, Action]] = []
    for title, entries in table.items():
        menu = w.menuBar().addMenu(title)
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            if isinstance(entry, str):
                menu.addMenu(SUBMENUS[entry]).setObjectName(entry)
                continue
            text, slot, shortcut, name, phase_action = entry
            action = QAction(text, w, objectName=name)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            menu.addAction(action)
            actions[name] = action
            if phase_action is not None:
                by_phase.append((action, phase_action))
    return actions, by_phase


def _generate_new_digits(window: Frame) -> None:
    """Training › Generate a new batch (Ctrl+G): the Generate tab, with a new batch."""
    window.tabs.setCurrentWidget(window.parts.generate_view)
    window.parts.generate_view.newBatchRequested.emit()


def _toggle_training(window: Frame) -> None:
    """Space: start when idle, pause while training, resume when paused."""
    session = window.session
    if session.allows(Action.PAUSE):
        session.pause()
    elif session.allows(Action.RESUME):
        session.resume()
    else:
        window.start_training()


def copy_as_command(window: Frame) -> str | None:
    """Training › Copy as command: the `aegui train` line with the panel's settings and the data in use, on the
    clipboard (it trains the same model from the command line)."""
    from PySide6.QtGui import QGuiApplication

    from aegui.core.data.datasets import IMAGES
    from aegui.core.data.shapes import AUTO_READING
    from aegui.core.errors import AeguiError
    from aegui.core.folders import default_data_dir
    from aegui.core.model.commands import train_command

    panel, session = window.panel, window.session
    try:
        model, train = panel.settings()
    except AeguiError as error:
        panel.show_message(str(error), error=True)
        return None
    dataset = session.dataset
    images = dataset.source if dataset is not None and dataset.name == IMAGES else None
    folder = session.data.folder if session.data.folder != default_data_dir() else None
    command = train_command(panel.preset_name(), model, train, dataset.name if dataset else "auto", images, folder,
                            dataset.reading if dataset else AUTO_READING)  # fmt: skip
    QGuiApplication.clipboard().setText(command)
    panel.show_message(f"Copied: {command}")
    return command
