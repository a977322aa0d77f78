"""Photos against their simplest peer (issue 43): `aegui train --images DIR` with no options on public photo
collections, its test MSE beside PCA's with as many components as the code has values, fitted on the same training
images, both measured in the same run (the `pca` entry of the metrics file). The collections are named in
AEGUI_PHOTO_SETS as `name=folder` pairs separated by `;` (any folder aegui reads: class folders, train/ and val/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, Row

SECONDS = 300  # the bar: no worse than PCA in at most this long, with no options


def collections() -> list[tuple[str, Path]]:
    pairs = [part.split("=", 1) for part in os.environ.get("AEGUI_PHOTO_SETS", "").split(";") if "=" in part]
    return [(name.strip(), Path(folder.strip())) for name, folder in pairs if Path(folder.strip()).is_dir()]


def _row(name: str, folder: Path, work: Path) -> Row:
    metrics = work / f"{name}.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aegui", "train", "--images", str(folder), "--metrics-out", str(metrics)],
                   check=True, capture_output=True, cwd=REPO)  # fmt: skip
    seconds = time.perf_counter() - started
    written = json.loads(metrics.read_text())
    mse, pca = written["final"]["test_mse"], written["config"]["pca"]
    shape = "x".join(str(side) for side in written["config"]["image_shape"])
    return Row(f"photos: {name}, test MSE over PCA's", mse / pca["test_mse"], "", f"<= 1.0 in <= {SECONDS} s",
               f"PCA with {pca['components']} components {pca['test_mse']:.6f}, aegui {mse:.6f} ({shape}, preset "
               f"{written['config']['preset']}, {len(written['epochs'])} epochs, {seconds:.0f} s whole command)",
               mse <= pca["test_mse"] and seconds <= SECONDS)  # fmt: skip


def run() -> list[Row]:
    found = collections()
    if not found:
        return [Row("photos: test MSE over PCA's", None, "", "<= 1.0", "AEGUI_PHOTO_SETS names no folder", None)]
    with tempfile.TemporaryDirectory() as work:
        return [_row(name, folder, Path(work)) for name, folder in found]
