"""Images as people have them (issue 27): a folder of real 100x100 colour photographs (crops of the two
photographs scikit-learn ships) trained on with `--size 64 --color rgb` from the command line; the model's
input and its test MSE beside the mean training image's, measured in the same run; and the Sign Language
Digits folder when it is at hand (AEGUI_SIGN_DIGITS: a folder with class subfolders 0..9, or train/ and
validation/ ones), read and trained the same way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import REPO, Row
from benchmarks.images import write_photo_folder


def _train(folder: Path, work: Path, name: str) -> dict:
    metrics = work / f"{name}.json"
    model = work / f"{name}.aegui.pt"
    subprocess.run([sys.executable, "-m", "aegui", "train", "--images", str(folder), "--size", "64", "--color", "rgb",
                    "--save", str(model), "--metrics-out", str(metrics)], check=True, capture_output=True,
                   cwd=REPO)  # fmt: skip
    return json.loads(metrics.read_text())


def _rows(name: str, written: dict) -> list[Row]:
    shape = written["config"]["image_shape"]
    mse, baseline = written["final"]["test_mse"], written["final"]["mean_image_test_mse"]
    return [
        Row(f"colour: {name}, the model's input", shape[0] * shape[1] * shape[2], "values", "3x64x64 = 12288",
            f"{shape[0]}x{shape[1]}x{shape[2]}", shape == [3, 64, 64]),
        Row(f"colour: {name}, test MSE over the mean image's", mse / baseline, "", "well below 1",
            f"test MSE {mse:.5f}, the mean training image's {baseline:.5f} (preset {written['config']['preset']}, "
            f"{len(written['epochs'])} epochs, {written['final']['seconds']:.0f} s)", mse < 0.5 * baseline),
    ]  # fmt: skip


def run() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        photos = write_photo_folder(work / "photos", per_class=120)
        rows += _rows("240 photo crops (sklearn's two photographs)", _train(photos, work, "photos"))
        sign = os.environ.get("AEGUI_SIGN_DIGITS")
        if sign and Path(sign).is_dir():
            rows += _rows("Sign Language Digits (2,062 hand photos, 100x100)", _train(Path(sign), work, "sign"))
    return rows
