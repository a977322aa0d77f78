"""One image file as the model's input: read with Pillow (any format it reads by itself), in grey or
colour, and fitted to a square size: by its content, as a drawing is (`preprocessing.fit_image`: digits
and other ink on paper), or whole (`preprocessing.fit_whole`: photos). Numpy and Pillow only, so that
the processes that convert a folder of images start in a fraction of a second."""

from __future__ import annotations

import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from aegui.core.data.preprocessing import SIZE, fit_content_colour, fit_image, fit_whole
from aegui.core.data.shapes import AUTO_READING, Reading
from aegui.core.errors import AeguiError

# What Pillow does not read by itself, or reads by running another program: PostScript (Ghostscript runs it),
# video, Windows metafiles, and the scientific containers its stub plugins only recognise.
NOT_READ = frozenset((".eps", ".ps", ".mpg", ".mpeg", ".wmf", ".emf", ".h5", ".hdf", ".bufr", ".grib"))


def _readable_suffixes() -> tuple[str, ...]:
    """Every image file name ending Pillow opens (PNG, JPEG, BMP, WebP, TIFF, GIF, PGM/PPM/PBM, TGA, …)."""
    Image.init()
    opened = {suffix for suffix, kind in Image.registered_extensions().items() if kind in Image.OPEN}
    return tuple(sorted(opened - NOT_READ))


IMAGE_SUFFIXES = _readable_suffixes()
MAX_PIXELS = 64_000_000  # a larger image is refused: decoding it could take gigabytes
ORIENTATION = 0x0112  # the EXIF tag saying how a photo is turned


class ImageFileError(AeguiError):
    """A file that cannot be read as an image; the message says why, without the path."""


@dataclass(frozen=True)
class Fitting:
    """How image files become a model's inputs: `size` x `size`, in colour (`color`) or grey, fitted by
    their content or whole (`fit`). The default is the digit pad's: 28x28 grey by content."""

    size: int = SIZE
    color: bool = False
    fit: str = "content"  # "content" or "whole"

    @property
    def shape(self) -> tuple[int, int, int]:
        return (3 if self.color else 1, self.size, self.size)

    def describe(self) -> str:
        """'28×28 grey, fitted by content'."""
        how = "by content" if self.fit == "content" else "whole"
        return f"{self.size}×{self.size} {'colour' if self.color else 'grey'}, fitted {how}"


DIGITS = Fitting()


def fitting_for(shape: tuple[int, int, int], reading: Reading = AUTO_READING) -> Fitting:
    """How to fit an image for a model taking `shape`: as its data's folder was read (`reading`: a Dataset's,
    its fit), else whole, as a photo; a digit model's by content, as MNIST's digits."""
    digits = tuple(shape) == DIGITS.shape
    fit = reading.fit if reading.fit != "auto" else ("content" if digits else "whole")
    return Fitting(shape[1], shape[0] == 3, fit)


def read_image(path: str | Path, color: bool = False) -> np.ndarray:
    """An image file as float32 in [0, 1]: grey (height, width), or with `color` (height, width, 3); in
    grey, transparency, where there is some, is the ink (in colour, transparent parts are black). Raises
    ImageFileError with the reason when the file cannot be read as an image."""
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe would block the reader forever; a device, worse
            raise ImageFileError("is not a regular file")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageFileError(f"{image.width}x{image.height} pixels is too large")
                image.draft("RGB" if color else "L", (4 * SIZE, 4 * SIZE))  # JPEG: decode reduced, far faster
                if image.getexif().get(ORIENTATION, 1) != 1:  # (exif_transpose copies even an upright image)
                    image = ImageOps.exif_transpose(image)
                return _colour(image) if color else _grayscale(image)
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


WORKING_SIDE = 512  # larger images are reduced to this before fitting (a 256x256 result needs no more)


def _colour(image: Image.Image) -> np.ndarray:
    image.load()
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float: as grey, repeated
        return np.repeat(_grayscale(image)[..., None], 3, axis=2)
    if max(image.size) > WORKING_SIDE and image.mode in ("RGB", "RGBA", "L", "LA"):
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)  # first: no full-size copy is made
    if image.mode in ("P", "LA", "PA") or "A" in image.getbands():
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size)
        image.paste(rgba, mask=rgba.getchannel("A"))
    image = image.convert("RGB")
    if max(image.size) > WORKING_SIDE:
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)  # before any float copy of it
    return np.asarray(image, np.float32) / 255.0


def _grayscale(image: Image.Image) -> np.ndarray:
    image.load()
    if max(image.size) > WORKING_SIDE and image.mode in ("RGB", "RGBA", "L", "LA"):
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)  # first: no full-size copy is made
    if max(image.size) > WORKING_SIDE and image.mode not in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "L")
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)  # before any float copy of it
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float: stretch to [0, 1]
        return _stretched(image)
    if image.mode == "P":
        image = image.convert("RGBA")
    if "A" in image.getbands():
        alpha = np.asarray(image.getchannel("A"), np.float32) / 255.0
        if alpha.min() < 0.5:  # a drawing on a transparent background: what is opaque is the ink
            return alpha
    return np.asarray(image.convert("L"), np.float32) / 255.0


def _stretched(image: Image.Image) -> np.ndarray:
    """A 16-bit, 32-bit or float grey image as float32, stretched from its lowest value (0) to its highest (1),
    reduced to WORKING_SIDE in Pillow first (area-averaged, at 16 or 32 bits): no float copy of a large image is
    made (a 7999x7999 16-bit PNG took 1.5 GB so)."""
    low, high = image.getextrema()  # (of the whole image, as before: reducing first changes no value's place)
    if max(image.size) > WORKING_SIDE:
        scale = WORKING_SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        try:
            image = image.resize(size, Image.Resampling.BOX)
        except ValueError:  # a 16-bit layout Pillow cannot resample: as 32-bit integers
            image = image.convert("I").resize(size, Image.Resampling.BOX)
    values = np.asarray(image, np.float64)
    if not (np.isfinite(low) and np.isfinite(high)):  # a float image with NaN or infinities: its finite values
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if not high > low:
        return np.zeros(values.shape, np.float32)
    return np.clip((values - low) / (high - low), 0.0, 1.0).astype(np.float32)


def image_to_input(path: str | Path, fitting=DIGITS) -> np.ndarray:
    """The float32 model input in [0, 1] made from an image file, as the window's canvas makes it from an
    opened or dropped image: (size, size) grey or (3, size, size) colour; by default 28x28 grey fitted
    as a digit is (see `preprocessing.fit_image`). `fitting`: a Fitting, or a model (or its image shape)
    to fit the image for."""
    if not isinstance(fitting, Fitting):
        fitting = fitting_for(tuple(getattr(fitting, "image_shape", fitting)))
    return fit(read_image(path, fitting.color), fitting)


def fit(pixels: np.ndarray, fitting: Fitting) -> np.ndarray:
    """An image as `read_image` gives it, fitted: (size, size) grey or (3, size, size) colour."""
    if not fitting.color:
        return fit_image(pixels, fitting.size) if fitting.fit == "content" else fit_whole(pixels, fitting.size)
    fitted = fit_content_colour(pixels, fitting.size) if fitting.fit == "content" else fit_whole(pixels, fitting.size)
    return np.ascontiguousarray(fitted.transpose(2, 0, 1))


def fitted_uint8(path: str | Path, fitting: Fitting = DIGITS) -> np.ndarray | str:
    """One file's fitted image as uint8, or why it cannot be used (a worker's job)."""
    try:
        return np.round(image_to_input(path, fitting) * 255).astype(np.uint8)
    except ImageFileError as error:
        return str(error)
