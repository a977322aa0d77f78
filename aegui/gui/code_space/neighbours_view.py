"""The images nearest in code space to the one picked (the drawing, a point of the map, an outlier), among the whole
collection (training and test images): each with its distance and its name and label, and what most of them are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from aegui.core.words import with_article
from aegui.gui.widgets.thumbnails import thumbnail

COLUMNS = 8  # one row: the Explore tab keeps its height on a 768-pixel screen
SIDE = 52  # pixels on a thumbnail's longer side
NAME_CHARACTERS = 11  # a longer name is shortened in its cell (its tooltip says it whole)


@dataclass(frozen=True)
class ShownNeighbour:
    """One neighbour as shown: its picture ((h, w) or (h, w, 3) in [0, 1]), distance, name and class ('')."""

    picture: np.ndarray
    distance: float
    name: str
    label: str


def _short(text: str) -> str:
    """`text`, or its start and end around an ellipsis where it is longer than NAME_CHARACTERS."""
    if len(text) <= NAME_CHARACTERS:
        return text
    keep = NAME_CHARACTERS - 1
    return f"{text[: keep - keep // 2]}…{text[-(keep // 2) :]}"


class NeighboursView(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("nearestNeighbours")
        self._noun = "digit"
        self.verdict = QLabel("", objectName="neighboursVerdict", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self._grid_widget = QWidget(objectName="neighboursGrid")
        self._grid = QGridLayout(self._grid_widget)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(4)
        self._cells: list[tuple[QLabel, QLabel]] = []
        self._shown: list[ShownNeighbour] = []
        self._labels: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.verdict)
        layout.addWidget(self._grid_widget)
        layout.addStretch(1)
        self._say_what_to_do()

    def _say_what_to_do(self, waiting: bool = False) -> None:
        noun = self._noun
        self.verdict.setText(f"Finding the nearest {noun}s…" if waiting else
                             f"Draw {with_article(noun)}, or click one on the code map or in Outliers, to see the "
                             f"nearest {noun}s in code space.")  # fmt: skip

    def show_neighbours(self, neighbours: list[ShownNeighbour] | None, heading: str = "", waiting: bool = False,
                        labels: np.ndarray | None = None) -> None:  # fmt: skip
        """The neighbours, nearest first, under `heading`; None: none (`waiting`: they are being found).
        `labels`: their class numbers, where known (what tests read back)."""
        self._shown = list(neighbours or [])
        self._labels = None if labels is None else np.asarray(labels)
        while len(self._cells) < len(self._shown):
            self._add_cell()
        for position, (picture, caption) in enumerate(self._cells):
            if position < len(self._shown):
                shown = self._shown[position]
                picture.setPixmap(thumbnail(shown.picture, SIDE, sharp=True))
                caption.setText(f"{shown.distance:.3g}\n{_short(shown.name)}" + (f"\n{_short(shown.label)}"
                                                                                  if shown.label else ""))  # fmt: skip
                caption.setToolTip(f"{shown.name}" + (f" ({shown.label})" if shown.label else "") +
                                   f": distance {shown.distance:.4g} in code space")  # fmt: skip
            picture.setVisible(position < len(self._shown))
            caption.setVisible(position < len(self._shown))
        if neighbours is None:
            self._say_what_to_do(waiting)
        else:
            self.verdict.setText(heading)

    def _add_cell(self) -> None:
        position = len(self._cells)
        picture = QLabel(objectName=f"neighbourImage{position}", alignment=Qt.AlignmentFlag.AlignCenter)
        picture.setMinimumSize(SIDE, SIDE)
        caption = QLabel(objectName=f"neighbourCaption{position}", alignment=Qt.AlignmentFlag.AlignHCenter,
                         textFormat=Qt.TextFormat.PlainText)  # fmt: skip
        font = caption.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        caption.setFont(font)
        row, column = divmod(position, COLUMNS)
        self._grid.addWidget(picture, 2 * row, column)
        self._grid.addWidget(caption, 2 * row + 1, column)
        self._cells.append((picture, caption))

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image")."""
        self._noun = noun
        if not self._shown:
            self._say_what_to_do()

    def shown(self) -> list[ShownNeighbour]:
        """The neighbours shown, nearest first."""
        return list(self._shown)

    def labels(self) -> np.ndarray | None:
        return None if self._labels is None else self._labels.copy()
