"""The main window: layout, menus and wiring. State and flows live in the session controller
(`aegui.gui.session`); what is enabled follows its phase, in one place (`_on_phase_changed`)."""

from __future__ import annotations

import platform
import time
from collections import deque
from pathlib import Path

import numpy as np
import torch
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QByteArray, Qt, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from aegui import __version__
from aegui.core.augment import add_noise
from aegui.core.checkpoints import SUFFIX
from aegui.core.data import Dataset
from aegui.core.device import describe_device
from aegui.core.errors import AeguiError
from aegui.core.model import AutoEncoder
from aegui.core.training import History, to_float
from aegui.gui.canvas import DrawCanvas
from aegui.gui.code_space import CodeSpace
from aegui.gui.code_space_panel import CodeSpacePanel
from aegui.gui.draw_panel import DrawPanel
from aegui.gui.explore_panel import ExplorePanel
from aegui.gui.gallery import COUNT, ReconstructionGallery
from aegui.gui.layout import available_size, canvas_side_for, scrolling
from aegui.gui.loss_plot import LossPlot
from aegui.gui.pacer import FramePacer, Interval
from aegui.gui.phases import Action, Phase
from aegui.gui.recovery_banner import RecoveryBanner
from aegui.gui.session import Session
from aegui.gui.settings import make_settings, read
from aegui.gui.status_line import StatusLine
from aegui.gui.training_panel import TrainingPanel
from aegui.gui.workers import TrainingProgress

GALLERY_INTERVAL = 0.5  # seconds between gallery refreshes while training
DRAWING_FOLLOW_INTERVAL = 0.2  # seconds between refreshes of the drawing's results as the weights change
CODE_RANGE_IMAGES = 1000
DEFAULT_WIDTH = 1400
DEFAULT_HEIGHT = 880
TITLE_BAR_ROOM = 40  # pixels the window's own frame takes above the available height
MODEL_FILTER = f"aegui models (*{SUFFIX} *.pt);;All files (*)"
_available_size = available_size  # tests stand in a screen of their own here


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
        self.session = Session(data_dir or stored_folder or None, device,
                               ask_unsaved=lambda doing: self.ask_unsaved(doing), parent=self)  # fmt: skip
        self.recovery_banner: RecoveryBanner | None = None
        # seconds from each pen change to the reconstruction that includes it, in the GUI thread
        self.drawing_latencies: deque[float] = deque(maxlen=100_000)
        self._unshown_changes: list[float] = []
        self._gallery_due = Interval(GALLERY_INTERVAL)
        self._drawing_follow_due = Interval(DRAWING_FOLLOW_INTERVAL)
        self._download_dialog: QProgressDialog | None = None

        self.panel = TrainingPanel()
        self.canvas = DrawCanvas(canvas_side_for(_available_size()[1]))
        self.draw_panel = DrawPanel(self.canvas)
        self.loss_plot = LossPlot()
        self.gallery = ReconstructionGallery()
        self.code_space_panel = CodeSpacePanel()
        self.explore_panel = ExplorePanel()
        self.tabs = QTabWidget(objectName="bottomTabs")
        session = self.session
        self.code_space = CodeSpace(self.code_space_panel, self.explore_panel, lambda: session.inference,
                                    session.current_weights, lambda: session.dataset, self.panel.show_message,
                                    self)  # fmt: skip
        self.log_check = QCheckBox("log scale", objectName="logScaleCheck")
        self.status_line = StatusLine()
        self.status_label = self.status_line.label
        self.progress_bar = self.status_line.progress
        self._build_layout()
        self._build_menus()
        self.statusBar().addWidget(self.status_line, 1)
        refresh_rate = self.screen().refreshRate() if self.screen() else 60.0
        # at most four drawing updates per displayed frame: a fresh reconstruction for every frame,
        # never lagging behind a 125 Hz pen, and never one per raw event from a faster device
        self._drawing_pacer = FramePacer(self._refresh_drawing, 250.0 / max(refresh_rate, 30.0), self)

        self.panel.trainRequested.connect(self.start_training)
        self.panel.pauseToggled.connect(self._on_pause_toggled)
        self.panel.stopRequested.connect(self.stop_training)
        self.panel.resetRequested.connect(self.reset_model)
        self.panel.learningRateChanged.connect(session.set_lr)
        self.panel.datasetChosen.connect(self._on_dataset_chosen)
        self.panel.downloadRequested.connect(self.download_mnist)
        self.canvas.strokesChanged.connect(self._on_strokes_changed)
        self.log_check.toggled.connect(self.loss_plot.set_log_scale)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.code_space_panel.exportRequested.connect(self._export_code_space_dialog)
        session.phaseChanged.connect(self._on_phase_changed)
        session.datasetLoaded.connect(self._on_dataset_loaded)
        session.modelChanged.connect(self._on_model_changed)
        session.weightsChanged.connect(self._on_weights_changed)
        session.trainingStarted.connect(self._on_training_started)
        session.trainingProgress.connect(self._on_training_progress)
        session.epochEnded.connect(lambda record: self.loss_plot.add_epoch(record.epoch, record.train_loss,
                                                                           record.test_loss))  # fmt: skip
        session.downloadProgress.connect(self._on_download_progress)
        session.message.connect(self.panel.show_message)
        session.statusChanged.connect(self.status_line.show_status)
        session.progressChanged.connect(self.status_line.show_progress)
        session.titleChanged.connect(self.setWindowTitle)
        for name in ("datasetLoaded", "trainingStarted", "trainingFinished", "trainingPaused", "modelChanged"):
            getattr(session, name).connect(getattr(self, name))  # the window's signals, for tests and scripts

        self._restore_settings()
        self._on_phase_changed(session.phase)
        if session.device_note:
            self.panel.show_message(session.device_note, error=True)
        self.new_model()
        if model_path:
            self.open_model(model_path)
        self._offer_recovery()
        session.load_data(self.panel.dataset_choice())

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
        self.tabs.addTab(scrolling(self.code_space_panel), "Code space")
        self.tabs.addTab(scrolling(self.explore_panel), "Explore")
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

    def _action(self, menu, text: str, slot, shortcut=None, name: str = "", phase_action: Action | None = None):
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        if phase_action is not None:
            self._phase_actions.append((action, phase_action))
        return action

    def _build_menus(self) -> None:
        self._phase_actions: list[tuple[QAction, Action]] = []  # menu entries enabled by the phase
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open model…", self._on_open_triggered, QKeySequence.StandardKey.Open, "openAction",
                     Action.OPEN)  # fmt: skip
        self.save_action = self._action(file_menu, "&Save model", self._on_save_triggered,
                                        QKeySequence.StandardKey.Save, "saveAction", Action.SAVE)  # fmt: skip
        self._action(file_menu, "Save model &as…", self._on_save_as_triggered, QKeySequence("Ctrl+Shift+S"),
                     "saveAsAction", Action.SAVE)  # fmt: skip
        file_menu.addSeparator()
        self._action(file_menu, "Export loss plot as PNG…", lambda: self._export_dialog(self.loss_plot, "loss"))
        self._action(file_menu, "Export gallery as PNG…", lambda: self._export_dialog(self.gallery, "gallery"))
        self._action(file_menu, "Export test codes as CSV…", lambda: self._export_code_space_dialog("csv"))
        self._action(file_menu, "Export test codes as NPY…", lambda: self._export_code_space_dialog("npy"))
        self._action(file_menu, "Export code map as PNG…", lambda: self._export_code_space_dialog("png"))
        file_menu.addSeparator()
        self._action(file_menu, "Download full MNIST…", self.download_mnist, name="downloadAction",
                     phase_action=Action.DOWNLOAD)  # fmt: skip
        self._action(file_menu, "Choose data folder…", self._on_choose_folder_triggered, name="chooseFolderAction",
                     phase_action=Action.CHOOSE_DATA)  # fmt: skip
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"), "quitAction")
        edit_menu = bar.addMenu("&Edit")
        self._action(edit_menu, "Undo stroke", self.canvas.undo, QKeySequence("Ctrl+Z"), "undoStrokeAction")
        self._action(edit_menu, "Clear canvas", self.canvas.clear, QKeySequence(Qt.Key.Key_Delete), "clearAction")
        training_menu = bar.addMenu("&Training")
        self.train_action = self._action(training_menu, "Start / Pause / Resume", self.toggle_training,
                                         QKeySequence(Qt.Key.Key_Space), "startPauseAction")  # fmt: skip
        self._action(training_menu, "Stop", self.stop_training, name="stopAction", phase_action=Action.STOP)
        self._action(training_menu, "Reset model", self.reset_model, name="resetAction", phase_action=Action.RESET)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About aegui", self.show_about, name="aboutAction")

    # --- the phase: the one place that enables controls ---

    def _on_phase_changed(self, phase: Phase) -> None:
        session = self.session
        self.panel.apply_phase(phase)
        for action, kind in self._phase_actions:
            action.setEnabled(session.allows(kind))
        self.train_action.setEnabled(any(session.allows(kind) for kind in (Action.TRAIN, Action.PAUSE,
                                                                           Action.RESUME)))  # fmt: skip
        if phase is not Phase.DOWNLOADING and self._download_dialog is not None:
            self._download_dialog.canceled.disconnect(self.session.cancel_download)  # closing it cancels nothing
            self._download_dialog.close()
            self._download_dialog = None

    # --- intents, passed to the session ---

    def start_training(self) -> bool:
        try:
            config, train_config = self.panel.settings()
        except AeguiError as error:
            self.panel.show_message(str(error), error=True)
            return False
        return self.session.train(config, train_config, self.panel.preset_name())

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
        try:
            config, _ = self.panel.settings()
        except AeguiError as error:
            self.panel.show_message(str(error), error=True)
            return
        self.session.new_model(config, self.panel.preset_name())

    def reset_model(self) -> bool:
        try:
            config, _ = self.panel.settings()
        except AeguiError as error:
            self.panel.show_message(str(error), error=True)
            return False
        return self.session.reset(config, self.panel.preset_name())

    def open_model(self, path: str | Path) -> bool:
        return self.session.open(path)

    def save_model(self, path: str | Path | None = None) -> bool:
        if path is None and self.session.model_path is None:
            return self._on_save_as_triggered()
        return self.session.save(path)

    def download_mnist(self) -> None:
        """Download full MNIST into the data folder with a progress dialog, then use it."""
        if not self.session.download("mnist"):
            return
        dialog = QProgressDialog("Downloading MNIST…", "Cancel", 0, 1000, self)
        dialog.setObjectName("downloadDialog")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(self.session.cancel_download)
        self._download_dialog = dialog
        dialog.show()

    def _on_download_progress(self, name: str, done: int, total: int) -> None:
        dialog = self._download_dialog
        if dialog is not None:
            of_total = f" of {total / 1e6:.1f}" if total else ""
            dialog.setLabelText(f"Downloading {name}: {done / 1e6:.1f} MB{of_total}")
            dialog.setValue(int(1000 * done / total) if total else 0)

    def _on_dataset_chosen(self, choice: str) -> None:
        if not self.session.load_data(choice):
            self.panel.set_data_choice(self.session.data_choice)  # refused: show the data in use

    def _on_choose_folder_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding MNIST/raw", str(self.session.data_dir))
        if folder and self.session.set_data_folder(folder):
            self._settings.setValue("data/folder", folder)

    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self._model_dir()), MODEL_FILTER)
        if path and not self.open_model(path) and not self.session.dirty:
            QMessageBox.warning(self, "Could not open the model", self.panel.message_label.text())

    def _on_save_triggered(self) -> None:
        self.save_model()

    def _on_save_as_triggered(self) -> bool:
        suggestion = self._model_dir() / f"{self.session.preset_name or 'model'}{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, "Save model as", str(suggestion), MODEL_FILTER)
        if not path:
            return False
        if not path.endswith((SUFFIX, ".pt")):
            path += SUFFIX
        saved = self.session.save(path)
        if not saved:
            QMessageBox.warning(self, "Could not save the model", self.panel.message_label.text())
        return saved

    def _model_dir(self) -> Path:
        return self.session.model_path.parent if self.session.model_path else Path.home()

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

    def _on_dataset_loaded(self, dataset: Dataset) -> None:
        text = dataset.summary
        if dataset.is_embedded_sample:
            text = f"Embedded sample {len(dataset.train_images) + len(dataset.test_images):,} digits " \
                   f"({len(dataset.train_images):,} train / {len(dataset.test_images):,} test)"  # fmt: skip
        self.panel.set_dataset(text, offer_download=dataset.is_embedded_sample)
        self.panel.set_data_choice(self.session.data_choice)
        self.panel.set_train_size(len(dataset.train_images))
        self._refresh_code_range()
        self._refresh_gallery()
        self.code_space.data_changed()

    def _on_model_changed(self) -> None:
        session = self.session
        if session.model_path is not None or session.history.epochs_done:  # opened or restored: show its settings
            self.panel.show_model(session.preset_name, session.model.config, session.train_config)
        self.panel.show_loaded_model(session.model.config)
        self.draw_panel.code_view.set_model(session.model.config.code_size, (-1.0, 1.0))
        self.loss_plot.show_history(session.history)
        self._refresh_code_range()
        self._refresh_gallery()
        self.code_space.model_changed()
        self._refresh_drawing()

    def _on_weights_changed(self) -> None:
        self._refresh_code_range()
        self._refresh_gallery()
        self.code_space.refresh()
        self._refresh_drawing()

    def _on_training_started(self) -> None:
        trainer = self.session.trainer
        self.loss_plot.begin_run(self.session.history.epochs_done, trainer.steps_per_epoch, trainer.config.epochs)

    def _on_training_progress(self, item: TrainingProgress) -> None:
        self.loss_plot.add_batch_losses(item.losses, item.first_step)
        # copy new weights only when something will show them, a few times a second: each
        # refresh takes CPU from training (strokes still refresh the drawing at once)
        if not self.canvas.is_empty() and self._drawing_follow_due.take():
            self._drawing_pacer.request()  # it takes the newest snapshot itself
        if self._gallery_due.due():
            self.session.follow_training()
            self._refresh_gallery()

    def _refresh_gallery(self) -> None:
        session = self.session
        if session.dataset is None:
            return
        self._gallery_due.mark()
        clean = to_float(session.dataset.test_images[:COUNT])
        noisy = None
        train_config = session.train_config
        if train_config is not None and train_config.denoising:  # show what the denoiser gets
            generator = torch.Generator().manual_seed(0)
            noisy = add_noise(clean, train_config.noise, train_config.noise_level, generator)
        shown = clean if noisy is None else noisy
        reconstructions = session.inference.reconstruct_many(shown) if session.inference else None
        self.gallery.show_images(clean.reshape(-1, 28, 28).numpy(), reconstructions,
                                 None if noisy is None else noisy.reshape(-1, 28, 28).numpy())  # fmt: skip

    def _refresh_code_range(self) -> None:
        session = self.session
        if session.dataset is None or session.inference is None:
            return
        low, high = session.inference.code_range(session.dataset.test_images[:CODE_RANGE_IMAGES])
        self.draw_panel.code_view.set_model(session.inference.config.code_size, (low, high))

    def _refresh_drawing(self) -> None:
        session = self.session
        if self.canvas.is_empty():
            self.draw_panel.show_result(None, None)
            self.code_space.show_drawing(None)
        else:
            image = self.canvas.model_input()
            session.follow_training()
            result = session.inference.reconstruct(image) if session.inference is not None else None
            untrained = session.history.epochs_done == 0 and not session.is_training()
            note = "This model is untrained: press Train (Space) to see it learn." if untrained else ""
            self.draw_panel.show_result(image, result, note)
            self.code_space.show_drawing(result.code if result is not None else None)
            now = time.perf_counter()
            self.drawing_latencies.extend(now - change for change in self._unshown_changes)
        self._unshown_changes = []
        self.drawingUpdated.emit()

    def _on_strokes_changed(self) -> None:
        self._unshown_changes.append(self.canvas.last_change)
        self._drawing_pacer.request()

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
            f"Python {platform.python_version()}<br>Training device: {describe_device(self.session.device)}"
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
        self.code_space.cancel()
        return self.session.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.session.settle_unsaved("quitting"):
            event.ignore()
            return
        self.save_settings()
        self.shutdown()
        event.accept()

    # --- unsaved work and recovery ---

    def ask_unsaved(self, doing: str) -> str:
        """Ask what to do with unsaved training: 'save', 'discard' or 'cancel'."""
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved model",
                          f"The model's training is not saved. Save it before {doing}?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        box.setObjectName("unsavedDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save and self.session.model_path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save model as", str(self._model_dir() / f"model{SUFFIX}"),
                                                  MODEL_FILTER)  # fmt: skip
            if not path:
                return "cancel"
            self.session.model_path = Path(path if path.endswith((SUFFIX, ".pt")) else path + SUFFIX)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def _offer_recovery(self) -> None:
        text = self.session.find_recovery()
        if text is None:
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
