"""What the model computes, kept in step with the session: the drawing's code and reconstruction, the
code bars' scale and the code's spans (from a worker), and the gallery. The drawing and the code's scales are
published on the session (`drawing`, `code_scales`), where the other features read them; the canvas takes the
images the session is asked to put on it.

Views of the weights follow a model change a frame after the window has painted the new model's
settings and history, and follow training a few times a second; strokes refresh the drawing at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from aegui.core.analysis.inference import CodeScales, code_scales
from aegui.core.data.image_files import fitting_for
from aegui.core.data.shapes import AUTO_READING
from aegui.core.training.pacing import Interval
from aegui.core.words import possessive
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.concurrency.pacer import FRAME_MS, FramePacer
from aegui.gui.concurrency.training_process import TrainingProgress
from aegui.gui.drawing.canvas import DrawCanvas
from aegui.gui.drawing.draw_panel import DrawPanel
from aegui.gui.session.controller import Drawing, SessionController
from aegui.gui.widgets.gallery import COUNT as GALLERY_COUNT
from aegui.gui.widgets.gallery import ReconstructionGallery

GALLERY_INTERVAL = 0.5  # seconds between gallery refreshes while training
DRAWING_FOLLOW_INTERVAL = 0.5  # seconds between refreshes of the drawing's results as the weights change
# while training, the code bars' scale follows the weights at most this often (every half second, its passes took
# more than the window's share of a core, and the maps waited behind them)
CODE_RANGE_FOLLOW_MS = 3000
CODE_RANGE_IMAGES = 1000


def _code_scales(config, state, images, _cancel: threading.Event) -> CodeScales:
    return code_scales(config, state, images)  # (a worker's job: one encoding, not given up)


class DrawingController(QObject):
    codeScalesUpdated = Signal()  # the code bars and sliders have their scale for the current weights
    drawingUpdated = Signal()  # the drawing's code and reconstruction are shown

    def __init__(self, session: SessionController, canvas: DrawCanvas, draw_panel: DrawPanel,
                 gallery: ReconstructionGallery, refresh_rate: float,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.session, self.canvas, self.draw_panel, self.gallery = session, canvas, draw_panel, gallery
        # seconds from each pen change to the reconstruction that includes it, in the GUI thread
        self.drawing_latencies: deque[float] = deque(maxlen=100_000)
        self._unshown_changes: list[float] = []
        self._gallery_due = Interval(GALLERY_INTERVAL)
        self._drawing_follow_due = Interval(DRAWING_FOLLOW_INTERVAL)
        self._drawing_version: int | None = None  # the published weights' version the drawing was last shown with
        self._scales = LatestTask(self._on_code_scales, self._on_code_scales_failed, self)  # the latest weights'
        self._code_range_pacer = FramePacer(self._refresh_code_range, CODE_RANGE_FOLLOW_MS, self)
        # at most four drawing updates per displayed frame: a fresh reconstruction for every frame,
        # never lagging behind a 125 Hz pen, and never one per raw event from a faster device
        self._drawing_pacer = FramePacer(self.refresh_drawing, 250.0 / max(refresh_rate, 30.0), self)
        canvas.strokesChanged.connect(self._on_strokes_changed)
        session.datasetLoaded.connect(self._on_dataset_loaded)
        session.weightsChanged.connect(self._on_weights_changed)
        session.trainingProgress.connect(self._on_training_progress)
        session.imageRequested.connect(self._on_image_requested)

    def model_changed(self, painted: bool) -> None:
        """Another model: if the window is already painted, follow a frame later (both at once held the
        window up to ~100 ms on two busy cores). The canvas takes the model's image size and colour at once."""
        self._fit_canvas()
        if painted:
            QTimer.singleShot(FRAME_MS, self._show_model)
        else:
            self._show_model()

    def _show_model(self) -> None:
        if not self.session.closed:
            self._refresh_all()

    def _refresh_all(self) -> None:
        self._refresh_code_range()
        self._refresh_gallery()
        self.refresh_drawing()

    def _fit_canvas(self) -> None:
        """The canvas is the model's image: its size and colour, images fitted as its data's were."""
        model, dataset = self.session.model, self.session.dataset
        if model is None:
            return
        same = dataset is not None and dataset.image_shape == model.image_shape
        fitting = fitting_for(model.image_shape, dataset.reading if same else AUTO_READING)
        self.canvas.set_fitting(fitting)
        self.draw_panel.show_fitting(fitting)

    def _on_dataset_loaded(self, _dataset) -> None:
        self._fit_canvas()
        self._refresh_code_range()
        self._refresh_gallery()
        self.refresh_drawing()  # (its note says whether the model takes the data)

    def _on_weights_changed(self) -> None:
        if self.session.is_training():  # (each is a worker's pass over test images, on the window's share)
            self._code_range_pacer.request()
        else:
            self._code_range_pacer.cancel()
            self._refresh_code_range()
        self._refresh_gallery()
        if not (self.session.is_training() and self._drawing_shows_latest()):
            self.refresh_drawing()

    def _drawing_shows_latest(self) -> bool:
        """(While training) whether the drawing shows the newest published weights, taken up first."""
        self.session.follow_training()
        inference = self.session.inference
        return inference is not None and inference.version is not None and inference.version == self._drawing_version

    def _on_training_progress(self, _item: TrainingProgress) -> None:
        # copy new weights only when something will show them, a few times a second: each
        # refresh takes CPU from training (strokes still refresh the drawing at once)
        if not self.canvas.is_empty() and self._drawing_follow_due.take() and not self._drawing_shows_latest():
            self._drawing_pacer.request()  # (weights it was not shown with yet)
        if self._gallery_due.due() and self.gallery.isVisible():  # (another tab shown: the next update after
            self.session.follow_training()  # the Training tab shows again brings it up to date)
            self._refresh_gallery()

    def _refresh_gallery(self) -> None:
        session = self.session
        dataset = session.model_data
        if dataset is not None:
            self._gallery_due.mark()
            names = [dataset.class_name(int(label)) for label in dataset.test_labels[:GALLERY_COUNT]]
            self.gallery.show_model(dataset.test_images, session.inference, session.train_config, names)
        elif not session.takes_data():  # the data's images alone: this model cannot rebuild them
            shown = session.dataset
            self.gallery.show_originals(shown.test_images, f"{possessive(shown.title)} test images: this model does "
                                        "not take them (Train makes one that does)")  # fmt: skip

    def _refresh_code_range(self) -> None:
        """The code bars' scale and the sliders' spans, for the current weights, computed in a worker."""
        session = self.session
        if session.closed:  # (paced while training: a refresh due after the window closed starts no worker)
            return
        state = session.current_weights()
        if session.model_data is None or session.inference is None or state is None:
            return
        images = session.model_data.test_images[:CODE_RANGE_IMAGES]
        self._scales.start(_code_scales, session.inference.config, state, images)

    def _on_code_scales_failed(self, _error: Exception) -> None:
        pass  # the weights could not be encoded (about to diverge): the scale stays as it was

    def _on_code_scales(self, scales: CodeScales) -> None:
        inference = self.session.inference
        if inference is None:
            return
        if scales.config == inference.config:
            self.draw_panel.code_view.set_model(scales.config.code_size, scales.bars)
            self.session.publish_code_scales(scales)
            self.codeScalesUpdated.emit()

    def refresh_drawing(self) -> None:
        session = self.session
        if self.canvas.is_empty():
            self.draw_panel.show_result(None, None, session.unfit_note(short=True))
            session.publish_drawing(Drawing())
        else:
            image = self.canvas.model_input()
            session.follow_training()
            result = session.inference.reconstruct(image) if session.inference is not None else None
            untrained = session.history.epochs_done == 0 and not session.is_training()
            note = "This model is untrained: press Train (Space) to see it learn." if untrained else ""
            note = session.unfit_note(short=True) or note
            self.draw_panel.show_result(image, result, note)
            self._drawing_version = session.inference.version if session.inference is not None else None
            session.publish_drawing(Drawing(image, result.code if result is not None else None))
            now = time.perf_counter()
            self.drawing_latencies.extend(now - change for change in self._unshown_changes)
        self._unshown_changes = []
        self.drawingUpdated.emit()

    def _on_strokes_changed(self) -> None:
        self._unshown_changes.append(self.canvas.last_change)
        self.session.drawingEdited.emit()
        self._drawing_pacer.request()

    def _on_image_requested(self, image: np.ndarray) -> None:
        """Another feature asked for an image on the canvas (a generated digit, an outlier)."""
        self.canvas.set_image(image)
