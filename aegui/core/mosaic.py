"""Digits side by side in one picture: the gallery's rows, strips, generated batches, contact sheets."""

from __future__ import annotations

import math

import numpy as np

GAP = 2
BACKGROUND = 0.25  # the window's tiles sit on grey; a contact sheet on black


def tile(rows: list[np.ndarray], count: int | None = None, gap: int = GAP,
         background: float = BACKGROUND) -> np.ndarray:  # fmt: skip
    """Rows of (n, 28, 28) images as one float picture, `count` images wide, with thin gaps."""
    count = count if count is not None else max((len(images) for images in rows), default=0)
    height = len(rows) * 28 + (len(rows) - 1) * gap
    width = count * 28 + (count - 1) * gap
    picture = np.full((max(height, 0), max(width, 0)), background, np.float32)
    for r, images in enumerate(rows):
        for c, image in enumerate(images[:count]):
            top, left = r * (28 + gap), c * (28 + gap)
            picture[top : top + 28, left : left + 28] = np.asarray(image, np.float32).reshape(28, 28)
    return picture


def grid(images: np.ndarray, columns: int | None = None, gap: int = GAP, background: float = BACKGROUND) -> np.ndarray:
    """(N, 28, 28) images in rows of `columns` (default: as square as it gets), as one picture."""
    columns = columns or grid_columns(len(images))
    rows = [images[start : start + columns] for start in range(0, len(images), columns)]
    return tile(rows, columns, gap, background)


def grid_columns(count: int) -> int:
    return max(1, math.ceil(math.sqrt(count)))


def grid_images(model, side: int) -> np.ndarray:
    """The manifold figure of a 2-value code: (side*side, 28, 28), rows top to bottom."""
    from aegui.core.density import CodeDensity

    density = model.density or CodeDensity.standard_normal(2)
    return model.decode(density.quantile_grid(side)).reshape(-1, 28, 28)


def contact_sheet(images: np.ndarray, columns: int | None = None):
    """The images (N, 28, 28) in [0, 1] side by side on a black sheet, as a Pillow image."""
    from PIL import Image

    picture = np.pad(grid(images, columns, background=0.0), GAP)  # a black border as wide as the gaps
    return Image.fromarray(np.clip(np.rint(picture * 255), 0, 255).astype(np.uint8))


def save_contact_sheet(path, images: np.ndarray, columns: int | None = None) -> None:
    """`contact_sheet` written as a PNG over `path`, atomically (a WriteError says why not)."""
    from aegui.core.writes import write_with

    sheet = contact_sheet(images, columns)
    write_with(path, lambda out: sheet.save(out, format="PNG"), "the contact sheet")
