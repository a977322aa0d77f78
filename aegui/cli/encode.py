"""`aegui encode MODEL`: every image's code, one row per image (file, label where known, code values), written
as it is computed; where the images have labels, what the codes are worth (k-nearest-neighbour accuracy beside
PCA and the raw pixels). What `similar` and `duplicates` share with it is here too."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aegui.cli.arguments import add_data_arguments, check_outputs, data_inputs, load_data

if TYPE_CHECKING:  # (the parser is built without numpy's and torch's modules)
    import numpy as np

    from aegui.core.analysis.code_worth import CodeWorth
    from aegui.core.data.datasets import Dataset
    from aegui.core.data.image_files import Fitting
    from aegui.core.data.image_stream import FolderStream, ImageBlock
    from aegui.core.files.checkpoints import Checkpoint
    from aegui.core.model.autoencoder import AutoEncoder

MODEL_HELP = "a model file saved by aegui"


def add_parser(commands) -> None:
    encode = commands.add_parser(
        "encode",
        help="write every image's code (CSV, .npy or Parquet), and say what the codes are worth",
        description="Encode every image of a dataset or a folder with the model and write one row per image: "
        "its file (or split and index), its label where known, and its code values. Where the images have "
        "labels, also measure what the codes are worth: k-nearest-neighbour accuracy on the test images, on "
        "the codes beside PCA with as many components and beside the raw pixels.",
    )
    encode.add_argument("model", type=Path, metavar="MODEL", help=MODEL_HELP)
    add_data_arguments(encode, "the data to encode (default: auto)", "a folder of images to encode instead")
    encode.add_argument("--out", type=Path, metavar="FILE", required=True,
                        help="FILE.csv: rows of file, label ('' where unknown), code_0 … code_K-1, files in name "
                        "order; FILE.npy: the codes alone, a float32 (N, K) matrix in the same order; FILE.parquet: "
                        "the CSV's columns (needs pyarrow)")  # fmt: skip
    encode.add_argument("--knn", action=argparse.BooleanOptionalAction, default=True,
                        help="where the images have labels, measure k-nearest-neighbour accuracy on the codes, "
                        "PCA and pixels (default: on)")  # fmt: skip


def progress_line(what: str):
    """A progress report for standard error: a line rewritten on a terminal; piped, the last one only."""
    on_terminal = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if on_terminal or done >= total:
            print(f"\r{what}: {done:,} of {total:,}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return progress


class Collection:
    """The images a command encodes, block by block (`blocks`: ImageBlock), in `codes.collection`'s order: a
    folder's read a block at a time and never all held (`FolderStream`), a dataset's from memory. `worth`: what
    the codes (every image's, in that order) are worth, where the images have labels."""

    def __init__(self, source: FolderStream | Dataset) -> None:
        from aegui.core.analysis.codes import collection
        from aegui.core.data.image_stream import FolderStream

        self.stream = source if isinstance(source, FolderStream) else None
        self.dataset = None if self.stream is not None else source
        self.found = None if self.dataset is None else collection(self.dataset)
        self.classes: tuple[str, ...] = source.classes
        self.names: list[str] = []  # (filled as the blocks are read)
        self.labels: list[int] = []

    def __len__(self) -> int:
        """How many images there are (a folder: files listed, some of which may prove unreadable)."""
        return len(self.stream) if self.stream is not None else len(self.found.names)

    @property
    def labelled(self) -> bool:
        return self.stream.labelled if self.stream is not None else self.found.labelled

    @property
    def fitting(self) -> Fitting:
        from aegui.core.data.image_files import fitting_for

        if self.stream is not None:
            return self.stream.fitting
        return fitting_for(self.dataset.image_shape, self.dataset.reading)

    def blocks(self, progress: Callable[[int, int], None] | None = None) -> Iterator[ImageBlock]:
        """Every image, a block at a time, in order; each block's names and labels are kept (`names`, `labels`)."""
        from aegui.core.analysis.codes import CHUNK
        from aegui.core.data.image_stream import ImageBlock

        if self.stream is not None:
            blocks = self.stream.blocks(progress)
        else:
            found, parts = self.found, (slice(start, start + CHUNK) for start in range(0, len(self), CHUNK))
            blocks = (ImageBlock(found.names[part], found.labels[part], found.images[part].numpy()) for part in parts)
        done = 0
        for block in blocks:
            self.names += block.names
            self.labels += block.labels.tolist()
            yield block
            done += len(block.names)
            if self.stream is None and progress is not None:
                progress(done, len(self))
        if self.stream is not None and self.stream.report.skipped:
            print(self.stream.report.describe(shown=20))

    def label_name(self, position: int) -> str:
        """The class name of image `position` (of those the blocks gave), '' where unknown."""
        return self.class_name(self.labels[position])

    def class_name(self, label: int) -> str:
        """A label's class name, '' for -1 (unknown)."""
        return "" if label < 0 else self.classes[label] if label < len(self.classes) else str(label)

    def exported_names(self, names: Sequence[str]) -> tuple[str, ...]:
        """Names as a file of codes gives them: a folder's files, or the dataset's name, split and index."""
        if self.dataset is None or len(self.dataset.train_files) + len(self.dataset.test_files):
            return tuple(names)
        return tuple(f"{self.dataset.name} {name}" for name in names)

    def worth(self, model: AutoEncoder, codes: np.ndarray) -> CodeWorth | None:
        """What the codes are worth (`code_worth`), or None where the images have no labels to tell apart."""
        from aegui.core.analysis.code_worth import code_worth, has_labels

        if self.stream is None:
            return (
                code_worth(model, self.dataset, codes=self.found.by_split(codes)) if has_labels(self.dataset) else None
            )
        split = self.stream.split()
        if split is None or not has_labels(split[0]):
            return None
        dataset, train, test = split
        return code_worth(model, dataset, codes=(codes[train], codes[test]))


def read_collection(args: argparse.Namespace, outputs: list[tuple[str, Path | None]],
                    inputs: Sequence[tuple[str, Path | None]] = ()) -> tuple[Checkpoint, Collection]:  # fmt: skip
    """Check the outputs against every input, then open the model and its data: (checkpoint, Collection), the
    data read at the model's size and colour (a folder a block at a time, as the Collection's blocks are read)."""
    from aegui.cli.arguments import folder_reading, open_model
    from aegui.core.data.image_stream import FolderStream
    from aegui.core.data.shapes import check_fits
    from aegui.core.safe_text import shown

    files, folders = data_inputs(args)
    check_outputs(outputs, [("the model file MODEL", args.model), *inputs, *files], folders)
    checkpoint = open_model(args.model)
    shape = checkpoint.model.image_shape
    if args.images is None:
        source = load_data(args, shape)
    else:
        size, color = folder_reading(args, shape)
        source = FolderStream(args.images, size, color, args.fit, args.labels)
        print(shown(source.describe()))
        print(source.report.describe_reading())
    check_fits(shape, source)
    return checkpoint, Collection(source)


def all_codes(model: AutoEncoder, found: Collection) -> np.ndarray:
    """Every image's code (N, code_size), with progress on standard error."""
    import numpy as np

    from aegui.core.analysis.codes import iter_codes

    blocks = [np.concatenate([*iter_codes(model, block.images)]) for block in found.blocks(progress_line("Encoding"))]
    return np.concatenate([np.zeros((0, model.code_size), np.float32), *blocks])


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from aegui.core.analysis.codes import check_codes_output, iter_codes, write_code_rows
    from aegui.core.safe_text import terminal_text

    suffix = check_codes_output(args.out)
    checkpoint, found = read_collection(args, [("--out", args.out)])
    model = checkpoint.model
    weigh = args.knn and found.labelled
    kept: list[np.ndarray] = []  # (the codes are kept only to weigh them)

    def rows():
        for block in found.blocks(progress_line("Encoding")):
            codes = np.concatenate([*iter_codes(model, block.images)])
            if weigh:
                kept.append(codes)
            yield found.exported_names(block.names), [found.class_name(label) for label in block.labels.tolist()], codes

    started = time.perf_counter()
    count = write_code_rows(args.out, rows(), model.code_size, len(found))
    seconds = time.perf_counter() - started
    known = " with their labels" if found.labelled else ""
    print(f"Wrote the codes of {count:,} images ({model.code_size} values each){known} to "
          f"{terminal_text(args.out)} ({seconds:.1f} s).")  # fmt: skip
    if suffix == ".npy":
        print("Its rows follow the images in the order a .csv would name them (a folder's files by name).")
    worth = found.worth(model, np.concatenate([np.zeros((0, model.code_size), np.float32), *kept])) if weigh else None
    if worth is not None:
        print(worth.describe())
    elif args.knn:
        print("The images have no labels to tell apart (class folders or --labels, two classes or more): what the "
              "codes are worth is not measured.")  # fmt: skip
    return 0
