"""`aegui download NAME`: a dataset into the data folder, with progress bars and the existing checks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aegui.cli.arguments import checked
from aegui.core.data.datasets import DOWNLOADABLE
from aegui.core.model.fields import Field
from aegui.core.safe_text import shown

TIMEOUT = Field("timeout", "download", float, "The seconds to wait for the server", 1.0, 3600.0)


def add_parser(commands) -> None:
    download = commands.add_parser("download", help="download a dataset into the data folder")
    download.add_argument("dataset", choices=DOWNLOADABLE)
    download.add_argument("--data-dir", type=Path, help="where to put it (default: the data folder, as for train)")
    download.add_argument("--timeout", type=checked(TIMEOUT), default=30.0, metavar="SECONDS",
                          help="seconds to wait for the server (1 to 3600; default: 30)")  # fmt: skip
    download.add_argument("--mirror", action="append", metavar="URL", type=mirror,
                          help="download from this base URL (http or https) instead")  # fmt: skip


def mirror(text: str) -> str:
    """A mirror's base URL: http or https only (a file:// mirror could name a named pipe, and wait forever)."""
    if not text.lower().startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"a mirror is an http:// or https:// address, not {text!r}")
    return text


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from aegui.core.files.download import download_dataset
    from aegui.core.folders import default_data_dir

    bars: dict[str, tqdm] = {}

    def progress(name: str, done: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(
                total=total or None,
                unit="B",
                unit_scale=True,
                desc=name,
                position=0,
                file=getattr(sys.stderr, "raw", sys.stderr),
                disable=not sys.stderr.isatty(),
            )
        bar.update(done - bar.n)

    target = args.data_dir or default_data_dir()
    try:
        root = download_dataset(args.dataset, target, mirrors=args.mirror, timeout=args.timeout, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    print(f"{args.dataset} is ready in {shown(root)}.")
    return 0
