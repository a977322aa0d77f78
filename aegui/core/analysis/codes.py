"""A model's codes as data: every image of a folder or a dataset encoded, one row per image (its file or its
split and index, its label where known, its code values), and written as CSV, .npy or Parquet block by block,
so that a large collection never holds its codes as text, or twice, in memory.

The images are taken in one order: a folder's by file name, a dataset's training images then its test
images. `encode_images` is the API's way in (a model and a folder, a dataset or an array of images).
"""

from __future__ import annotations

import csv
import io
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aegui.core.data.datasets import IMAGES, Dataset
from aegui.core.data.shapes import check_fits
from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.steps import to_float
from aegui.core.safe_text import csv_cell

CHUNK = 1024  # images encoded at a time (and rows written at a time)
SUFFIXES = (".csv", ".npy", ".parquet")
SPLITS = ("train", "test")
UNLABELLED = "images"  # (the one class `aegui.core.data.images` gives a folder without labels)
NUMBER = "%.9g"  # nine significant digits: every float32 reads back as itself


class ImageRows:
    """A dataset's training and test images in a collection's order, gathered a block at a time when indexed
    (`rows[a:b]`, `rows[i]`, `rows[array]`), so that the images are never all copied."""

    def __init__(self, parts: tuple[torch.Tensor, torch.Tensor], split: np.ndarray, index: np.ndarray) -> None:
        self._parts, self._split, self._index = parts, split, index
        self.shape = (len(split), *parts[0].shape[1:])

    def __len__(self) -> int:
        return len(self._split)

    def __getitem__(self, key) -> torch.Tensor:
        positions = np.arange(len(self))[key]
        chosen = np.atleast_1d(positions)
        block = torch.empty((len(chosen), *self.shape[1:]), dtype=self._parts[0].dtype)
        for split, part in enumerate(self._parts):
            mine = np.flatnonzero(self._split[chosen] == split)
            if len(mine):
                block[torch.from_numpy(mine)] = part[torch.from_numpy(self._index[chosen[mine]])]
        return block[0] if np.ndim(positions) == 0 else block


def label_name(labels: np.ndarray, classes: tuple[str, ...], position: int) -> str:
    """The class name of image `position` (labels: -1 where unknown), '' where unknown, the number past `classes`."""
    label = int(labels[position])
    return "" if label < 0 else classes[label] if label < len(classes) else str(label)


@dataclass(frozen=True)
class Collection:
    """Every image of a dataset in one order (a folder's by file name, else training then test images), with
    its name, its label (-1 where unknown), and where it came from (`split` 0: train, 1: test; `index`)."""

    images: ImageRows  # uint8 (N, ...), gathered a block at a time
    names: tuple[str, ...]
    labels: np.ndarray  # (N,) int64, -1 where unknown
    classes: tuple[str, ...]
    split: np.ndarray  # (N,) int8
    index: np.ndarray  # (N,) the image's index within its split

    @property
    def labelled(self) -> bool:
        return bool((self.labels >= 0).any())

    def label_name(self, position: int) -> str:
        """The class name of an image, or '' where unknown."""
        return label_name(self.labels, self.classes, position)

    def by_split(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-image values (in this order) as (training, test), each in its split's own order."""
        parts = []
        for split in (0, 1):
            chosen = np.flatnonzero(self.split == split)
            parts.append(values[chosen[np.argsort(self.index[chosen], kind="stable")]])
        return parts[0], parts[1]


_collections: dict[int, Collection] = {}  # by the dataset's id, while the dataset lives
_collections_lock = threading.Lock()


def collection(dataset: Dataset) -> Collection:
    """Every image of `dataset` (train and test) in one order: by file name where the images are files. Made
    once per dataset: its names are a Python loop over every image (~30 ms for MNIST), which holds the GIL
    in the worker that encodes for new weights while the window's thread waits for it."""
    with _collections_lock:
        found = _collections.get(id(dataset))
    if found is None:
        found = _collect(dataset)
        with _collections_lock:
            if id(dataset) not in _collections:
                _collections[id(dataset)] = found
                weakref.finalize(dataset, _collections.pop, id(dataset), None)
    return found


def _collect(dataset: Dataset) -> Collection:
    sizes = (len(dataset.train_images), len(dataset.test_images))
    split = np.repeat(np.arange(2, dtype=np.int8), sizes)
    index = np.concatenate([np.arange(size) for size in sizes])
    has_files = len(dataset.train_files) == sizes[0] and len(dataset.test_files) == sizes[1] and sum(sizes) > 0
    if has_files:
        names = dataset.train_files + dataset.test_files
        order = np.array(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)
        names = tuple(names[i] for i in order)
    else:
        order = np.arange(sum(sizes))
        names = tuple(f"{SPLITS[s]} #{i}" for s, i in zip(split.tolist(), index.tolist(), strict=True))
    labels = torch.cat([dataset.train_labels, dataset.test_labels]).numpy().astype(np.int64)[order]
    if dataset.name == IMAGES and dataset.classes == (UNLABELLED,):
        labels = np.full(len(labels), -1, np.int64)  # a folder without labels: one made-up class
    split, index = split[order], index[order]
    images = ImageRows((dataset.train_images, dataset.test_images), split, index)
    return Collection(images, names, labels, dataset.classes, split, index)


def iter_codes(model: AutoEncoder, images: torch.Tensor | np.ndarray | ImageRows, chunk: int = CHUNK,
               progress: Callable[[int, int], None] | None = None) -> Iterator[np.ndarray]:  # fmt: skip
    """The codes (n, code_size) float32 of uint8 images (N, ...) or floats in [0, 1], block by block, in fp32,
    without gradients (a VAE's: the mean of its Gaussian)."""
    images = images if isinstance(images, ImageRows) else torch.as_tensor(images)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(images), chunk):
            block = torch.as_tensor(images[start : start + chunk])
            batch = to_float(block) if block.dtype == torch.uint8 else block.reshape(len(block), -1).float()
            with torch.inference_mode():
                codes = model.encoder(batch.to(device)).float().cpu().numpy()
            yield codes
            if progress is not None:
                progress(min(start + chunk, len(images)), len(images))
    finally:
        model.train(was_training)


@dataclass(frozen=True)
class EncodedImages:
    """Codes (N, code_size) float32 of a collection of images, with each image's name and label."""

    codes: np.ndarray
    names: tuple[str, ...]
    labels: np.ndarray  # (N,) int64, -1 where unknown
    classes: tuple[str, ...]

    def label_name(self, position: int) -> str:
        """The class name of an image, or '' where unknown."""
        return label_name(self.labels, self.classes, position)

    def write(self, path: str | Path) -> None:
        """Write them as `write_codes` does (.csv, .npy or .parquet by the name's ending)."""
        labels = [self.label_name(i) for i in range(len(self.names))]
        write_codes(path, self.names, labels, [self.codes], self.codes.shape[1])


def encode_images(model: AutoEncoder, images, chunk: int = CHUNK) -> EncodedImages:
    """Encode every image of a folder (a path: read at the model's size and colour, as `aegui outliers` reads
    it), a Dataset, or an array of images (uint8, or floats in [0, 1]): the codes, each image's name (its file,
    its split and index, or its row) and its label where known, in `collection`'s order (files by name)."""
    if isinstance(images, (str, Path)):
        from aegui.core.data.images import load_image_folder

        channels, size, _width = model.image_shape
        images, _report = load_image_folder(images, size=size, color="rgb" if channels == 3 else "gray")
    if isinstance(images, Dataset):
        check_fits(model.image_shape, images)
        found = collection(images)
        codes = np.concatenate([np.zeros((0, model.code_size), np.float32), *iter_codes(model, found.images, chunk)])
        return EncodedImages(codes, found.names, found.labels, found.classes)
    codes = np.concatenate([np.zeros((0, model.code_size), np.float32), *iter_codes(model, images, chunk)])
    return EncodedImages(codes, tuple(f"#{i}" for i in range(len(codes))), np.full(len(codes), -1), ())


def export_names(dataset: Dataset, found: Collection) -> tuple[str, ...]:
    """Each image's name in a file of codes (`aegui encode`, the window's Export codes): its file, or the
    dataset's name, split and index ('mnist train #12')."""
    if len(dataset.train_files) + len(dataset.test_files) == len(found.names):
        return found.names
    return tuple(f"{dataset.name} {name}" for name in found.names)


def check_codes_output(path: Path) -> str:
    """The kind of codes file a name asks for (its ending), or an AeguiError saying why it cannot be written."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise AeguiError(f"--out must end in .csv, .npy or .parquet, not {path.name!r}.")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise AeguiError("Writing .parquet needs pyarrow, which is not installed (pip install pyarrow); or "
                             "write .csv or .npy. Nothing was written.") from None  # fmt: skip
    return suffix


def code_columns(code_size: int) -> list[str]:
    return [f"code_{i}" for i in range(code_size)]


def write_codes(path: str | Path, names: tuple[str, ...], labels: list[str], chunks: Iterable[np.ndarray],
                code_size: int) -> None:  # fmt: skip
    """Write the codes of the images named, block by block as `chunks` (n, code_size) come, atomically (the file
    appears whole or not at all): .csv rows `file, label, code_0 … code_K-1` (names and labels as cells a
    spreadsheet will not run, label '' where unknown); .npy a float32 matrix (N, code_size), rows in the same
    order; .parquet the CSV's columns (needs pyarrow)."""
    count = len(names)

    def rows() -> Iterator[tuple[Sequence[str], Sequence[str], np.ndarray]]:
        written = 0
        for block in chunks:
            yield names[written : written + len(block)], labels[written : written + len(block)], block
            written += len(block)
        if written != count:
            raise AeguiError(f"{count} images were named but {written} codes were given.")

    write_code_rows(path, rows(), code_size, count)


def write_code_rows(path: str | Path, rows: Iterable[tuple[Sequence[str], Sequence[str], np.ndarray]],
                    code_size: int, most: int) -> int:  # fmt: skip
    """`write_codes` for rows whose names come with their codes, block by block (names, labels, codes (n,
    code_size)), as a folder read a block at a time gives them: at most `most` rows (a .npy file's header is made
    for that many, then says how many came). The rows written."""
    from aegui.core.writes import WriteError, atomic_file

    path = Path(path)
    suffix = check_codes_output(path)
    written = 0
    try:
        with atomic_file(path, "w" if suffix == ".csv" else "wb") as out:
            if suffix == ".npy":
                out.write(_npy_header(most, code_size))
            writer = _ParquetWriter(out, code_size) if suffix == ".parquet" else None
            if suffix == ".csv":
                csv.writer(out).writerow(["file", "label", *code_columns(code_size)])
            for names, labels, block in rows:
                block = np.ascontiguousarray(block, dtype="<f4").reshape(len(names), code_size)
                if written + len(block) > most:
                    raise AeguiError(f"More than the {most} rows announced were given.")
                if suffix == ".npy":
                    out.write(block.tobytes())
                elif suffix == ".csv":
                    out.write(_csv_rows(names, labels, block))
                else:
                    writer.write(names, labels, block)
                written += len(block)
            if writer is not None:
                writer.close()
            if suffix == ".npy" and written != most:
                out.seek(0)
                out.write(_npy_header(written, code_size, len(_npy_header(most, code_size))))
    except OSError as error:
        if isinstance(error, WriteError):
            raise
        raise WriteError(f"Could not write the codes to {path}: {error.strerror or error}.") from error
    return written


def _npy_header(rows: int, code_size: int, length: int | None = None) -> bytes:
    """A .npy (version 1.0) header for a float32 (rows, code_size) matrix, padded with spaces to `length` bytes (by
    default the next multiple of 64), so that a header for fewer rows can take an earlier one's place."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {code_size}), }}".encode("latin1")
    length = length if length is not None else -(-(len(text) + 11) // 64) * 64
    return b"\x93NUMPY\x01\x00" + (length - 10).to_bytes(2, "little") + text.ljust(length - 11) + b"\n"


def _csv_rows(names: Sequence[str], labels: Sequence[str], codes: np.ndarray) -> str:
    """CSV lines of names, labels and code values (the numbers formatted by numpy, a block at a time)."""
    numbers = io.StringIO()
    np.savetxt(numbers, codes, fmt=NUMBER, delimiter=",")
    lead = io.StringIO()
    writer = csv.writer(lead, lineterminator="")
    lines = []
    for name, label, values in zip(names, labels, numbers.getvalue().splitlines(), strict=True):
        lead.seek(0)
        lead.truncate()
        writer.writerow([csv_cell(name), csv_cell(label)])
        lines.append(f"{lead.getvalue()},{values}\r\n")
    return "".join(lines)


class _ParquetWriter:
    """Row groups of file, label and code columns, written into an open binary file with pyarrow."""

    def __init__(self, out, code_size: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        fields = [pa.field("file", pa.string()), pa.field("label", pa.string())]
        self._schema = pa.schema(fields + [pa.field(name, pa.float32()) for name in code_columns(code_size)])
        self._writer = pq.ParquetWriter(out, self._schema)

    def write(self, names, labels, codes: np.ndarray) -> None:
        columns = [self._pa.array(list(names), self._pa.string()), self._pa.array(list(labels), self._pa.string())]
        columns += [self._pa.array(codes[:, i]) for i in range(codes.shape[1])]
        self._writer.write_table(self._pa.Table.from_arrays(columns, schema=self._schema))

    def close(self) -> None:
        self._writer.close()
