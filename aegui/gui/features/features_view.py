"""The Features tab: the first layer's weights, what each code value decodes to, and every layer's
activations for the drawing, as strips. Shows what it is given; `controller.FeaturesController` computes it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from aegui.gui.theme.themes import Theme, themes
from aegui.gui.widgets.digit_mosaic import DigitMosaic
from aegui.gui.widgets.digit_view import DigitFrame
from aegui.gui.widgets.plots import pg


class ActivationStrips(DigitFrame):
    """One labelled strip per layer; rebuilt when the layers change, refilled as the drawing changes."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("activationsView")
        self.setMinimumHeight(160)
        self._names: list[str] = []
        self._items: list[pg.ImageItem] = []
        self._labels: list[pg.LabelItem] = []

    def _colour_items(self, theme: Theme) -> None:
        for label in self._labels:
            label.setText(label.text, color=theme.digit_caption)

    def show_strips(self, names: list[str], pictures: list[np.ndarray]) -> None:
        if names != self._names:
            self.clear()
            self._items, self._labels = [], []
            for row, name in enumerate(names):
                colour = themes().theme.digit_caption
                self._labels.append(self.addLabel(name, row=2 * row, col=0, color=colour, size="8pt"))
                view = self.addViewBox(row=2 * row + 1, col=0, lockAspect=True, invertY=True, enableMouse=False)
                view.setMenuEnabled(False)
                item = pg.ImageItem(axisOrder="row-major")
                view.addItem(item)
                self._items.append(item)
            self._names = list(names)
        for item, picture in zip(self._items, pictures, strict=True):
            item.setImage(picture, levels=(0.0, 1.0), autoLevels=False)
            item.getViewBox().autoRange(padding=0)

    def names(self) -> list[str]:
        return list(self._names)


class FeaturesView(QWidget):
    exportRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("featuresView")
        self.filters = DigitMosaic("firstLayerView", 140)
        self.filters.setToolTip("The first layer's weights, one picture per unit, the most used units first: light "
                                "where a unit looks for ink, dark where it looks for none.")  # fmt: skip
        self.directions = DigitMosaic("codeDirectionsView", 140)
        self.directions.setToolTip("What each code value does: the decoded image with the value raised minus with "
                                   "it lowered (light: it adds ink there; dark: it removes ink).")  # fmt: skip
        self.strips = ActivationStrips()
        self.filters_caption = QLabel("first layer", objectName="firstLayerCaption", wordWrap=True)
        self.directions_caption = QLabel("code values", objectName="codeDirectionsCaption", wordWrap=True)
        self.strips_caption = QLabel("Draw a digit to see every layer's activations.", objectName="activationsCaption",
                                     wordWrap=True)  # fmt: skip
        self.export_button = QPushButton("Export as PNG…", objectName="exportFeaturesButton")
        self.unfit_label = QLabel("", objectName="featuresUnfitNote", wordWrap=True, visible=False,
                                  textFormat=Qt.TextFormat.PlainText)  # fmt: skip
        boxes = QGridLayout()
        sections = (("First layer", self.filters_caption, self.filters),
                    ("Code values", self.directions_caption, self.directions),
                    ("Activations", self.strips_caption, self.strips))  # fmt: skip
        for column, (title, caption, widget) in enumerate(sections):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.addWidget(caption)
            inner.addWidget(widget, 1)
            boxes.addWidget(box, 0, column)
            boxes.setColumnStretch(column, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.unfit_label)
        layout.addLayout(boxes, 1)
        layout.addLayout(buttons)
        self.export_button.clicked.connect(self.exportRequested)

    def show_unfit(self, note: str) -> None:
        """The model does not take the data (`note`: so, and what to do; what is shown is the model's own: its
        weights, its code values, the activations of the drawing), or "": it does."""
        self.unfit_label.setText(note)
        self.unfit_label.setVisible(bool(note))
