"""Issue 15: how digit-like generated digits are, scored by the fixed judge in ../shared.

Each preset is trained with the command a person runs (`aegui train --preset P --save F`, timed as
a whole: training, evaluation and the density fit); then 10,000 digits are drawn from each way of
sampling and scored side by side: the share the judge reads with probability >= 0.9, and an
inception-style score (exp of the mean KL divergence between each image's class probabilities and
their average; 10 at most, for ten equally used, confidently read digits).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import JUDGE, MNIST_ROOT, REPO, Row, has_mnist, skipped

SAMPLES = 10_000
CONFIDENT = 0.9
TRAIN_MINUTES = 3
GRID = 20


def judge_probabilities(images: np.ndarray) -> np.ndarray:
    sys.path.insert(0, str(JUDGE))
    import judge

    model = judge.load()
    with torch.no_grad():
        logits = model(torch.as_tensor(np.asarray(images, np.float32)).reshape(-1, 1, 28, 28))
    return torch.softmax(logits, 1).numpy()


def scores(images: np.ndarray) -> tuple[float, float]:
    """(share read with p >= 0.9, inception-style score)."""
    probabilities = judge_probabilities(images)
    average = probabilities.mean(0, keepdims=True)
    kl = (probabilities * (np.log(probabilities + 1e-12) - np.log(average + 1e-12))).sum(1).mean()
    return float((probabilities.max(1) >= CONFIDENT).mean()), math.exp(float(kl))


def train(preset: str, folder: Path) -> tuple[Path, float]:
    """The saved model of `aegui train --preset P` on full MNIST, and the command's wall time."""
    path = folder / f"{preset}.aegui.pt"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aegui", "train", "--preset", preset, "--dataset", "mnist", "--data-dir",
                    str(MNIST_ROOT), "--save", str(path)], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    return path, time.perf_counter() - started


def decoded(model, codes: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model.decode(codes.numpy()).reshape(-1, 28, 28)


def run() -> list[Row]:
    if not (has_mnist() and JUDGE.exists()):
        return [skipped("generated digits", "", f"full MNIST ({MNIST_ROOT}) or the judge ({JUDGE}) not found")]
    from aegui.core.analysis.latent import encode_images
    from aegui.core.analysis.mosaic import grid_images
    from aegui.core.data.catalog import load_dataset
    from aegui.core.files.checkpoints import load_checkpoint
    from aegui.core.model.density import CodeDensity

    dataset = load_dataset("mnist", MNIST_ROOT)
    rows: list[Row] = []
    generator = torch.Generator().manual_seed(0)

    def row(name: str, images: np.ndarray, bar_share: str = "", bar_score: str = "", baseline: str = "") -> None:
        share, score = scores(images)
        share_ok = None if not bar_share else share >= float(bar_share.split()[-1])
        score_ok = None if not bar_score else score >= float(bar_score.split()[-1])
        rows.append(Row(f"judge share (p >= 0.9): {name}", round(share, 4), "", bar_share or "-", baseline, share_ok))
        rows.append(Row(f"inception-style score: {name}", round(score, 3), "", bar_score or "-", baseline, score_ok))

    real = dataset.test_images[:SAMPLES].float().numpy() / 255
    row("real test digits", real, baseline="issue: real training digits 0.954 / 9.44")
    real_scores = f"real test digits {scores(real)[0]:.3f} / {scores(real)[1]:.2f}"
    with tempfile.TemporaryDirectory(prefix="aegui-generate-") as folder:
        models = {}
        for preset in ("default", "vae", "vae2d"):
            path, seconds = train(preset, Path(folder))
            models[preset] = load_checkpoint(path).model
            bar = f"<= {TRAIN_MINUTES * 60}" if preset == "vae" else "-"
            rows.append(Row(f"aegui train --preset {preset} (training, evaluation, density fit)", round(seconds, 1),
                            "s", bar, "", seconds <= TRAIN_MINUTES * 60 if preset == "vae" else None))  # fmt: skip
        window_row = _window_sampling_row(Path(folder) / "vae.aegui.pt")

    plain = models["default"]
    codes = encode_images(plain.config, plain.state_dict(), dataset.train_images)
    size = plain.code_size
    row("default AE, codes from N(0, I)", decoded(plain, torch.randn(SAMPLES, size, generator=generator)),
        baseline="issue: 0.004 / 1.22 (784-512-16)")  # fmt: skip
    single = CodeDensity.gaussian(codes)
    row("default AE, one fitted Gaussian", decoded(plain, single.sample(SAMPLES, generator)),
        baseline="issue: 0.372 / 4.91")  # fmt: skip
    row(f"default AE, shipped ({plain.density.describe()})", plain.generate(SAMPLES, seed=0), ">= 0.80",
        baseline="issue: 10 components 0.735 / 7.61, 50: 0.851 / 8.52")  # fmt: skip

    vae = models["vae"]
    row("vae preset, its prior N(0, I)", decoded(vae, CodeDensity.standard_normal(vae.code_size).sample(SAMPLES,
        generator)), baseline="issue: VAE prior 0.358 / 4.72")  # fmt: skip
    row(f"vae preset, shipped ({vae.density.describe()})", vae.generate(SAMPLES, seed=0), ">= 0.93", ">= 8.8",
        baseline=real_scores)  # fmt: skip

    grid = grid_images(models["vae2d"], GRID)
    probabilities = judge_probabilities(grid)
    confident = probabilities.max(1) >= CONFIDENT
    digits = sorted(set(probabilities.argmax(1)[confident].tolist()))
    rows.append(Row(f"vae2d {GRID}x{GRID} manifold: digits among the cells read with p >= 0.9", len(digits), "digits",
                    ">= 10", f"{int(confident.sum())} of {GRID * GRID} cells confident; digits {digits}",
                    len(digits) == 10))  # fmt: skip
    rows.append(window_row)
    return rows


def _window_sampling_row(path: Path) -> Row:
    """Median time of "New batch" (64 digits drawn, decoded and shown) in the window's Generate view,
    with the vae preset's model opened."""
    from benchmarks.common import open_window

    qapp, window = open_window()
    opened = []
    window.session.openEnded.connect(lambda _path, problem: opened.append(problem))
    window.session.open(path)
    while not opened:
        qapp.processEvents()
        time.sleep(0.01)
    window.tabs.setCurrentWidget(window.parts.generate_view)
    qapp.processEvents()
    times = []
    for _ in range(21):
        started = time.perf_counter()
        window.parts.generation.new_batch()
        qapp.processEvents()
        times.append(time.perf_counter() - started)
    shown = len(window.parts.generate_view.mosaic.images())
    window.close()
    median = float(np.median(times[1:])) * 1000
    return Row(f"window: a new batch of {shown} generated digits (median of 20)", round(median, 1), "ms", "<= 50",
               "", median <= 50 and opened == [None] and shown == 64)  # fmt: skip
