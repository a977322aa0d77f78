"""A reader's own copy of a model, refreshed from published snapshots.

The window draws with this copy, never with the model the optimizer is stepping: a snapshot is
a set of detached tensors, and loading it here is a plain copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aegui.core.data.shapes import picture, pictures
from aegui.core.model.autoencoder import AutoEncoder, ModelConfig, model_for_weights
from aegui.core.model.steps import to_float
from aegui.core.training.trainer import Snapshot


@dataclass(frozen=True)
class Reconstruction:
    code: np.ndarray  # (code_size,)
    image: np.ndarray  # a picture in [0, 1]: (height, width), or (height, width, 3) in colour
    error: float  # mean squared error against the input


class InferenceModel:
    """Encode and decode single drawings quickly, on the CPU, without touching autograd. Images come back
    as pictures to show: (height, width) grey, (height, width, 3) colour (`shapes.pictures`)."""

    def __init__(self, config: ModelConfig, state: dict[str, torch.Tensor] | None = None) -> None:
        self.config = config
        self.model = (model_for_weights(config) if state is not None else AutoEncoder(config)).eval()
        self.version: int | None = None
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)
        if state is not None:
            self.load_state(state)

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        """Take these weights; the next snapshot is taken whatever its version (versions restart with each run)."""
        with torch.no_grad():
            self.model.load_state_dict(state)
        self.version = None

    def update(self, snapshot: Snapshot | None) -> bool:
        """Take a newer snapshot's weights; True if anything changed."""
        if snapshot is None or snapshot.version == self.version:
            return False
        self.load_state(snapshot.state)
        self.version = snapshot.version
        return True

    def reconstruct(self, image: np.ndarray) -> Reconstruction:
        with torch.inference_mode():
            pixels = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).reshape(1, -1)
            code = self.model.encoder(pixels)
            output = self.model.decoder(code)
            error = float(torch.mean((output - pixels) ** 2))
        return Reconstruction(code[0].numpy().copy(), picture(output.numpy(), self.config.image_shape), error)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """The picture of one code (code_size,), or the pictures of codes (N, code_size)."""
        codes = np.asarray(codes, np.float32)
        with torch.inference_mode():
            output = self.model.decoder(torch.as_tensor(codes).reshape(-1, self.config.code_size))
        shown = pictures(output.numpy(), self.config.image_shape)
        return shown[0] if codes.ndim == 1 else shown

    def reconstruct_many(self, images: torch.Tensor) -> np.ndarray:
        """Reconstructions (pictures) of flat float images (N, pixels) in [0, 1]."""
        with torch.inference_mode():
            return pictures(self.model(images).numpy(), self.config.image_shape)

    def encode_many(self, images_uint8: torch.Tensor) -> np.ndarray:
        """Codes (N, code_size) of uint8 images."""
        with torch.inference_mode():
            return self.model.encoder(to_float(images_uint8)).numpy()

    def code_range(self, images_uint8: torch.Tensor) -> tuple[float, float]:
        """A fixed scale for code bars: where 99% of the code values of these images fall."""
        return bar_range(self.encode_many(images_uint8))


def bar_range(codes: np.ndarray) -> tuple[float, float]:
    """Where 99% of all these code values fall (0 included): one scale for every code bar."""
    codes = codes[np.isfinite(codes)]  # weights on the edge of diverging can overflow
    low, high = np.percentile(codes, [0.5, 99.5]) if codes.size else (0.0, 1.0)
    low, high = min(float(low), 0.0), max(float(high), 0.0)
    if high - low < 1e-6:
        high = low + 1.0
    return low, high


def slider_ranges(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each code value falls on these digits (99%): one span per code value."""
    codes = np.nan_to_num(codes, nan=0.0, posinf=0.0, neginf=0.0)  # weights near diverging
    low, high = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    return low, np.maximum(high, low + 1e-3)


@dataclass(frozen=True)
class CodeScales:
    config: ModelConfig  # the model they are for
    bars: tuple[float, float]
    slider_low: np.ndarray
    slider_high: np.ndarray


def code_scales(config: ModelConfig, state: dict[str, torch.Tensor], images_uint8: torch.Tensor) -> CodeScales:
    """The code bars' scale and the sliders' spans from one encoding of test digits (a worker's job:
    `state` is a detached copy of the weights)."""
    codes = InferenceModel(config, state).encode_many(images_uint8)
    return CodeScales(config, bar_range(codes), *slider_ranges(codes))
