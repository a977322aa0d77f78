"""`aegui download NAME`: a dataset into the data folder, with progress bars and the existing checks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aegui.core.data import DOWNLOADABLE


def add_parser(commands) -> None:
    download = commands.add_parser("download", help="download a dataset into the data folder")
    download.add_argument("dataset", choices=DOWNLOADABLE)
    download.add_argument("--data-dir", type=Path, help="where to put it (default: the data folder, as for train)")
    download.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the server (default: 30)")
    download.add_argument("--mirror", action="append", metavar="URL", help="download from this base URL instead")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from aegui.core.download import download_dataset
    from aegui.core.folders import default_data_dir

    bars: dict[str, tqdm] = {}

    def progress(name: str, done: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(total=total or None, unit="B", unit_scale=True, desc=name, file=sys.stderr)
        bar.update(done - bar.n)

    target = args.data_dir or default_data_dir()
    try:
        root = download_dataset(args.dataset, target, mirrors=args.mirror, timeout=args.timeout, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    print(f"{args.dataset} is ready in {root}.")
    return 0
