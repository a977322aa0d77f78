"""An image shown large, with a caption: the model's input, a reconstruction, a decoded code. Images are
pictures: (height, width) grey or (height, width, 3) colour, values in [0, 1]; 784 flat values are a
28×28 digit."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from aegui.gui.theme.themes import Theme, follow_theme
from aegui.gui.widgets.plots import pg


class DigitFrame(pg.GraphicsLayoutWidget):
    """Pictures of digits on the theme's dark surround, so the black field of a digit reads as a picture."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(follow_theme(self._on_theme_changed).digit_frame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a picture: Tab passes it by (clicks still reach it)

    def _on_theme_changed(self, theme: Theme) -> None:
        if self.closed:  # pyqtgraph's close() has cleared the scene: nothing is left to colour
            return
        self.setBackground(theme.digit_frame)
        self._colour_items(theme)

    def _colour_items(self, theme: Theme) -> None:
        """What a subclass draws on the frame in the theme's colours (captions): nothing here."""


def image_area(min_height: int, graphics: DigitFrame | None = None,
               ) -> tuple[DigitFrame, pg.ViewBox, pg.ImageItem]:  # fmt: skip
    """A dark, fixed-aspect, non-interactive area showing one image (or a strip of them), in
    `graphics` if given (a subclass of DigitFrame, say)."""
    graphics = graphics if graphics is not None else DigitFrame()
    graphics.setMinimumHeight(min_height)
    graphics.ci.setContentsMargins(0, 0, 0, 0)
    view = graphics.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
    view.setMenuEnabled(False)
    item = pg.ImageItem(axisOrder="row-major")
    view.addItem(item)
    return graphics, view, item


def as_picture(image) -> np.ndarray:
    """An image as a picture to show: (height, width) or (height, width, 3); a flat 784 is a 28x28 digit,
    and a model's colour layout (3, height, width) is turned channels-last."""
    picture = np.asarray(image, np.float32)
    if picture.ndim == 1 or picture.shape == (1, 784):
        picture = picture.reshape(28, 28)
    if picture.ndim == 3 and picture.shape[0] == 3 and picture.shape[2] != 3:
        picture = np.ascontiguousarray(picture.transpose(1, 2, 0))
    if not (picture.ndim == 2 or (picture.ndim == 3 and picture.shape[2] == 3)):
        raise ValueError(f"A picture is (height, width) or (height, width, 3), not {picture.shape}.")
    return picture


class DigitView(QWidget):
    def __init__(self, title: str, object_name: str, parent=None, hint: str = " ", min_side: int = 150) -> None:
        """`hint` is the caption while there is no image (what to do to get one)."""
        super().__init__(parent)
        self.setObjectName(object_name)
        self._hint = hint
        self._title = QLabel(title)
        self._caption = QLabel(" ")
        self._caption.setObjectName(object_name + "Caption")
        self._graphics, view, self._item = image_area(min_side)
        self._graphics.setMinimumWidth(min_side)
        self._graphics.setAccessibleName(title)
        self._view = view
        self._side: tuple[int, ...] = ()
        self._image: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self._graphics, 1)
        layout.addWidget(self._caption)
        self.set_image(None)

    def set_image(self, image: np.ndarray | None, caption: str = " ") -> None:
        self._image = None if image is None else as_picture(image)
        shown = self._image if self._image is not None else np.zeros(self._side[:2] or (28, 28), np.float32)
        self._item.setImage(shown, levels=(0.0, 1.0), autoLevels=False)
        if shown.shape[:2] != self._side[:2]:  # another size of image: frame it whole
            self._side = shown.shape[:2]
            self._view.setRange(xRange=(0, shown.shape[1]), yRange=(0, shown.shape[0]), padding=0)
        self._caption.setText(self._hint if self._image is None and caption == " " else caption)

    def image(self) -> np.ndarray | None:
        return None if self._image is None else self._image.copy()

    def set_hint(self, hint: str) -> None:
        """The caption while there is no image."""
        if self._image is None and self._caption.text() == self._hint:
            self._caption.setText(hint)
        self._hint = hint

    def set_title(self, title: str) -> None:
        self._title.setText(title)
        self._graphics.setAccessibleName(title)

    def caption(self) -> str:
        return self._caption.text()
