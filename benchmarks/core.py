"""Issue 2's bars: seed MSE, trainer throughput, default preset time, the no-data run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

from aegui.core.data.catalog import load_dataset
from aegui.core.model.autoencoder import build_model
from aegui.core.model.presets import get_preset
from aegui.core.model.steps import evaluate, make_optimizer
from aegui.core.training.trainer import EpochEnd, Trainer
from benchmarks.common import MNIST_ROOT, REPO, Row, has_mnist, skipped


def bare_loop(model, images: torch.Tensor, config, steps: int, generator: torch.Generator) -> float:
    """A plain PyTorch loop (as in pytorch/examples/mnist): float images prepared once, no records."""
    optimizer = make_optimizer(model, config)
    model.train()
    total = 0.0
    started = time.perf_counter()
    for step in range(steps):
        if step % (len(images) // config.batch_size) == 0:
            order = torch.randperm(len(images), generator=generator)
        start = (step % (len(images) // config.batch_size)) * config.batch_size
        batch = images[order[start : start + config.batch_size]]
        output = model(batch)
        loss = F.mse_loss(output, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return steps * config.batch_size / (time.perf_counter() - started)


def trainer_throughput(model, dataset, config, steps: int) -> float:
    trainer = Trainer(model, dataset, config)
    started = 0.0
    for done, _event in enumerate(trainer.iterate()):
        if done == 0:
            started = time.perf_counter()  # after the first batch, as the bare loop is timed warm
        if done == steps:
            break
    trainer.request_stop()
    return steps * config.batch_size / (time.perf_counter() - started)


ROUNDS = 8


def throughput_rows(dataset) -> list[Row]:
    preset = get_preset("seed")
    images = dataset.train_images.reshape(-1, 784).float() / 255
    steps = 150
    trainer_rates, bare_rates = [], []
    for round_ in range(ROUNDS):  # alternate, so drift on a shared machine hits both alike
        bare_model = build_model(preset.model, seed=round_)
        bare_loop(bare_model, images, preset.train, 5, torch.Generator().manual_seed(0))  # warm up
        for which in ("bare", "trainer") if round_ % 2 else ("trainer", "bare"):  # each goes first half the time
            if which == "bare":
                generator = torch.Generator().manual_seed(round_)
                bare_rates.append(bare_loop(bare_model, images, preset.train, steps, generator))
            else:
                model = build_model(preset.model, seed=round_)
                trainer_rates.append(trainer_throughput(model, dataset, preset.train, steps))
    trainer_rate, bare_rate = statistics.median(trainer_rates), statistics.median(bare_rates)
    ratio = trainer_rate / bare_rate
    return [
        Row("trainer throughput / bare PyTorch loop (seed model, batch 256)", round(ratio, 3), "x", ">= 0.95",
            f"bare loop {bare_rate:,.0f} samples/s vs trainer {trainer_rate:,.0f} "
            f"({torch.get_num_threads()} threads, median of {ROUNDS} rounds, each loop first in half of them)",
            ratio >= 0.95),
    ]  # fmt: skip


def seed_rows(dataset) -> list[Row]:
    preset = get_preset("seed")
    torch.manual_seed(0)
    model = build_model(preset.model)
    records = [e for e in Trainer(model, dataset, preset.train).iterate() if isinstance(e, EpochEnd)]
    # the baseline: the same network in a bare PyTorch loop with torch's default RMSprop, 8 epochs
    torch.manual_seed(0)
    bare = build_model(preset.model)
    images = dataset.train_images.reshape(-1, 784).float() / 255
    optimizer = torch.optim.RMSprop(bare.parameters(), lr=preset.train.lr)
    generator = torch.Generator().manual_seed(0)
    for _ in range(preset.train.epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), preset.train.batch_size):
            batch = images[order[start : start + preset.train.batch_size]]
            loss = F.mse_loss(bare(batch), batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    bare_mse = evaluate(bare, dataset.test_images)["mse"]
    mse = records[-1].test_mse
    return [
        Row("seed preset, full MNIST, 8 epochs: test MSE", round(mse, 5), "", "<= 0.015",
            f"bare PyTorch loop, torch's default RMSprop: {bare_mse:.5f}; lesson's TF training cost 0.1275",
            mse <= 0.015, f"{records[-1].elapsed:.1f} s"),
    ]  # fmt: skip


def default_rows(dataset) -> list[Row]:
    preset = get_preset("default")
    torch.manual_seed(0)
    model = build_model(preset.model)
    started = time.perf_counter()
    records = [e for e in Trainer(model, dataset, preset.train).iterate() if isinstance(e, EpochEnd)]
    seconds = time.perf_counter() - started
    return [
        Row("default preset, full MNIST: training time", round(seconds, 1), "s", "<= 60",
            f"{preset.train.epochs} epochs on {torch.get_num_threads()} CPU threads", seconds <= 60,
            f"test MSE {records[-1].test_mse:.5f}, squared error per image {records[-1].test_sse_per_image:.2f}"),
    ]  # fmt: skip


def no_data_rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "AEGUI_DATA_DIR": os.path.join(empty, "data"), "AEGUI_CACHE_DIR": empty}
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "main.py", "train"], cwd=REPO, env=env, capture_output=True,
                                text=True, timeout=600)  # fmt: skip
        seconds = time.perf_counter() - started
    ok = result.returncode == 0 and "Embedded sample" in result.stdout and "Optimization Finished!" in result.stdout
    return [Row("`python main.py train` with no data folder (embedded sample)", round(seconds, 1), "s",
                "completes", "exit code " + str(result.returncode), ok)]  # fmt: skip


def run() -> list[Row]:
    rows = no_data_rows()
    if not has_mnist():
        why = f"full MNIST not found at {MNIST_ROOT}"
        return rows + [
            skipped("seed preset test MSE", "<= 0.015", why),
            skipped("trainer throughput / bare loop", ">= 0.95", why),
            skipped("default preset training time", "<= 60 s", why),
        ]
    dataset = load_dataset("mnist", MNIST_ROOT)
    return rows + throughput_rows(dataset) + seed_rows(dataset) + default_rows(dataset)
