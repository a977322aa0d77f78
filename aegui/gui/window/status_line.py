"""The status bar's contents: the phase's status text (elided, in full as a tooltip) and a labelled
progress bar that shows only while something is in progress."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

PROGRESS_STEPS = 1000
PROGRESS_WIDTH = 190  # the bar's width, widened for a longer label ('converting images · 1,500 of 2,062')
LABEL_MARGIN = 24  # room the bar's frame takes beside its label


class ElidedLabel(QLabel):
    """A one-line label that ends in '…' when its text is wider than the room; `text()` stays whole
    and the tooltip shows all of it."""

    def __init__(self, text: str = "", parent: QWidget | None = None, objectName: str = "") -> None:
        super().__init__(text, parent)
        if objectName:
            self.setObjectName(objectName)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """What fits: the text, elided at the right."""
        width = max(self.contentsRect().width(), 0)
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, width)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), self.shown_text())


class StatusLine(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ElidedLabel("", objectName="statusLabel")
        self.progress = QProgressBar(objectName="trainingProgress", maximum=PROGRESS_STEPS, textVisible=True)
        self.progress.setFixedWidth(PROGRESS_WIDTH)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # its room is kept while hidden: showing it must not change the status bar's height, which would
        # resize (and repaint) every plot in the window
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.progress)

    def show_status(self, text: str) -> None:
        self.label.setText(text)

    def show_progress(self, fraction: float, label: str) -> None:
        """A fraction in [0, 1] with its label ('epoch 3/9 · 41%'); below 0 hides the bar."""
        if fraction < 0:
            self.progress.hide()
            self.progress.setFixedWidth(PROGRESS_WIDTH)
            return
        needed = self.progress.fontMetrics().horizontalAdvance(label) + LABEL_MARGIN
        if needed > self.progress.width():  # the whole label, in one line; (it only widens while shown: no jitter)
            self.progress.setFixedWidth(needed)
        # QProgressBar repaints at once (synchronously) when its value moves a pixel: 2-3 ms of the GUI thread
        # each time, many times a second while training; held, it is painted with the window's next frame
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(round(PROGRESS_STEPS * min(fraction, 1.0)))
        self.progress.setUpdatesEnabled(True)  # (asks for that paint)
        self.progress.setFormat(label)
        self.progress.setToolTip(label)
        self.progress.show()
