"""`aegui duplicates MODEL`: the near-duplicates of a folder or a dataset (re-encoded, resized, slightly cropped
copies), as pairs with their distance, grouped."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegui.cli.arguments import add_data_arguments, checked
from aegui.cli.encode import MODEL_HELP
from aegui.core.errors import AeguiError
from aegui.core.model.fields import Field

SHOWN = Field("top", "duplicates", int, "How many groups to list", 1, 1_000_000)
RATIO = Field("ratio", "duplicates", float, "The largest distance of a pair, as a share of its images' "
              "distance to their nearest others", 0.01, 1.0)  # fmt: skip


def add_parser(commands) -> None:
    from aegui.core.analysis.duplicates import NEIGHBOURS
    from aegui.core.analysis.duplicates import RATIO as DEFAULT_RATIO

    duplicates = commands.add_parser(
        "duplicates",
        help="find near-duplicate images (re-encoded, resized, slightly cropped copies)",
        description="Encode every image of a dataset or a folder and list the pairs that lie far nearer each "
        "other than images usually lie to their nearest other: copies re-encoded, resized or slightly cropped. "
        "Pairs that share an image make one group.",
    )
    duplicates.add_argument("model", type=Path, metavar="MODEL", help=MODEL_HELP)
    add_data_arguments(duplicates, "the data to search (default: auto)", "a folder of images to search instead")
    duplicates.add_argument("--out", type=Path, metavar="FILE.csv",
                            help="write every pair as CSV: group, file_a, label_a, file_b, label_b, distance (between "
                            "the codes), relative_distance (the larger, by code and by thumbnail, of the distance over "
                            f"the nearer image's distance to its {NEIGHBOURS}th nearest other)")  # fmt: skip
    duplicates.add_argument("--ratio", type=checked(RATIO), default=DEFAULT_RATIO, metavar="R",
                            help="list a pair when its distance is at most R times the distance of either image "
                            f"to its {NEIGHBOURS}th nearest other ({RATIO.describe_range()}; default: "
                            f"{DEFAULT_RATIO}: higher finds more, and more that are only alike)")  # fmt: skip
    duplicates.add_argument("--top", type=checked(SHOWN), default=20, metavar="N",
                            help="how many groups to print (default: 20; --out has them all)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from aegui.cli.encode import progress_line, read_collection
    from aegui.core.analysis.duplicates import duplicate_features, find_duplicates, write_pairs
    from aegui.core.safe_text import shown, terminal_text

    if args.out is not None and args.out.suffix.lower() != ".csv":
        raise AeguiError(f"--out must end in .csv, not {args.out.name!r}.")
    checkpoint, found = read_collection(args, [("--out", args.out)])
    started = time.perf_counter()
    whole = found.fitting.fit == "whole"
    described = [duplicate_features(checkpoint.model, block.images, centre=whole)
                 for block in found.blocks(progress_line("Describing"))]  # fmt: skip
    pairs = find_duplicates([np.concatenate([part[i] for part in described]) for i in (0, 1)], args.ratio)
    seconds = time.perf_counter() - started
    print(
        f"{len(pairs):,} pair{'s' if len(pairs) != 1 else ''} of near-duplicates in {pairs.group_count:,} "
        f"group{'s' if pairs.group_count != 1 else ''} among {len(found.names):,} images ({seconds:.1f} s): "
        f"pairs at most {args.ratio:g} times as far apart as either image is from its {pairs.neighbours}th "
        "nearest other, by the model's code and by a thumbnail" + (" of each image's centre." if whole else ".")
    )
    for group in range(1, min(pairs.group_count, args.top) + 1):
        chosen = pairs.groups == group
        members = pairs.members(group)
        print(
            f"Group {group} ({len(members)} images; nearest pair {float(pairs.distances[chosen].min()):.4g} apart "
            f"in code, at most {float(pairs.relative[chosen].min()):.2f} of the distance to the "
            f"{pairs.neighbours}th nearest):"
        )
        for position in members:
            label = found.label_name(position)
            print(f"    {terminal_text(found.names[position])}" + (f"  ({terminal_text(label)})" if label else ""))
    if pairs.group_count > args.top:
        where = "all in --out" if args.out else "--out FILE.csv lists them all"
        print(f"… and {pairs.group_count - args.top:,} more groups ({where}).")
    if args.out is not None:
        write_pairs(args.out, pairs, found.names, [found.class_name(label) for label in found.labels])
        print(f"Wrote {len(pairs):,} pair{'s' if len(pairs) != 1 else ''} to {shown(args.out)}.")
    return 0
