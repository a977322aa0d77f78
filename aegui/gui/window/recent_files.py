"""The files a person used lately, kept in the settings: the last models opened or saved (File › Open
recent) and the folder the last file dialog was in (the next one starts there)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from aegui.gui.window.settings import Settings, read, read_list

RECENT_COUNT = 8
RECENT_KEY = "files/recent_models"
FOLDER_KEY = "files/last_folder"


class RecentFiles(QObject):
    changed = Signal()

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.cleared: list[Path] = []  # the list as it was before Clear the list, to bring back

    def models(self) -> list[Path]:
        """The most recent first; at most RECENT_COUNT."""
        return [Path(entry) for entry in read_list(self._settings, RECENT_KEY) if entry][:RECENT_COUNT]

    def add_model(self, path: str | Path) -> None:
        path = Path(path).absolute()
        kept = [path] + [other for other in self.models() if other != path]
        self._store(kept[:RECENT_COUNT])
        self.remember_folder(path.parent)

    def remove_model(self, path: str | Path) -> None:
        self._store([other for other in self.models() if other != Path(path).absolute()])

    def clear(self) -> None:
        self.cleared = self.models() or self.cleared
        self._store([])

    def undo_clear(self) -> None:
        """Bring back the list Clear the list emptied (with any model used since, first)."""
        added, cleared, self.cleared = self.models(), self.cleared, []
        self._store((added + [path for path in cleared if path not in added])[:RECENT_COUNT])

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(RECENT_KEY, [str(path) for path in paths])
        self.changed.emit()

    def folder(self) -> Path:
        """Where the next file dialog starts: the last folder used, if it still exists, else home."""
        folder = Path(read(self._settings, FOLDER_KEY, "", str) or Path.home())
        return folder if folder.is_dir() else Path.home()

    def remember_folder(self, folder: str | Path) -> None:
        folder = Path(folder)
        self._settings.setValue(FOLDER_KEY, str(folder if folder.is_dir() else folder.parent))


def fill_recent_menu(menu: QMenu, recent: RecentFiles, open_model) -> None:
    """The Open recent menu's entries: one per model (objectName recentModelAction0, 1, …), then Clear."""
    menu.clear()
    models = recent.models()
    for index, path in enumerate(models):
        action = QAction(f"&{index + 1} {path.name}", menu, objectName=f"recentModelAction{index}")
        action.setToolTip(str(path))
        action.setStatusTip(str(path))
        action.triggered.connect(lambda _checked=False, p=path: open_model(p))
        menu.addAction(action)
    if not models:
        empty = menu.addAction("No models opened yet")
        empty.setEnabled(False)
    if recent.cleared:
        undo = menu.addAction(f"Bring back the cleared list ({len(recent.cleared)})", recent.undo_clear)
        undo.setObjectName("undoClearRecentAction")
    menu.addSeparator()
    clear = menu.addAction("Clear the list", recent.clear)
    clear.setObjectName("clearRecentAction")
    clear.setEnabled(bool(models))
