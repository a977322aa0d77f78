"""A person's own images: one file as the model's input, or a folder of them as a dataset.

A folder is read as torchvision's ImageFolder reads it (one subfolder per class, its name the label),
with labels from a CSV file (`file,label`) when one is given, or, without either, as unlabelled images;
`train/` and `test/` subfolders (or their other usual names), when present, give the split, otherwise a
seeded one is drawn per class. Every image is fitted to one size (`image_files.Fitting`): by default
digit-like folders (grey ink on a plain ground) as 28x28 grey drawings, photos whole, in colour when
they have colour (`choose_fitting`). Files that cannot be read are skipped and listed. The fitted images
are cached per folder and fitting, keyed by every file's name, size and time, so a second open only looks
at the files' dates.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aegui.core.data.datasets import IMAGES, DataError, Dataset
from aegui.core.data.image_cache import cache_path, read_cache, write_cache
from aegui.core.data.image_files import IMAGE_SUFFIXES, Fitting, fitted_uint8
from aegui.core.data.image_reading import ImageFolderReport, choose_fitting, label_of, read_labels
from aegui.core.data.shapes import Reading, stored
from aegui.core.errors import Cancelled
from aegui.core.spawning import main_script_hidden
from aegui.core.words import possessive

MIN_IMAGES = 10
TEST_FRACTION = 1 / 7  # as MNIST: 10,000 of 70,000
SPLIT_SEED = 0
CACHE_VERSION = 3  # bump when the fitting or the listing changes: old caches are then rebuilt
SPLIT_NAMES = {"train": "train", "training": "train", "test": "test", "testing": "test", "val": "validation",
               "valid": "validation", "validation": "validation"}  # a folder's name (any case): its part  # fmt: skip
UNLABELLED = "images"  # the one class of a folder without class subfolders
PROGRESS_EVERY = 500  # files between progress reports (and looks at `cancelled`)
PROCESSES_FROM = 2000  # files: from this many on, one process per core converts them (a second core
# is worth its start-up; threads are not: the interpreter, not Pillow, holds most of the time)

Progress = Callable[[int, int], None]  # (images done, images in all)
WORKER_MEMORY = 768 * 2**20  # what one converting process may need at most (a 7999x7999 PNG: ~600 MB)


@dataclass(frozen=True)
class _Listing:
    """The files of an image folder: paths, their class and split, and what was skipped unread."""

    classes: tuple[str, ...]
    files: list[tuple[str, int, str]]  # (path, class index, "train" | "test" | "")
    skipped: list[tuple[str, str]]
    key: str  # changes when any file's name, size or time does (or the way images are fitted)
    layout: str = ""


def shown_name(name: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 (kept by os as surrogates) shown as �."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _walk(folder: str, top: str, skipped: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    """(path, size, modification time in ns) of every regular file under folder, sorted by name, hidden ones
    left out; links to folders are not followed (no loops, no image counted twice), and a folder that cannot
    be read is named in `skipped`. Iterative: however deep the folders go. os.scandir, not pathlib: for
    50,000 files pathlib's objects alone took a second."""
    found: list[tuple[str, int, int]] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError as error:
            skipped.append((shown_name(os.path.relpath(current, top)), f"cannot be read ({error.strerror or error})"))
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink() and entry.is_dir():
                    skipped.append((shown_name(os.path.relpath(entry.path, top)), "a link to a folder (not followed)"))
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.is_file():
                    stat = entry.stat()
                    found.append((entry.path, stat.st_size, stat.st_mtime_ns))
            except OSError:  # vanished or unreadable while listed: not a file to read
                continue
        pending += reversed(folders)  # (depth first, in name order)
    return found


def _subfolders(folder: Path) -> list[Path]:
    """The folders in `folder` (not links to folders: a link to "." would make a class of everything)."""
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    except OSError as error:
        raise DataError(f"Cannot read the folder {shown_name(str(folder))}: {error.strerror or error}.") from error


def class_order(names) -> tuple[str, ...]:
    """Class names in order: as numbers when they all are (0, 1, 2, …, 10), else alphabetically."""
    names = set(names)
    if names and all(name.isdigit() for name in names):
        return tuple(sorted(names, key=lambda name: (int(name), name)))
    return tuple(sorted(names))


def _layout(folder: Path) -> tuple[list[tuple[Path, str]], str]:
    """The folders that hold the training and test images, as (folder, "train" | "test" | ""), and a
    sentence saying which were used and which were not. train/ with test/, testing/, val/ or validation/;
    with both, the validation folder gives the test line and test/ is left for a final check."""
    parts: dict[str, Path] = {}
    for sub in _subfolders(folder):
        part = SPLIT_NAMES.get(sub.name.lower())
        if part is not None and part not in parts:
            parts[part] = sub
    name = lambda part: f"{shown_name(parts[part].name)}/"  # noqa: E731
    if "train" not in parts or len(parts) == 1:
        return [(folder, "")], ""
    if "validation" in parts and "test" in parts:
        return ([(parts["train"], "train"), (parts["validation"], "test")],
                f"Training images from {name('train')}, the test line from {name('validation')}; {name('test')} "
                "was not used (kept for your final check).")  # fmt: skip
    held_out = "validation" if "validation" in parts else "test"
    return ([(parts["train"], "train"), (parts[held_out], "test")],
            f"Training images from {name('train')}, test images from {name(held_out)}.")  # fmt: skip


def _list_folder(folder: Path, labels: dict[str, str] | None = None) -> _Listing:
    split_roots, layout = _layout(folder)
    class_folders = {root: [] if labels is not None else _subfolders(root) for root, _split in split_roots}
    labelled = any(class_folders.values())
    if labels is not None:
        classes = class_order(labels.values())
    else:
        classes = class_order(p.name for folders in class_folders.values() for p in folders) if labelled else \
            (UNLABELLED,)  # fmt: skip
    files: list[tuple[str, int, str]] = []
    skipped: list[tuple[str, str]] = []
    digest = hashlib.sha256(f"{CACHE_VERSION}|{SPLIT_SEED}|{TEST_FRACTION}|{classes}|{labels}"
                            .encode("utf-8", "replace"))  # fmt: skip
    for root, split in split_roots:
        if labelled:
            groups = [(p, classes.index(p.name)) for p in class_folders[root]]
            loose = [p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")]
            skipped += [(shown_name(str(p.relative_to(folder))), "not in a class folder") for p in sorted(loose)]
        else:
            groups = [(root, 0)]
        for group, label in groups:
            for path, size, time_ns in _walk(str(group), str(folder), skipped):
                digest.update(f"{path}|{label}|{split}|{size}|{time_ns}\n".encode("utf-8", "surrogateescape"))
                suffix = os.path.splitext(path)[1].lower()
                if suffix in IMAGE_SUFFIXES and labels is not None:
                    name = label_of(os.path.relpath(path, folder), labels)
                    if name is None:
                        skipped.append((shown_name(os.path.relpath(path, folder)), "not in the labels file"))
                    else:
                        files.append((path, classes.index(name), split))
                elif suffix in IMAGE_SUFFIXES:
                    files.append((path, label, split))
                else:
                    skipped.append((shown_name(os.path.relpath(path, folder)),
                                    f"not an image file ({shown_name(suffix) or 'no suffix'})"))  # fmt: skip
    return _Listing(classes, files, skipped, digest.hexdigest(), layout)


def _split(labels: np.ndarray, splits: list[str]) -> np.ndarray:
    """Which images are test images: the folders' split, else a seeded share of each class."""
    if any(splits):
        return np.array([split == "test" for split in splits], dtype=bool)
    rng = np.random.default_rng(SPLIT_SEED)
    is_test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) >= 2:
            is_test[members[: max(1, round(len(members) * TEST_FRACTION))]] = True
    if not is_test.any():
        is_test[rng.integers(len(labels))] = True
    return is_test


def _start_pool(workers: int) -> ProcessPoolExecutor | None:
    """Spawned helper processes, all started now (one small task each); None if they cannot be started."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        with main_script_hidden():
            for started in [pool.submit(os.getpid) for _ in range(workers)]:
                started.result()
        return pool
    except (OSError, BrokenProcessPool):
        pool.shutdown(wait=True, cancel_futures=True)
        return None


def available_memory() -> int | None:
    """Bytes of memory free for new work (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def converting_workers(cores: int | None = None, memory: int | None = None) -> int:
    """How many processes convert images: one per core (at most 8), and no more than the free memory
    holds at WORKER_MEMORY each (a large image costs its reader hundreds of MB before it is reduced)."""
    cores = cores if cores is not None else os.cpu_count() or 1
    memory = memory if memory is not None else available_memory()
    by_memory = memory // WORKER_MEMORY if memory is not None else cores
    return max(1, min(cores, 8, by_memory))


def _convert(files: list[str], fitting: Fitting, progress: Progress | None,
             cancelled: Callable[[], bool] | None) -> list:  # fmt: skip
    """Every file fitted, in order (an image or why it was skipped): `converted_blocks`, gathered."""
    return [result for block in converted_blocks(files, fitting, progress, cancelled) for result in block]


def converted_blocks(files: list[str], fitting: Fitting, progress: Progress | None = None,
                     cancelled: Callable[[], bool] | None = None) -> Iterator[list]:  # fmt: skip
    """Every file fitted, in order, PROGRESS_EVERY at a time (each an image or why it was skipped), with progress;
    raises Cancelled when asked to stop. Helper processes (from PROCESSES_FROM files on) convert the next block while
    this one is used, and end with the blocks (or when they are closed); helpers that cannot start or that die leave
    the rest to this process."""
    convert = functools.partial(fitted_uint8, fitting=fitting)
    workers = converting_workers()
    pool = _start_pool(workers) if workers > 1 and len(files) >= PROCESSES_FROM else None
    blocks = [files[start : start + PROGRESS_EVERY] for start in range(0, len(files), PROGRESS_EVERY)]

    def begun(number: int):  # the helpers' work on a block, begun now (None: this process does it)
        nonlocal pool
        if pool is None or number >= len(blocks):
            return None
        try:
            return pool.map(convert, blocks[number], chunksize=50)
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)
            pool = None
            return None

    done = 0
    try:
        ahead = begun(0)
        for number, block in enumerate(blocks):
            if cancelled is not None and cancelled():
                raise Cancelled("reading the image folder was cancelled")
            try:
                results = list(ahead if ahead is not None else map(convert, block))
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                results = list(map(convert, block))
            ahead = begun(number + 1)
            done += len(results)
            if progress is not None:
                progress(done, len(files))
            yield results
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class FolderListing:
    """A folder's files listed once, how they are fitted, the cache key and the report so far (skipped unread)."""

    folder: Path
    listing: _Listing
    fitting: Fitting
    key: str
    report: ImageFolderReport
    reading: Reading  # how it was read (Dataset.reading)


def list_image_folder(folder: str | Path, size: int | None = None, color: str = "auto", fit: str = "auto",
                      labels: str | Path | None = None) -> FolderListing:  # fmt: skip
    """A folder's images listed and the way to fit them chosen (a few looked at), as `load_image_folder` does."""
    folder = Path(folder).expanduser().resolve()
    try:
        if not folder.is_dir():
            raise DataError(f"The image folder {folder} does not exist (or is not a folder).")
    except OSError as error:  # (a name longer than the file system takes, a folder that cannot be looked in)
        raise DataError(f"Cannot open the image folder {folder}: {error.strerror or error}.") from None
    found_labels = labels is None and _labels_file_in(folder)
    labels = found_labels or (Path(labels) if labels is not None else None)
    label_map = read_labels(labels) if labels is not None else None
    listing = _list_folder(folder, label_map)
    fitting, reason = choose_fitting([path for path, _label, _split in listing.files], size, color, fit)
    key = hashlib.sha256(f"{listing.key}|{fitting}".encode()).hexdigest()
    layout = " ".join(part for part in (listing.layout, f"Labels from {labels.name}." if found_labels else "") if part)
    unread = [(name, why) for name, why in listing.skipped if not (found_labels and name == found_labels.name)]
    report = ImageFolderReport(folder, unread, layout=layout, fitting=fitting, fitting_reason=reason)
    return FolderListing(folder, listing, fitting, key, report, _reading(fitting, labels))


def split_orders(is_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training and the test images' positions, each in a seeded order (classes mixed: the first test images,
    which maps and the gallery show, show all)."""
    rng = np.random.default_rng(SPLIT_SEED)
    return rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))


def load_image_folder(
    folder: str | Path,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    size: int | None = None,
    color: str = "auto",
    fit: str = "auto",
    labels: str | Path | None = None,
) -> tuple[Dataset, ImageFolderReport]:
    """A folder of images as a Dataset (see the module's note), with the report of what was read and
    skipped. `size`, `color` ("rgb", "gray") and `fit` ("content", "whole"): how images are made model
    inputs, chosen from the images where not given ("auto"); `labels`: a CSV file of `file,label` rows."""
    listed = list_image_folder(folder, size, color, fit, labels)
    folder, listing, fitting, key, report = listed.folder, listed.listing, listed.fitting, listed.key, listed.report
    shape = stored(fitting.shape)
    cached_at = cache_path(folder, cache_dir, fitting)
    cached = read_cache(cached_at, key, shape)
    report.from_cache = cached is not None
    if cached is not None:
        images, labels_array, is_test = cached["images"], cached["labels"], cached["is_test"]
        files = [str(name) for name in cached["files"]]
        classes = tuple(str(name) for name in cached["classes"])
        report.skipped = [(str(name), str(why)) for name, why in cached["skipped"].reshape(-1, 2)]
    else:
        results = _convert([path for path, _label, _split in listing.files], fitting, progress, cancelled)
        kept = [i for i, result in enumerate(results) if not isinstance(result, str)]
        report.skipped += [(shown_name(os.path.relpath(listing.files[i][0], folder)), results[i])
                           for i, result in enumerate(results) if isinstance(result, str)]  # fmt: skip
        images = np.stack([results[i] for i in kept]) if kept else np.zeros((0, *shape), np.uint8)
        labels_array = np.array([listing.files[i][1] for i in kept], dtype=np.int64)
        files = [shown_name(os.path.relpath(listing.files[i][0], folder)) for i in kept]
        classes = listing.classes
        is_test = _split(labels_array, [listing.files[i][2] for i in kept]) if kept else np.zeros(0, bool)
        if len(images) >= MIN_IMAGES:
            skipped = np.array(report.skipped, dtype=str).reshape(-1, 2)
            write_cache(cached_at, key, images=images, labels=labels_array, is_test=is_test,
                         classes=np.array(classes), skipped=skipped, files=np.array(files, dtype=str))  # fmt: skip
    report.skipped.sort()
    if len(images) < MIN_IMAGES:
        found = f"only {len(images)} readable image{'s' if len(images) != 1 else ''}"
        skipped = f" {report.describe()}" if report.skipped else ""
        raise DataError(f"{folder} holds {found}; at least {MIN_IMAGES} are needed to train on.{skipped}")
    if not is_test.any() or is_test.all():
        raise DataError(f"{possessive(str(folder))} train/ or test/ folder holds no readable images.")
    train, test = split_orders(is_test)
    dataset = Dataset(
        name=IMAGES,
        title=folder.name or str(folder),
        train_images=torch.from_numpy(images[train]),
        train_labels=torch.from_numpy(labels_array[train]),
        test_images=torch.from_numpy(images[test]),
        test_labels=torch.from_numpy(labels_array[test]),
        source=str(folder),
        classes=classes,
        train_files=tuple(files[i] for i in train),
        test_files=tuple(files[i] for i in test),
        reading=listed.reading,
    )
    return dataset, report


def _labels_file_in(folder: Path) -> Path | None:
    """A folder's own labels file: its one CSV file, when no class folders give the labels (Kaggle's layout:
    images beside a labels.csv)."""
    try:
        found = [p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file() and p.name[:1] != "."]
    except OSError:
        return None
    if len(found) != 1 or any(_subfolders(root) for root, _split in _layout(folder)[0]):
        return None
    return found[0]


def _reading(fitting: Fitting, labels: str | Path | None) -> Reading:
    """How a folder was read: this way, with these labels."""
    return Reading(fitting.size, "rgb" if fitting.color else "gray", fitting.fit,
                   str(Path(labels).expanduser().resolve()) if labels is not None else None)  # fmt: skip
