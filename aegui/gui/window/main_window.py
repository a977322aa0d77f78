"""The main window: the frame, its menus and the features (`FEATURES`, each a package whose `tab.build` makes
its part, built in the order their declarations ask: `parts.build_features`). State and flows live in the
session controller (`aegui.gui.session`); what is enabled follows its phase, in one place (`_on_phase_changed`);
file flows live in `FileActions`.

Built in two steps: first what needs neither torch nor pyqtgraph (panel, canvas, menus, status bar), all a
person sees while the model library loads, Train disabled and saying why; then the session and every
feature (`_build_the_rest`). `MainWindow(load_later=True)` leaves the second to `load_the_rest()`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QTabWidget

from aegui.core.errors import AeguiError
from aegui.gui.concurrency.memory_release import MemoryRelease
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.drawing.canvas import DrawCanvas
from aegui.gui.drawing.draw_panel import DrawPanel
from aegui.gui.session.phases import STATUS, Action, Phase
from aegui.gui.theme.themes import fill_theme_menu, restore_theme
from aegui.gui.training.training_panel import TrainingPanel
from aegui.gui.window.accessibility import name_controls
from aegui.gui.window.file_actions import FileActions
from aegui.gui.window.menus import TABS, build_menus
from aegui.gui.window.recent_files import RecentFiles
from aegui.gui.window.settings import make_settings, read_bytes
from aegui.gui.window.sizing import available_size, canvas_side_for, window_frame
from aegui.gui.window.status_line import StatusLine

DEFAULT_WIDTH = 1400
DEFAULT_HEIGHT = 880
TITLE_BAR_ROOM = 40  # pixels the window's own frame takes above the available height
LOADING = STATUS[Phase.STARTING]
FIRST_FRAME_ACTIONS = ("quitAction", "docsAction", "shortcutsAction", *(name for _title, name in TABS))  # (no torch)
FEATURES = ("training", "code_space", "drawing", "generate", "features", "outliers", "data")  # their tabs' order
_available_size = available_size  # tests stand in a screen of their own here


def load_model_library() -> None:
    """Import what the second step of the window needs (torch, pyqtgraph and the features): in a worker
    thread at start-up, so that the first frame shows and stays responsive meanwhile."""
    import importlib

    importlib.import_module("aegui.gui.session.controller")
    for feature in FEATURES:
        importlib.import_module(f"aegui.gui.{feature}.tab")


class MainWindow(QMainWindow):
    """Everything a person sees. Buildable with no arguments (offscreen, no data: the embedded sample)."""

    ready = Signal()  # the second step is built: the session and every feature exist

    def __init__(self, data_dir: str | Path | None = None, model_path: str | Path | None = None, device: str = "auto",
                 load_later: bool = False, image_path: str | Path | None = None) -> None:  # fmt: skip
        super().__init__()
        self.setObjectName("aeguiMainWindow")
        self._settings = make_settings()
        restore_theme(self._settings)  # before the widgets: each is made in the theme's colours
        self._arguments = (data_dir, model_path, device, image_path)
        self.is_ready = False
        self._closed = False
        self.memory_release = MemoryRelease(self)  # started once the window is whole
        self.recent = RecentFiles(self._settings, self)
        self.files = FileActions(self, self.recent)
        self.panel = TrainingPanel()
        self.canvas = DrawCanvas(canvas_side_for(_available_size()[1]))
        self.draw_panel = DrawPanel(self.canvas)
        self.tabs = QTabWidget(objectName="bottomTabs")
        self._loading_page = QLabel(LOADING, alignment=Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self._loading_page, "Training")
        self.status_line = StatusLine()
        central, self._central_layout = window_frame(self.panel, self.draw_panel, self.tabs)
        self.setCentralWidget(central)
        width, height = _available_size()
        self.resize(min(DEFAULT_WIDTH, width), min(DEFAULT_HEIGHT, height - TITLE_BAR_ROOM))  # fits a laptop too
        self.actions, self._phase_actions = build_menus(self, self.files)
        self.recent_menu = self.findChild(QMenu, "recentMenu")
        fill_theme_menu(self.findChild(QMenu, "themeMenu"), self._settings)
        self.statusBar().addWidget(self.status_line, 1)
        self.panel.trainRequested.connect(self.start_training)
        self.panel.pauseToggled.connect(self._on_pause_toggled)
        self.panel.stopRequested.connect(self.stop_training)
        self.panel.resetRequested.connect(self.reset_model)
        self.panel.newModelRequested.connect(self.reset_model)
        self.setAcceptDrops(True)  # model files (and images: onto the canvas)
        self.files.refill_recent_menu()
        self.panel.restore_settings(self._settings)
        if (geometry := read_bytes(self._settings, "window/geometry")) is not None:
            self.restoreGeometry(geometry)
        if load_later:
            self._show_loading()
        else:
            load_model_library()
            self._build_the_rest()

    # --- the second step ---

    def _show_loading(self) -> None:
        """Until the model library has loaded: the panel shows the settings, Train waits and says why."""
        self.panel.apply_phase(Phase.STARTING)
        self.panel.show_message(LOADING)
        self.status_line.show_status(LOADING)
        for name, action in self.actions.items():
            action.setEnabled(name in FIRST_FRAME_ACTIONS)
        self.recent_menu.setEnabled(False)

    def load_the_rest(self) -> None:
        """Load the model library in a worker thread, then build the rest of the window."""
        run_in_thread(load_model_library, on_result=lambda _none: self._closed or self._build_the_rest(),
                      on_error=self._on_library_failed)  # fmt: skip

    def _on_library_failed(self, error: Exception) -> None:
        text = f"The model library could not be loaded: {error}. Reinstalling aegui may help."
        self.panel.show_message(text, error=True)
        self.status_line.show_status(text)

    def _build_the_rest(self) -> None:
        from aegui.gui.session.controller import SessionController
        from aegui.gui.window.parts import Parts, build_features
        from aegui.gui.window.recovery_banner import RecoveryOffer

        data_dir, model_path, device, image_path = self._arguments
        ask = lambda doing: self.files.ask_unsaved(doing)  # noqa: E731 (looked up late: tests and scripts replace it)
        session = self.session = SessionController(data_dir, device, ask, parent=self)
        refresh_rate = self.screen().refreshRate() if self.screen() else 60.0
        self.parts = Parts(self, session, self.panel, self.canvas, self.draw_panel, self._settings, self.recent,
                           self.files, self.panel.data_box, refresh_rate, self.panel.show_message)  # fmt: skip
        self.features = build_features(self.parts, FEATURES)  # (each after those whose parts it requires)
        self.tabs.removeTab(0)
        self._loading_page.deleteLater()
        for title, page in (page for feature in self.features for page in feature.pages):
            self.tabs.addTab(page, title)
        self.recovery_offer = RecoveryOffer(session, self._central_layout, self)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        session.phaseChanged.connect(self._on_phase_changed)
        session.fileUsed.connect(self.recent.add_model)
        for signal, slot in (
            (session.message, self.panel.show_message),
            (session.titleChanged, self.setWindowTitle),
            (session.statusChanged, self.status_line.show_status),
            (session.openEnded, self.files.on_open_ended),
            (session.progressChanged, self.status_line.show_progress),
        ):
            signal.connect(slot)  # fmt: skip

        QTimer.singleShot(0, lambda: name_controls(self))  # once shown (~10 ms: not before the first frame)
        self.memory_release.start()
        self.recent_menu.setEnabled(True)
        for action in self.actions.values():
            action.setEnabled(True)
        self.panel.show_message("")
        self._on_phase_changed(session.phase)
        notes = [note for note in (session.device_note, self._settings.problem) if note]  # (settings: a pipe, say)
        if notes:
            self.panel.show_message(" ".join(notes), error=True)
        self.is_ready = True
        self.new_model()
        if model_path:
            self.files.open_model(model_path)
        if image_path:
            self.files.open_image(image_path)
        session.look_for_recovery()
        self.parts.data_controller.load_chosen()
        self.ready.emit()

    def _on_tab_changed(self, index: int) -> None:
        for feature in self.features:
            feature.tab_shown(self.tabs.widget(index))

    # --- the phase: the one place that enables controls ---

    def _on_phase_changed(self, phase: Phase) -> None:
        session = self.session
        self.panel.apply_phase(phase)
        for action, kind in self._phase_actions:
            action.setEnabled(session.allows(kind))
        space = (Action.TRAIN, Action.PAUSE, Action.RESUME)
        self.actions["startPauseAction"].setEnabled(any(session.allows(kind) for kind in space))

    # --- intents, passed to the session ---

    def _panel_settings(self):
        """The panel's (model, training) settings, or None after saying why they do not fit together."""
        try:
            return self.panel.settings()
        except AeguiError as error:
            self.panel.show_message(str(error), error=True)
            return None

    def start_training(self) -> bool:
        settings = self._panel_settings()
        return settings is not None and self.session.train(*settings, self.panel.preset_name())

    def stop_training(self) -> None:
        self.session.stop()

    def _on_pause_toggled(self, paused: bool) -> None:
        done = self.session.pause() if paused else self.session.resume()
        if not done:
            self.panel.apply_phase(self.session.phase)  # put the button back as the phase says

    def new_model(self) -> None:
        """A fresh, untrained model from the panel's settings (no question: see reset_model)."""
        settings = self._panel_settings()
        if settings is not None:
            self.session.new_model(settings[0], self.panel.preset_name())

    def reset_model(self) -> bool:
        settings = self._panel_settings()
        return settings is not None and self.session.reset(settings[0], self.panel.preset_name())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.files.accepts(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.files.drop(event)

    # --- settings and closing ---

    def save_settings(self) -> None:
        self.panel.save_settings(self._settings)
        self._settings.setValue("window/geometry", self.saveGeometry())
        for feature in self.features if self.is_ready else ():
            feature.save_settings(self._settings)
        self._settings.sync()

    def shutdown(self) -> bool:
        """Stop every worker and wait for it; True if all threads ended in time."""
        for feature in self.features:
            feature.cancel()
        return self.session.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_ready and not self.session.settle_unsaved("quitting"):
            event.ignore()
            return
        self._closed = True  # (a library still loading builds nothing more)
        self.memory_release.stop()
        self.save_settings()
        if self.is_ready:
            self.shutdown()
        event.accept()
