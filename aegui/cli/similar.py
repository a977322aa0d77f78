"""`aegui similar MODEL --query IMG`: the images of a folder or a dataset nearest to an image, by their codes."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegui.cli.arguments import add_data_arguments, checked
from aegui.cli.encode import MODEL_HELP
from aegui.core.errors import AeguiError
from aegui.core.model.fields import Field

TOP = Field("top", "similar", int, "How many to list", 1, 100_000)
CSV_COLUMNS = ("query", "rank", "file_or_index", "label", "distance")


def add_parser(commands) -> None:
    similar = commands.add_parser(
        "similar",
        help="list the images most like a query image, by the model's codes",
        description="Encode every image of a dataset or a folder (once), then list the images whose codes lie "
        "nearest to each query image's code (Euclidean distance), nearest first. A query that is itself one "
        "of the folder's files is left out of its own list.",
    )
    similar.add_argument("model", type=Path, metavar="MODEL", help=MODEL_HELP)
    add_data_arguments(similar, "the data to search (default: auto)", "a folder of images to search instead")
    similar.add_argument("--query", type=Path, metavar="IMG", action="append", required=True,
                         help="an image file to find the like of (read as the folder's images are); give "
                         "--query again for more, all searched in one index")  # fmt: skip
    similar.add_argument("--top", type=checked(TOP), default=10, metavar="K",
                         help="how many to list per query (default: 10)")  # fmt: skip
    similar.add_argument(
        "--out",
        type=Path,
        metavar="FILE.csv",
        help="write every query's list as CSV: query, rank, file_or_index, label, distance",
    )


def _query_image(path: Path, fitting) -> object:
    """The query image as the model's uint8 input, fitted as the collection's images were."""
    from aegui.core.data.image_files import fitted_uint8
    from aegui.core.safe_text import shown

    image = fitted_uint8(path, fitting)
    if isinstance(image, str):
        raise AeguiError(f"--query {shown(path)} {image}.")
    return image


def _itself(path: Path, folder: Path | None, names: list[str]) -> int | None:
    """The collection's position of a query that is one of the folder's own files, else None."""
    if folder is None:
        return None
    try:
        relative = path.resolve().relative_to(folder.expanduser().resolve())
    except ValueError:
        return None
    from aegui.core.data.images import shown_name

    name = shown_name(str(relative))
    return names.index(name) if name in names else None


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from aegui.cli.encode import all_codes, read_collection
    from aegui.core.analysis.codes import iter_codes
    from aegui.core.analysis.neighbours import CodeIndex
    from aegui.core.data.image_files import ImageFileError, read_image
    from aegui.core.safe_text import csv_cell, shown, terminal_text
    from aegui.core.writes import readable_file

    if args.out is not None and args.out.suffix.lower() != ".csv":
        raise AeguiError(f"--out must end in .csv, not {args.out.name!r}.")
    queries = [readable_file(path, "the query image") for path in args.query]
    for path in queries:  # (a query that cannot be read is said before the collection is read)
        try:
            read_image(path)
        except ImageFileError as error:
            raise AeguiError(f"--query {shown(path)} {error}.") from None
    inputs = [("the query image --query", path) for path in queries]
    checkpoint, found = read_collection(args, [("--out", args.out)], inputs)
    model = checkpoint.model
    images = np.stack([_query_image(path, found.fitting) for path in queries])
    index = CodeIndex(all_codes(model, found))
    query_codes = np.concatenate([*iter_codes(model, images)])
    distances, indices = index.search(query_codes, min(args.top + 1, len(index)))
    rows = []
    for number, path in enumerate(queries):
        itself = _itself(path, args.images, found.names)
        kept = [(int(i), float(d)) for i, d in zip(indices[number], distances[number], strict=True) if i != itself]
        kept = kept[: args.top]
        left_out = " (itself left out)" if itself is not None else ""
        print(f"Nearest to {shown(path)} of {len(index):,} images{left_out}:")
        for rank, (position, distance) in enumerate(kept, 1):
            label = terminal_text(found.label_name(position))
            print(f"{rank:5d}  {distance:10.4f}  {label:>8}  {terminal_text(found.names[position])}")
            rows.append((str(path), rank, found.names[position], found.label_name(position), distance))
    if args.out is not None:
        _write_csv(args.out, rows, csv_cell)
        print(f"Wrote {len(rows):,} rows to {shown(args.out)}.")
    return 0


def _write_csv(path: Path, rows: list[tuple[str, int, str, str, float]], cell) -> None:
    import csv
    import io

    from aegui.core.writes import write_text

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([cell(query), rank, cell(name), cell(label), repr(distance)]
                     for query, rank, name, label, distance in rows)  # fmt: skip
    write_text(path, text.getvalue(), "the similar images")
