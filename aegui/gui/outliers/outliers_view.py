"""The Outliers tab: the most unusual images first (thumbnails, and a list with each one's file or index,
class and score), a histogram of every score with the selected one marked, a class filter, exports and,
for a folder of images, Show in folder and Move aside; for a model trained without one class, the ROC
curve of the score as its detector. Shows what it is given; `controller.OutliersController` computes it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from aegui.gui.theme.themes import Theme, follow_theme, style_plot
from aegui.gui.widgets.digit_mosaic import DigitMosaic
from aegui.gui.widgets.plots import pg

SHOWN = 48  # thumbnails in the grid
SCORES = {"standardised": "standardised in its class", "relative": "relative error", "error": "squared error"}


class OutliersView(QWidget):
    imageChosen = Signal(int)  # a row of the list, most unusual first (0: the strangest)
    classChosen = Signal(object)  # a label, or None for every class
    scoreChosen = Signal(str)
    exportRequested = Signal(str)  # "csv" or "png"
    showInFolderRequested = Signal()
    moveAsideRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("outliersView")
        self.class_combo = QComboBox(objectName="outliersClassCombo")
        self.class_combo.setToolTip("Show the most unusual images of one class, or of all.")
        self.score_combo = QComboBox(objectName="outliersScoreCombo")
        for method, name in SCORES.items():
            self.score_combo.addItem(name, method)
        self.score_combo.setToolTip("relative: the share of the image the model could not rebuild (fair to faint and "
                                    "thin images); squared: the plain error per pixel; standardised: the relative "
                                    "error against others of its class.")  # fmt: skip
        self.csv_button = QPushButton("Export CSV…", objectName="outliersCsvButton")
        self.png_button = QPushButton("Export sheet…", objectName="outliersPngButton")
        self.show_button = QPushButton("Show in folder", objectName="outliersShowButton")
        self.move_button = QPushButton("Move aside…", objectName="outliersMoveButton")
        self.move_button.setToolTip("Move the selected image's file into a folder you pick (nothing is deleted).")
        self.mosaic = DigitMosaic("outliersMosaic", min_height=150)
        self.list = QListWidget(objectName="outliersList")
        self.histogram = pg.PlotWidget()
        self.histogram.setObjectName("outliersHistogram")
        self.histogram.setMenuEnabled(False)
        self.histogram.setLabel("bottom", "score")
        self.histogram.setLabel("left", "images")
        self._bars = pg.PlotCurveItem([0.0, 1.0], [0.0], stepMode="center", fillLevel=0)
        self._marker = pg.InfiniteLine(angle=90, movable=False)
        self.histogram.addItem(self._bars)
        self.histogram.addItem(self._marker)
        self.roc = pg.PlotWidget()
        self.roc.setObjectName("noveltyRoc")
        self.roc.setMenuEnabled(False)
        self.roc.setLabel("bottom", "false positive rate")
        self.roc.setLabel("left", "true positive rate")
        self._roc_curve = self.roc.plot()
        for picture in (self.histogram, self.roc):
            picture.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # (pictures leave the Tab order)
        self.roc.hide()
        self.status = QLabel("", objectName="outliersStatus", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.novelty_label = QLabel("", objectName="noveltyLabel", wordWrap=True)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Class"))
        controls.addWidget(self.class_combo)
        controls.addWidget(QLabel("Score"))
        controls.addWidget(self.score_combo)
        controls.addStretch(1)
        for button in (self.csv_button, self.png_button, self.show_button, self.move_button):
            controls.addWidget(button)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.histogram)
        plots.addWidget(self.roc)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.mosaic)
        body.addWidget(self.list)
        body.addWidget(plots)
        body.setSizes([360, 300, 360])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(body, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.novelty_label)

        self.mosaic.digitClicked.connect(self._on_digit_clicked)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        self.score_combo.currentIndexChanged.connect(self._on_score_changed)
        self.csv_button.clicked.connect(lambda: self.exportRequested.emit("csv"))
        self.png_button.clicked.connect(lambda: self.exportRequested.emit("png"))
        self.show_button.clicked.connect(self.showInFolderRequested)
        self.move_button.clicked.connect(self.moveAsideRequested)
        self._on_theme_changed(follow_theme(self._on_theme_changed))
        self.show_files(False)

    def _on_theme_changed(self, theme: Theme) -> None:
        for plot in (self.histogram, self.roc):
            style_plot(plot, theme)
        self._bars.setPen(pg.mkPen(theme.train_loss))
        self._bars.setBrush(pg.mkBrush(theme.train_loss))
        self._roc_curve.setPen(pg.mkPen(theme.test_loss, width=2))
        self._marker.setPen(pg.mkPen(theme.error_text, width=2))

    # --- what it shows ---

    def set_classes(self, classes: tuple[str, ...]) -> None:
        chosen = self.class_combo.currentData()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("all", None)
        for label, name in enumerate(classes):
            self.class_combo.addItem(name, label)
        index = self.class_combo.findData(chosen)
        self.class_combo.setCurrentIndex(max(index, 0))
        self.class_combo.blockSignals(False)

    def show_files(self, has_files: bool) -> None:
        """Show in folder and Move aside work on files: only for a folder of images."""
        for button in (self.show_button, self.move_button):
            button.setEnabled(has_files)

    def show_outliers(self, images: np.ndarray, rows: list[tuple[int, str, str, float, int]],
                      scores: np.ndarray) -> None:  # fmt: skip
        """The most unusual images (pictures in [0, 1]) with their rows, and every image's score."""
        self.mosaic.show_images(images)
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([f"{rank}. {score:.4g}  {label}  {name}" for _position, name, label, score, rank in rows])
        self.list.blockSignals(False)
        counts, edges = np.histogram(scores, bins=min(80, max(10, len(scores) // 20)))
        self._bars.setData(edges, counts)
        self._marker.setVisible(False)

    def mark(self, row: int, score: float) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self._marker.setPos(score)
        self._marker.setVisible(True)

    def show_novelty(self, text: str, false_positive: np.ndarray | None = None,
                     true_positive: np.ndarray | None = None) -> None:  # fmt: skip
        self.novelty_label.setText(text)
        self.roc.setVisible(false_positive is not None)
        if false_positive is not None:
            self._roc_curve.setData(false_positive, true_positive)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def marker_position(self) -> float | None:
        return float(self._marker.value()) if self._marker.isVisible() else None

    # --- handlers ---

    def _on_digit_clicked(self, index: int) -> None:
        self.imageChosen.emit(index)

    def _on_class_changed(self, _index: int) -> None:
        self.classChosen.emit(self.class_combo.currentData())

    def _on_score_changed(self, _index: int) -> None:
        self.scoreChosen.emit(self.score_combo.currentData())

    def _on_row_changed(self, row: int) -> None:
        if row >= 0:
            self.imageChosen.emit(row)
