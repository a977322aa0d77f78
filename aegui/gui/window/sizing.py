"""Sizing helpers for the window: what the screen offers, and tab pages that scroll only by what is missing."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea, QSplitter, QVBoxLayout, QWidget

CANVAS_SIDE = 320
SMALL_CANVAS_SIDE = 256
TALL_SCREEN = 800  # available pixels below which the canvas is the small one (a 768-px laptop screen)


def available_size() -> tuple[int, int]:
    """The primary screen's size less its task bars (a large default when there is no screen)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1920, 1080
    area = screen.availableGeometry()
    return area.width(), area.height()


def canvas_side_for(available_height: int) -> int:
    """A smaller canvas on short screens, so that the whole window fits (the model input does not
    depend on the canvas's size; the brush scales with it)."""
    return CANVAS_SIDE if available_height >= TALL_SCREEN else SMALL_CANVAS_SIDE


def window_frame(left: QWidget, top: QWidget, bottom: QWidget) -> tuple[QWidget, QVBoxLayout]:
    """The window's frame: `left` beside `top` over `bottom`; a layout to put banners above them in."""
    right = QSplitter(Qt.Orientation.Vertical)
    right.addWidget(top)
    right.addWidget(bottom)
    right.setSizes([400, 480])
    main = QSplitter(Qt.Orientation.Horizontal)
    main.addWidget(left)
    main.addWidget(right)
    main.setSizes([300, 1100])
    main.setStretchFactor(1, 1)
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(main, 1)
    return central, layout


class _CompactPage(QWidget):
    """Holds a tab page and asks for no more than the page's minimum, so that in a scroll area the page
    fills the view when there is room and scrolls by only what is missing when there is not. (With a
    layout here, the scroll area would size the page by its preferred height-for-width: plots and
    wrapped labels ask for far more room than they need.)"""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self._page = page
        page.setParent(self)

    def minimumSizeHint(self) -> QSize:
        return self._page.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self._page.minimumSizeHint()

    def resizeEvent(self, event) -> None:
        self._page.setGeometry(self.rect())
        super().resizeEvent(event)


def scrolling(page: QWidget) -> QScrollArea:
    """A tab page that scrolls when the window is shorter than the page needs, instead of making
    the whole window taller than the screen."""
    area = QScrollArea()
    area.setWidget(_CompactPage(page))
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area
