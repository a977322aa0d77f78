"""`aegui outliers MODEL`: the images of a dataset or a folder that the model finds strangest, first."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegui.cli.arguments import add_data_arguments, check_outputs, checked, data_inputs, load_data
from aegui.core.errors import AeguiError
from aegui.core.model.fields import Field

TOP = Field("top", "outliers", int, "How many to list", 1, 1_000_000)


def add_parser(commands) -> None:
    outliers = commands.add_parser(
        "outliers",
        help="list the images a model finds strangest (mislabelled, broken, unusual)",
        description="Score every image of a dataset or a folder by how badly the model reconstructs it, and list "
        "the most unusual first. With a model trained without one class (train --exclude-class K), also say how "
        "well the score tells that class apart (ROC AUC on the test set).",
    )
    outliers.add_argument("model", type=Path, metavar="MODEL", help="a model file saved by aegui")
    add_data_arguments(outliers, "the data to score (default: auto)", "a folder of images to score instead")
    outliers.add_argument("--top", type=checked(TOP), default=20, metavar="N",
                          help="how many to list, and to write to a PNG sheet (default: 20)")  # fmt: skip
    outliers.add_argument("--score", choices=("standardised", "relative", "error"), default="standardised",
                          help="relative: squared error over the image's own squared intensity (what share of it "
                          "the model could not rebuild); error: mean squared error per pixel; standardised: the "
                          "relative error as a robust z-score within each class (default: standardised)")  # fmt: skip
    outliers.add_argument("--out", type=Path, metavar="FILE",
                          help="FILE.csv: every image, most unusual first (rank, file or index, label, score, "
                          "error); FILE.png: a contact sheet of the top N, each captioned with its rank, class, "
                          "score and file or index")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from aegui.cli.arguments import open_model
    from aegui.core.analysis.mosaic import save_contact_sheet
    from aegui.core.analysis.outliers import image_at, novelty, score_dataset, sheet_captions, write_csv
    from aegui.core.safe_text import terminal_text

    suffix = args.out.suffix.lower() if args.out else ""
    if args.out and suffix not in (".csv", ".png"):
        raise AeguiError(f"--out must end in .csv or .png, not {args.out.name!r}.")
    files, folders = data_inputs(args)
    check_outputs([("--out", args.out)], [("the model file MODEL", args.model), *files], folders)
    checkpoint = open_model(args.model)
    dataset = load_data(args, checkpoint.model.image_shape)
    report = score_dataset(checkpoint.model, dataset, args.score)
    rows = report.rows(args.top)
    print(f"The {len(rows)} most unusual of {len(report.scores):,} images ({args.score}):")
    for _position, name, label, score, rank in rows:
        print(f"{rank:5d}  {score:10.5f}  {terminal_text(label):>8}  {terminal_text(name)}")
    left_out = checkpoint.train_config.exclude_class if checkpoint.train_config else -1
    if 0 <= left_out < len(dataset.classes):
        print(novelty(checkpoint.model, dataset, left_out).describe(dataset.class_name(left_out)))
    if suffix == ".csv":
        write_csv(args.out, report, report.rows())
        print(f"Wrote every image's score to {terminal_text(args.out)}.")
    elif suffix == ".png":
        import numpy as np

        from aegui.core.data.shapes import pictures

        images = np.stack([image_at(dataset, report, position).numpy() for position, *_rest in rows]) / 255.0
        save_contact_sheet(args.out, pictures(images, dataset.image_shape), captions=sheet_captions(rows))
        print(f"Wrote the top {len(rows)} as a sheet to {terminal_text(args.out)}.")
    return 0
