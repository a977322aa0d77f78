"""Offers to restore the model that was being trained when aegui last stopped unexpectedly."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from aegui.gui.theme import Theme, follow_theme


class RecoveryBanner(QFrame):
    restoreRequested = Signal()
    discardRequested = Signal()

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(text, wordWrap=True)
        self.restore_button = QPushButton("Restore", objectName="restoreButton")
        self.discard_button = QPushButton("Discard", objectName="discardButton")
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self.restore_button.clicked.connect(self.restoreRequested)
        self.discard_button.clicked.connect(self.discardRequested)
        self._on_theme_changed(follow_theme(self._on_theme_changed))

    def _on_theme_changed(self, theme: Theme) -> None:
        self.setStyleSheet(f"#recoveryBanner {{ background: {theme.banner_background}; "
                           f"border: 1px solid {theme.banner_border}; }}"
                           f"#recoveryBanner > QLabel {{ color: {theme.banner_text}; }}")  # fmt: skip
