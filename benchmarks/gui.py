"""Issue 3's bars: responsiveness while training, throughput in the app, start-up time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

from benchmarks.common import MNIST_ROOT, REPO, Row, has_mnist, open_window, qt_app, skipped

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _headless_samples_per_s(dataset, preset_name: str, epochs: int) -> float:
    import torch

    from aegui.core.model import build_model
    from aegui.core.presets import customise, get_preset
    from aegui.core.training import EpochEnd, Trainer

    preset = customise(get_preset(preset_name), train={"epochs": epochs})
    torch.manual_seed(0)
    trainer = Trainer(build_model(preset.model), dataset, preset.train)
    records = [e for e in trainer.iterate() if isinstance(e, EpochEnd)]
    return float(np.mean([r.samples_per_s for r in records]))


def _app_run(window, qapp, epochs: int, heartbeat_ms: int | None = 10) -> tuple[float, np.ndarray]:
    """Train in the window; return samples/s and the gaps of a heartbeat timer in the GUI thread.

    The heartbeat wakes the GUI thread 100 times a second, which itself costs training some speed,
    so throughput is measured in runs without it.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    from aegui.core.training import EpochEnd

    records, beats = [], []
    window.panel.epochs_spin.setValue(epochs)
    window.new_model()  # fresh weights each run, without the unsaved-training question
    heartbeat = QTimer()
    heartbeat.setInterval(heartbeat_ms or 10)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    loop = QEventLoop()
    window.trainingFinished.connect(loop.quit)
    if heartbeat_ms:
        heartbeat.start()
    window.start_training()
    window._worker.yielded.connect(lambda item: records.append(item) if isinstance(item, EpochEnd) else None)
    loop.exec()
    window.trainingFinished.disconnect(loop.quit)
    heartbeat.stop()
    gaps = np.diff(np.asarray(beats)) * 1000 if beats else np.zeros(0)
    return float(np.mean([r.samples_per_s for r in records])), gaps


def responsiveness_rows(preset_name: str = "default", epochs: int = 2) -> list[Row]:
    from aegui.core.data import load_dataset

    qapp, window = open_window()
    dataset = load_dataset("mnist", MNIST_ROOT)
    window.panel.preset_combo.setCurrentIndex(window.panel.preset_combo.findData(preset_name))
    _, gaps = _app_run(window, qapp, epochs)  # responsiveness, heartbeat running
    headless, in_app = [], []
    for _ in range(4):  # throughput: alternate, so drift on a shared machine hits both alike
        headless.append(_headless_samples_per_s(dataset, preset_name, epochs))
        in_app.append(_app_run(window, qapp, epochs, heartbeat_ms=None)[0])
    window.close()
    ratio = float(np.median(in_app) / np.median(headless))
    p99, worst = float(np.percentile(gaps, 99)), float(gaps.max())
    return [
        Row("GUI heartbeat (10 ms timer) while training: p99 gap", round(p99, 1), "ms", "<= 50",
            f"{len(gaps):,} beats over {epochs} epochs of '{preset_name}' on full MNIST", p99 <= 50),
        Row("GUI heartbeat while training: largest gap", round(worst, 1), "ms", "<= 200", "same run", worst <= 200),
        Row(f"training throughput in the app / headless ('{preset_name}')", round(ratio, 3), "x", ">= 0.85",
            f"app {np.median(in_app):,.0f} vs headless {np.median(headless):,.0f} samples/s, medians of 4 "
            "alternating runs (no heartbeat)",
            ratio >= 0.85),
    ]  # fmt: skip


def loss_plot_rows(points: int = 200_000) -> list[Row]:
    """The live loss plot holding many batch losses: the cost of one more chunk arriving, painted."""
    qapp = qt_app()
    import aegui.gui  # noqa: F401  (pyqtgraph options)
    from aegui.gui.loss_plot import LossPlot

    plot = LossPlot()
    plot.resize(900, 300)
    plot.show()
    for _ in range(5):
        qapp.processEvents()
    plot.begin_run(0, 1000, points // 1000)
    losses = np.exp(-np.linspace(0, 5, points)) + np.random.default_rng(0).normal(0, 0.01, points)
    for start in range(0, points - 1000, 10_000):
        plot.add_batch_losses(losses[start : start + 10_000], start + 1)
    times = []
    for chunk in range(10):
        start = points - 1000 + chunk * 100
        begun = time.perf_counter()
        plot.add_batch_losses(losses[start : start + 100], start + 1)
        plot._redraw_batches.flush()
        plot.viewport().repaint()
        times.append((time.perf_counter() - begun) * 1000)
    plot.close()
    worst = max(times)
    return [Row(f"loss plot holding {points:,} batch losses: add a chunk and repaint", round(worst, 1), "ms",
                "fast (< 100)", f"median {np.median(times):.1f} ms; peak downsampling and clip-to-view on",
                worst < 100)]  # fmt: skip


def startup_rows(runs: int = 3) -> list[Row]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "main.py", "gui", "--exit-when-shown"], cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
        for line in process.stdout:
            if "window shown" in line:
                times.append(time.perf_counter() - started)
                break
        process.wait(timeout=60)
    seconds = float(np.median(times)) if times else float("inf")
    return [Row("`python main.py` to the window shown", round(seconds, 2), "s", "<= 3",
                f"median of {runs} cold starts (imports torch, Qt, pyqtgraph)", seconds <= 3)]  # fmt: skip


def run() -> list[Row]:
    rows = startup_rows() + loss_plot_rows()
    if not has_mnist():
        why = f"full MNIST not found at {MNIST_ROOT}"
        return rows + [skipped("GUI heartbeat while training", "p99 <= 50 ms", why),
                       skipped("training throughput in the app / headless", ">= 0.85", why)]  # fmt: skip
    return rows + responsiveness_rows()
