"""`aegui datasets`: which datasets are in the data folder, and how to get the others."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegui.cli.arguments import is_folder
from aegui.core.errors import AeguiError
from aegui.core.safe_text import shown


def add_parser(commands) -> None:
    datasets = commands.add_parser("datasets", help="list the datasets: which are here, how to get the others")
    datasets.add_argument("--data-dir", type=Path,
                          help="the data folder to look in (default: the one chosen in the window, else the per-user "
                          "data folder)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from aegui.core.data.catalog import available_datasets
    from aegui.core.folders import chosen_data_folder, default_data_dir

    folder = args.data_dir or default_data_dir()
    if args.data_dir is not None and not is_folder(args.data_dir):
        raise AeguiError(f"The data folder {shown(args.data_dir)} does not exist (or is not a folder).")
    chosen = args.data_dir is None and chosen_data_folder() == folder
    print(f"Data folder: {shown(folder)}" + (" (chosen in the window)" if chosen else ""))
    for info in available_datasets(folder):
        mark = "here" if info.present else "    "
        print(f"  {mark}  {info.name:<16} {info.about}\n        {'':<16} {shown(info.where)}")
    print("  Your own images: `aegui train --images DIR`, or File › Choose image folder… in the window.")
    return 0
