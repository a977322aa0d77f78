"""Exploring the code: sliders with their decoded digit, interpolation, and the images nearest the one picked."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from aegui.core.words import with_article
from aegui.gui.code_space.code_sliders import CodeSliders
from aegui.gui.code_space.interpolation_strip import InterpolationStrip
from aegui.gui.code_space.neighbours_view import NeighboursView
from aegui.gui.widgets.digit_view import DigitView


class ExplorePanel(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.sliders = CodeSliders()
        self.slider_view = DigitView("Decoded from the sliders", "sliderDecodedView",
                                     hint="Draw a digit or move a slider.")  # fmt: skip
        self.from_drawing_button = QPushButton("Sliders ← the drawing", objectName="slidersFromDrawingButton")
        self.interpolation = InterpolationStrip()
        self.neighbours = NeighboursView()

        scroll = QScrollArea()
        scroll.setWidget(self.sliders)
        scroll.setWidgetResizable(True)
        sliders_box = QGroupBox("Code sliders")
        sliders_layout = QHBoxLayout(sliders_box)
        left = QVBoxLayout()
        left.addWidget(scroll, 1)
        left.addWidget(self.from_drawing_button)
        sliders_layout.addLayout(left, 2)
        sliders_layout.addWidget(self.slider_view, 1)
        interpolation_box = QGroupBox("Interpolation")
        QVBoxLayout(interpolation_box).addWidget(self.interpolation)
        neighbours_box = self._neighbours_box = QGroupBox("Nearest digits in code space (training and test)")
        QVBoxLayout(neighbours_box).addWidget(self.neighbours)
        right = QVBoxLayout()
        right.addWidget(interpolation_box, 1)
        right.addWidget(neighbours_box, 1)
        self.unfit_label = QLabel("", objectName="exploreUnfitNote", wordWrap=True, visible=False,
                                  textFormat=Qt.TextFormat.PlainText)  # fmt: skip
        row = QHBoxLayout()
        row.addWidget(sliders_box, 1)
        row.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.unfit_label)
        layout.addLayout(row, 1)

    def show_unfit(self, note: str) -> None:
        """The model does not take the data (`note`: so, and what to do): no neighbours among its images (the
        sliders and the drawing's interpolations still work); "": it does again."""
        self.unfit_label.setText(note)
        self.unfit_label.setVisible(bool(note))
        self._neighbours_box.setEnabled(not note)

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image"): words follow the data."""
        self._neighbours_box.setTitle(f"Nearest {noun}s in code space (training and test)")
        self.slider_view.set_hint(f"Draw {with_article(noun)} or move a slider.")
        self.neighbours.set_noun(noun)
        self.interpolation.set_noun(noun)
