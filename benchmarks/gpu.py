"""Issue 7's GPU part: training speed on the accelerator beside the CPU, and that a model trained
there opens on the CPU with the same reconstructions.

Each preset trains one epoch of full MNIST (or the embedded sample) on the CPU and on the
accelerator, in the same run; the figure is the ratio of samples per second. Skipped without CUDA
or Apple MPS.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import MNIST_ROOT, Row, has_mnist, skipped

PRESETS = ("default", "record30")


def accelerator() -> torch.device | None:
    from aegui.core.model.device import resolve_device

    device = resolve_device("auto")
    return None if device.type == "cpu" else device


def samples_per_second(preset_name: str, dataset, device: torch.device) -> tuple[float, torch.nn.Module]:
    from aegui.core.model.autoencoder import build_model
    from aegui.core.model.presets import customise, get_preset
    from aegui.core.training.trainer import EpochEnd, Trainer

    preset = customise(get_preset(preset_name), train={"epochs": 1})
    torch.manual_seed(0)
    model = build_model(preset.model)
    records = [e for e in Trainer(model, dataset, preset.train, device=device).iterate() if isinstance(e, EpochEnd)]
    return records[-1].samples_per_s, model


def opens_on_cpu(model: torch.nn.Module, dataset) -> float:
    """Largest difference between the GPU model's reconstructions and those of its file opened on the CPU."""
    from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint

    images = dataset.test_images[:256].float().div(255).reshape(-1, 784)
    with torch.no_grad():
        on_device = model.eval()(images.to(next(model.parameters()).device)).cpu()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gpu.aegui.pt"
        save_checkpoint(path, model)
        opened = load_checkpoint(path).model.eval()
    with torch.no_grad():
        on_cpu = opened(images)
    return float((on_device - on_cpu).abs().max())


def run() -> list[Row]:
    device = accelerator()
    if device is None:
        return [skipped("GPU training speed-up", "(measured when present)", "no CUDA or Apple MPS device here")]
    from aegui.core.data.catalog import load_dataset
    from aegui.core.data.datasets import load_sample
    from aegui.core.model.device import describe_device

    dataset = load_dataset("mnist", MNIST_ROOT) if has_mnist() else load_sample()
    rows = []
    for name in PRESETS:
        cpu_speed, _ = samples_per_second(name, dataset, torch.device("cpu"))
        gpu_speed, model = samples_per_second(name, dataset, device)
        difference = opens_on_cpu(model, dataset)
        rows.append(Row(f"'{name}': training speed on {describe_device(device)} / CPU", round(gpu_speed / cpu_speed, 2),
                        "x", "(measured)", f"CPU {cpu_speed:,.0f} samples/s ({describe_device(torch.device('cpu'))})",
                        None, f"{gpu_speed:,.0f} samples/s; its file opened on the CPU reconstructs within "
                        f"{difference:.1e}"))  # fmt: skip
        rows.append(Row(f"'{name}': model trained on the GPU, opened on the CPU: largest pixel difference",
                        float(np.float32(difference)), "", "<= 1e-4", "the same model on the GPU",
                        difference <= 1e-4))  # fmt: skip
    return rows
