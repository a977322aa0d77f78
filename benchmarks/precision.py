"""Issue 19: fp32 beside bf16 (autocast) training, side by side in one run.

Speed, every preset: the real Trainer's steps on full MNIST (or the embedded sample), fp32 and bf16
interleaved three times each, samples per second. Quality, 'default': the whole preset trained in
fp32 and in bf16 on the same data with the same seed: test squared error per image and the judge's
accuracy on reconstructions of the real pen digits. And what `auto` picks here, with the default's
training time in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import JUDGE, MNIST_ROOT, REPO, Row, has_mnist

STEPS = 20  # timed steps per measurement, after WARM_UP
WARM_UP = 3
ROUNDS = 2  # fp32 and bf16 alternate this many times: a busy moment hits both alike
WHOLE_ROUNDS = 2  # `aegui train` in fp32 and with auto, alternated
EMULATED_EPOCHS = 2
QUALITY_EPOCHS = 3


def load_data():
    from aegui.core.data.catalog import load_dataset

    return load_dataset("mnist", MNIST_ROOT) if has_mnist() else load_dataset("sample")


def trainer_for(preset_name: str, dataset, precision: str, epochs: int | None = None):
    from aegui.core.model.autoencoder import build_model
    from aegui.core.model.presets import customise, epochs_for, get_preset
    from aegui.core.training.trainer import Trainer

    base = get_preset(preset_name)
    preset = customise(base, train={"precision": precision,
                                    "epochs": epochs or epochs_for(base, len(dataset.train_images))})  # fmt: skip
    torch.manual_seed(0)
    return Trainer(build_model(preset.model), dataset, preset.train)


def samples_per_second(preset_name: str, dataset, precision: str) -> float:
    from aegui.core.training.trainer import BatchEnd

    trainer = trainer_for(preset_name, dataset, precision, epochs=1000)
    started = None
    for event in trainer.iterate():
        if isinstance(event, BatchEnd):
            if event.step == WARM_UP:
                started = time.perf_counter()
            elif event.step == WARM_UP + STEPS:
                seconds = time.perf_counter() - started
                trainer.request_stop()
    return STEPS * trainer.batch_size / seconds


def speed_rows(dataset, native: bool) -> list[Row]:
    from aegui.core.model.presets import PRESETS

    rows = []
    for name in PRESETS:
        speeds = {"fp32": [], "bf16": []}
        for _ in range(ROUNDS):
            for precision in speeds:
                speeds[precision].append(samples_per_second(name, dataset, precision))
        fp32, bf16 = (float(np.median(values)) for values in speeds.values())
        ratio = bf16 / fp32
        bar = ">= 1.5 where the CPU has native bf16" if name == "default" else "(table)"
        ok = (ratio >= 1.5 if native else None) if name == "default" else None
        note = "" if native else "this CPU has no native bf16 (emulated): auto trains in fp32 here"
        rows.append(Row(f"'{name}': bf16 samples/s ÷ fp32", round(ratio, 2), "x", bar,
                        f"fp32 {fp32:,.0f} samples/s, bf16 {bf16:,.0f}", ok, note))  # fmt: skip
    return rows


def pen_accuracy(model) -> float | None:
    from benchmarks.models import pen_inputs

    pens = pen_inputs()
    if pens is None or not JUDGE.exists():
        return None
    sys.path.insert(0, str(JUDGE))
    import judge

    predicted = judge.classify(judge.load(), model.eval().reconstruct(pens[0]))
    return float((predicted == pens[1]).mean())


def quality_rows(dataset, auto: str, native: bool) -> list[Row]:
    """Where bf16 is emulated (20-30x slower than fp32 here) both train EMULATED_EPOCHS instead of the
    preset's: bf16's rounding, and so its quality, is the same emulated or native."""
    from aegui.core.training.trainer import EpochEnd

    results = {}
    for precision in ("fp32", "bf16"):
        trainer = trainer_for("default", dataset, precision, None if native else EMULATED_EPOCHS)
        started = time.perf_counter()
        records = [event for event in trainer.iterate() if isinstance(event, EpochEnd)]
        results[precision] = (records[-1], time.perf_counter() - started, pen_accuracy(trainer.model))
    (full, full_seconds, full_pens), (half, half_seconds, half_pens) = results["fp32"], results["bf16"]
    change = half.test_sse_per_image / full.test_sse_per_image - 1
    rows = [Row("'default' in bf16: test squared error per image, change from fp32", round(100 * change, 2), "%",
                "within 3%", f"fp32 {full.test_sse_per_image:.2f}, bf16 {half.test_sse_per_image:.2f} "
                f"({dataset.name}, {full.epoch} epochs)", abs(change) <= 0.03)]  # fmt: skip
    if full_pens is not None:
        shift = half_pens - full_pens
        both = f"fp32 {full_pens:.4f}, bf16 {half_pens:.4f}"
        rows.append(Row("'default' in bf16: judge accuracy on pen reconstructions, change from fp32", round(shift, 4),
                        "", "within 0.005", both, abs(shift) <= 0.005))  # fmt: skip
    if native:
        seconds = half_seconds if auto == "bf16" else full_seconds
        timing = f"fp32 {full_seconds:.1f} s, bf16 {half_seconds:.1f} s"
    else:  # the whole preset in fp32, which auto takes here
        trainer = trainer_for("default", dataset, "fp32")
        started = time.perf_counter()
        trainer.run()
        seconds, timing = time.perf_counter() - started, "fp32 (bf16 is emulated here: not timed)"
    rows.append(Row(f"'default' trains on {dataset.name} with auto ({auto} here)", round(seconds, 1), "s", "<= 30",
                    timing, seconds <= 30))  # fmt: skip
    return rows


def whole_command(precision: str, folder: Path) -> tuple[float, dict]:
    """Wall time of `aegui train --preset default` as a person runs it (start-up, data, training, evaluation,
    the density fit, saving) and its metrics."""
    metrics = folder / f"{precision}.json"
    command = [sys.executable, "-m", "aegui", "train", "--preset", "default", "--precision", precision,
               "--data-dir", str(MNIST_ROOT), "--save", str(folder / f"{precision}.aegui.pt"), "--metrics-out",
               str(metrics)]  # fmt: skip
    started = time.perf_counter()
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, env=environment)
    return time.perf_counter() - started, json.loads(metrics.read_text())


def whole_command_rows(auto: str) -> list[Row]:
    """`aegui train --preset default` whole, fp32 beside auto, interleaved: the time a person waits."""
    if not has_mnist():
        return []
    seconds: dict[str, list[float]] = {"fp32": [], "auto": []}
    errors: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="aegui-precision-") as folder:
        for _ in range(WHOLE_ROUNDS):
            for precision in seconds:
                wall, metrics = whole_command(precision, Path(folder))
                seconds[precision].append(wall)
                errors[precision] = metrics["final"]["test_sse_per_image"]  # (the same each round: one seed)
    fp32, auto_seconds = (float(np.median(values)) for values in seconds.values())
    error_ratio = errors["auto"] / errors["fp32"]
    ratio = fp32 / auto_seconds
    bar = ">= 1.8 where auto takes bf16"
    return [Row("'default' whole `aegui train`: fp32 seconds ÷ auto's", round(ratio, 2), "x", bar,
                f"fp32 {fp32:.1f} s, auto ({auto}) {auto_seconds:.1f} s; test error auto/fp32 {error_ratio:.4f}",
                ratio >= 1.8 and abs(error_ratio - 1) <= 0.01 if auto == "bf16" else None)]  # fmt: skip


def sample_quality_rows(native: bool) -> list[Row]:
    """Every preset, fp32 beside bf16, on the embedded sample (QUALITY_EPOCHS epochs: bf16 is emulated and
    slow on a CPU without native bf16): test squared error per image and pen reconstructions read right."""
    from aegui.core.data.catalog import load_dataset
    from aegui.core.model.presets import PRESETS
    from aegui.core.training.trainer import EpochEnd

    sample = load_dataset("sample")
    rows = []
    for name in PRESETS:
        scores = {}
        for precision in ("fp32", "bf16"):
            trainer = trainer_for(name, sample, precision, QUALITY_EPOCHS)
            records = [event for event in trainer.iterate() if isinstance(event, EpochEnd)]
            scores[precision] = (records[-1].test_sse_per_image, pen_accuracy(trainer.model))
        (full, full_pens), (half, half_pens) = scores["fp32"], scores["bf16"]
        pens = "" if full_pens is None else f"; pen digits read right: fp32 {full_pens:.4f}, bf16 {half_pens:.4f}"
        both = f"fp32 {full:.2f}, bf16 {half:.2f} after {QUALITY_EPOCHS} epochs of the sample{pens}"
        rows.append(Row(f"'{name}' in bf16: test squared error per image, change from fp32 (sample)",
                        round(100 * (half / full - 1), 2), "%", "(table)", both, None))  # fmt: skip
    return rows


def drawing_rows() -> list[Row]:
    """The window's draw-to-reconstruction latency while it trains in fp32 and in bf16 (its own
    inference is fp32 either way: what changes is what training takes from the CPU)."""
    from benchmarks.common import UNIPEN
    from benchmarks.drawing import latency_rows

    if not UNIPEN.exists():
        return []
    return [row for row in latency_rows(digits=20, precisions=("fp32", "bf16")) if "training" in row.name]


def run() -> list[Row]:
    from aegui.core.model.device import cpu_has_native_bf16, precision_name, resolve_precision

    dataset = load_data()
    native = cpu_has_native_bf16()
    auto = precision_name(resolve_precision("auto", torch.device("cpu")))
    rows = [Row("auto precision on this CPU", None, "", "bf16 where native", "", None,
                f"{auto} (native bf16: {'yes' if native else 'no'})")]  # fmt: skip
    return (rows + whole_command_rows(auto) + speed_rows(dataset, native) + quality_rows(dataset, auto, native)
            + sample_quality_rows(native) + drawing_rows())  # fmt: skip
