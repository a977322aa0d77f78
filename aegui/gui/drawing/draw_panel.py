"""The drawing row: canvas, what the model sees, the code and the reconstruction.

The canvas and its buttons come first (the window's first frame, before the model library has
loaded); the pictures of what the model makes of the drawing are added by `add_views`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from aegui.gui.drawing.canvas import DrawCanvas

if TYPE_CHECKING:
    from aegui.core.analysis.inference import Reconstruction

DRAW_HINT = "Draw a digit on the canvas to see its code and reconstruction."
IMAGE_HINT = "Drop or open an image (File › Open image…), or draw, to see its code and reconstruction."


class DrawPanel(QWidget):
    def __init__(self, canvas: DrawCanvas, parent=None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setToolTip("Clear the canvas (Delete; Undo brings it back)")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setToolTip("Undo the last stroke, or bring back what Clear removed (Ctrl+Z)")
        self.ink_button = QPushButton("Ink colour…", objectName="inkColorButton", visible=False)
        self.ink_button.setToolTip("The colour strokes paint with over the image")
        self.hint = QLabel(DRAW_HINT)
        self.hint.setObjectName("drawHint")
        self.hint.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.ink_button)
        left = QVBoxLayout()
        left.addWidget(canvas)
        left.addLayout(buttons)
        self._row = QHBoxLayout()
        self._row.addLayout(left)
        self._row.addStretch(1)  # where the views go
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._row)
        layout.addWidget(self.hint)

        self.clear_button.clicked.connect(canvas.clear)
        self.undo_button.clicked.connect(canvas.undo)
        self.ink_button.clicked.connect(self._on_ink_clicked)
        self._empty_hint = DRAW_HINT

    def _on_ink_clicked(self) -> None:
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QColorDialog

        chosen = QColorDialog.getColor(QColor.fromRgbF(*self.canvas.ink()), self, "Ink colour")
        if chosen.isValid():
            self.canvas.set_ink((chosen.redF(), chosen.greenF(), chosen.blueF()))

    def show_fitting(self, fitting) -> None:
        """The model's image size and colour: the input's caption, the hint, and the ink colour for colour."""
        self._empty_hint = DRAW_HINT if self.canvas.is_digit_pad() else IMAGE_HINT
        self.ink_button.setVisible(fitting.color)
        if hasattr(self, "input_view"):
            colour = " colour" if fitting.color else ""
            self.input_view.set_title(f"What the model sees ({fitting.size}×{fitting.size}{colour})")
        if self.hint.text() in (DRAW_HINT, IMAGE_HINT):
            self.hint.setText(self._empty_hint)

    def add_views(self) -> None:
        """What the model sees, the reconstruction and the code (pyqtgraph: loaded with the model library)."""
        from aegui.gui.drawing.code_view import CodeView
        from aegui.gui.widgets.digit_view import DigitView

        self.input_view = DigitView("What the model sees (28×28)", "modelInputView")
        self.reconstruction_view = DigitView("Reconstruction", "reconstructionView")
        self.code_view = CodeView()
        self._row.takeAt(1)  # the stretch
        self._row.addWidget(self.input_view, 1)
        self._row.addWidget(self.reconstruction_view, 1)
        self._row.addWidget(self.code_view, 2)

    def show_result(self, model_input: np.ndarray | None, result: Reconstruction | None, note: str = "") -> None:
        """Show the drawing's input and its reconstruction, or the empty state with a hint."""
        if model_input is None:
            if self.input_view.image() is None and self.hint.text() == (note or self._empty_hint):
                return  # already showing the empty state: no repaint
            self.input_view.set_image(None)
            self.reconstruction_view.set_image(None)
            self.code_view.set_code(None)
            self.hint.setText(note or self._empty_hint)
            return
        self.input_view.set_image(model_input)
        if result is None:
            self.reconstruction_view.set_image(None)
            self.code_view.set_code(None)
            self.hint.setText(note or "Train or open a model to see what it makes of your drawing.")
            return
        self.reconstruction_view.set_image(result.image, f"reconstruction error (MSE) {result.error:.4f}")
        self.code_view.set_code(result.code)
        self.hint.setText(note)
