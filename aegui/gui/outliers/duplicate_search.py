"""In a worker, for the Outliers tab's Near-duplicates mode: every image of the data described once by a copy of
the model (`describe`, cancellable between blocks), then the pairs at a closeness (`search`: a new closeness costs
only this), with what the table shows of the first SHOWN pairs and which image of each group is kept by default:
the one with the most pixels, then the largest file, then the first by name (a copy is most often the smaller,
more compressed one). No Qt."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aegui.core.analysis.codes import CHUNK, Collection, collection
from aegui.core.analysis.duplicates import THUMBNAIL, Duplicates, duplicate_features, find_duplicates
from aegui.core.analysis.outliers import Cancelled
from aegui.core.data.datasets import IMAGES, Dataset
from aegui.core.data.image_files import fitting_for
from aegui.core.data.shapes import pictures

SHOWN = 300  # pairs shown in the table (the nearest groups first)
PICTURE = 96  # the side a file's picture is read at


@dataclass(frozen=True)
class Described:
    """Every image of the data by the two descriptions near-duplicates are told by; `folder` where they are files."""

    found: Collection
    features: tuple[np.ndarray, np.ndarray]
    folder: Path | None
    image_shape: tuple[int, int, int]


@dataclass(frozen=True)
class Search:
    """The pairs at one closeness, and what the table shows of the first `shown` of them."""

    described: Described
    pairs: Duplicates
    shown: int
    pictures: dict[int, np.ndarray]  # an image's position -> its picture, (h, w) or (h, w, 3) in [0, 1]
    details: dict[int, str]  # position -> "640×480, 85 KB" ('' where it is no file)
    kept: dict[int, int]  # group -> the position kept by default


def has_files(dataset: Dataset) -> bool:
    return dataset.name == IMAGES and bool(dataset.train_files) and len(dataset.train_files) == len(
        dataset.train_images) and len(dataset.test_files) == len(dataset.test_images)  # fmt: skip


def describe(config, state, dataset: Dataset, cancel: threading.Event) -> Described:
    """Every image of `dataset` described by a model with these weights (Cancelled when `cancel` is set)."""
    from aegui.core.model.autoencoder import model_for_weights

    model = model_for_weights(config)
    model.load_state_dict(state)
    found = collection(dataset)
    whole = fitting_for(model.image_shape, dataset.reading).fit == "whole"
    codes = [np.zeros((0, model.code_size), np.float32)]
    thumbnails = [np.zeros((0, model.image_shape[0] * THUMBNAIL**2), np.float32)]
    for start in range(0, len(found.images), CHUNK):
        if cancel.is_set():
            raise Cancelled("cancelled")
        code, thumbnail = duplicate_features(model, found.images[start : start + CHUNK], centre=whole)
        codes.append(code)
        thumbnails.append(thumbnail)
    folder = Path(dataset.source) if has_files(dataset) else None
    return Described(found, (np.concatenate(codes), np.concatenate(thumbnails)), folder, dataset.image_shape)


def _read(path: Path) -> tuple[np.ndarray | None, str, tuple[int, int]]:
    """A file's picture at PICTURE on its longer side, its size said, and (pixels, bytes) to rank it by."""
    from PIL import Image

    try:
        size = path.stat().st_size
        with Image.open(path) as image:
            width, height = image.size
            image.draft("RGB", (2 * PICTURE, 2 * PICTURE))
            image = image.convert("RGB")
            image.thumbnail((PICTURE, PICTURE))
            picture = np.asarray(image, np.float32) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError):
        return None, "unreadable now", (0, 0)
    return picture, f"{width}×{height}, {_bytes(size)}", (width * height, size)


def _bytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(size / 1e3, 0.1):.1f} KB"


def search(described: Described, ratio: float, cancel: threading.Event) -> Search:
    """The near-duplicates at `ratio`, and what the table shows of the first SHOWN pairs."""
    if cancel.is_set():
        raise Cancelled("cancelled")
    pairs = find_duplicates(described.features, ratio)
    shown = min(len(pairs), SHOWN)
    positions = list(dict.fromkeys(np.stack([pairs.first[:shown], pairs.second[:shown]], 1).ravel().tolist()))
    found, chosen_pictures, details, ranks = described.found, {}, {}, {}
    for position in positions:
        if cancel.is_set():
            raise Cancelled("cancelled")
        picture, said, rank = (None, "", (0, 0)) if described.folder is None else \
            _read(described.folder / found.names[position])  # fmt: skip
        if picture is None:
            picture = pictures(found.images[position].numpy() / 255.0, described.image_shape)[0]
        chosen_pictures[position], details[position], ranks[position] = picture, said, rank
    kept = {}
    for group in sorted(set(pairs.groups[:shown].tolist())):
        members = [position for position in pairs.members(group) if position in ranks]
        kept[group] = min(members, key=lambda position: (-ranks[position][0], -ranks[position][1], position))
    return Search(described, pairs, shown, chosen_pictures, details, kept)
