"""The lesson's figure: ten test images (named by their class), their reconstructions beneath; a click on a
column asks for that test image (`imageClicked`)."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent

from aegui.core.analysis.inference import InferenceModel
from aegui.core.analysis.mosaic import GAP, tile
from aegui.core.data.augment import add_noise
from aegui.core.data.shapes import pictures, shape_of
from aegui.core.model.configs import TrainConfig
from aegui.core.model.steps import to_float
from aegui.gui.theme.themes import Theme, themes
from aegui.gui.widgets.clicks import clicked_index, widget_point
from aegui.gui.widgets.digit_view import DigitFrame
from aegui.gui.widgets.plots import pg

COUNT = 10


class ReconstructionGallery(DigitFrame):
    imageClicked = Signal(int)  # the index of the test image whose column was clicked (any of its rows)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("reconstructionGallery")
        self.setMinimumHeight(90)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click a test image (or what the model makes of it) to see the images most similar to "
                        "it on the Explore tab; it goes onto the canvas too.")  # fmt: skip
        self._label = self.addLabel("test images over their reconstructions", row=0, col=0,
                                    color=themes().theme.digit_caption)  # fmt: skip
        self._view = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False)
        self._view.setMenuEnabled(False)
        self._item = pg.ImageItem(axisOrder="row-major")
        self._view.addItem(self._item)
        self._picture = tile([np.zeros((COUNT, 28, 28))] * 2, COUNT)
        self._item.setImage(self._picture, levels=(0.0, 1.0), autoLevels=False)
        self._view.autoRange(padding=0)
        self.updates = 0
        self.rows = 2
        self.count = 0  # the test images shown (the columns that can be clicked)

    def show_images(
        self,
        originals: np.ndarray,
        reconstructions: np.ndarray | None,
        noisy: np.ndarray | None = None,
        names: list[str] | None = None,
    ) -> None:
        """Test images over their reconstructions; with `noisy`, the denoiser's inputs in between;
        `names`, the test images' classes, left to right, go into the caption."""
        rebuilt = reconstructions if reconstructions is not None else np.zeros_like(originals)
        rows = [originals, rebuilt] if noisy is None else [originals, noisy, rebuilt]
        shown = f"test images ({', '.join(names)})" if names else "test images"
        caption = (f"{shown} over their reconstructions" if noisy is None else
                   f"{shown}, the noisy inputs the model gets, and its clean outputs")  # fmt: skip
        self._label.setText(caption)
        shape = self._picture.shape
        self._picture = tile(rows, COUNT)
        self.count = min(len(originals), COUNT)
        self._item.setImage(self._picture, levels=(0.0, 1.0), autoLevels=False)
        if len(rows) != self.rows or self._picture.shape != shape:  # a row more, or other images: show it all
            self.rows = len(rows)
            self._view.autoRange(padding=0)
        self.updates += 1

    def show_originals(self, test_images: torch.Tensor, caption: str) -> None:
        """The first test images (uint8) alone, no model's output under them, and why (`caption`)."""
        self._label.setText(caption)
        shape = self._picture.shape
        self._picture = tile([pictures(to_float(test_images[:COUNT]).numpy(), shape_of(tuple(test_images.shape)))],
                             COUNT)  # fmt: skip
        self._item.setImage(self._picture, levels=(0.0, 1.0), autoLevels=False)
        self.count = min(len(test_images), COUNT)
        if self.rows != 1 or self._picture.shape != shape:
            self.rows = 1
            self._view.autoRange(padding=0)
        self.updates += 1

    def show_model(self, test_images: torch.Tensor, inference: InferenceModel | None,
                   train_config: TrainConfig | None, names: list[str] | None = None) -> None:  # fmt: skip
        """The first test images (uint8, their classes' `names`) and what `inference` makes of them; when
        the model is a denoiser, also the noisy inputs it is given (with a fixed seed, so they do not
        flicker)."""
        shape = shape_of(tuple(test_images.shape))
        clean = to_float(test_images[:COUNT])
        noisy = None
        if train_config is not None and train_config.denoising:
            generator = torch.Generator().manual_seed(0)
            noisy = add_noise(clean, train_config.noise, train_config.noise_level, generator)
        reconstructions = inference.reconstruct_many(clean if noisy is None else noisy) if inference else None
        self.show_images(pictures(clean.numpy(), shape), reconstructions,
                         None if noisy is None else pictures(noisy.numpy(), shape), names)  # fmt: skip

    def _colour_items(self, theme: Theme) -> None:
        self._label.setText(self._label.text, color=theme.digit_caption)

    def shown_area(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The (x, y) ranges in view, in picture pixels."""
        x_range, y_range = self._view.viewRange()
        return tuple(x_range), tuple(y_range)

    def _side(self) -> tuple[float, float]:
        """One image's (height, width) in picture pixels (the picture is COUNT wide, `rows` high, with gaps)."""
        height, width = self._picture.shape[:2]
        return (height - (self.rows - 1) * GAP) / self.rows, (width - (COUNT - 1) * GAP) / COUNT

    def index_at(self, x: float, y: float) -> int | None:
        """The test image whose column holds picture coordinates (x, y), or None (a gap, outside, no image)."""
        side_y, side_x = self._side()
        column, row = int(x // (side_x + GAP)), int(y // (side_y + GAP))
        if x < 0 or y < 0 or x - column * (side_x + GAP) >= side_x or y - row * (side_y + GAP) >= side_y:
            return None
        return column if column < self.count and row < self.rows else None

    def centre_of(self, index: int, row: int = 0) -> tuple[float, float]:
        """Where test image `index` (or, in a later `row`, what the model makes of it) is, in widget pixels
        (for tests and scripts that click it)."""
        side_y, side_x = self._side()
        return widget_point(self, self._view, index * (side_x + GAP) + side_x / 2, row * (side_y + GAP) + side_y / 2)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = clicked_index(self, self._view, event, self.index_at)
        if index is not None:
            self.imageClicked.emit(index)

    def caption(self) -> str:
        return self._label.text

    def picture(self) -> np.ndarray:
        return self._picture.copy()
