"""Choosing the compute device once: auto, cpu, cuda or mps."""

from __future__ import annotations

import torch

from aegui.core.errors import AeguiError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


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


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type
