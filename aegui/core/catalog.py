"""What `aegui datasets` and the window's data picker list: every dataset aegui reads, whether its files are
in the data folder, and how to get the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aegui.core.data import TORCHVISION_DATA, dataset_title, find_root
from aegui.core.folders import default_data_dir
from aegui.core.photo_sets import PHOTO_SETS, photo_set_folder, photo_set_present


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
