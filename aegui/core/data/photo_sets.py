"""Colour datasets of small photos that torchvision reads: CIFAR-10 (32x32), SVHN (32x32 house numbers) and
STL-10 (96x96, made 64x64 unless told). Their files are downloaded by `aegui.core.files.download` (mirrors,
digests, bounded sizes, cancellable, nothing partial kept) and read by torchvision's own classes, never
downloading from here. Images come as uint8 (N, 3, side, side), as aegui keeps colour.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aegui.core.data.datasets import DataError, Dataset, check_labels
from aegui.core.data.shapes import Reading
from aegui.core.words import possessive

_CIFAR = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass(frozen=True)
class PhotoSet:
    """A colour dataset: where torchvision keeps it under the data folder, and its published files."""

    title: str
    about: str
    folder: str  # the folder under the data folder that shows it is there (torchvision's layout)
    marker: str  # a file in that folder that shows it is there
    files: tuple[tuple[str, str, int], ...]  # (file name, md5, bytes) as torchvision publishes them
    mirrors: tuple[str, ...]
    classes: tuple[str, ...]
    side: int  # the images' side as published
    archive: bool = True  # the files are .tar.gz archives that unpack into `folder`
    size: int = 0  # the side aegui makes them by default (0: as published)


PHOTO_SETS: dict[str, PhotoSet] = {
    "cifar10": PhotoSet(
        "CIFAR-10", "small colour photos of 10 kinds of object, 32x32, 50,000 / 10,000", "cifar-10-batches-py",
        "data_batch_1", (("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", 170_498_071),),
        ("https://www.cs.toronto.edu/~kriz/",), _CIFAR, 32),
    "svhn": PhotoSet(
        "SVHN", "house numbers from Street View, 32x32 colour, 73,257 / 26,032", "SVHN", "train_32x32.mat",
        (("train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373", 182_040_794),
         ("test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3", 64_275_384)),
        ("http://ufldl.stanford.edu/housenumbers/",), tuple(str(digit) for digit in range(10)), 32, archive=False),
    "stl10": PhotoSet(
        "STL-10", "colour photos of 10 kinds of object, 96x96 made 64x64, 5,000 / 8,000 (a 2.6 GB download)",
        "stl10_binary", "train_X.bin", (("stl10_binary.tar.gz", "91f7769df0f17e558f3565bffb0c7dfb", 2_640_397_119),),
        ("http://ai.stanford.edu/~acoates/stl10/",),
        ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"), 96, size=64),
}  # fmt: skip


def photo_set_folder(name: str, data_dir: str | Path) -> Path:
    return Path(data_dir).expanduser() / PHOTO_SETS[name].folder


def photo_set_present(name: str, data_dir: str | Path) -> bool:
    return (photo_set_folder(name, data_dir) / PHOTO_SETS[name].marker).is_file()


def _read(name: str, root: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (N, 3, side, side), int64 labels) of one split, read by torchvision."""
    from torchvision import datasets

    if name == "cifar10":
        found = datasets.CIFAR10(str(root), train=train, download=False)
        return np.ascontiguousarray(found.data.transpose(0, 3, 1, 2)), np.asarray(found.targets, np.int64)
    if name == "svhn":
        found = datasets.SVHN(str(root / PHOTO_SETS[name].folder), split="train" if train else "test", download=False)
        return np.ascontiguousarray(found.data), np.asarray(found.labels, np.int64)
    found = datasets.STL10(str(root), split="train" if train else "test", download=False)
    return np.ascontiguousarray(found.data), np.asarray(found.labels, np.int64)


def _resized(images: np.ndarray, side: int) -> np.ndarray:
    """uint8 images (N, 3, h, w) made side x side, area-averaged (antialiased), in chunks."""
    import torch
    import torch.nn.functional as F

    if images.shape[-1] == side:
        return images
    out = np.empty((len(images), 3, side, side), np.uint8)
    for start in range(0, len(images), 2000):
        chunk = torch.from_numpy(images[start : start + 2000]).float()
        small = F.interpolate(chunk, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
        out[start : start + 2000] = small.round().clamp(0, 255).to(torch.uint8).numpy()
    return out


def load_photo_set(name: str, data_dir: str | Path, size: int | None = None) -> Dataset:
    """One of PHOTO_SETS from the data folder (never downloads), its images `size` x `size` (default: the
    set's own, STL-10's 64)."""
    import torch

    spec = PHOTO_SETS[name]
    root = Path(data_dir).expanduser()
    if not photo_set_present(name, root):
        raise DataError(f"No {spec.title} files found in {root}. Expected {spec.folder}/{spec.marker} there. "
                        f"Run `aegui download {name}` to fetch them.")  # fmt: skip
    side = size or spec.size or spec.side
    splits = []
    for train in (True, False):
        try:
            images, labels = _read(name, root, train)
        except (RuntimeError, OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as error:
            why = "missing or damaged files" if "download=True" in str(error) else str(error)  # (torchvision's words)
            raise DataError(f"{possessive(spec.title)} files in {photo_set_folder(name, root)} cannot be read "
                            f"({why}). Run `aegui download {name}` again.") from error  # fmt: skip
        if images.ndim != 4 or images.shape[1:] != (3, spec.side, spec.side) or len(images) != len(labels):
            raise DataError(f"{possessive(spec.title)} files in {photo_set_folder(name, root)} hold images shaped "
                            f"{images.shape[1:]}, expected (3, {spec.side}, {spec.side}).")  # fmt: skip
        split = "train" if train else "test"
        what = f"{possessive(spec.title)} {split} labels"
        check_labels(labels, what, len(spec.classes), len(spec.classes) if train else 1)
        splits.append((torch.from_numpy(_resized(images, side)), torch.from_numpy(labels)))
    (train_images, train_labels), (test_images, test_labels) = splits
    return Dataset(name=name, title=spec.title, train_images=train_images, train_labels=train_labels,
                   test_images=test_images, test_labels=test_labels, source=str(photo_set_folder(name, root)),
                   classes=spec.classes, reading=Reading(size=side))  # fmt: skip
