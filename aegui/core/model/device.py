"""Choosing the compute device once: auto, cpu, cuda or mps."""

from __future__ import annotations

import torch

from aegui.core.errors import AeguiError
from aegui.core.model.configs import DEVICE_CHOICES, PRECISIONS, cpu_has_native_bf16


class DeviceError(AeguiError):
    """A device that was asked for and is not present."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    """The device for a name; 'auto' prefers CUDA, then Apple MPS, then the CPU."""
    if name not in DEVICE_CHOICES:
        raise DeviceError(f"Unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}.")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError("CUDA was asked for, but no CUDA GPU is available to this PyTorch build.")
    if name == "mps" and not _mps_available():
        raise DeviceError("Apple MPS was asked for, but it is not available on this machine.")
    return torch.device(name)


def resolve_device_or_cpu(name: str = "auto") -> tuple[torch.device, str | None]:
    """Like resolve_device, but falls back to the CPU with a note instead of failing."""
    try:
        return resolve_device(name), None
    except DeviceError as error:
        return torch.device("cpu"), f"{error} Using the CPU instead."


def describe_device(device: torch.device, threads: int | None = None) -> str:
    """'cpu (2 threads)', 'cuda (NVIDIA H100)': with the CPU, the threads of this process or those given
    (the window's training process has threads of its own)."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads() if threads is None else threads
        return f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    return device.type


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The dtype to autocast training's forward pass to, or None for fp32 throughout.

    "auto" takes bf16 where the hardware does it natively (a CPU with AVX512-BF16 or AMX, a CUDA GPU
    that supports it) and fp32 elsewhere; "bf16" and "fp32" are taken as asked. Weights, the loss and
    the optimizer's state stay fp32 either way (autocast), so checkpoints are fp32.
    """
    if precision not in PRECISIONS:
        raise DeviceError(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    return None


def precision_name(dtype: torch.dtype | None) -> str:
    return "bf16" if dtype == torch.bfloat16 else "fp32"
