"""The runs list beside the loss plot: each run's colour, name (editable), preset, code size, final test
loss and time, shown or hidden with its check box; remove, export as CSV, smoothing, TensorBoard logs."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("run", "preset", "code", "test loss", "time")
SMOOTHING_STEPS = 99  # the slider: 0 to 0.99 in steps of 0.01


class RunsView(QWidget):
    visibilityToggled = Signal(int, bool)
    renamed = Signal(int, str)
    removeRequested = Signal(int)
    exportRequested = Signal()
    smoothingChanged = Signal(float)
    tensorboardToggled = Signal(bool)

    def __init__(self, tensorboard_problem: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("runsView")
        self.table = QTableWidget(0, len(COLUMNS), objectName="runsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)  # one line a run
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Runs of this session. Tick to draw a run under the current one; double-click a "
                              "name to rename it.")  # fmt: skip
        self.remove_button = QPushButton("Remove", objectName="removeRunButton")
        self.export_button = QPushButton("Export CSV…", objectName="exportRunsButton")
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal, objectName="smoothingSlider")
        self.smoothing_slider.setRange(0, SMOOTHING_STEPS)
        self.smoothing_slider.setToolTip("Smooths the batch losses as TensorBoard does (an exponential moving "
                                         "average, debiased), from 0 (raw) to 0.99.")  # fmt: skip
        self.smoothing_label = QLabel("smoothing 0.00", objectName="smoothingLabel")
        self.tensorboard_check = QCheckBox("write TensorBoard logs", objectName="tensorboardCheck")
        self.tensorboard_check.setToolTip(tensorboard_problem or "Each finished run's losses are written as "
                                          "TensorBoard scalars (tensorboard --logdir shows them).")  # fmt: skip
        self.tensorboard_check.setEnabled(tensorboard_problem is None)
        smoothing = QHBoxLayout()
        smoothing.addWidget(self.smoothing_label)
        smoothing.addWidget(self.smoothing_slider, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(QLabel("<b>Runs</b>"))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(smoothing)
        layout.addWidget(self.tensorboard_check)
        self._filling = False
        self.table.itemChanged.connect(self._on_item_changed)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.export_button.clicked.connect(self.exportRequested)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_moved)
        self.tensorboard_check.toggled.connect(self.tensorboardToggled)

    def show_runs(self, runs) -> None:
        """SessionRun entries, in order."""
        self._filling = True
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            name = QTableWidgetItem(run.name)
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
            name.setCheckState(Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked)
            name.setForeground(QColor(*run.colour))
            loss = run.final_test_loss
            texts = (run.preset, str(run.code_size), "" if loss is None else f"{loss:.4f}", f"{run.seconds:.0f} s")
            cells = [name, *(QTableWidgetItem(text) for text in texts)]
            for column, cell in enumerate(cells):
                if column:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, cell)
        self.remove_button.setEnabled(bool(runs))
        self.export_button.setEnabled(bool(runs))
        self._filling = False

    def smoothing(self) -> float:
        return self.smoothing_slider.value() / 100

    def set_smoothing(self, weight: float) -> None:
        self.smoothing_slider.setValue(round(min(max(weight, 0.0), 0.99) * 100))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        row, shown, name = item.row(), item.checkState() == Qt.CheckState.Checked, item.text()
        self.visibilityToggled.emit(row, shown)  # (the table is refilled: the item is gone after this)
        self.renamed.emit(row, name)

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.removeRequested.emit(row)

    def _on_smoothing_moved(self, value: int) -> None:
        self.smoothing_label.setText(f"smoothing {value / 100:.2f}")
        self.smoothingChanged.emit(value / 100)
