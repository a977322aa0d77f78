"""Turning pen strokes into a 28×28 image the way MNIST's digits were made.

MNIST: each digit was scaled so that its longer side is 20 pixels (keeping the aspect ratio,
anti-aliased), then placed in a 28×28 field with its centre of mass at the centre. Here the strokes
are drawn as round-capped lines of the canvas's brush width, so the "ink" is exactly what the canvas
shows, and rendered with 8× supersampling for anti-aliasing (Pillow draws the lines, in C).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

SIZE = 28  # the image side
BOX = 20  # the longer side of the digit inside it
CENTRE = 14.0  # where the centre of mass goes, in pixel-index coordinates (as in MNIST)
SUPERSAMPLE = 8
MARGIN = 8  # room around the 28×28 field for moving the centre of mass
BRUSH_FRACTION = 0.08  # brush width as a fraction of the canvas's shorter side

Stroke = Sequence[Sequence[float]]


def brush_width(canvas_size: int | tuple[int, int]) -> float:
    """The pen width, in canvas pixels, that suits a canvas of this size."""
    width, height = _canvas_dims(canvas_size)
    return max(1.0, BRUSH_FRACTION * min(width, height))


def _canvas_dims(canvas_size: int | tuple[int, int]) -> tuple[float, float]:
    if isinstance(canvas_size, (int, float, np.integer, np.floating)):
        return float(canvas_size), float(canvas_size)
    width, height = canvas_size
    return float(width), float(height)


def clean_strokes(strokes: Iterable[Stroke]) -> list[np.ndarray]:
    """Strokes as float arrays (n, 2), with non-finite points and empty strokes dropped."""
    cleaned = []
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2) if len(stroke) else np.empty((0, 2))
        points = points[np.isfinite(points).all(axis=1)]
        if len(points):
            cleaned.append(points)
    return cleaned


def _render(strokes: list[np.ndarray], radius: float, offset: np.ndarray, size: int) -> Image.Image:
    """Round-capped thick polylines (in output-pixel units, shifted by offset), supersampled."""
    scale = SUPERSAMPLE
    canvas = Image.new("L", (size * scale, size * scale), 0)
    draw = ImageDraw.Draw(canvas)
    r = max(radius * scale, 0.5)
    width = max(1, round(2 * r))
    for points in strokes:
        xy = (points + offset) * scale
        # drop points closer than a quarter of a pixel to the previous one: same ink, far less work
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(np.round(xy * 4 / scale), axis=0)) > 0, axis=1)
        xy = xy[keep]
        for x, y in (xy[0], xy[-1]):  # round caps
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
        if len(xy) > 1:
            draw.line([tuple(p) for p in xy], fill=255, width=width, joint="curve")
    return canvas


def strokes_to_image(
    strokes: Iterable[Stroke], canvas_size: int | tuple[int, int], width: float | None = None
) -> np.ndarray:
    """A (28, 28) float32 image in [0, 1], white digit on black, from strokes drawn on a canvas.

    `strokes` is a list of strokes, each a sequence of (x, y) canvas pixels, y pointing down;
    `canvas_size` is an int or (width, height) and sets the brush width (see `brush_width`),
    unless `width` gives it. No ink gives an all-zero image.
    """
    cleaned = clean_strokes(strokes)
    if not cleaned:
        return np.zeros((SIZE, SIZE), dtype=np.float32)
    radius = (width if width is not None else brush_width(canvas_size)) / 2.0
    origin = np.concatenate(cleaned).min(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        # relative to the ink's corner first, so that huge coordinates keep their precision
        relative = [stroke - origin for stroke in cleaned]
        extent = np.concatenate(relative).max(axis=0) + 2 * radius
        scale = BOX / float(extent.max())
    if not (np.isfinite(extent).all() and np.isfinite(scale) and scale > 0):
        return np.zeros((SIZE, SIZE), dtype=np.float32)  # a drawing too vast to scale: nothing to show
    scaled = [(stroke + radius) * scale for stroke in relative]
    # Draw once, with a margin, then crop so that the centre of mass lands on the centre.
    field = SIZE + 2 * MARGIN
    big = _render(scaled, radius * scale, (field - extent * scale) / 2.0, field)
    return centre_by_mass(big)


def centre_by_mass(big: Image.Image, size: int = SIZE) -> np.ndarray:
    """The size x size float32 image cut from a supersampled field of ink (8x, the digit in its middle) so
    that the centre of mass lands on the centre, as MNIST's digits were placed; no ink gives zeros."""
    small = np.asarray(big.reduce(SUPERSAMPLE), dtype=np.float64)
    mass = small.sum()
    if mass <= 0:
        return np.zeros((size, size), dtype=np.float32)
    rows, cols = np.indices(small.shape)
    centre_of_mass = np.array([(small * cols).sum(), (small * rows).sum()]) / mass
    left, top = np.round((centre_of_mass - CENTRE * size / SIZE) * SUPERSAMPLE).astype(int)
    side = size * SUPERSAMPLE
    cropped = big.crop((left, top, left + side, top + side))  # outside the image counts as black
    return np.asarray(cropped.reduce(SUPERSAMPLE), dtype=np.float32) / 255.0


CONTENT_LEVEL = 0.2  # ink above this share of the image's contrast counts as content when cropping
MIN_CONTENT_SIDE = 6  # source pixels: content smaller than this is a speck, not something to enlarge
MAX_ENLARGEMENT = 8.0  # content is enlarged at most this much beyond the whole image's fitting


def fit_image(pixels: np.ndarray, size: int = SIZE) -> np.ndarray:
    """A grayscale image of any size (values in [0, 1]) fitted as MNIST's digits were: a light
    background inverted so that the object is bright on dark, the contrast stretched from the
    background to the brightest pixel, cropped to its content, scaled (keeping the aspect ratio) so its
    longer side is 20/28 of `size` (20 pixels in 28), and placed by its centre of mass in size x size, as
    `strokes_to_image` does. A photo (faint, or not `is_ink`) is fitted whole instead (`fit_whole`). Specks
    are not blown up: content under MIN_CONTENT_SIDE pixels keeps the whole image's scale, and no content is
    enlarged more than MAX_ENLARGEMENT times beyond it. A blank image (no contrast) gives zeros."""
    gray = np.nan_to_num(np.asarray(pixels, np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected one grayscale image (height, width), got shape {gray.shape}")
    background = float(np.median(_border(gray)))
    if background > 0.5:  # dark on light, as on paper: invert
        gray, background = 1.0 - gray, 1.0 - background
    contrast = float(gray.max()) - background
    if contrast < 1.0 / 64:
        return np.zeros((size, size), dtype=np.float32)
    ink = np.clip((gray - background) / contrast, 0.0, 1.0)
    if contrast < MIN_INK_CONTRAST or not is_ink(ink):  # a photo, not strokes on a plain ground: fitted whole
        return fit_whole(pixels, size)
    rows = np.flatnonzero((ink > CONTENT_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > CONTENT_LEVEL).any(axis=0))
    content = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = BOX * size / SIZE * SUPERSAMPLE
    whole_scale = box / max(ink.shape)
    longest = max(content.shape)
    scale = whole_scale if longest < MIN_CONTENT_SIDE else min(box / longest, MAX_ENLARGEMENT * whole_scale)
    height, width = content.shape
    fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
    picture = Image.fromarray(np.round(content * 255).astype(np.uint8)).resize(fitted, Image.Resampling.BILINEAR)
    field = round((size + 2 * MARGIN * size / SIZE) * SUPERSAMPLE)
    big = Image.new("L", (field, field), 0)
    big.paste(picture, ((field - fitted[0]) // 2, (field - fitted[1]) // 2))
    return centre_by_mass(big, size)


MIN_INK_CONTRAST = 0.15  # fainter "ink" is a plain photo's noise: stretched, it would be blown up
INK_MIDTONES = 0.2  # a stretched image with more of its pixels between 0.2 and 0.8 is a photo, not ink


def is_ink(stretched: np.ndarray) -> bool:
    """Whether an image, its contrast stretched from the background (0) to its brightest (1), is strokes on a
    plain ground: most pixels are ground or ink, few are in between (the ink's edges). A photo's are spread
    over the whole range. Paper photographed in dim light is still ink: the stretch takes the paper to 0."""
    return float(((stretched > 0.2) & (stretched < 0.8)).mean()) <= INK_MIDTONES


def _border(image: np.ndarray) -> np.ndarray:
    """The values along an image's four edges ((n,) grey or (n, 3) colour)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def fit_whole(pixels: np.ndarray, size: int) -> np.ndarray:
    """An image ((height, width) grey or (height, width, 3) colour, in [0, 1]) fitted whole, as photos are:
    nothing cropped or inverted, the longer side made `size` (area-averaged) and the shorter one padded with
    the colour of the image's edges, centred."""
    image = np.nan_to_num(np.asarray(pixels, np.float32), nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)
    if image.ndim not in (2, 3) or image.size == 0 or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"expected one image (height, width) or (height, width, 3), got shape {image.shape}")
    edge = np.median(_border(image), axis=0)
    height, width = image.shape[:2]
    scale = size / max(height, width)
    fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
    picture = Image.fromarray(np.round(image * 255).astype(np.uint8)).resize(fitted, Image.Resampling.BOX)
    fill = tuple(round(float(v) * 255) for v in np.atleast_1d(edge))
    out = Image.new(picture.mode, (size, size), fill if len(fill) > 1 else fill[0])
    out.paste(picture, ((size - fitted[0]) // 2, (size - fitted[1]) // 2))
    return np.asarray(out, np.float32) / 255.0


def fit_content_colour(pixels: np.ndarray, size: int) -> np.ndarray:
    """A colour image (height, width, 3) cropped to its content (what differs from the edges' colour, with
    a margin as MNIST leaves one) and then fitted whole: objects on a plain background. Nothing is
    inverted; specks are not blown up (see `fit_image`)."""
    image = np.nan_to_num(np.asarray(pixels, np.float32), nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)
    difference = np.abs(image - np.median(_border(image), axis=0)).max(axis=2)
    contrast = float(difference.max())
    if contrast < 1.0 / 64:
        return fit_whole(image, size)
    content = difference > CONTENT_LEVEL * contrast
    rows, cols = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    side = max(height, width) * SIZE / BOX  # (the margin: 20 pixels of content in 28)
    side = max(side, max(image.shape[:2]) / MAX_ENLARGEMENT, MIN_CONTENT_SIDE * SIZE / BOX)
    centre_y, centre_x = (rows[0] + rows[-1] + 1) / 2, (cols[0] + cols[-1] + 1) / 2
    top, left = round(centre_y - side / 2), round(centre_x - side / 2)
    bottom, right = top + round(side), left + round(side)
    padded = np.pad(image, ((max(0, -top), max(0, bottom - image.shape[0])),
                            (max(0, -left), max(0, right - image.shape[1])), (0, 0)), mode="edge")  # fmt: skip
    top, left = max(0, top), max(0, left)
    return fit_whole(padded[top : top + round(side), left : left + round(side)], size)


def strokes_over_image(strokes: Iterable[Stroke], canvas_size: int | tuple[int, int], image: np.ndarray,
                       ink: tuple[float, float, float] | None = None) -> np.ndarray:  # fmt: skip
    """Strokes drawn over an image that fills the canvas: (height, width) grey, where the ink is the
    brighter of the image and the ink (white), or (height, width, 3) colour, painted in `ink` (RGB in
    [0, 1]; default white).

    The canvas maps straight onto the image (no fitting, unlike `strokes_to_image`), so the image
    stays exactly as it was and the ink lands where it was drawn on it.
    """
    base = np.asarray(image, np.float32)
    if base.ndim == 1:
        base = base.reshape(SIZE, SIZE)
    cleaned = clean_strokes(strokes)
    if not cleaned:
        return base.copy()
    height, width = base.shape[:2]
    canvas_width, canvas_height = _canvas_dims(canvas_size)
    scale_x, scale_y = width / canvas_width, height / canvas_height
    side = max(height, width)
    scaled = [stroke * np.array([scale_x, scale_y]) for stroke in cleaned]
    radius = brush_width(canvas_size) / 2.0 * min(scale_x, scale_y)
    coverage = np.asarray(_render(scaled, radius, np.zeros(2), side).reduce(SUPERSAMPLE), np.float32)[:height, :width]
    coverage = coverage / 255.0
    if base.ndim == 2:
        return np.maximum(base, coverage)
    colour = np.asarray(ink if ink is not None else (1.0, 1.0, 1.0), np.float32)
    return base * (1.0 - coverage[..., None]) + colour * coverage[..., None]
