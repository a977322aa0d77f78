"""The main window: training controls, the drawing row, the live loss plot and the gallery."""

from __future__ import annotations

import platform
import time
from collections import deque
from pathlib import Path

import numpy as np
import torch
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QByteArray, QSize, Qt, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from aegui import __version__
from aegui.core.augment import add_noise
from aegui.core.checkpoints import (
    SUFFIX,
    CheckpointError,
    default_autosave_path,
    load_checkpoint,
    save_checkpoint,
    save_weights,
)
from aegui.core.data import Dataset, default_data_dir, download_dataset, load_dataset
from aegui.core.device import describe_device, resolve_device_or_cpu
from aegui.core.errors import AeguiError
from aegui.core.inference import InferenceModel
from aegui.core.model import AutoEncoder, ModelConfig, build_model
from aegui.core.training import Ended, EpochEnd, History, Paused, TrainConfig, Trainer, to_float
from aegui.gui.canvas import DrawCanvas
from aegui.gui.code_space import CodeSpace
from aegui.gui.code_space_panel import CodeSpacePanel
from aegui.gui.draw_panel import DrawPanel
from aegui.gui.explore_panel import ExplorePanel
from aegui.gui.gallery import COUNT, ReconstructionGallery
from aegui.gui.loss_plot import LossPlot
from aegui.gui.pacer import FramePacer
from aegui.gui.recovery_banner import RecoveryBanner
from aegui.gui.settings import make_settings, read
from aegui.gui.training_panel import TrainingPanel
from aegui.gui.workers import ProgressRelay, TrainingProgress, run_in_thread, start_training, wait_for_workers

GALLERY_INTERVAL = 0.5  # seconds between gallery refreshes while training
DRAWING_FOLLOW_INTERVAL = 0.2  # seconds between refreshes of the drawing's results as the weights change
CODE_RANGE_IMAGES = 1000
SHUTDOWN_WAIT_MS = 1500
DEFAULT_WIDTH = 1400
DEFAULT_HEIGHT = 880
CANVAS_SIDE = 320
SMALL_CANVAS_SIDE = 256
TALL_SCREEN = 800  # available pixels below which the canvas is the small one (a 768-px laptop screen)
TITLE_BAR_ROOM = 40  # pixels the window's own frame takes above the available height
AUTOSAVE_INTERVAL = 30.0  # seconds; checked at each epoch's end
AUTOSAVE_LONG_INTERVAL = 120.0  # for epochs that take longer than this
MODEL_FILTER = f"aegui models (*{SUFFIX} *.pt);;All files (*)"


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _available_size() -> tuple[int, int]:
    """The primary screen's size less its task bars (a large default when there is no screen)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1920, 1080
    area = screen.availableGeometry()
    return area.width(), area.height()


def canvas_side_for(available_height: int) -> int:
    """A smaller canvas on short screens, so that the whole window fits (the model input does not
    depend on the canvas's size; the brush scales with it)."""
    return CANVAS_SIDE if available_height >= TALL_SCREEN else SMALL_CANVAS_SIDE


class _CompactPage(QWidget):
    """Holds a tab page and asks for no more than the page's minimum, so that in a scroll area the page
    fills the view when there is room and scrolls by only what is missing when there is not. (With a
    layout here, the scroll area would size the page by its preferred height-for-width: plots and
    wrapped labels ask for far more room than they need.)"""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self._page = page
        page.setParent(self)

    def minimumSizeHint(self) -> QSize:
        return self._page.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self._page.minimumSizeHint()

    def resizeEvent(self, event) -> None:
        self._page.setGeometry(self.rect())
        super().resizeEvent(event)


def _scrolling(page: QWidget) -> QScrollArea:
    """A tab page that scrolls when the window is shorter than the page needs, instead of making
    the whole window taller than the screen."""
    area = QScrollArea()
    area.setWidget(_CompactPage(page))
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    """Everything a person sees. Buildable with no arguments (offscreen, no data: the embedded sample)."""

    datasetLoaded = Signal(object)
    trainingStarted = Signal()
    trainingFinished = Signal(object)  # the Ended record
    trainingPaused = Signal(int)  # the training loop has stopped after this step (1-based) until resumed
    drawingUpdated = Signal()
    modelChanged = Signal()

    def __init__(self, data_dir: str | Path | None = None, model_path: str | Path | None = None,
                 device: str = "auto") -> None:  # fmt: skip
        super().__init__()
        self.setObjectName("aeguiMainWindow")
        self._settings = make_settings()
        stored_folder = read(self._settings, "data/folder", "", str)
        self._data_dir = Path(data_dir) if data_dir else (Path(stored_folder) if stored_folder else default_data_dir())
        self._device, device_note = resolve_device_or_cpu(device)
        self._dataset: Dataset | None = None
        self._data_worker = None
        self._download_cancelled = False
        self._model: AutoEncoder | None = None
        self._inference: InferenceModel | None = None
        self._history = History()
        self._preset_name = "default"
        self._train_config: TrainConfig | None = None
        self._model_path: Path | None = None
        self._dirty = False
        self._trainer: Trainer | None = None
        self._worker = None
        self._last_gallery = 0.0
        self._last_drawing_follow = 0.0
        self._run_first_epoch = 1
        self._relay: ProgressRelay | None = None
        self._latest_snapshot = None
        self.download_mirrors: list[str] | None = None  # None: torchvision's mirrors
        self._last_autosave = 0.0
        self._autosave_path = default_autosave_path()
        self.recovery_banner: RecoveryBanner | None = None
        # seconds from each pen change to the reconstruction that includes it, in the GUI thread
        self.drawing_latencies: deque[float] = deque(maxlen=100_000)
        self._unshown_changes: list[float] = []

        self.panel = TrainingPanel()
        self.canvas = DrawCanvas(canvas_side_for(_available_size()[1]))
        self.draw_panel = DrawPanel(self.canvas)
        self.loss_plot = LossPlot()
        self.gallery = ReconstructionGallery()
        self.code_space_panel = CodeSpacePanel()
        self.explore_panel = ExplorePanel()
        self.tabs = QTabWidget(objectName="bottomTabs")
        self.code_space = CodeSpace(self.code_space_panel, self.explore_panel, lambda: self._inference,
                                    self._current_weights, lambda: self._dataset, self.panel.show_message,
                                    self)  # fmt: skip
        self.log_check = QCheckBox("log scale", objectName="logScaleCheck")
        self.progress_bar = QProgressBar(objectName="trainingProgress", maximum=1000, textVisible=False)
        self.progress_bar.setMaximumWidth(220)
        self.status_label = QLabel("", objectName="statusLabel")
        self._build_layout()
        self._build_menus()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress_bar)
        refresh_rate = self.screen().refreshRate() if self.screen() else 60.0
        # at most four drawing updates per displayed frame: a fresh reconstruction for every frame,
        # never lagging behind a 125 Hz pen, and never one per raw event from a faster device
        self._drawing_pacer = FramePacer(self._refresh_drawing, 250.0 / max(refresh_rate, 30.0), self)
        self._refresh_drawing_soon = self._drawing_pacer.request

        self.panel.trainRequested.connect(self.start_training)
        self.panel.pauseToggled.connect(self._on_pause_toggled)
        self.panel.stopRequested.connect(self.stop_training)
        self.panel.resetRequested.connect(self.reset_model)
        self.panel.learningRateChanged.connect(self._on_learning_rate_changed)
        self.panel.datasetChosen.connect(self._on_dataset_chosen)
        self.panel.downloadRequested.connect(self.download_mnist)
        self.canvas.strokesChanged.connect(self._on_strokes_changed)
        self.log_check.toggled.connect(self.loss_plot.set_log_scale)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.code_space_panel.exportRequested.connect(self._export_code_space_dialog)

        self._restore_settings()
        self._update_title()
        self.panel.set_running(False)
        self.train_action.setEnabled(False)
        if device_note:
            self.panel.show_message(device_note, error=True)
        self.new_model()
        if model_path:
            self.open_model(model_path)
        self._offer_recovery()
        self._load_data(self.panel.dataset_choice())

    # --- layout and menus ---

    def _build_layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(290)
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(4, 0, 4, 0)
        header = QHBoxLayout()
        header.addWidget(QLabel("<b>Loss</b>"))
        header.addStretch(1)
        header.addWidget(self.log_check)
        plot_layout.addLayout(header)
        plot_layout.addWidget(self.loss_plot, 1)
        training_tab = QSplitter(Qt.Orientation.Vertical)
        training_tab.addWidget(plot_box)
        training_tab.addWidget(self.gallery)
        training_tab.setSizes([300, 170])
        self.tabs.addTab(training_tab, "Training")
        self.tabs.addTab(_scrolling(self.code_space_panel), "Code space")
        self.tabs.addTab(_scrolling(self.explore_panel), "Explore")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.draw_panel)
        right.addWidget(self.tabs)
        right.setSizes([400, 480])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(scroll)
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

    def _action(self, menu, text: str, slot, shortcut=None, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open model…", self._on_open_triggered, QKeySequence.StandardKey.Open, "openAction")
        self.save_action = self._action(file_menu, "&Save model", self._on_save_triggered,
                                        QKeySequence.StandardKey.Save, "saveAction")  # fmt: skip
        self._action(file_menu, "Save model &as…", self._on_save_as_triggered, QKeySequence("Ctrl+Shift+S"),
                     "saveAsAction")  # fmt: skip
        file_menu.addSeparator()
        self._action(file_menu, "Export loss plot as PNG…", lambda: self._export_dialog(self.loss_plot, "loss"))
        self._action(file_menu, "Export gallery as PNG…", lambda: self._export_dialog(self.gallery, "gallery"))
        self._action(file_menu, "Export test codes as CSV…", lambda: self._export_code_space_dialog("csv"))
        self._action(file_menu, "Export test codes as NPY…", lambda: self._export_code_space_dialog("npy"))
        self._action(file_menu, "Export code map as PNG…", lambda: self._export_code_space_dialog("png"))
        file_menu.addSeparator()
        self._action(file_menu, "Download full MNIST…", self.download_mnist, name="downloadAction")
        self._action(file_menu, "Choose data folder…", self._on_choose_folder_triggered)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"), "quitAction")
        edit_menu = bar.addMenu("&Edit")
        self._action(edit_menu, "Undo stroke", self.canvas.undo, QKeySequence("Ctrl+Z"), "undoStrokeAction")
        self._action(edit_menu, "Clear canvas", self.canvas.clear, QKeySequence(Qt.Key.Key_Delete), "clearAction")
        training_menu = bar.addMenu("&Training")
        self.train_action = self._action(training_menu, "Start / Pause", self.toggle_training,
                                         QKeySequence(Qt.Key.Key_Space), "startPauseAction")  # fmt: skip
        self._action(training_menu, "Stop", self.stop_training, name="stopAction")
        self._action(training_menu, "Reset model", self.reset_model, name="resetAction")
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About aegui", self.show_about, name="aboutAction")

    # --- data ---

    def _load_data(self, choice: str) -> None:
        self.panel.set_dataset(f"Loading data ({choice})…", False)
        self.train_action.setEnabled(False)
        self.panel.train_button.setEnabled(False)
        self._data_worker = run_in_thread(load_dataset, choice, self._data_dir, on_result=self._on_data_loaded,
                                          on_error=self._on_data_failed)  # fmt: skip

    def _on_data_loaded(self, dataset: Dataset) -> None:
        self._data_worker = None
        self._dataset = dataset
        text = dataset.summary
        if dataset.is_embedded_sample:
            text = f"Embedded sample {len(dataset.train_images) + len(dataset.test_images):,} digits " \
                   f"({len(dataset.train_images):,} train / {len(dataset.test_images):,} test)"  # fmt: skip
        self.panel.set_dataset(text, offer_download=dataset.is_embedded_sample)
        self.panel.set_train_size(len(dataset.train_images))
        self.panel.set_running(self._worker is not None)
        self.train_action.setEnabled(True)
        self._refresh_code_range()
        self._refresh_gallery()
        self.code_space.data_changed()
        self.status_label.setText(dataset.describe())
        self.datasetLoaded.emit(dataset)

    def _on_data_failed(self, error: Exception) -> None:
        self._data_worker = None
        message = str(error) if isinstance(error, AeguiError) else f"{type(error).__name__}: {error}"
        self.panel.show_message(message, error=True)
        if self._dataset is None:  # keep what we had; with nothing, fall back to the embedded sample
            self.panel.set_dataset("Could not load that data; using the embedded sample.", True)
            self._load_data("sample")
        else:
            self.panel.set_dataset(self._dataset.summary, self._dataset.is_embedded_sample)
            self.panel.set_running(False)
            self.train_action.setEnabled(True)

    def _on_dataset_chosen(self, choice: str) -> None:
        if self._worker is None:
            self._load_data(choice)

    def dataset(self) -> Dataset | None:
        return self._dataset

    def download_mnist(self) -> None:
        """Download full MNIST into the data folder with a progress dialog, then use it."""
        if self._data_worker is not None:
            return
        dialog = QProgressDialog("Downloading MNIST…", "Cancel", 0, 1000, self)
        dialog.setObjectName("downloadDialog")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        relay = ProgressRelay()
        self._download_cancelled = False

        def on_progress(name: str, done: int, total: int) -> None:
            dialog.setLabelText(
                f"Downloading {name}: {done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f}" if total else "")
            )
            dialog.setValue(int(1000 * done / total) if total else 0)

        def on_cancel() -> None:
            self._download_cancelled = True

        def on_done(_root) -> None:
            dialog.close()
            self._data_worker = None
            self.panel.show_message(f"MNIST downloaded to {self._data_dir}.")
            self.panel.dataset_combo.setCurrentIndex(self.panel.dataset_combo.findData("mnist"))
            self._load_data("mnist")

        def on_error(error: Exception) -> None:
            dialog.close()
            self._data_worker = None
            self.panel.show_message(str(error), error=True)

        relay.progress.connect(on_progress)
        dialog.canceled.connect(on_cancel)
        dialog.show()
        self._data_worker = run_in_thread(download_dataset, "mnist", self._data_dir, mirrors=self.download_mirrors,
                                          progress=relay.report,
                                          cancelled=lambda: self._download_cancelled, on_result=on_done,
                                          on_error=on_error)  # fmt: skip
        self._relay = relay

    def _on_choose_folder_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding MNIST/raw", str(self._data_dir))
        if folder:
            self._data_dir = Path(folder)
            self._settings.setValue("data/folder", folder)
            self._load_data(self.panel.dataset_choice())

    # --- the model ---

    def new_model(self, config: ModelConfig | None = None) -> None:
        """A fresh, untrained model from the panel's settings (or the given architecture)."""
        if config is None:
            try:
                config, _ = self.panel.settings()
            except AeguiError as error:
                self.panel.show_message(str(error), error=True)
                return
        self._set_model(build_model(config), History(), None, self.panel.preset_name(), None)
        self._dirty = False
        self.loss_plot.clear_all()

    def reset_model(self) -> None:
        if self._worker is not None:
            self.panel.show_message("Stop training before resetting the model.", error=True)
            return
        if not self.settle_unsaved("resetting it"):
            return
        self.new_model()
        self.panel.show_message("The model was reset to new, untrained weights.")

    def _set_model(self, model: AutoEncoder, history: History, train_config, preset: str, path) -> None:
        self._model = model.cpu()
        self._history = history
        self._train_config = train_config
        self._preset_name = preset
        self._model_path = Path(path) if path else None
        self._inference = InferenceModel(model.config, model.state_dict())
        self.draw_panel.code_view.set_model(model.config.code_size, (-1.0, 1.0))
        self._refresh_code_range()
        self._refresh_gallery()
        self.code_space.model_changed()
        self._refresh_drawing()
        self._update_title()
        self.modelChanged.emit()

    def model(self) -> AutoEncoder | None:
        return self._model

    def history(self) -> History:
        return self._history

    def open_model(self, path: str | Path) -> bool:
        """Open a saved model; on any problem, say why and keep the current model."""
        if self._worker is not None:
            self.panel.show_message("Stop training before opening another model.", error=True)
            return False
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            self.panel.show_message(str(error), error=True)
            self.status_label.setText("The model was not opened; the current model is unchanged.")
            return False
        self._set_model(checkpoint.model, checkpoint.history, checkpoint.train_config, checkpoint.preset or "", path)
        self._dirty = False
        self.panel.show_model(checkpoint.preset, checkpoint.config, checkpoint.train_config)
        self.loss_plot.show_history(checkpoint.history)
        epochs = checkpoint.history.epochs_done
        last = checkpoint.history.epochs[-1] if epochs else None
        detail = f", test MSE {last['test_mse']:.5f}" if last else ", untrained"
        self.panel.show_message(f"Opened {Path(path).name}: {checkpoint.config.describe()}, {epochs} epochs{detail}.")
        return True

    def save_model(self, path: str | Path | None = None) -> bool:
        """Save the model (during training: its latest published weights). False if it could not be saved."""
        path = Path(path) if path else self._model_path
        if path is None:
            return self._on_save_as_triggered()
        model = self._model
        if self._trainer is not None:  # never read the live model: save the latest snapshot
            snapshot = self._trainer.latest_snapshot()
            model = AutoEncoder(self._model.config)
            if snapshot is not None:
                model.load_state_dict(snapshot.state)
        history = History(list(self._history.epochs), list(self._history.batch_losses))
        dataset = self._dataset.name if self._dataset else ""
        try:
            save_checkpoint(path, model, history, self._train_config, dataset, self._preset_name)
        except CheckpointError as error:
            self.panel.show_message(str(error), error=True)
            return False
        self._model_path = Path(path)
        self._dirty = False
        self._update_title()
        if self._worker is None:
            self._remove_autosave()
        self.panel.show_message(f"Saved the model to {path}.")
        return True

    def _on_open_triggered(self) -> None:
        if not self.settle_unsaved("opening another"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self._model_dir()), MODEL_FILTER)
        if path and not self.open_model(path):
            QMessageBox.warning(self, "Could not open the model", self.panel.message_label.text())

    def _on_save_triggered(self) -> None:
        self.save_model()

    def _on_save_as_triggered(self) -> bool:
        suggestion = self._model_dir() / f"{self._preset_name or 'model'}{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, "Save model as", str(suggestion), MODEL_FILTER)
        if not path:
            return False
        if not path.endswith((SUFFIX, ".pt")):
            path += SUFFIX
        saved = self.save_model(path)
        if not saved:
            QMessageBox.warning(self, "Could not save the model", self.panel.message_label.text())
        return saved

    def _model_dir(self) -> Path:
        return self._model_path.parent if self._model_path else Path.home()

    def is_dirty(self) -> bool:
        return self._dirty

    def _update_title(self) -> None:
        name = self._model_path.name if self._model_path else "untitled"
        self.setWindowTitle(f"aegui – {name}{' *' if self._dirty else ''}")

    # --- training ---

    def is_training(self) -> bool:
        return self._worker is not None

    def toggle_training(self) -> None:
        """Space: start when idle, pause or resume while training."""
        if self._worker is None:
            self.start_training()
        else:
            self.panel.pause_button.toggle()

    def start_training(self) -> bool:
        if self._worker is not None:
            return False
        if self._dataset is None:
            self.panel.show_message("The data is still loading; training starts once it is ready.", error=True)
            return False
        try:
            config, train_config = self.panel.settings()
            if self._model is None or self._model.config != config:
                self.new_model(config)
            trainer = Trainer(self._model, self._dataset, train_config, self._device, history=self._history)
        except AeguiError as error:
            self.panel.show_message(str(error), error=True)
            return False
        self._train_config = train_config
        self._preset_name = self.panel.preset_name()
        self._trainer = trainer
        self._run_first_epoch = self._history.epochs_done + 1
        self._last_autosave = time.perf_counter()
        self.loss_plot.begin_run(self._history.epochs_done, trainer.steps_per_epoch, train_config.epochs)
        self.panel.set_running(True)
        self.panel.show_message(
            f"Training on {self._dataset.summary}, {describe_device(self._device)}"
            + (f"; batch {trainer.batch_size} (the whole training set)" if trainer.batch_size < train_config.batch_size
               else "") + "."
        )  # fmt: skip
        self._worker = start_training(trainer, self._on_training_update, self._on_training_ended)
        self.trainingStarted.emit()
        return True

    def stop_training(self) -> None:
        if self._trainer is not None:
            self._trainer.request_stop()

    def _on_pause_toggled(self, paused: bool) -> None:
        if self._trainer is None:
            return
        if paused:
            self._trainer.pause()  # the loop stops after the batch in hand, then says so (trainingPaused)
            self.status_label.setText("Pausing after this batch…")
        else:
            self._trainer.resume()
        self.panel.set_running(True, paused)

    def _on_learning_rate_changed(self, lr: float) -> None:
        if self._trainer is not None:
            try:
                self._trainer.set_lr(lr)
            except AeguiError as error:
                self.panel.show_message(str(error), error=True)

    def _on_training_update(self, item) -> None:
        if isinstance(item, TrainingProgress):
            self.loss_plot.add_batch_losses(item.losses, item.first_step)
            self._show_progress(item)
            self._latest_snapshot = item.snapshot
            now = time.perf_counter()
            # copy new weights only when something will show them, a few times a second: each
            # refresh takes CPU from training (strokes still refresh the drawing at once)
            if not self.canvas.is_empty() and now - self._last_drawing_follow >= DRAWING_FOLLOW_INTERVAL:
                self._last_drawing_follow = now
                self._refresh_drawing_soon()  # it takes the newest snapshot itself
            if now - self._last_gallery >= GALLERY_INTERVAL:
                self._inference.update(item.snapshot)
                self._refresh_gallery()
            if now - self._last_autosave >= AUTOSAVE_LONG_INTERVAL:
                self._autosave()
        elif isinstance(item, EpochEnd):
            if time.perf_counter() - self._last_autosave >= AUTOSAVE_INTERVAL:
                self._autosave()
            self._inference.update(self._latest_snapshot)
            self.loss_plot.add_epoch(item.epoch, item.train_loss, item.test_loss)
            self._refresh_code_range()
            self._refresh_gallery()
            self.code_space.refresh()
            self._dirty = True
            self._update_title()
        elif isinstance(item, Paused) and self._trainer is not None and self._trainer.is_paused:
            self.status_label.setText(f"Paused after batch {item.step:,}. Resume (Space) goes on from there.")
            self.trainingPaused.emit(item.step)

    def _show_progress(self, item: TrainingProgress) -> None:
        last = item.last
        batch_size = self._trainer.batch_size if self._trainer else 0
        samples_per_s = last.step * batch_size / last.elapsed if last.elapsed > 0 else 0.0
        epochs = self._train_config.epochs if self._train_config else 0
        self.progress_bar.setValue(int(1000 * last.step / max(last.total_steps, 1)))
        self.status_label.setText(
            f"Epoch {last.epoch - self._run_first_epoch + 1} of {epochs} · loss {last.loss:.4f} · "
            f"{samples_per_s:,.0f} samples/s · {_clock(last.elapsed)} elapsed · ETA {_clock(last.eta)}"
        )

    def _on_training_ended(self, ended: Ended) -> None:
        self._worker = None
        self._trainer = None
        if self._model is not None and self._inference is not None:
            self._inference.load_state(self._model.state_dict())  # the worker is done: safe to read
        self._dirty = self._dirty or ended.steps > 0
        self._update_title()
        self.panel.set_running(False)
        epochs = self._history.epochs
        if ended.reason == "finished":
            last = epochs[-1]
            self.panel.show_message(f"Finished: test MSE {last['test_mse']:.5f}, squared error per image "
                                    f"{last['test_sse_per_image']:.2f}, {_clock(ended.elapsed)}.")  # fmt: skip
            self.progress_bar.setValue(1000)
        elif ended.reason == "stopped":
            self.panel.show_message(f"Stopped after {ended.steps:,} batches.")
        else:
            self.panel.show_message(ended.message, error=True)
        self.status_label.setText(ended.message)
        if ended.steps > 0:
            self._autosave()
        self._refresh_code_range()
        self._refresh_gallery()
        self.code_space.refresh()
        self._refresh_drawing()
        self.trainingFinished.emit(ended)

    # --- views ---

    def _refresh_gallery(self) -> None:
        if self._dataset is None:
            return
        originals = self._dataset.test_images[:COUNT]
        clean = to_float(originals)
        noisy = None
        if self._train_config is not None and self._train_config.denoising:  # show what the denoiser gets
            generator = torch.Generator().manual_seed(0)
            noisy = add_noise(clean, self._train_config.noise, self._train_config.noise_level, generator)
        shown = clean if noisy is None else noisy
        reconstructions = self._inference.reconstruct_many(shown) if self._inference else None
        self.gallery.show_images(clean.reshape(-1, 28, 28).numpy(), reconstructions,
                                 None if noisy is None else noisy.reshape(-1, 28, 28).numpy())  # fmt: skip
        self._last_gallery = time.perf_counter()

    def _refresh_code_range(self) -> None:
        if self._dataset is None or self._inference is None:
            return
        low, high = self._inference.code_range(self._dataset.test_images[:CODE_RANGE_IMAGES])
        self.draw_panel.code_view.set_model(self._inference.config.code_size, (low, high))

    def _refresh_drawing(self) -> None:
        if self.canvas.is_empty():
            self.draw_panel.show_result(None, None)
            self.code_space.show_drawing(None)
        else:
            image = self.canvas.model_input()
            if self._worker is not None:
                self._inference.update(self._latest_snapshot)  # follow the training weights
            result = self._inference.reconstruct(image) if self._inference is not None else None
            untrained = self._history.epochs_done == 0 and self._worker is None
            note = "This model is untrained: press Train (Space) to see it learn." if untrained else ""
            self.draw_panel.show_result(image, result, note)
            self.code_space.show_drawing(result.code if result is not None else None)
            now = time.perf_counter()
            self.drawing_latencies.extend(now - change for change in self._unshown_changes)
        self._unshown_changes = []
        self.drawingUpdated.emit()

    def _on_strokes_changed(self) -> None:
        self._unshown_changes.append(self.canvas.last_change)
        self._refresh_drawing_soon()

    def _current_weights(self) -> dict[str, torch.Tensor] | None:
        """A detached copy of the weights for work in another thread: the latest snapshot while training."""
        if self._trainer is not None:
            snapshot = self._trainer.latest_snapshot()
            return None if snapshot is None else snapshot.state
        if self._model is None:
            return None
        return {name: tensor.detach().clone() for name, tensor in self._model.state_dict().items()}

    def _on_tab_changed(self, index: int) -> None:
        self.code_space.set_visible(index == 1, index == 2)

    def _export_code_space_dialog(self, kind: str) -> None:
        filters = {"csv": "CSV files (*.csv)", "npy": "NumPy arrays (*.npy)", "png": "PNG images (*.png)"}
        suggestion = Path.home() / f"aegui-{'map' if kind == 'png' else 'test-codes'}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export as {kind.upper()}", str(suggestion), filters[kind])
        if path and self.code_space.export(kind, path):
            self.panel.show_message(f"Exported {path}.")

    def current_code(self) -> np.ndarray | None:
        return self.draw_panel.code_view.values()

    def current_reconstruction(self) -> np.ndarray | None:
        return self.draw_panel.reconstruction_view.image()

    def export_png(self, widget: QWidget, path: str | Path) -> bool:
        ok = widget.grab().save(str(path), "PNG")
        self.panel.show_message(f"Exported {path}." if ok else f"Could not write {path}.", error=not ok)
        return ok

    def _export_dialog(self, widget: QWidget, name: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {name} as PNG", str(Path.home() / f"aegui-{name}.png"),
                                              "PNG images (*.png)")  # fmt: skip
        if path:
            self.export_png(widget, path)

    def show_about(self) -> None:
        QMessageBox.about(self, "About aegui", self.about_text())

    def about_text(self) -> str:
        return (
            f"<b>aegui {__version__}</b><br>A desktop studio for autoencoders.<br><br>"
            f"PyTorch {torch.__version__}<br>Qt {qVersion()} (PySide6 {pyside_version})<br>"
            f"Python {platform.python_version()}<br>Training device: {describe_device(self._device)}"
        )

    # --- settings and closing ---

    def _restore_settings(self) -> None:
        self.panel.restore_settings(self._settings)
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.log_check.setChecked(read(self._settings, "plot/log_scale", False, bool))

    def save_settings(self) -> None:
        self.panel.save_settings(self._settings)
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("plot/log_scale", self.log_check.isChecked())
        self._settings.sync()

    def shutdown(self) -> bool:
        """Stop every worker and wait for it; True if all threads ended in time."""
        if self._trainer is not None:
            self._trainer.request_stop()
        self._download_cancelled = True
        self.code_space.cancel()
        return wait_for_workers(SHUTDOWN_WAIT_MS)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.settle_unsaved("quitting"):
            event.ignore()
            return
        self.save_settings()
        self.shutdown()
        self._remove_autosave()  # a clean exit: nothing to recover next time
        event.accept()

    # --- unsaved work, autosave and recovery ---

    def ask_unsaved(self, doing: str) -> str:
        """Ask what to do with unsaved training: 'save', 'discard' or 'cancel'."""
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved model",
                          f"The model's training is not saved. Save it before {doing}?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        box.setObjectName("unsavedDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def settle_unsaved(self, doing: str) -> bool:
        """True when it is fine to go on: nothing unsaved, or it was saved, or a person let it go."""
        if not self._dirty:
            return True
        answer = self.ask_unsaved(doing)
        if answer == "save":
            return self.save_model()
        return answer == "discard"

    def _autosave(self) -> None:
        """Write the latest weights and history to the recovery file, off the GUI thread."""
        state = self._current_weights()  # None without a model, or before training's first snapshot
        if state is None:
            return
        history = History(list(self._history.epochs), list(self._history.batch_losses))
        self._last_autosave = time.perf_counter()
        dataset = self._dataset.name if self._dataset else ""
        run_in_thread(save_weights, self._autosave_path, self._model.config, state, history, self._train_config,
                      dataset, self._preset_name, on_result=self._on_autosaved,
                      on_error=self._on_autosave_failed)  # fmt: skip

    # Bound methods, not lambdas: Qt holds these weakly, so a closed window is freed even while the
    # autosave that it started is still to report.
    def _on_autosaved(self, _path: object) -> None:
        pass

    def _on_autosave_failed(self, error: Exception) -> None:
        self.status_label.setText(f"Autosave failed: {error}")

    def _remove_autosave(self) -> None:
        wait_for_workers(SHUTDOWN_WAIT_MS)  # an autosave in flight must not recreate the file
        self._autosave_path.unlink(missing_ok=True)

    def _offer_recovery(self) -> None:
        path = self._autosave_path
        if not path.is_file():
            return
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError:
            path.unlink(missing_ok=True)  # a recovery copy that cannot be read is of no use
            return
        epochs = checkpoint.history.epochs_done
        self.recovery_banner = RecoveryBanner(
            f"aegui stopped unexpectedly while a model was training. Restore it? "
            f"({checkpoint.config.describe()}, {epochs} epoch{'s' if epochs != 1 else ''}, "
            f"autosaved {checkpoint.created.replace('T', ' ')} UTC)"
        )
        self.recovery_banner.restoreRequested.connect(self.restore_autosave)
        self.recovery_banner.discardRequested.connect(self.discard_autosave)
        self._central_layout.insertWidget(0, self.recovery_banner)

    def restore_autosave(self) -> bool:
        restored = self.open_model(self._autosave_path)
        if restored:
            self._model_path = None  # the recovery file is not the person's file
            self._dirty = True
            self._update_title()
            self.panel.show_message("Restored the autosaved model. Save it to keep it.")
        self._close_banner()
        return restored

    def discard_autosave(self) -> None:
        self._autosave_path.unlink(missing_ok=True)
        self._close_banner()

    def _close_banner(self) -> None:
        if self.recovery_banner is not None:
            self.recovery_banner.hide()
            self.recovery_banner.deleteLater()
            self.recovery_banner = None
