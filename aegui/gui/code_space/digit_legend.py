"""One legend for both code-space maps: a line of coloured dots and class names under the maps, where
it never covers a point (and costs a label, not a plot item, to paint)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QLabel

from aegui.core.data.datasets import DIGITS
from aegui.gui.theme.themes import class_colours


class DigitLegend(QLabel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent, objectName="mapLegend", wordWrap=True)
        self._names: tuple[str, ...] = ()
        self.set_classes(DIGITS)

    def set_classes(self, names: tuple[str, ...] | list[str]) -> None:
        names = tuple(names)
        if names == self._names:
            return
        self._names = names
        entries = [f'<span style="color: rgb{colour}">●</span>&nbsp;{escape(name)}'
                   for name, colour in zip(names, class_colours(len(names)), strict=True)]  # fmt: skip
        self.setText("&nbsp;&nbsp; ".join(entries))

    def classes(self) -> tuple[str, ...]:
        return self._names
