"""Images side by side in one picture: the gallery's rows, strips, generated batches, contact sheets."""

from __future__ import annotations

import math

import numpy as np

from aegui.core.data.shapes import DIGIT_SHAPE, ImageShape, pictures, pixel_count, stored

GAP = 2
READABLE_SIDE = 56  # a contact sheet's images are enlarged to at least this many pixels
BACKGROUND = 0.25  # the window's tiles sit on grey; a contact sheet on black
CAPTION_WIDTH = 96  # pixels of caption text a cell of a captioned sheet holds at least


def tile(rows: list[np.ndarray], count: int | None = None, gap: int = GAP, background: float = BACKGROUND,
         shape: ImageShape = DIGIT_SHAPE) -> np.ndarray:  # fmt: skip
    """Rows of pictures ((n, height, width) grey or (n, height, width, 3) colour; flat images are read as
    `shape`) as one float picture, `count` images wide, with thin gaps."""
    rows = [as_pictures(images, shape) for images in rows]
    sample = next((images for images in rows if len(images)), None)
    item = sample.shape[1:] if sample is not None else pictures(np.zeros(pixel_count(shape)), shape).shape[1:]
    side_y, side_x = item[:2]
    count = count if count is not None else max((len(images) for images in rows), default=0)
    height = len(rows) * side_y + (len(rows) - 1) * gap
    width = count * side_x + (count - 1) * gap
    picture = np.full((max(height, 0), max(width, 0), *item[2:]), background, np.float32)
    for r, images in enumerate(rows):
        for c, image in enumerate(images[:count]):
            top, left = r * (side_y + gap), c * (side_x + gap)
            picture[top : top + side_y, left : left + side_x] = image
    return picture


def as_pictures(images: np.ndarray, shape: ImageShape = DIGIT_SHAPE) -> np.ndarray:
    """Pictures as they are, or flat images (N, pixels) made pictures of `shape` (default: 28x28 digits)."""
    images = np.asarray(images, np.float32)
    return pictures(images, shape) if images.ndim <= 2 else images


def grid(images: np.ndarray, columns: int | None = None, gap: int = GAP, background: float = BACKGROUND,
         shape: ImageShape = DIGIT_SHAPE) -> np.ndarray:  # fmt: skip
    """Pictures (see `tile`) in rows of `columns` (default: as square as it gets), as one picture."""
    images = as_pictures(images, shape)
    columns = columns or grid_columns(len(images))
    rows = [images[start : start + columns] for start in range(0, len(images), columns)]
    return tile(rows, columns, gap, background, shape)


def grid_columns(count: int) -> int:
    return max(1, math.ceil(math.sqrt(count)))


def grid_images(model, side: int) -> np.ndarray:
    """The manifold figure of a 2-value code: side*side images, rows top to bottom, shaped as `generate`'s."""
    from aegui.core.model.density import CodeDensity

    density = model.density or CodeDensity.standard_normal(2)
    return model.decode(density.quantile_grid(side)).reshape(-1, *stored(model.image_shape))


def contact_sheet(images: np.ndarray, columns: int | None = None, shape: ImageShape = DIGIT_SHAPE,
                  captions: list[str] | None = None):  # fmt: skip
    """Pictures in [0, 1] (see `tile`) side by side on a black sheet, as a Pillow image (RGB for colour);
    small images are enlarged (nearest neighbour) to at least READABLE_SIDE pixels, so they can be seen.
    `captions` (one per picture, lines split by newlines) are written under the pictures."""
    from PIL import Image

    images = as_pictures(images, shape)
    scale = max(1, -(-READABLE_SIDE // max(images.shape[1:3], default=READABLE_SIDE)))
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    if captions is not None and len(images):
        return _captioned_sheet(images, columns or grid_columns(len(images)), captions)
    picture = grid(images, columns, background=0.0)
    border = ((GAP, GAP), (GAP, GAP), *(((0, 0),) if picture.ndim == 3 else ()))  # black, as wide as the gaps
    return Image.fromarray(np.clip(np.rint(np.pad(picture, border) * 255), 0, 255).astype(np.uint8))


def _captioned_sheet(images: np.ndarray, columns: int, captions: list[str]):
    """Each picture over its caption, in cells wide enough for CAPTION_WIDTH pixels of text."""
    from PIL import Image, ImageDraw

    font = _caption_font()
    lines = [[_printable(line) for line in caption.splitlines()] for caption in captions]
    rows_of_text = max((len(caption) for caption in lines), default=0)
    line_height = _text_height(font) + 2
    height, width = images.shape[1:3]
    cell_width, cell_height = max(width, CAPTION_WIDTH), height + rows_of_text * line_height + GAP
    rows = -(-len(images) // columns)
    mode = "RGB" if images.ndim == 4 else "L"
    sheet = Image.new(mode, (GAP + columns * (cell_width + GAP), GAP + rows * (cell_height + GAP)), 0)
    draw = ImageDraw.Draw(sheet)
    for index, image in enumerate(images):
        left = GAP + (index % columns) * (cell_width + GAP)
        top = GAP + (index // columns) * (cell_height + GAP)
        pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
        sheet.paste(Image.fromarray(pixels).convert(mode), (left + (cell_width - width) // 2, top))
        for number, line in enumerate(lines[index] if index < len(lines) else []):
            text = _fitted(draw, line, font, cell_width)
            x = left + (cell_width - draw.textlength(text, font=font)) / 2  # centred under the picture
            draw.text((x, top + height + GAP + number * line_height), text, fill="white" if mode == "RGB" else 255,
                      font=font)  # fmt: skip
    return sheet


def _caption_font():
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=11)  # (Pillow 10.1+, with FreeType)
    except TypeError:
        return ImageFont.load_default()


def _text_height(font) -> int:
    _left, top, _right, bottom = font.getbbox("Ag#1")
    return bottom - min(top, 0)


def _printable(text: str) -> str:
    return "".join(character if character.isprintable() else "?" for character in text)


def _fitted(draw, text: str, font, width: int) -> str:
    """The text, cut short with '…' (its end kept: a file's name ends in what tells it apart) to fit `width`."""
    if draw.textlength(text, font=font) <= width:
        return text
    for cut in range(1, len(text)):
        shorter = "…" + text[cut:]
        if draw.textlength(shorter, font=font) <= width:
            return shorter
    return "…"


def save_contact_sheet(path, images: np.ndarray, columns: int | None = None, shape: ImageShape = DIGIT_SHAPE,
                       captions: list[str] | None = None) -> None:  # fmt: skip
    """`contact_sheet` written as a PNG over `path`, atomically (a WriteError says why not)."""
    from aegui.core.writes import write_with

    sheet = contact_sheet(images, columns, shape, captions)
    write_with(path, lambda out: sheet.save(out, format="PNG"), "the contact sheet")
