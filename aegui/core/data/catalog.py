"""Datasets by name: loading one, its title, and what `aegui datasets` and the window's data picker list (every
dataset aegui reads, whether its files are in the data folder, and how to get the others)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aegui.core.data.datasets import (
    DATASET_CHOICES,
    PHOTO_SET_NAMES,
    SAMPLE_TITLE,
    TORCHVISION_DATA,
    DataError,
    Dataset,
    find_root,
    load_sample,
    load_torchvision,
)
from aegui.core.data.photo_sets import PHOTO_SETS, load_photo_set, photo_set_folder, photo_set_present
from aegui.core.folders import default_data_dir


@dataclass(frozen=True)
class DatasetInfo:
    """What `aegui datasets` and the window's data picker say about one dataset."""

    name: str
    title: str
    about: str
    present: bool  # can be loaded now, without a download
    where: str  # the folder it is in, or how to get it


def available_datasets(data_dir: str | Path | None = None) -> list[DatasetInfo]:
    """Every dataset aegui reads: whether its files are in the data folder, and how to get the others."""
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    found = []
    for name, spec in TORCHVISION_DATA.items():
        root = find_root(name, folder)
        where = str(root / spec.folder / "raw") if root else f"not downloaded: `aegui download {name}`"
        found.append(DatasetInfo(name, spec.title, spec.about, root is not None, where))
    for name, photos in PHOTO_SETS.items():
        present = photo_set_present(name, folder)
        where = str(photo_set_folder(name, folder)) if present else f"not downloaded: `aegui download {name}`"
        found.append(DatasetInfo(name, photos.title, photos.about, present, where))
    found.append(DatasetInfo("sample", dataset_title("sample"), "5,000 MNIST digits shipped with aegui, 4,000 / 1,000",
                             True, "inside aegui"))  # fmt: skip
    return found


def dataset_title(name: str) -> str:
    if name in PHOTO_SET_NAMES:
        return PHOTO_SETS[name].title
    return SAMPLE_TITLE if name == "sample" else TORCHVISION_DATA[name].title


def load_dataset(name: str = "auto", data_dir: str | Path | None = None, size: int | None = None) -> Dataset:
    """Load a dataset by name. 'auto' takes MNIST from the data folder when present, else the sample.
    `size`: the side a colour photo set's images are made (CIFAR-10 and SVHN: 32; STL-10: 64)."""
    if name not in DATASET_CHOICES:
        raise DataError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASET_CHOICES)}.")
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    if name == "auto":
        name = "mnist" if find_root("mnist", folder) is not None else "sample"
    if name == "sample":
        return load_sample()
    if name in PHOTO_SET_NAMES:
        return load_photo_set(name, folder, size)
    return load_torchvision(name, folder)
