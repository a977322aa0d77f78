"""One legend for both code-space maps: a line of coloured dots and class names under the maps, where
it never covers a point (and costs a label, not a plot item, to paint)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class DigitLegend(QLabel):
    def __init__(self, palette: list[tuple[int, int, int]], parent=None) -> None:
        super().__init__(parent, objectName="mapLegend")
        self._palette = palette
        self.set_classes([str(digit) for digit in range(len(palette))])

    def set_classes(self, names: list[str]) -> None:
        entries = [
            f'<span style="color: rgb{self._palette[index % len(self._palette)]}">●</span>&nbsp;{name}'
            for index, name in enumerate(names)
        ]
        self.setText("&nbsp;&nbsp; ".join(entries))
