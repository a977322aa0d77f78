"""How a folder's images are read: the size, colour and fit that suit them (`choose_fitting`), labels from a CSV
file (`read_labels`), and the report of what was read and skipped (`ImageFolderReport`). Numpy and Pillow only."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aegui.core.data.datasets import DataError
from aegui.core.data.image_files import DIGITS, Fitting, ImageFileError, read_image
from aegui.core.data.preprocessing import SIZE
from aegui.core.data.shapes import COLORS, FITS, MAX_SIDE, MIN_SIDE
from aegui.core.errors import AeguiError
from aegui.core.safe_text import terminal_text
from aegui.core.writes import readable_file

PHOTO_SIZE = 32  # the side photos are read at unless told (digit-like folders: 28)
SAMPLED_FOR_CHOICE = 24  # images looked at to tell colour from grey and photos from ink
COLOURFUL = 0.04  # median of the images' mean (max - min channel): above it, the folder has colour
INK_MIDTONES = 0.3  # median share of mid-grey pixels: below it, the images are ink on a plain ground


MAX_LABELS_BYTES = 256 << 20  # a labels file for millions of images; beyond, not one


@dataclass
class ImageFolderReport:
    """What reading a folder found, beside the dataset: the files skipped and why."""

    folder: Path
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path relative to the folder, why)
    from_cache: bool = False
    layout: str = ""  # which folders gave the training and test images, and what was left unused
    fitting: Fitting = DIGITS
    fitting_reason: str = ""  # why this size, colour and fit, when they were chosen for the person

    def describe_reading(self) -> str:
        """'Read as 32×32 colour, fitted whole (the images are colour photos).' and the layout, one line."""
        reason = f" ({self.fitting_reason})" if self.fitting_reason else ""
        return terminal_text(f"{self.layout} Read as {self.fitting.describe()}{reason}.".lstrip())

    def describe(self, shown: int = 5) -> str:
        """'3 files skipped: a.png (cannot be read as an image), …' or ''."""
        if not self.skipped:
            return ""
        count = len(self.skipped)
        listed = terminal_text(", ".join(f"{name} ({why})" for name, why in self.skipped[:shown]))
        more = f" and {count - shown} more" if count > shown else ""
        return f"{count} file{'s' if count != 1 else ''} skipped: {listed}{more}."


def read_labels(path: str | Path) -> dict[str, str]:
    """A labels file: one `file,label` row per image (a header row is allowed), the file relative to the
    image folder or just its name. DataError when it cannot be read or holds no labels."""
    path = Path(path).expanduser()
    try:
        readable_file(path, "the labels file")  # a named pipe would make the reading wait forever
    except AeguiError as error:
        raise DataError(str(error)) from None
    if path.stat().st_size > MAX_LABELS_BYTES:
        raise DataError(f"The labels file {path} is {path.stat().st_size:,} bytes long; a labels file of `file,label` "
                        f"rows takes at most {MAX_LABELS_BYTES:,}.")  # fmt: skip
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, csv.Error) as error:
        raise DataError(f"Cannot read the labels file {path}: {getattr(error, 'strerror', None) or error}.") from error
    if rows and rows[0][0].strip().lower() in ("file", "filename", "file_name", "path", "image", "name", "id"):
        rows = rows[1:]
    bad = next((number for number, row in enumerate(rows, 1) if len(row) < 2 or not row[1].strip()), None)
    if bad is not None:
        raise DataError(f"The labels file {path} has a row without a label (data row {bad}); each row must be "
                        "`file,label`.")  # fmt: skip
    labels = {row[0].strip().replace("\\", "/").lstrip("./"): row[1].strip() for row in rows}
    if not labels:
        raise DataError(f"The labels file {path} holds no `file,label` rows.")
    return labels


def label_of(relative: str, labels: dict[str, str]) -> str | None:
    """A file's label from a labels file: by its path in the folder, else by its name (with or without its
    suffix, as Kaggle's files often list ids)."""
    relative = relative.replace(os.sep, "/")
    name = relative.rsplit("/", 1)[-1]
    for key in (relative, name, os.path.splitext(name)[0]):
        if key in labels:
            return labels[key]
    return None


def choose_fitting(paths: Sequence[str], size: int | None = None, color: str = "auto",
                   fit: str = "auto") -> tuple[Fitting, str]:  # fmt: skip
    """The size, colour and fit for these image files, with what was chosen for the person and why: those
    given are kept; for "auto" (and size None) a few images are looked at. Colour when they have colour;
    digit-like images (grey ink on a plain ground, few mid-greys) are read as MNIST's digits were, 28x28
    by content; photos whole, at PHOTO_SIZE."""
    if color not in COLORS or fit not in FITS:
        raise DataError(f"Colour must be one of {', '.join(COLORS)} and fit one of {', '.join(FITS)}.")
    if size is not None and not (isinstance(size, int) and MIN_SIDE <= size <= MAX_SIDE):
        raise DataError(f"The image size must be a whole number from {MIN_SIDE} to {MAX_SIDE}, not {size!r}.")
    if color != "auto" and fit != "auto" and size is not None:
        return Fitting(size, color == "rgb", fit), ""
    chroma, midtones = [], []
    step = max(1, len(paths) // SAMPLED_FOR_CHOICE)
    for path in list(paths)[::step][:SAMPLED_FOR_CHOICE]:
        try:
            pixels = read_image(path, color=True)
        except ImageFileError:
            continue
        chroma.append(float((pixels.max(axis=2) - pixels.min(axis=2)).mean()))
        grey = pixels.mean(axis=2)
        midtones.append(float(((grey > 0.15) & (grey < 0.85)).mean()))
    # ink first: a digit in blue ink on cream paper has a tint, not colour that matters
    ink = bool(midtones) and float(np.median(midtones)) < INK_MIDTONES
    colourful = not ink and bool(chroma) and float(np.median(chroma)) > COLOURFUL
    kind = "the images have colour" if colourful else "the images are ink on a plain ground" if ink else \
        "the images are grey photos"  # fmt: skip
    chosen = Fitting(size if size is not None else SIZE if ink else PHOTO_SIZE,
                     colourful if color == "auto" else color == "rgb",
                     ("content" if ink else "whole") if fit == "auto" else fit)  # fmt: skip
    return chosen, kind
