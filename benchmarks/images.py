"""Own images (issue 16): a folder of photographed-looking digits trained on from the CLI, converting
50,000 images (first open and from the cache), and an image dropped on the canvas against
`aegui.image_to_input`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import MNIST_ROOT, REPO, Row, has_mnist, skipped

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
INK = np.array([25, 35, 70], np.float32)  # dark blue ink
PAPER = np.array([238, 232, 215], np.float32)  # cream paper


def write_digit_folder(folder: Path, images: np.ndarray, labels: np.ndarray, side: int = 64,
                       broken: int = 2, text_files: int = 1, seed: int = 0) -> Path:  # fmt: skip
    """MNIST digits as RGB side x side PNGs (a few JPEGs) of dark ink on light paper with a little noise,
    one subfolder per digit named after it ("zero", "one", ...), plus `broken` corrupt image files and
    `text_files` text files among them."""
    from PIL import Image

    names = DIGIT_NAMES
    rng = np.random.default_rng(seed)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        big = np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
        rgb = PAPER * (1 - big[..., None]) + INK * big[..., None] + rng.normal(0, 6, (side, side, 3))
        target = folder / names[int(label)]
        target.mkdir(parents=True, exist_ok=True)
        suffix = ".jpg" if index % 10 == 0 else ".png"
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(target / f"{index:05d}{suffix}")
    for index in range(broken):
        (folder / names[index] / f"broken{index}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(200))
    for index in range(text_files):
        (folder / names[index] / f"notes{index}.txt").write_text("not an image\n")
    return folder


def _mnist(count: int) -> tuple[np.ndarray, np.ndarray]:
    from aegui.core.data.catalog import load_dataset

    mnist = load_dataset("mnist", MNIST_ROOT)
    return mnist.train_images[:count].numpy(), mnist.train_labels[:count].numpy()


def training_rows(folder: Path) -> list[Row]:
    """The issue's folder of 1,200 images trained on with the default preset for 40 epochs."""
    images, labels = _mnist(1200)
    write_digit_folder(folder / "digits", images, labels)
    metrics = folder / "m.json"
    command = [sys.executable, "-m", "aegui", "train", "--preset", "default", "--images", str(folder / "digits"),
               "--epochs", "40", "--metrics-out", str(metrics)]  # fmt: skip
    env = dict(os.environ, AEGUI_CACHE_DIR=str(folder / "cache"))
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=1800)
    said_skipped = "3 files skipped" in done.stdout
    if done.returncode != 0 or not metrics.exists():
        return [Row("train on an image folder", None, "", "completes", "", False, done.stderr[-300:])]
    result = json.loads(metrics.read_text())
    mse = result["epochs"][-1]["test_mse"]
    classes = result["config"]["classes"]
    return [
        Row("image folder: says 3 files skipped", float(said_skipped), "", "1", "", said_skipped),
        Row("image folder, default preset, 40 epochs: test MSE", round(mse, 4), "", "< 0.04", "", mse < 0.04),
        Row("image folder: the classes are the folder names", float(classes == sorted(DIGIT_NAMES)), "", "1",
            "", classes == sorted(DIGIT_NAMES), ", ".join(classes)),
    ]  # fmt: skip


def conversion_rows(folder: Path, count: int = 50_000) -> list[Row]:
    from aegui.core.data.images import load_image_folder

    images, labels = _mnist(count)
    write_digit_folder(folder / "many", images, labels, broken=0, text_files=0)
    cache = folder / "cache"
    started = time.perf_counter()
    first, _report = load_image_folder(folder / "many", cache_dir=cache)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again, report = load_image_folder(folder / "many", cache_dir=cache)
    cached_s = time.perf_counter() - started
    same = bool((first.train_images == again.train_images).all()) and report.from_cache
    return [
        Row(f"convert {count:,} 64x64 images, first open", round(first_s, 1), "s", "<= 60", f"{os.cpu_count()} cores",
            first_s <= 60),
        Row(f"open the same {count:,} from the cache", round(cached_s, 2), "s", "<= 2", "", cached_s <= 2 and same,
            "" if same else "the cache was not used or differs"),
    ]  # fmt: skip


def canvas_rows(folder: Path) -> list[Row]:
    """An image file dropped on the canvas: its model input against image_to_input(path)."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QApplication

    from aegui import image_to_input
    from aegui.gui.drawing.canvas import DrawCanvas
    from benchmarks.common import qt_app

    qt_app()
    images, labels = _mnist(20)
    write_digit_folder(folder / "few", images, labels, broken=0, text_files=0)
    worst = 0.0
    canvas = DrawCanvas()
    canvas.show()
    for path in sorted((folder / "few").rglob("*.*")):
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path))])
        event = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)  # fmt: skip
        canvas.dropEvent(event)
        QApplication.processEvents()
        worst = max(worst, float(np.abs(canvas.model_input() - image_to_input(path)).max()))
    canvas.close()
    return [Row("image dropped on the canvas vs image_to_input: largest difference", worst, "", "<= 1e-6", "",
                worst <= 1e-6)]  # fmt: skip


def run() -> list[Row]:
    if not has_mnist():
        return [skipped("own images", "see issue 16", "../shared/datasets/MNIST is absent")]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        return canvas_rows(folder) + conversion_rows(folder) + training_rows(folder)


def write_photo_folder(folder: Path, per_class: int = 16, side: int = 100, seed: int = 0,
                       layout: tuple[str, ...] = ("train", "validation")) -> Path:  # fmt: skip
    """Real colour photographs as a folder of side x side JPEGs: crops of the two photographs scikit-learn
    ships (a temple in China, a flower), one class each, `per_class` per class, split over `layout`'s
    folders (1 in 4 to each after the first)."""
    from PIL import Image
    from sklearn.datasets import load_sample_images

    rng = np.random.default_rng(seed)
    for label, (name, photo) in enumerate(zip(("china", "flower"), load_sample_images().images, strict=True)):
        height, width = photo.shape[:2]
        for index in range(per_class):
            crop_side = int(rng.integers(side, 3 * side))
            top, left = int(rng.integers(0, height - crop_side)), int(rng.integers(0, width - crop_side))
            crop = Image.fromarray(photo[top : top + crop_side, left : left + crop_side]).resize((side, side))
            part = layout[0] if index % 4 or len(layout) == 1 else layout[1 + (index // 4) % (len(layout) - 1)]
            target = folder / part / name if part else folder / name
            target.mkdir(parents=True, exist_ok=True)
            crop.save(target / f"{name}{index:03d}_{label}.jpg", quality=92)
    return folder
