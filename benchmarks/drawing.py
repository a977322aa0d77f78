"""Issue 4's bars: real pen digits replayed on the canvas, scored by the fixed MNIST judge.

Each of the 2,313 UNIPEN digits is drawn as a person would: scaled to 55-80% of the canvas height,
shifted off centre at random, and replayed as mouse drags on the real canvas widget.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from benchmarks.common import JUDGE, MNIST_ROOT, UNIPEN, Row, has_mnist, open_window, qt_app, skipped


def load_pen_digits() -> tuple[list[dict], np.ndarray]:
    samples = [json.loads(line) for line in UNIPEN.open()]
    return samples, np.array([int(s["label"]) for s in samples])


def place_like_a_person(strokes, side: int, rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """Height 55-80% of the canvas, aspect kept, not always centred."""
    points = np.concatenate([np.asarray(s, float) for s in strokes])
    low, high = points.min(0), points.max(0)
    extent = np.maximum(high - low, 1.0)
    scale = min(side * rng.uniform(0.55, 0.8) / extent[1], side * 0.9 / extent[0])
    size = extent * scale
    start = rng.uniform(0.03 * side, side - size - 0.03 * side + 1e-9)
    return [[tuple(p) for p in ((np.asarray(s, float) - low) * scale + start).round(1)] for s in strokes]


def replay_on_canvas(samples, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs and whole-canvas shrinks of every sample, drawn with mouse drags on DrawCanvas."""
    from PIL import Image

    qt_app()
    from aegui.gui.drawing.canvas import DrawCanvas
    from tests.gui.conftest import drag

    canvas = DrawCanvas()
    canvas.show()
    side = canvas.width()
    rng = np.random.default_rng(seed)
    inputs, shrunk = [], []
    for sample in samples:
        canvas.clear()
        drag(canvas, place_like_a_person(sample["strokes"], side, rng))
        inputs.append(canvas.model_input())
        picture = canvas.grab().toImage().convertToFormat(canvas.grab().toImage().Format.Format_Grayscale8)
        array = np.array(picture.constBits(), np.uint8).reshape(side, picture.bytesPerLine())[:, :side]
        shrunk.append(np.asarray(Image.fromarray(array).resize((28, 28), Image.Resampling.BOX), np.float32) / 255)
    canvas.close()
    return np.stack(inputs), np.stack(shrunk)


def _judge():
    sys.path.insert(0, str(JUDGE))
    import judge

    return judge, judge.load()


def _train(preset_name: str, dataset):
    import torch

    from aegui.core.model.autoencoder import build_model
    from aegui.core.model.presets import customise, epochs_for, get_preset
    from aegui.core.training.trainer import Trainer

    preset = get_preset(preset_name)
    preset = customise(preset, train={"epochs": epochs_for(preset, len(dataset.train_images))})
    torch.manual_seed(0)
    model = build_model(preset.model)
    started = time.perf_counter()
    Trainer(model, dataset, preset.train).run()
    return model.eval(), time.perf_counter() - started


def accuracy_rows() -> list[Row]:
    from aegui.core.data.catalog import load_dataset
    from aegui.core.data.datasets import load_sample
    from aegui.core.model.presets import epochs_for, get_preset

    judge, judge_model = _judge()
    samples, labels = load_pen_digits()
    inputs, shrunk = replay_on_canvas(samples)
    input_accuracy = float((judge.classify(judge_model, inputs) == labels).mean())
    shrink_accuracy = float((judge.classify(judge_model, shrunk) == labels).mean())
    rows = [
        Row("judge accuracy on the model input of replayed pen digits", round(input_accuracy, 4), "", ">= 0.98",
            f"whole canvas shrunk to 28x28: {shrink_accuracy:.4f}", input_accuracy >= 0.98,
            f"{len(samples):,} pen digits from {UNIPEN.name}"),
    ]  # fmt: skip
    datasets = [("embedded sample", load_sample(), {"default": 0.80, "seed": 0.80})]
    if has_mnist():
        datasets.insert(0, ("full MNIST", load_dataset("mnist", MNIST_ROOT), {"default": 0.95, "seed": 0.90}))
    for data_name, dataset, bars in datasets:
        for preset_name, bar in bars.items():
            model, seconds = _train(preset_name, dataset)
            model_epochs = epochs_for(get_preset(preset_name), len(dataset.train_images))
            reconstructions = model.reconstruct(inputs)
            accuracy = float((judge.classify(judge_model, reconstructions) == labels).mean())
            rows.append(Row(f"judge accuracy on reconstructions: '{preset_name}' trained on {data_name}",
                            round(accuracy, 4), "", f">= {bar}", f"the inputs themselves: {input_accuracy:.4f}",
                            accuracy >= bar, f"{model_epochs} epochs, {seconds:.0f} s"))  # fmt: skip
    if not has_mnist():
        rows.append(skipped("judge accuracy on reconstructions, full MNIST", ">= 0.95", "full MNIST absent"))
    return rows


def latency_rows(digits: int = 50, move_ms: int = 8, precisions: tuple[str, ...] = ()) -> list[Row]:
    """Pen moves every `move_ms` (a 125 Hz pen), event loop running; latency from each move to the
    reconstruction that includes it, in the GUI thread (the compositor's frame pacing comes after).
    Idle, then while training (once per training precision in `precisions`, if given)."""
    from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer

    from tests.gui.conftest import mouse

    samples, _ = load_pen_digits()
    _, window = open_window()

    def replay(chosen) -> np.ndarray:
        events = []
        rng = np.random.default_rng(1)
        left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        for sample in chosen:
            strokes = place_like_a_person(sample["strokes"], window.canvas.width(), rng)
            events.append(("clear",))
            for stroke in strokes:
                events.append((QEvent.Type.MouseButtonPress, *stroke[0], left, left))
                events += [(QEvent.Type.MouseMove, x, y, none, left) for x, y in stroke[1:]]
                events.append((QEvent.Type.MouseButtonRelease, *stroke[-1], left, none))
        window.parts.drawing_controller.drawing_latencies.clear()
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(move_ms)
        remaining = iter(events)

        def step() -> None:
            event = next(remaining, None)
            if event is None:
                timer.stop()
                QTimer.singleShot(100, loop.quit)
            elif event[0] == "clear":
                window.canvas.clear()
            else:
                mouse(window.canvas, *event)

        timer.timeout.connect(step)
        timer.start()
        loop.exec()
        return np.asarray(window.parts.drawing_controller.drawing_latencies) * 1000

    measured = [("idle", replay(samples[:digits]))]
    window.panel.epochs_spin.setValue(50)
    for precision in precisions or (None,):
        if precision is not None:
            window.panel.set_value("precision", precision)
        window.start_training()
        measured.append((f"while training{f' in {precision}' if precision else ''}",
                         replay(samples[digits : 2 * digits])))  # fmt: skip
        stopped = QEventLoop()
        window.session.trainingFinished.connect(stopped.quit)
        window.stop_training()
        if window.session.is_training():
            stopped.exec()  # the run has ended before the next starts
        window.session.trainingFinished.disconnect(stopped.quit)
    window.close()
    rows = []
    for label, latencies in measured:
        p95 = float(np.percentile(latencies, 95))
        detail = (f"median {np.median(latencies):.1f} ms, max {latencies.max():.1f} ms over {len(latencies):,} "
                  f"pen moves ({digits} digits, a move every {move_ms} ms)")  # fmt: skip
        rows.append(Row(f"draw-to-reconstruction latency {label}: p95", round(p95, 1), "ms", "<= 16", detail,
                        p95 <= 16))  # fmt: skip
    return rows


def run() -> list[Row]:
    if not UNIPEN.exists():
        return [skipped("pen-digit benchmarks", "", f"{UNIPEN} absent")]
    return accuracy_rows() + latency_rows()
