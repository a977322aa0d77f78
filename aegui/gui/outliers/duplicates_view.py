"""The Outliers tab's Near-duplicates mode: pairs of images far nearer each other than to the rest, grouped, each
row both images side by side with their names, sizes and distance; a check marks an image as a copy to move
aside (one of each group is kept), Move copies aside… and Put back. Shows what it is given;
`duplicates_controller.DuplicatesController` finds the pairs and moves the files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aegui.core.analysis.duplicates import NEIGHBOURS, RATIO
from aegui.gui.widgets.thumbnails import thumbnail

THUMBNAIL = 72  # the side of each image in the table, in pixels
COLUMNS = ("group", "image", "its near-duplicate", "distance", "relative")
SIDES = (1, 2)  # the table's columns of images
KEPT, COPY, MOVED = "kept", "copy", "moved"


@dataclass(frozen=True)
class ShownImage:
    """One image of a pair as the table shows it: a picture in [0, 1], (height, width) or (height, width, 3)."""

    picture: np.ndarray
    name: str
    details: str  # its size in pixels and bytes ('' where it is no file)


@dataclass(frozen=True)
class ShownPair:
    group: int
    first: ShownImage
    second: ShownImage
    distance: float
    relative: float


class DuplicatesView(QWidget):
    copyToggled = Signal(int, int, bool)  # a row, its image (0: first, 1: second), now marked as a copy
    ratioChosen = Signal(float)
    moveAsideRequested = Signal()
    putBackRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatesView")
        self.controls = QWidget(objectName="duplicatesControls")  # (the tab shows it beside its mode)
        self.ratio_spin = QDoubleSpinBox(objectName="duplicatesRatioSpin", decimals=2, minimum=0.05, maximum=1.0,
                                         singleStep=0.05, value=RATIO)  # fmt: skip
        self.ratio_spin.setKeyboardTracking(False)  # (a search per value typed, not per key)
        self.ratio_spin.setToolTip(f"A pair is listed when its images are at most this share of the distance either "
                                   f"one is from its {NEIGHBOURS}th nearest other apart, by the model's code and by a "
                                   f"thumbnail (0.05 to 1; {RATIO:g} unless changed): higher finds more, and more "
                                   "that are only alike.")  # fmt: skip
        self.move_button = QPushButton("Move copies aside…", objectName="duplicatesMoveButton")
        self.move_button.setToolTip("Move the images checked as copies into a folder you pick, keeping their class "
                                    "folders (one of each group stays; nothing is deleted).")  # fmt: skip
        self.put_back_button = QPushButton("Put back", objectName="duplicatesPutBackButton")
        self.put_back_button.setToolTip("Move the copies moved aside back where they were.")
        self.table = QTableWidget(0, len(COLUMNS), objectName="duplicatesTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeaderItem(3).setToolTip("The distance between the two images' codes.")
        self.table.horizontalHeaderItem(4).setToolTip("The pair's distance as a share of the distance to the "
                                                      f"nearer image's {NEIGHBOURS}th nearest other (the larger by "
                                                      "code and by thumbnail).")  # fmt: skip
        self.table.setToolTip("Near-duplicates, grouped (pairs that share an image are one group). A checked image "
                              "is a copy, moved aside by Move copies aside…; one of each group is kept.")  # fmt: skip
        self.table.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(THUMBNAIL + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for side in SIDES:
            header.setSectionResizeMode(side, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel("", objectName="duplicatesStatus", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)  # (never cut off)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("Closeness"))
        controls.addWidget(self.ratio_spin)
        controls.addStretch(1)
        controls.addWidget(self.move_button)
        controls.addWidget(self.put_back_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.ratio_spin.valueChanged.connect(self._on_ratio_changed)
        self.move_button.clicked.connect(self.moveAsideRequested)
        self.put_back_button.clicked.connect(self.putBackRequested)
        self.table.itemChanged.connect(self._on_item_changed)
        self.show_files(False, "")
        self.show_put_back(False)

    # --- what it shows ---

    def show_pairs(self, pairs: list[ShownPair], checkable: bool) -> None:
        """The pairs, grouped in order; `checkable`: their images can be marked as copies (they are files)."""
        self.table.blockSignals(True)
        self.table.clearContents()
        self.table.setRowCount(len(pairs))
        previous = None
        for row, pair in enumerate(pairs):
            group = QTableWidgetItem(str(pair.group) if pair.group != previous else "")
            group.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            previous = pair.group
            self.table.setItem(row, 0, group)
            for side, shown in zip(SIDES, (pair.first, pair.second), strict=True):
                item = QTableWidgetItem(thumbnail(shown.picture, THUMBNAIL), shown.name)
                item.setData(Qt.ItemDataRole.UserRole, (shown.name, shown.details, checkable))
                item.setToolTip(shown.name)
                flags = Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.ItemIsUserCheckable if checkable else Qt.ItemFlag(0))
                item.setFlags(flags)
                self.table.setItem(row, side, item)
            for column, value in ((3, f"{pair.distance:.4g}"), (4, f"{pair.relative:.2f}")):
                number = QTableWidgetItem(value)
                number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, number)
        self.table.blockSignals(False)

    def set_marks(self, marks: list[tuple[str, str]]) -> None:
        """Each row's two images: KEPT, COPY (checked: to move aside) or MOVED (moved already)."""
        self.table.blockSignals(True)
        for row, pair in enumerate(marks):
            for side, mark in zip(SIDES, pair, strict=True):
                item = self.table.item(row, side)
                if item is None:
                    continue
                name, details, checkable = item.data(Qt.ItemDataRole.UserRole)
                said = ", ".join(part for part in (mark if checkable else "", details) if part)
                item.setText(f"{name}\n{said}" if said else name)
                if checkable:
                    item.setCheckState(Qt.CheckState.Checked if mark != KEPT else Qt.CheckState.Unchecked)
                    enabled = Qt.ItemFlag.ItemIsEnabled if mark != MOVED else Qt.ItemFlag(0)
                    user = Qt.ItemFlag.ItemIsUserCheckable if mark != MOVED else Qt.ItemFlag(0)
                    item.setFlags(enabled | user)
        self.table.blockSignals(False)

    def show_files(self, has_files: bool, reason: str) -> None:
        """Move copies aside works on files: only for a folder of images (`reason`: why not)."""
        self.move_button.setEnabled(has_files)
        self.move_button.setToolTip(self.move_button.toolTip() if has_files else reason)

    def show_put_back(self, possible: bool) -> None:
        self.put_back_button.setEnabled(possible)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def show_unfit(self, note: str) -> None:
        """The model does not take the data (`note`: so, and what to do): no pairs, nothing to move."""
        self.show_pairs([], False)
        self.table.hide()
        self.move_button.setEnabled(False)
        self.ratio_spin.setEnabled(False)
        self.status.setText(note)

    def show_fit(self) -> None:
        self.table.show()
        self.ratio_spin.setEnabled(True)

    def ratio(self) -> float:
        return float(self.ratio_spin.value())

    def row_text(self, row: int) -> tuple[str, ...]:
        """What the table shows in a row, column by column (see COLUMNS)."""
        return tuple(item.text() if (item := self.table.item(row, column)) else "" for column in range(len(COLUMNS)))

    def is_marked_copy(self, row: int, image: int) -> bool:
        item = self.table.item(row, SIDES[image])
        return item is not None and item.checkState() == Qt.CheckState.Checked

    # --- handlers ---

    def _on_ratio_changed(self, value: float) -> None:
        self.ratioChosen.emit(float(value))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() in SIDES and item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            self.copyToggled.emit(item.row(), SIDES.index(item.column()), item.checkState() == Qt.CheckState.Checked)
