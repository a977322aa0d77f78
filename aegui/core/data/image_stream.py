"""A folder of images read a block at a time, for work that needs each image once (encoding it, describing it):
the files are listed once, in name order, and read, fitted and skipped exactly as `images.load_image_folder` reads
them (its listing, its fitting, its converting processes), but never all held: memory is bounded by a block
(`images.PROGRESS_EVERY` images), not by the folder. Nothing is cached."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aegui.core.data import images as folders
from aegui.core.data.datasets import IMAGES, DataError, Dataset
from aegui.core.data.image_files import Fitting
from aegui.core.data.shapes import ImageShape, stored


@dataclass(frozen=True)
class ImageBlock:
    """Images read together: each one's name (its file in the folder), label (-1 where unknown) and pixels."""

    names: tuple[str, ...]
    labels: np.ndarray  # (n,) int64
    images: np.ndarray  # (n, *stored shape) uint8


class FileImages:
    """Image files read and fitted when indexed (`rows[indices]`, `rows[a:b]`), as a uint8 tensor: a Dataset's
    images that are never all held. A file that can no longer be read is a DataError."""

    def __init__(self, paths: list[str], fitting: Fitting) -> None:
        self._paths, self._fitting = paths, fitting
        self.shape = (len(paths), *stored(fitting.shape))

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, key) -> torch.Tensor:
        positions = np.arange(len(self))[key]
        paths = [self._paths[i] for i in np.atleast_1d(positions).tolist()]
        results = [result for block in folders.converted_blocks(paths, self._fitting) for result in block]
        for path, result in zip(paths, results, strict=True):
            if isinstance(result, str):
                raise DataError(f"{folders.shown_name(path)} {result}: it changed while the folder was read.")
        block = torch.from_numpy(np.stack(results)) if results else torch.zeros(self.shape, dtype=torch.uint8)[:0]
        return block[0] if np.ndim(positions) == 0 else block


class FolderStream:
    """The images of a folder (see the module's note), listed and their fitting chosen when made; `blocks` reads
    them once. `size`, `color`, `fit` and `labels` as for `load_image_folder`."""

    def __init__(self, folder: str | Path, size: int | None = None, color: str = "auto", fit: str = "auto",
                 labels: str | Path | None = None) -> None:  # fmt: skip
        self.listed = folders.list_image_folder(folder, size, color, fit, labels)
        top = str(self.listed.folder)
        self._names = [folders.shown_name(os.path.relpath(path, top)) for path, _l, _s in self.listed.listing.files]
        self._order = sorted(range(len(self._names)), key=self._names.__getitem__)  # (listed positions, by name)
        self._read: list[int] | None = None  # the listed positions of the images read, in name order

    @property
    def folder(self) -> Path:
        return self.listed.folder

    @property
    def title(self) -> str:
        return self.folder.name or str(self.folder)

    @property
    def fitting(self) -> Fitting:
        return self.listed.fitting

    @property
    def image_shape(self) -> ImageShape:
        return self.fitting.shape

    @property
    def report(self) -> folders.ImageFolderReport:
        """What was skipped: unread files when listed, and, once `blocks` has gone through, unreadable images."""
        return self.listed.report

    @property
    def classes(self) -> tuple[str, ...]:
        return self.listed.listing.classes

    @property
    def labelled(self) -> bool:
        return self.classes != (folders.UNLABELLED,)

    def __len__(self) -> int:
        """The image files listed (some may prove unreadable)."""
        return len(self._order)

    def describe(self) -> str:
        return f"Data: {len(self):,} image files in {self.folder}, read a block at a time."

    def blocks(self, progress: folders.Progress | None = None,
               cancelled: Callable[[], bool] | None = None) -> Iterator[ImageBlock]:  # fmt: skip
        """Every readable image, in name order, a block at a time (once); files that cannot be read are added to
        `report.skipped`. A DataError at the end when none could be read."""
        if self._read is not None:
            raise RuntimeError("a folder stream is read once")
        files, self._read = self.listed.listing.files, []
        position = 0
        converted = folders.converted_blocks([files[i][0] for i in self._order], self.fitting, progress, cancelled)
        try:
            for results in converted:
                chosen = self._order[position : position + len(results)]
                position += len(results)
                kept = [(i, result) for i, result in zip(chosen, results, strict=True) if not isinstance(result, str)]
                self.report.skipped += [(self._names[i], result) for i, result in zip(chosen, results, strict=True)
                                        if isinstance(result, str)]  # fmt: skip
                self._read += [i for i, _image in kept]
                if kept:
                    labels = [files[i][1] if self.labelled else -1 for i, _image in kept]
                    yield ImageBlock(tuple(self._names[i] for i, _image in kept), np.array(labels, np.int64),
                                     np.stack([image for _i, image in kept]))  # fmt: skip
        finally:
            converted.close()
        self.report.skipped.sort()
        if not self._read:
            raise DataError(f"{self.folder} holds no readable images. {self.report.describe()}".rstrip())

    def split(self) -> tuple[Dataset, np.ndarray, np.ndarray] | None:
        """After `blocks`: the Dataset `load_image_folder` would make of the images read (the same split, the same
        order; its pixels read again only where indexed, `FileImages`), with the positions, among the images as
        `blocks` gave them, of its training and of its test images. None where no image or no test image is left."""
        if not self._read:
            return None
        kept = sorted(self._read)  # (load_image_folder's order: as listed)
        files = self.listed.listing.files
        labels = np.array([files[i][1] for i in kept], np.int64)
        is_test = folders._split(labels, [files[i][2] for i in kept])
        if not is_test.any() or is_test.all():
            return None
        train, test = folders.split_orders(is_test)
        row = {listed: position for position, listed in enumerate(self._read)}
        rows = [np.array([row[kept[i]] for i in part.tolist()], np.int64) for part in (train, test)]
        paths = [[files[kept[i]][0] for i in part.tolist()] for part in (train, test)]
        names = [tuple(self._names[kept[i]] for i in part.tolist()) for part in (train, test)]
        dataset = Dataset(
            name=IMAGES,
            title=self.title,
            train_images=FileImages(paths[0], self.fitting),  # type: ignore[arg-type]
            train_labels=torch.from_numpy(labels[train]),
            test_images=FileImages(paths[1], self.fitting),  # type: ignore[arg-type]
            test_labels=torch.from_numpy(labels[test]),
            source=str(self.folder),
            classes=self.classes,
            train_files=names[0],
            test_files=names[1],
            reading=self.listed.reading,
        )
        return dataset, rows[0], rows[1]
