"""The training digits nearest to the drawing in code space, and what most of them are."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from aegui.core.analysis.mosaic import tile
from aegui.core.words import with_article
from aegui.gui.widgets.digit_view import image_area


class NeighboursView(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("nearestNeighbours")
        self._noun = "digit"
        self.verdict = QLabel("Draw a digit to see its nearest training digits.", objectName="neighboursVerdict")
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.verdict.setFont(font)
        self._graphics, self._view, self._item = image_area(56)
        self._labels: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.verdict)
        layout.addWidget(self._graphics, 1)

    def show_neighbours(
        self,
        images: np.ndarray | None,
        labels: np.ndarray | None,
        majority: int | None,
        waiting: bool = False,
        names: tuple[str, ...] = (),
    ) -> None:
        """The neighbours, or none: `waiting` says the training digits' codes are still being computed;
        `names` are the classes' names (default: the label numbers)."""
        if images is None or labels is None or majority is None:
            self._labels = None
            self._item.clear()
            noun = self._noun
            self.verdict.setText(f"Finding the nearest training {noun}s…" if waiting else
                                 f"Draw {with_article(noun)} to see its nearest training {noun}s.")  # fmt: skip
            return
        self._labels = np.asarray(labels)
        self._item.setImage(tile([np.asarray(images, np.float32)], count=len(images)), levels=(0.0, 1.0),
                            autoLevels=False)  # fmt: skip
        self._view.autoRange(padding=0)
        agree = int((self._labels == majority).sum())
        name = names[majority] if 0 <= majority < len(names) else str(majority)
        self.verdict.setText(f"looks like {with_article(name)}  ({agree} of its {len(labels)} nearest training "
                             "images)")  # fmt: skip

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image")."""
        if self._labels is None:
            self.verdict.setText(f"Draw {with_article(noun)} to see its nearest training {noun}s.")
        self._noun = noun

    def labels(self) -> np.ndarray | None:
        return None if self._labels is None else self._labels.copy()
