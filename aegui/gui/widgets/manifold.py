"""The manifold of a 2-value code: the images decoded over the code plane, under a caption. The Generate
feature fills it, the Code space tab shows it beside its maps; a click asks for the image on the canvas."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from aegui.core.words import with_article
from aegui.gui.widgets.digit_mosaic import DigitMosaic


class ManifoldView(QWidget):
    imageChosen = Signal(object)  # the image clicked (a picture, values in [0, 1])

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="manifoldBox")
        self.mosaic = DigitMosaic("manifoldView", 150)
        self.mosaic.setToolTip("Click a digit to put it on the canvas.")
        self.caption = QLabel("manifold", objectName="manifoldCaption", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.mosaic, 1)
        self.hide()
        self.mosaic.digitClicked.connect(self._on_digit_clicked)

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image"): words follow the data."""
        self.mosaic.setToolTip(f"Click {with_article(noun)} to put it on the canvas.")

    def show_manifold(self, images: np.ndarray | None, side: int = 0, caption: str = "") -> None:
        """The side x side images decoded over a 2-value code's plane, rows top to bottom (None: hide)."""
        self.setVisible(images is not None)
        if images is not None:
            self.mosaic.show_images(images, side)
            self.caption.setText(caption)

    def _on_digit_clicked(self, index: int) -> None:
        self.imageChosen.emit(self.mosaic.images()[index])
