"""The Outliers tab: the most unusual images first (thumbnails, and a table with each one's rank, score,
class and file or index), a histogram of every score with the selected one marked, a class filter, exports and,
for a folder of images, Show in folder and Move aside; for a model trained without one class, the ROC
curve of the score as its detector. Its other mode, Near-duplicates, is `duplicates_view.DuplicatesView`. Shows
what it is given; `controller.OutliersController` computes it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aegui.gui.outliers.duplicates_view import DuplicatesView
from aegui.gui.theme.themes import Theme, follow_theme, style_plot
from aegui.gui.widgets.digit_mosaic import DigitMosaic
from aegui.gui.widgets.plots import pg

SHOWN = 48  # thumbnails in the grid
COLUMNS = ("rank", "score", "class", "file or index")
MODES = {"unusual": "most unusual", "duplicates": "near-duplicates"}
SCORES = {"standardised": "standardised in its class", "relative": "relative error", "error": "squared error"}


class OutliersView(QWidget):
    imageChosen = Signal(int)  # a row of the table, most unusual first (0: the strangest)
    classChosen = Signal(object)  # a label, or None for every class
    scoreChosen = Signal(str)
    exportRequested = Signal(str)  # "csv" or "png"
    showInFolderRequested = Signal()
    moveAsideRequested = Signal()
    modeChosen = Signal(str)  # a key of MODES

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("outliersView")
        self.mode_combo = QComboBox(objectName="outliersModeCombo")
        for mode, name in MODES.items():
            self.mode_combo.addItem(name, mode)
        self.mode_combo.setToolTip("most unusual: the images the model rebuilds worst; near-duplicates: pairs of "
                                   "images far nearer each other than to the rest (copies), to move "
                                   "aside.")  # fmt: skip
        self.duplicates = DuplicatesView()
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
        self.table = QTableWidget(0, len(COLUMNS), objectName="outliersTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setToolTip("The most unusual images first: rank, score, class, and the file (or the split and "
                              "index). Click one to draw over it.")  # fmt: skip
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 4)  # as many rows in sight as a list had
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
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

        unusual_controls = QWidget()
        controls = QHBoxLayout(unusual_controls)
        controls.setContentsMargins(0, 0, 0, 0)
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
        body.addWidget(self.table)
        body.addWidget(plots)
        body.setSizes([360, 300, 360])
        unusual = QWidget()
        unusual_layout = QVBoxLayout(unusual)
        unusual_layout.setContentsMargins(0, 0, 0, 0)
        unusual_layout.addWidget(body, 1)
        unusual_layout.addWidget(self.status)
        unusual_layout.addWidget(self.novelty_label)
        self._controls, self._pages = QStackedWidget(), QStackedWidget()
        for page, its_controls in ((unusual, unusual_controls), (self.duplicates, self.duplicates.controls)):
            self._pages.addWidget(page)
            self._controls.addWidget(its_controls)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.mode_combo)
        top.addWidget(self._controls, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._pages, 1)

        self.mosaic.digitClicked.connect(self._on_digit_clicked)
        self.table.currentCellChanged.connect(self._on_current_cell_changed)
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
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
        self.table.blockSignals(True)
        self.table.clearContents()
        self.table.setRowCount(len(rows))
        for row, (_position, name, label, score, rank) in enumerate(rows):
            for column, text in enumerate((str(rank), f"{score:.4g}", label, name)):
                item = QTableWidgetItem(text)
                if column < 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        counts, edges = np.histogram(scores, bins=min(80, max(10, len(scores) // 20)))
        self._bars.setData(edges, counts)
        self._marker.setVisible(False)

    def mark(self, row: int, score: float) -> None:
        self.table.blockSignals(True)
        self.table.setCurrentCell(row, 0)
        self.table.blockSignals(False)
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

    def show_unfit(self, note: str) -> None:
        """The model does not take the data (`note`: so, and what to do): no scores, nothing to export or pick."""
        self.show_outliers(np.zeros((0, 28, 28), np.float32), [], np.zeros(0))
        self.histogram.hide()
        for widget in (self.csv_button, self.png_button, self.show_button, self.move_button, self.class_combo,
                       self.score_combo):  # fmt: skip
            widget.setEnabled(False)
        self.show_novelty("")
        self.status.setText(note)

    def show_fit(self) -> None:
        """The model takes the data again: its scores are on their way."""
        self.histogram.show()
        for widget in (self.csv_button, self.png_button, self.class_combo, self.score_combo):
            widget.setEnabled(True)

    def mode(self) -> str:
        """The mode shown: a key of MODES."""
        return self.mode_combo.currentData()

    def current_row(self) -> int:
        """The row picked in the table (-1: none)."""
        return self.table.currentRow()

    def row_text(self, row: int) -> tuple[str, ...]:
        """What the table shows in a row, column by column (see COLUMNS)."""
        return tuple(self.table.item(row, column).text() for column in range(self.table.columnCount()))

    def marker_position(self) -> float | None:
        return float(self._marker.value()) if self._marker.isVisible() else None

    # --- handlers ---

    def _on_digit_clicked(self, index: int) -> None:
        self.imageChosen.emit(index)

    def _on_mode_changed(self, index: int) -> None:
        self._pages.setCurrentIndex(index)
        self._controls.setCurrentIndex(index)
        self.modeChosen.emit(self.mode_combo.currentData())

    def _on_class_changed(self, _index: int) -> None:
        self.classChosen.emit(self.class_combo.currentData())

    def _on_score_changed(self, _index: int) -> None:
        self.scoreChosen.emit(self.score_combo.currentData())

    def _on_current_cell_changed(self, row: int, _column: int, previous_row: int, _previous_column: int) -> None:
        if row >= 0 and row != previous_row:  # (another cell of the same row picks nothing new)
            self.imageChosen.emit(row)
