"""The Training tab: the loss plot with its log-scale switch, the runs beside it, and the gallery under them (a
click on a test image there asks the session to put it on the canvas and to show its nearest images)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from aegui.core.training.runs import HOW_TO_GET_TENSORBOARD, tensorboard_available
from aegui.gui.training.loss_plot import LossPlot
from aegui.gui.training.runs_controller import RunsController
from aegui.gui.training.runs_view import RunsView
from aegui.gui.widgets.gallery import ReconstructionGallery
from aegui.gui.window.parts import Feature, Parts
from aegui.gui.window.settings import Settings, read

REQUIRES = ("session", "window", "panel", "settings", "report")
PROVIDES = ("loss_plot", "runs_view", "gallery", "log_check", "runs_controller")
LOG_SCALE_KEY = "plot/log_scale"
SMOOTHING_KEY = "plot/smoothing"


def build(parts: Parts) -> Feature:
    session = parts.session
    loss_plot = parts.loss_plot = LossPlot()
    runs_view = parts.runs_view = RunsView(None if tensorboard_available() else HOW_TO_GET_TENSORBOARD)
    parts.gallery = ReconstructionGallery()
    parts.gallery.imageClicked.connect(lambda index: _on_gallery_clicked(parts, index))
    log_check = parts.log_check = QCheckBox("log scale", objectName="logScaleCheck")
    run_list = parts.runs_controller = RunsController(session, runs_view, loss_plot, parts.window)
    run_list.message.connect(parts.report)
    log_check.toggled.connect(loss_plot.set_log_scale)
    session.epochEnded.connect(loss_plot.add_record)
    session.modelChanged.connect(lambda: _on_model_changed(parts))
    session.datasetLoaded.connect(lambda _dataset: _suggest_preset(parts))
    session.datasetLoaded.connect(lambda dataset: parts.panel.set_train_size(len(dataset.train_images)))
    session.trainingStarted.connect(lambda: loss_plot.begin_run(session.history.epochs_done,
                                                                session.trainer.steps_per_epoch,
                                                                session.trainer.config.epochs))  # fmt: skip
    session.trainingProgress.connect(lambda item: loss_plot.add_batch_losses(item.losses, item.first_step))
    parts.panel.learningRateChanged.connect(session.set_lr)
    for signal in (session.datasetLoaded, session.modelChanged, session.trainingStarted, session.trainingFinished):
        signal.connect(lambda *_args: parts.panel.show_data_note(_data_note(parts)))
    log_check.setChecked(read(parts.settings, LOG_SCALE_KEY, False, bool))
    runs_view.set_smoothing(read(parts.settings, SMOOTHING_KEY, 0.0, float))

    def save_settings(settings: Settings) -> None:
        settings.setValue(LOG_SCALE_KEY, log_check.isChecked())
        settings.setValue(SMOOTHING_KEY, runs_view.smoothing())

    return Feature(pages=(("Training", _page(loss_plot, log_check, runs_view, parts.gallery)),),
                   save_settings=save_settings)  # fmt: skip


def _on_gallery_clicked(parts: Parts, index: int) -> None:
    """Test image `index` was clicked: as for a clicked outlier, onto the canvas, then its nearest images (its
    position counts the training images first, then the test images)."""
    session, dataset = parts.session, parts.session.model_data
    if dataset is None:  # the gallery shows data this model does not take
        parts.report("This model does not take these images: Train makes one that does.", True)
        return
    if not 0 <= index < len(dataset.test_images):
        return
    session.imageRequested.emit(dataset.test_images[index].numpy() / 255.0)
    session.similarRequested.emit(len(dataset.train_images) + index)  # (after the canvas: it holds over the drawing)


def _suggest_preset(parts: Parts) -> None:
    """The preset follows the data, as `aegui train` picks it: for a new model, default and photos swap (another
    preset chosen stays); when the model in the session does not take the data (Train then starts a new one),
    any preset not made for it gives way to the one that is."""
    session, panel = parts.session, parts.panel
    wanted, name = session.fitting_preset(), panel.preset_name()
    if wanted is None or session.preset_fits(name):
        return
    if not session.takes_data() or (session.is_untouched() and name in ("default", "photos")):
        panel.choose_preset(wanted)


def _data_note(parts: Parts) -> str:
    """Beside Train: what it would do with this model and this data ('' when nothing needs saying)."""
    session, note = parts.session, parts.session.data_note()
    if note and not session.takes_data():
        note += f" The '{parts.panel.preset_name()}' preset is chosen for them."
    return note


def _on_model_changed(parts: Parts) -> None:
    """Another model: the panel shows its settings (opened or restored) and marks what differs; its history."""
    session = parts.session
    if session.model_path is not None or session.history.epochs_done:
        parts.panel.show_model(session.preset_name, session.model.config, session.train_config)
        if session.epochs_left:  # the epochs its run had left (stopped midway, or autosaved before a crash)
            parts.panel.epochs_spin.setValue(session.epochs_left)
    parts.panel.show_loaded_model(session.model.config)
    parts.loss_plot.set_pixels(session.model.config.pixels)
    parts.loss_plot.show_history(session.history)


def _page(loss_plot: LossPlot, log_check: QCheckBox, runs_view: RunsView, gallery: ReconstructionGallery) -> QWidget:
    """The loss plot (log scale switch above it) beside the runs, the gallery below both."""
    plot_box = QWidget()
    plot_layout = QVBoxLayout(plot_box)
    plot_layout.setContentsMargins(4, 0, 4, 0)
    header = QHBoxLayout()
    header.addWidget(QLabel("<b>Loss</b>"))
    header.addStretch(1)
    header.addWidget(log_check)
    plot_layout.addLayout(header)
    plot_layout.addWidget(loss_plot, 1)
    plot_and_runs = QSplitter(Qt.Orientation.Horizontal)
    plot_and_runs.addWidget(plot_box)
    plot_and_runs.addWidget(runs_view)
    plot_and_runs.setSizes([800, 280])
    plot_and_runs.setStretchFactor(0, 1)
    page = QSplitter(Qt.Orientation.Vertical)
    page.addWidget(plot_and_runs)
    page.addWidget(gallery)
    page.setSizes([300, 170])
    return page
