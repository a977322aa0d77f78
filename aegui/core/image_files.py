"""One image file as the model's input: read with Pillow (PNG, JPEG, BMP, WebP, TIFF, GIF) as grayscale
and fitted into 28x28 as a drawing is (`preprocessing.fit_image`). Numpy and Pillow only, so that the
processes that convert a folder of images start in a fraction of a second."""

from __future__ import annotations

import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from aegui.core.errors import AeguiError
from aegui.core.preprocessing import SIZE, fit_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")
MAX_PIXELS = 64_000_000  # a larger image is refused: decoding it could take gigabytes


class ImageFileError(AeguiError):
    """A file that cannot be read as an image; the message says why, without the path."""


def read_image(path: str | Path) -> np.ndarray:
    """An image file as grayscale float32 in [0, 1] (height, width); transparency, where there is some,
    is the ink. Raises ImageFileError with the reason when the file cannot be read as an image."""
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe would block the reader forever; a device, worse
            raise ImageFileError("is not a regular file")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageFileError(f"{image.width}x{image.height} pixels is too large")
                image.draft("L", (4 * SIZE, 4 * SIZE))  # JPEG: decode at a reduced size, far faster
                return _grayscale(ImageOps.exif_transpose(image))
    except ImageFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageFileError(f"is too large to read safely ({_short(error)})") from error
    except UnidentifiedImageError as error:
        raise ImageFileError("cannot be read as an image") from error
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as error:
        raise ImageFileError(f"cannot be read ({_short(error)})") from error


def _short(error: BaseException) -> str:
    text = str(error).replace(str(Path.cwd()), ".")
    return text if len(text) < 120 else text[:117] + "…"


WORKING_SIDE = 512  # larger images are reduced to this before fitting (a 28x28 result needs no more)


def _grayscale(image: Image.Image) -> np.ndarray:
    image.load()
    if max(image.size) > WORKING_SIDE and image.mode not in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "L")
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)  # before any float copy of it
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float: stretch to [0, 1]
        values = np.asarray(image, np.float64)
        low, high = float(values.min()), float(values.max())
        return ((values - low) / (high - low) if high > low else values * 0).astype(np.float32)
    if image.mode == "P":
        image = image.convert("RGBA")
    if "A" in image.getbands():
        alpha = np.asarray(image.getchannel("A"), np.float32) / 255.0
        if alpha.min() < 0.5:  # a drawing on a transparent background: what is opaque is the ink
            return alpha
    return np.asarray(image.convert("L"), np.float32) / 255.0


def image_to_input(path: str | Path) -> np.ndarray:
    """The 28x28 float32 model input in [0, 1] made from an image file, as the window's canvas makes it
    from an opened or dropped image: see `preprocessing.fit_image`."""
    return fit_image(read_image(path))


def fitted_uint8(path: str | Path) -> np.ndarray | str:
    """One file's fitted image as uint8, or why it cannot be used (a worker's job)."""
    try:
        return np.round(image_to_input(path) * 255).astype(np.uint8)
    except ImageFileError as error:
        return str(error)
