"""The main window: layout, menus and wiring. State and flows live in the session controller
(`aegui.gui.session`); what is enabled follows its phase, in one place (`_on_phase_changed`).

The window is built in two steps. First what needs neither torch nor pyqtgraph: the training panel,
the canvas, the menus and the status bar; this is all a person sees for the second or so that the
model library takes to load, with Train disabled and saying so. Then, once it has loaded, the rest:
the session, the plots and the tabs (`_build_the_rest`). `MainWindow()` does both at once;
`MainWindow(load_later=True)` leaves the second to `load_the_rest()` (the app shows the first frame
in between and loads the library in a worker thread).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from aegui.core.configs import SUFFIX
from aegui.core.errors import AeguiError
from aegui.gui import dialogs
from aegui.gui.accessibility import name_controls
from aegui.gui.canvas import DrawCanvas
from aegui.gui.draw_panel import DrawPanel
from aegui.gui.drops import dropped_file
from aegui.gui.layout import available_size, canvas_side_for, scrolling
from aegui.gui.menus import TABS, build_menus
from aegui.gui.phases import STATUS, Action, Phase
from aegui.gui.recent_files import RecentFiles, fill_recent_menu
from aegui.gui.recovery_banner import RecoveryBanner
from aegui.gui.settings import make_settings, read
from aegui.gui.status_line import StatusLine
from aegui.gui.theme import fill_theme_menu, restore_theme
from aegui.gui.threads import run_in_thread
from aegui.gui.training_panel import TrainingPanel

if TYPE_CHECKING:
    from aegui.core.data import Dataset
    from aegui.core.model import AutoEncoder
    from aegui.core.training import History
    from aegui.gui.workers import TrainingProgress

DEFAULT_WIDTH = 1400
DEFAULT_HEIGHT = 880
TITLE_BAR_ROOM = 40  # pixels the window's own frame takes above the available height
LOADING = STATUS[Phase.STARTING]
FIRST_FRAME_ACTIONS = ("quitAction", *(name for _title, name in TABS))  # usable before the library has loaded
_available_size = available_size  # tests stand in a screen of their own here


def load_model_library() -> None:
    """Import what the second step of the window needs (torch, pyqtgraph and the views): in a worker
    thread at start-up, so that the first frame shows and stays responsive meanwhile."""
    import aegui.gui.window_parts  # noqa: F401


class MainWindow(QMainWindow):
    """Everything a person sees. Buildable with no arguments (offscreen, no data: the embedded sample)."""

    datasetLoaded = Signal(object)
    trainingStarted = Signal()
    trainingFinished = Signal(object)  # the Ended record
    trainingPaused = Signal(int)  # the training loop has stopped after this step (1-based) until resumed
    drawingUpdated = Signal()
    codeScalesUpdated = Signal()  # the code bars' scale and the sliders' spans follow the weights
    modelChanged = Signal()
    ready = Signal()  # the second step is built: the session, plots and tabs exist

    def __init__(self, data_dir: str | Path | None = None, model_path: str | Path | None = None,
                 device: str = "auto", load_later: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.setObjectName("aeguiMainWindow")
        self._settings = make_settings()
        restore_theme(self._settings)  # before the widgets: each is made in the theme's colours
        self._arguments = (data_dir, model_path, device)
        self.is_ready = False
        self._closed = False
        self.recovery_banner: RecoveryBanner | None = None
        self.recent = RecentFiles(self._settings, self)
        self._asked_to_open: str | None = None  # the file last picked in File › Open (its failure gets a dialog)

        self.panel = TrainingPanel()
        self.canvas = DrawCanvas(canvas_side_for(_available_size()[1]))
        self.draw_panel = DrawPanel(self.canvas)
        self.tabs = QTabWidget(objectName="bottomTabs")
        self._loading_page = QLabel(LOADING, alignment=Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self._loading_page, "Training")
        self.status_line = StatusLine()
        self.status_label = self.status_line.label
        self.progress_bar = self.status_line.progress
        self._build_layout()
        self.actions, self._phase_actions = build_menus(self)
        self.recent_menu = self.findChild(QMenu, "recentMenu")
        fill_theme_menu(self.findChild(QMenu, "themeMenu"), self._settings)
        self.train_action, self.save_action = self.actions["startPauseAction"], self.actions["saveAction"]
        self.statusBar().addWidget(self.status_line, 1)
        self.panel.trainRequested.connect(self.start_training)
        self.panel.pauseToggled.connect(self._on_pause_toggled)
        self.panel.stopRequested.connect(self.stop_training)
        self.panel.resetRequested.connect(self.reset_model)
        self.setAcceptDrops(True)  # model files (and images: onto the canvas)
        self._on_recent_changed()
        self.panel.restore_settings(self._settings)
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
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
        run_in_thread(load_model_library, on_result=lambda _none: self._on_library_loaded(),
                      on_error=self._on_library_failed)  # fmt: skip

    def _on_library_loaded(self) -> None:
        if not self._closed:
            self._build_the_rest()

    def _on_library_failed(self, error: Exception) -> None:
        text = f"The model library could not be loaded: {error}. Reinstalling aegui may help."
        self.panel.show_message(text, error=True)
        self.status_line.show_status(text)

    def _build_the_rest(self) -> None:
        from aegui.core.runs import HOW_TO_GET_TENSORBOARD, tensorboard_available
        from aegui.gui.window_parts import (
            CodeSpace,
            CodeSpacePanel,
            DataPicker,
            ExplorePanel,
            FeatureMaps,
            FeaturesView,
            GenerateView,
            Generation,
            LossPlot,
            ModelViews,
            ReconstructionGallery,
            RunList,
            RunsView,
            Session,
        )

        data_dir, model_path, device = self._arguments
        stored_folder = read(self._settings, "data/folder", "", str)
        self.session = Session(data_dir or stored_folder or None, device,
                               ask_unsaved=lambda doing: self.ask_unsaved(doing), parent=self)  # fmt: skip
        session = self.session
        self.draw_panel.add_views()
        self.loss_plot = LossPlot()
        self.runs_view = RunsView(None if tensorboard_available() else HOW_TO_GET_TENSORBOARD)
        self.gallery = ReconstructionGallery()
        self.code_space_panel = CodeSpacePanel()
        self.explore_panel = ExplorePanel()
        self.generate_view = GenerateView()
        self.features_view = FeaturesView()
        self.code_space = CodeSpace(self.code_space_panel, self.explore_panel, lambda: session.inference,
                                    session.current_weights, lambda: session.dataset, self.panel.show_message,
                                    session.is_training, self)  # fmt: skip
        self.log_check = QCheckBox("log scale", objectName="logScaleCheck")
        self.data_picker = DataPicker(self, session, self.panel, self._settings, self.recent)
        self._add_tabs()
        refresh_rate = self.screen().refreshRate() if self.screen() else 60.0
        self.model_views = ModelViews(session, self.canvas, self.draw_panel, self.gallery, self.code_space,
                                      refresh_rate, self)  # fmt: skip
        self.model_views.codeScalesUpdated.connect(self.codeScalesUpdated)
        self.model_views.drawingUpdated.connect(self.drawingUpdated)
        self.generation = Generation(session, self.generate_view, self.code_space_panel, self.canvas, self)
        self.feature_maps = FeatureMaps(self.features_view, lambda: session.inference,
                                        lambda: session.dataset.test_images if session.dataset else None,
                                        self._drawn_input, self)  # fmt: skip
        session.modelChanged.connect(self.feature_maps.weights_changed)
        session.weightsChanged.connect(self.feature_maps.weights_changed)
        self.model_views.drawingUpdated.connect(self.feature_maps.drawing_changed)
        self.features_view.exportRequested.connect(lambda: self._export_dialog(self.features_view, "features"))
        self.run_list = RunList(session, self.runs_view, self.loss_plot, self)
        self.run_list.message.connect(self.panel.show_message)
        self.runs_view.exportRequested.connect(self._on_export_runs_requested)

        self.panel.learningRateChanged.connect(session.set_lr)
        self.log_check.toggled.connect(self.loss_plot.set_log_scale)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.code_space_panel.exportRequested.connect(self._export_code_space_dialog)
        session.phaseChanged.connect(self._on_phase_changed)
        session.modelChanged.connect(self._on_model_changed)
        session.trainingStarted.connect(self._on_training_started)
        session.trainingProgress.connect(self._on_training_progress)
        session.epochEnded.connect(self.loss_plot.add_record)
        session.fileUsed.connect(self.recent.add_model)
        self.recent.changed.connect(self._on_recent_changed)
        self.canvas.imageRefused.connect(lambda text: self.panel.show_message(text, error=True))
        session.message.connect(self.panel.show_message)
        session.statusChanged.connect(self.status_line.show_status)
        session.progressChanged.connect(self.status_line.show_progress)
        session.titleChanged.connect(self.setWindowTitle)
        session.openEnded.connect(self._on_open_ended)
        session.recoveryChecked.connect(self._on_recovery_checked)
        for name in ("datasetLoaded", "trainingStarted", "trainingFinished", "trainingPaused", "modelChanged"):
            getattr(session, name).connect(getattr(self, name))  # the window's signals, for tests and scripts

        QTimer.singleShot(0, lambda: name_controls(self))  # once shown (~10 ms: not before the first frame)
        self.recent_menu.setEnabled(True)
        for action in self.actions.values():
            action.setEnabled(True)
        self.log_check.setChecked(read(self._settings, "plot/log_scale", False, bool))
        self.runs_view.set_smoothing(read(self._settings, "plot/smoothing", 0.0, float))
        self.panel.show_message("")
        self._on_phase_changed(session.phase)
        if session.device_note:
            self.panel.show_message(session.device_note, error=True)
        self.is_ready = True
        self.new_model()
        if model_path:
            self.open_model(model_path)
        session.look_for_recovery()
        self.data_picker.load_chosen()
        self.ready.emit()

    # --- layout and menus ---

    def _build_layout(self) -> None:
        """The frame: the panel on the left; the drawing row above the tabs on the right."""
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.draw_panel)
        right.addWidget(self.tabs)
        right.setSizes([400, 480])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self.panel)
        main.addWidget(right)
        main.setSizes([300, 1100])
        main.setStretchFactor(1, 1)
        central = QWidget()
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(0, 0, 0, 0)
        self._central_layout.addWidget(main, 1)
        self.setCentralWidget(central)
        width, height = _available_size()
        self.resize(min(DEFAULT_WIDTH, width), min(DEFAULT_HEIGHT, height - TITLE_BAR_ROOM))  # fits a laptop too

    def _add_tabs(self) -> None:
        """The tabs, in place of the loading page."""
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(4, 0, 4, 0)
        header = QHBoxLayout()
        header.addWidget(QLabel("<b>Loss</b>"))
        header.addStretch(1)
        header.addWidget(self.log_check)
        plot_layout.addLayout(header)
        plot_layout.addWidget(self.loss_plot, 1)
        plot_and_runs = QSplitter(Qt.Orientation.Horizontal)
        plot_and_runs.addWidget(plot_box)
        plot_and_runs.addWidget(self.runs_view)
        plot_and_runs.setSizes([800, 280])
        plot_and_runs.setStretchFactor(0, 1)
        training_tab = QSplitter(Qt.Orientation.Vertical)
        training_tab.addWidget(plot_and_runs)
        training_tab.addWidget(self.gallery)
        training_tab.setSizes([300, 170])
        pages = (training_tab, scrolling(self.code_space_panel), scrolling(self.explore_panel), self.generate_view,
                 self.features_view)  # fmt: skip
        self.tabs.removeTab(0)
        self._loading_page.deleteLater()
        for page, (title, _action) in zip(pages, TABS, strict=True):
            self.tabs.addTab(page, title.replace("&", ""))

    # --- the phase: the one place that enables controls ---

    def _on_phase_changed(self, phase: Phase) -> None:
        session = self.session
        self.panel.apply_phase(phase)
        for action, kind in self._phase_actions:
            action.setEnabled(session.allows(kind))
        self.train_action.setEnabled(any(session.allows(kind) for kind in (Action.TRAIN, Action.PAUSE,
                                                                           Action.RESUME)))  # fmt: skip

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

    def toggle_training(self) -> None:
        """Space: start when idle, pause while training, resume when paused."""
        session = self.session
        if session.allows(Action.PAUSE):
            session.pause()
        elif session.allows(Action.RESUME):
            session.resume()
        else:
            self.start_training()

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

    def open_model(self, path: str | Path) -> bool:
        return self.session.open(path)

    def save_model(self, path: str | Path | None = None) -> bool:
        if path is None and self.session.model_path is None:
            return self._on_save_as_triggered()
        return self.session.save(path)

    def download_mnist(self) -> None:
        """Download full MNIST into the data folder with a progress dialog, then use it."""
        self.data_picker.download("mnist")

    def open_image(self, path: str | Path) -> bool:
        """Put an image file on the canvas (fitted as `aegui.image_to_input` fits it), to draw over."""
        return self.canvas.open_image(path)

    def _on_open_image_triggered(self) -> None:
        path = dialogs.image_open_path(self, self.recent.folder())
        if path:
            self.recent.remember_folder(path.parent)
            self.open_image(path)

    def _on_recent_changed(self) -> None:
        fill_recent_menu(self.recent_menu, self.recent, self._open_recent)

    def _open_recent(self, path: Path) -> None:
        if not path.is_file():
            self.recent.remove_model(path)
            self.panel.show_message(f"{path} is no longer there; it was removed from the recent models.", error=True)
            return
        self._asked_to_open = str(path)
        self.open_model(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(dropped_file(event.mimeData(), kind) for kind in ("model", "image")):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A model file dropped on the window opens (after the unsaved-work question); an image goes on the
        canvas."""
        model, image = (dropped_file(event.mimeData(), kind) for kind in ("model", "image"))
        if (model is None and image is None) or not self.is_ready:
            return
        event.acceptProposedAction()
        if model is not None:
            self._asked_to_open = str(model)
            self.open_model(model)
        else:
            self.open_image(image)

    def _on_open_triggered(self) -> None:
        path = dialogs.model_open_path(self, self.recent.folder())
        if path:
            self._asked_to_open = str(path)
            self.open_model(path)

    def _on_open_ended(self, path: str | Path, problem: str | None) -> None:
        picked, self._asked_to_open = str(path) == self._asked_to_open, None
        if problem is not None and picked:  # a file picked in the dialog: say so plainly
            QMessageBox.warning(self, "Could not open the model", problem)

    def _on_save_triggered(self) -> None:
        self.save_model()

    def _on_save_as_triggered(self) -> bool:
        path = dialogs.model_save_path(self, self._model_dir() / f"{self.session.preset_name or 'model'}{SUFFIX}")
        if path is None:
            return False
        saved = self.session.save(path)
        if not saved:
            QMessageBox.warning(self, "Could not save the model", self.panel.message_label.text())
        return saved

    def _model_dir(self) -> Path:
        """Where a save dialog starts: the model's own folder, else the last folder used."""
        return self.session.model_path.parent if self.session.model_path else self.recent.folder()

    # --- what the session holds, for views, tests and scripts ---

    def model(self) -> AutoEncoder | None:
        return self.session.model

    def history(self) -> History:
        return self.session.history

    def dataset(self) -> Dataset | None:
        return self.session.dataset

    def is_dirty(self) -> bool:
        return self.session.dirty

    def is_training(self) -> bool:
        return self.session.is_training()

    # --- views follow the session ---

    def _on_model_changed(self) -> None:
        session = self.session
        if session.model_path is not None or session.history.epochs_done:  # opened or restored: show its settings
            self.panel.show_model(session.preset_name, session.model.config, session.train_config)
        self.panel.show_loaded_model(session.model.config)
        self.draw_panel.code_view.set_model(session.model.config.code_size, (-1.0, 1.0))
        self.loss_plot.show_history(session.history)
        self.model_views.model_changed(painted=self.isVisible())

    def _on_training_started(self) -> None:
        trainer = self.session.trainer
        self.loss_plot.begin_run(self.session.history.epochs_done, trainer.steps_per_epoch, trainer.config.epochs)

    def _on_training_progress(self, item: TrainingProgress) -> None:
        self.loss_plot.add_batch_losses(item.losses, item.first_step)

    def _on_tab_changed(self, index: int) -> None:
        self.code_space.set_visible(index == 1, index == 2)
        self.generation.set_visible(self.tabs.widget(index) is self.generate_view, index == 1)
        self.feature_maps.set_visible(self.tabs.widget(index) is self.features_view)

    def _drawn_input(self) -> np.ndarray | None:
        return None if self.canvas.is_empty() else self.canvas.model_input()

    def show_generate(self) -> None:
        self.tabs.setCurrentWidget(self.generate_view)

    def generate_new_batch(self) -> None:
        """Training › Generate new digits (Ctrl+G): the Generate tab, with a new batch."""
        self.show_generate()
        self.generate_view.newBatchRequested.emit()

    def _export_code_space_dialog(self, kind: str) -> None:
        path = dialogs.export_path(self, kind, "map" if kind == "png" else "test-codes", self.recent.folder())
        if path:
            self.recent.remember_folder(path.parent)
        if path and self.code_space.export(kind, path):
            self.panel.show_message(f"Exported {path}.")

    def _on_export_runs_requested(self) -> None:
        path = dialogs.export_path(self, "csv", "runs", self.recent.folder())
        if path:
            self.recent.remember_folder(path.parent)
            self.export_runs(path)

    def export_runs(self, path: str | Path) -> bool:
        try:
            self.run_list.export_csv(path)
        except AeguiError as error:
            self.panel.show_message(str(error), error=True)
            return False
        self.panel.show_message(f"Exported {len(self.run_list.runs)} runs to {path}.")
        return True

    def _export_dialog(self, widget: QWidget, name: str) -> None:
        path = dialogs.export_path(self, "png", name, self.recent.folder())
        if path:
            self.recent.remember_folder(path.parent)
            self.export_png(widget, path)

    def export_png(self, widget: QWidget, path: str | Path) -> bool:
        ok = widget.grab().save(str(path), "PNG")
        self.panel.show_message(f"Exported {path}." if ok else f"Could not write {path}.", error=not ok)
        return ok

    def current_code(self) -> np.ndarray | None:
        return self.draw_panel.code_view.values()

    def current_reconstruction(self) -> np.ndarray | None:
        return self.draw_panel.reconstruction_view.image()

    def show_about(self) -> None:
        QMessageBox.about(self, "About aegui", self.about_text())

    def about_text(self) -> str:
        return dialogs.about_text(self.session.device)

    # --- settings and closing ---

    def save_settings(self) -> None:
        self.panel.save_settings(self._settings)
        self._settings.setValue("window/geometry", self.saveGeometry())
        if self.is_ready:
            self._settings.setValue("plot/log_scale", self.log_check.isChecked())
            self._settings.setValue("plot/smoothing", self.runs_view.smoothing())
        self._settings.sync()

    def shutdown(self) -> bool:
        """Stop every worker and wait for it; True if all threads ended in time."""
        self.code_space.cancel()
        self.generation.cancel()
        return self.session.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_ready and not self.session.settle_unsaved("quitting"):
            event.ignore()
            return
        self._closed = True  # (a library still loading builds nothing more)
        self.save_settings()
        if self.is_ready:
            self.shutdown()
        event.accept()

    # --- unsaved work and recovery ---

    def ask_unsaved(self, doing: str) -> str:
        """Ask what to do with unsaved training: 'save', 'discard' or 'cancel' ('save' without a file
        asks where first)."""
        answer = dialogs.ask_unsaved(self, doing)
        if answer == "save" and self.session.model_path is None:
            path = dialogs.model_save_path(self, self._model_dir() / f"model{SUFFIX}")
            if path is None:
                return "cancel"
            self.session.model_path = path
        return answer

    def _on_recovery_checked(self, text: str | None) -> None:
        if text is None or self.session.closed:
            return
        self.recovery_banner = RecoveryBanner(text)
        self.recovery_banner.restoreRequested.connect(self.restore_autosave)
        self.recovery_banner.discardRequested.connect(self.discard_autosave)
        self._central_layout.insertWidget(0, self.recovery_banner)

    def restore_autosave(self) -> bool:
        restored = self.session.restore_recovery()
        if restored:
            self._close_banner()
        return restored

    def discard_autosave(self) -> None:
        self.session.discard_recovery()
        self._close_banner()

    def _close_banner(self) -> None:
        if self.recovery_banner is not None:
            self.recovery_banner.hide()
            self.recovery_banner.deleteLater()
            self.recovery_banner = None

    @property
    def drawing_latencies(self):
        """Seconds from each pen change to the reconstruction that includes it (for benchmarks)."""
        return self.model_views.drawing_latencies
