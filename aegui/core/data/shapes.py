"""An image's shape, (channels, height, width): what a model takes in and a dataset holds.

Grey images are kept as (N, height, width) and colour ones as (N, 3, height, width), uint8, as
torchvision keeps them; a model sees them flattened, channel after channel. Views show them as
(height, width) or (height, width, 3) pictures (`pictures`). Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from aegui.core.checks import ConfigError, whole
from aegui.core.errors import DataError
from aegui.core.words import possessive

ImageShape = tuple[int, int, int]
DIGIT_SHAPE: ImageShape = (1, 28, 28)
MIN_SIDE, MAX_SIDE = 8, 256
COLORS = ("auto", "rgb", "gray")
FITS = ("auto", "content", "whole")


@dataclass(frozen=True)
class Reading:
    """How a folder of images is read: its images' side (None: as suits them), colour (COLORS), fit (FITS) and
    labels file (None: as the folder gives them). The window's says what is asked for; a Dataset's, what was used
    (a photo set's: only its size; other data's: nothing)."""

    size: int | None = None
    colour: str = "auto"
    fit: str = "auto"
    labels: str | None = None

    def words(self) -> tuple[str, ...]:
        """The command-line options that read a folder so, "auto" and None left out: for example
        ("--size", "64", "--color", "rgb", "--fit", "whole")."""
        words = ("--size", str(self.size)) if self.size is not None else ()
        words += ("--color", self.colour) if self.colour != "auto" else ()
        words += ("--fit", self.fit) if self.fit != "auto" else ()
        return words + (("--labels", self.labels) if self.labels is not None else ())


AUTO_READING = Reading()  # everything as suits the images


def check_shape(value: Any, label: str = "The image shape") -> ImageShape:
    """(channels, height, width) if it is one aegui can model: 1 or 3 channels, sides 8 to 256."""
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ConfigError(f"{label} must be (channels, height, width), not {value!r}.")
    channels = whole(value[0], f"{label}'s channels", 1, 3)
    if channels == 2:
        raise ConfigError(f"{label} must have 1 channel (grey) or 3 (colour), not 2.")
    height, width = (whole(side, f"{label}'s sides", MIN_SIDE, MAX_SIDE) for side in value[1:])
    return channels, height, width


def pixel_count(shape: ImageShape) -> int:
    """Values per image: channels x height x width."""
    return shape[0] * shape[1] * shape[2]


def shape_of(images_shape: tuple[int, ...]) -> ImageShape:
    """The image shape of a stack of images shaped (N, height, width) or (N, channels, height, width)."""
    return (1, *images_shape[1:3]) if len(images_shape) == 3 else tuple(images_shape[1:4])  # type: ignore[return-value]


def stored(shape: ImageShape) -> tuple[int, ...]:
    """How one image of this shape is held: (height, width) when grey, (channels, height, width) in colour."""
    return shape[1:] if shape[0] == 1 else shape


def pictures(images: Any, shape: ImageShape) -> np.ndarray:
    """Images of this shape (flat, or stored) as pictures to show: float (N, height, width) when grey,
    (N, height, width, 3) in colour."""
    array = np.asarray(images, np.float32).reshape(-1, *shape)
    return array[:, 0] if shape[0] == 1 else np.ascontiguousarray(array.transpose(0, 2, 3, 1))


def picture(image: Any, shape: ImageShape) -> np.ndarray:
    """One image as a picture: (height, width) or (height, width, 3)."""
    return pictures(image, shape)[0]


def describe_shape(shape: ImageShape) -> str:
    """'28×28 grey' or '64×64 colour'."""
    return f"{shape[2]}×{shape[1]} {'colour' if shape[0] == 3 else 'grey'}"


def is_digit_pad(shape: ImageShape) -> bool:
    """Whether the canvas is a pen's digit pad for this model (grey 28x28, as MNIST's digits)."""
    return tuple(shape) == DIGIT_SHAPE


def check_fits(shape: ImageShape, dataset) -> None:
    """A DataError unless a model taking images of `shape` can train on (or score) `dataset`'s images."""

    if tuple(shape) != dataset.image_shape:
        raise DataError(f"This model takes {describe_shape(shape)} images, but {possessive(dataset.title)} are "
                        f"{describe_shape(dataset.image_shape)}. Make a new model for this data, or read the "
                        "folder at the model's size and colour.")  # fmt: skip
