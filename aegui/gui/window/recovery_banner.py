"""Offers to restore the model that was being trained when aegui last stopped unexpectedly: the banner and its flow."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton

from aegui.gui.theme.themes import Theme, follow_theme


class RecoveryBanner(QFrame):
    restoreRequested = Signal()
    discardRequested = Signal()

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(text, wordWrap=True, textFormat=Qt.TextFormat.PlainText)
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


class RecoveryOffer(QObject):
    """The banner's flow: shown when the session finds another instance's autosave; Restore or Discard."""

    def __init__(self, session, layout: QBoxLayout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session, self._layout = session, layout
        self.banner: RecoveryBanner | None = None
        session.recoveryChecked.connect(self._on_recovery_checked)

    def _on_recovery_checked(self, text: str | None) -> None:
        if text is None or self._session.closed:
            return
        self.banner = RecoveryBanner(text)
        self.banner.restoreRequested.connect(self.restore)
        self.banner.discardRequested.connect(self.discard)
        self._layout.insertWidget(0, self.banner)

    def restore(self) -> bool:
        restored = self._session.restore_recovery()
        if restored:
            self._close_banner()
        return restored

    def discard(self) -> None:
        self._session.discard_recovery()
        self._close_banner()

    def _close_banner(self) -> None:
        if self.banner is not None:
            self.banner.hide()
            self.banner.deleteLater()
            self.banner = None
