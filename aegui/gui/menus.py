"""The window's menus as one table: text, handler, shortcut, objectName and the phase action that
enables the entry (none: always enabled); a bare name is a submenu the window fills (Open recent)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from aegui.gui.phases import Action

SUBMENUS = {"recentMenu": "Open &recent", "themeMenu": "T&heme"}
TABS = (
    ("&Training", "trainingTabAction"),
    ("&Code space", "codeSpaceTabAction"),
    ("&Explore", "exploreTabAction"),
    ("&Generate", "generateTabAction"),
    ("&Features", "featuresTabAction"),
)  # the bottom tabs, in order


def build_menus(window: QMainWindow) -> tuple[dict[str, QAction], list[tuple[QAction, Action]]]:
    """Fill the window's menu bar; return the actions by objectName, and those the phase enables."""
    w = window
    keys = QKeySequence.StandardKey
    table = {
        "&File": [
            ("&Open model…", w._on_open_triggered, keys.Open, "openAction", Action.OPEN),
            "recentMenu",
            ("Open &image…", w._on_open_image_triggered, "Ctrl+I", "openImageAction", None),
            ("&Save model", w._on_save_triggered, keys.Save, "saveAction", Action.SAVE),
            ("Save model &as…", w._on_save_as_triggered, "Ctrl+Shift+S", "saveAsAction", Action.SAVE),
            None,
            ("Export loss plot as PNG…", lambda: w._export_dialog(w.loss_plot, "loss"), None, "exportLossAction", None),
            ("Export gallery as PNG…", lambda: w._export_dialog(w.gallery, "gallery"), None, "exportGalleryAction",
             None),
            ("Export test codes as CSV…", lambda: w._export_code_space_dialog("csv"), None, "exportCsvAction", None),
            ("Export test codes as NPY…", lambda: w._export_code_space_dialog("npy"), None, "exportNpyAction", None),
            ("Export code map as PNG…", lambda: w._export_code_space_dialog("png"), None, "exportMapAction", None),
            ("Export runs as CSV…", w._on_export_runs_requested, None, "exportRunsAction", None),
            None,
            ("Download full MNIST…", w.download_mnist, None, "downloadAction", Action.DOWNLOAD),
            ("Choose data folder…", lambda: w.data_picker.choose_data_folder(), None, "chooseFolderAction",
             Action.CHOOSE_DATA),
            ("Choose image folder…", lambda: w.data_picker.choose_image_folder(), None, "chooseImagesAction",
             Action.CHOOSE_DATA),
            None,
            ("&Quit", w.close, "Ctrl+Q", "quitAction", None),
        ],
        "&Edit": [
            ("Undo stroke", w.canvas.undo, "Ctrl+Z", "undoStrokeAction", None),
            ("Clear canvas", w.canvas.clear, Qt.Key.Key_Delete, "clearAction", None),
        ],
        "&Training": [
            ("Start / Pause / Resume", w.toggle_training, Qt.Key.Key_Space, "startPauseAction", None),
            ("Stop", w.stop_training, None, "stopAction", Action.STOP),
            ("Reset model", w.reset_model, None, "resetAction", Action.RESET),
            None,
            ("&Generate new digits", w.generate_new_batch, "Ctrl+G", "generateAction", None),
        ],
        "&View": [
            *[(f"{title} tab", lambda _checked=False, index=index: w.tabs.setCurrentIndex(index), f"Ctrl+{index + 1}",
               name, None) for index, (title, name) in enumerate(TABS)],
            None,
            "themeMenu",
        ],
        "&Help": [("&About aegui", w.show_about, None, "aboutAction", None)],
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
