"""`aegui encode MODEL`: every image's code, one row per image (file, label where known, code values), written
as it is computed; where the images have labels, what the codes are worth (k-nearest-neighbour accuracy beside
PCA and the raw pixels). What `similar` and `duplicates` share with it is here too."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aegui.cli.arguments import add_data_arguments, check_outputs, data_inputs, load_data

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


def read_collection(args: argparse.Namespace, outputs: list[tuple[str, Path | None]],
                    inputs: list[tuple[str, Path | None]] = ()):  # fmt: skip
    """Check the outputs against every input, then open the model and read its data: (checkpoint, dataset,
    collection), the data read at the model's size and colour."""
    from aegui.cli.arguments import open_model
    from aegui.core.analysis.codes import collection
    from aegui.core.data.shapes import check_fits

    files, folders = data_inputs(args)
    check_outputs(outputs, [("the model file MODEL", args.model), *inputs, *files], folders)
    checkpoint = open_model(args.model)
    dataset = load_data(args, checkpoint.model.image_shape)
    check_fits(checkpoint.model.image_shape, dataset)
    return checkpoint, dataset, collection(dataset)


def all_codes(model, found):
    """Every image's code (N, code_size), with progress on standard error."""
    import numpy as np

    from aegui.core.analysis.codes import iter_codes

    blocks = iter_codes(model, found.images, progress=progress_line("Encoding"))
    return np.concatenate([np.zeros((0, model.code_size), np.float32), *blocks])


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from aegui.core.analysis.code_worth import code_worth, has_labels
    from aegui.core.analysis.codes import check_codes_output, export_names, iter_codes, write_codes
    from aegui.core.safe_text import terminal_text

    suffix = check_codes_output(args.out)
    checkpoint, dataset, found = read_collection(args, [("--out", args.out)])
    model = checkpoint.model
    weigh = args.knn and has_labels(dataset)
    kept: list[np.ndarray] = []  # (the codes are kept only to weigh them)

    def blocks():
        for block in iter_codes(model, found.images, progress=progress_line("Encoding")):
            if weigh:
                kept.append(block)
            yield block

    started = time.perf_counter()
    labels = [found.label_name(i) for i in range(len(found.names))]
    write_codes(args.out, export_names(dataset, found), labels, blocks(), model.code_size)
    seconds = time.perf_counter() - started
    known = " with their labels" if found.labelled else ""
    print(f"Wrote the codes of {len(found.names):,} images ({model.code_size} values each){known} to "
          f"{terminal_text(args.out)} ({seconds:.1f} s).")  # fmt: skip
    if suffix == ".npy":
        print("Its rows follow the images in the order a .csv would name them (a folder's files by name).")
    if weigh:
        codes = np.concatenate([np.zeros((0, model.code_size), np.float32), *kept])
        print(code_worth(model, dataset, codes=found.by_split(codes)).describe())
    elif args.knn:
        print("The images have no labels to tell apart (class folders or --labels, two classes or more): what the "
              "codes are worth is not measured.")  # fmt: skip
    return 0
