"""Configurable autoencoders, fully connected or convolutional, with a sigmoid output; plain or
variational (a Gaussian encoder, Kingma & Welling 2014)."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from aegui.core.checks import ConfigError, choice, sizes, whole
from aegui.core.data import IMAGE_SIZE, PIXELS
from aegui.core.density import CodeDensity

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "linear": nn.Identity,
}
INITS = ("default", "normal")
MODEL_KINDS = ("mlp", "conv")
CONV_FEATURE_SIDE = 7  # two stride-2 convolutions take 28x28 to 7x7
MAX_LAYER_SIZE = 16_384
MAX_HIDDEN_LAYERS = 8
MAX_CHANNELS = 1024
MAX_PARAMETERS = 64_000_000  # 256 MB of float32 weights: far beyond what a CPU trains on digits
MAX_LOG_VARIANCE = 30.0  # a VAE's log-variances are clamped to +-30: exp() stays finite in float32
MAX_GENERATED = 1_000_000


@dataclass(frozen=True)
class ModelConfig:
    """The architecture; the decoder mirrors the encoder.

    kind "mlp": 784 inputs, then `hidden_sizes`, then the code. kind "conv": two stride-2
    convolutions with `channels` (28x28 to 14x14 to 7x7), then `hidden_sizes`, then the code; the
    decoder mirrors it with transposed convolutions. variational: the code is the mean of a Gaussian
    whose log-variance a second head gives (the code activation must be linear).
    """

    hidden_sizes: tuple[int, ...] = (256,)
    code_size: int = 128
    activation: str = "sigmoid"
    code_activation: str = "linear"
    init: str = "default"  # "normal": the lesson's unit-normal weights and biases
    kind: str = "mlp"
    channels: tuple[int, ...] = (32, 64)  # "conv" only
    variational: bool = False  # a VAE: the encoder gives a mean and a log-variance per code value

    def __post_init__(self) -> None:
        # everything is checked before any layer exists: a file or a script may hold anything here
        set_field = object.__setattr__
        set_field(self, "kind", choice(self.kind, "model kind", MODEL_KINDS))
        set_field(self, "channels", sizes(self.channels, "Convolutional channels", (2, 2), 1, MAX_CHANNELS))
        set_field(self, "hidden_sizes", sizes(self.hidden_sizes, "Hidden sizes", (0, MAX_HIDDEN_LAYERS), 1,
                                              MAX_LAYER_SIZE))  # fmt: skip
        set_field(self, "code_size", whole(self.code_size, "Code size", 1, PIXELS))
        set_field(self, "activation", choice(self.activation, "activation", tuple(ACTIVATIONS)))
        set_field(self, "code_activation", choice(self.code_activation, "code activation", tuple(ACTIVATIONS)))
        set_field(self, "init", choice(self.init, "initialisation", INITS))
        if not isinstance(self.variational, bool):
            raise ConfigError(f"'variational' must be true or false, not {self.variational!r}.")
        if self.variational and self.code_activation != "linear":
            raise ConfigError("A variational autoencoder's code is a Gaussian's mean: its code activation must "
                              f"be linear, not {self.code_activation}.")  # fmt: skip
        if self.parameter_count() > MAX_PARAMETERS:
            raise ConfigError(f"This architecture has {self.parameter_count():,} weights; aegui trains and opens "
                              f"models of up to {MAX_PARAMETERS:,}.")  # fmt: skip

    def parameter_count(self) -> int:
        """Weights and biases of encoder and decoder, counted from the sizes (nothing is allocated)."""
        dense = sum(2 * (size_in * size_out) + size_in + size_out
                    for size_in, size_out in itertools.pairwise(self.layer_sizes))  # fmt: skip
        if self.variational:  # the log-variance head
            dense += (self.layer_sizes[-2] + 1) * self.code_size
        if self.kind != "conv":
            return dense
        first, second = self.channels
        encoder = (9 * first + first) + (9 * first * second + second)  # 3x3 convolutions
        decoder = (16 * second * first + first) + (16 * first + 1)  # 4x4 transposed convolutions
        return dense + encoder + decoder

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        data["channels"] = list(self.channels)
        if not self.variational:
            del data["variational"]  # (so that a plain model's file still opens in earlier versions)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"Unknown model settings: {', '.join(sorted(unknown))}.")
        return cls(**data)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Sizes of the dense part from its input to the code, e.g. (784, 256, 128)."""
        first = self.channels[1] * CONV_FEATURE_SIDE**2 if self.kind == "conv" else PIXELS
        return (first, *self.hidden_sizes, self.code_size)

    def describe(self) -> str:
        code = "" if self.code_activation == self.activation else f", {self.code_activation} code"
        if self.kind == "conv":
            dense = "-".join(str(size) for size in (*self.hidden_sizes, self.code_size))
            layers = f"conv {self.channels[0]}-{self.channels[1]} then {dense}"
        else:
            layers = "-".join(str(size) for size in self.layer_sizes)
        kind = "VAE " if self.variational else ""
        return f"{kind}{layers} (mirrored decoder), {self.activation}{code}, sigmoid output"


def _stack(sizes: tuple[int, ...], activation: str, last_activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (size_in, size_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(size_in, size_out))
        is_last = index == len(sizes) - 2
        layers.append(ACTIVATIONS[last_activation if is_last else activation]())
    return nn.Sequential(*layers)


def _convolutions(channels: tuple[int, ...], activation: str) -> tuple[list[nn.Module], list[nn.Module]]:
    """Encoder layers (1x28x28 to flat c2x7x7) and their mirror for the decoder."""
    first, second = channels
    act = ACTIVATIONS[activation]
    encoder = [
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, first, 3, stride=2, padding=1), act(),
        nn.Conv2d(first, second, 3, stride=2, padding=1), act(),
        nn.Flatten(),
    ]  # fmt: skip
    decoder = [
        act(),
        nn.Unflatten(1, (second, CONV_FEATURE_SIDE, CONV_FEATURE_SIDE)),
        nn.ConvTranspose2d(second, first, 4, stride=2, padding=1), act(),
        nn.ConvTranspose2d(first, 1, 4, stride=2, padding=1),
        nn.Flatten(),
    ]  # fmt: skip
    return encoder, decoder


class AutoEncoder(nn.Module):
    """encode: image -> code; decode: code -> image; forward: both, on (N, 784) tensors.

    `encode`, `decode` and `reconstruct` also take numpy arrays (returning numpy) and images
    shaped (N, 784), (N, 28, 28), (N, 1, 28, 28), or a single (784,) / (28, 28) image. A VAE's
    `encoder` gives the Gaussian's mean (its code); `code_log_variance` the second head. `generate`
    decodes codes drawn from `density` (a VAE without one: from its prior).
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        sizes = self.config.layer_sizes
        self.encoder = _stack(sizes, self.config.activation, self.config.code_activation)
        self.decoder = _stack(tuple(reversed(sizes)), self.config.activation, "sigmoid")
        if self.config.kind == "conv":
            self._add_convolutions()
        if self.config.variational:
            self.code_log_variance = nn.Linear(sizes[-2], self.config.code_size)
        self.density: CodeDensity | None = None  # where codes lie, for `generate` (not a weight: kept beside them)
        if self.config.init == "normal":
            with torch.no_grad():
                for parameter in self.parameters():
                    parameter.normal_(0.0, 1.0)

    def _add_convolutions(self) -> None:
        """Put the convolutions before the dense encoder and after the dense decoder.

        Both stay Sequentials on flat (N, 784) images, so the rest of aegui treats a convolutional
        model like any other; the decoder still ends with its sigmoid.
        """
        encoder_convs, decoder_convs = _convolutions(self.config.channels, self.config.activation)
        self.encoder = nn.Sequential(*encoder_convs, *self.encoder)
        dense = list(self.decoder)[:-1]  # without the sigmoid
        self.decoder = nn.Sequential(*dense, *decoder_convs, nn.Sigmoid())

    @property
    def code_size(self) -> int:
        return self.config.code_size

    def parameter_count(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images))

    def forward_logits(self, images: torch.Tensor) -> torch.Tensor:
        """The output before its sigmoid, for a numerically stable cross-entropy."""
        return self.logits_and_kl(images)[0]

    def code_distribution(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A VAE's Gaussian over codes: (mean, log-variance), each (N, code_size)."""
        hidden = self.encoder[:-2](images)  # the last two: the code's linear layer and its (identity) activation
        return self.encoder[-2](hidden), self.code_log_variance(hidden).clamp(-MAX_LOG_VARIANCE, MAX_LOG_VARIANCE)

    def logits_and_kl(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The output's logits and, for a VAE, each image's KL divergence from the prior (nats). In
        training mode a VAE decodes a sample of its Gaussian (the reparameterisation trick); in
        evaluation mode, its mean."""
        if not self.config.variational:
            return self.decoder[:-1](self.encoder(images)), None
        mean, log_variance = self.code_distribution(images)
        kl = 0.5 * (mean.square() + log_variance.exp() - 1.0 - log_variance).sum(dim=1)
        code = mean + torch.randn_like(mean) * (0.5 * log_variance).exp() if self.training else mean
        return self.decoder[:-1](code), kl

    # --- the friendly API: arrays or tensors, several shapes -------------------------------------

    def encode(self, images: Any) -> Any:
        """Codes (N, code_size) of images with values in [0, 1]; (code_size,) for a single image."""
        batch, as_numpy, shape = self._to_batch(images)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not as_numpy):
            codes = self.encoder(batch)
        single = len(shape) == 1 or shape == (IMAGE_SIZE, IMAGE_SIZE)
        return _convert_back(codes[0] if single else codes, as_numpy)

    def decode(self, codes: Any) -> Any:
        """Images (N, 784) in [0, 1] decoded from codes (N, code_size) or one code (code_size,)."""
        as_numpy = not isinstance(codes, torch.Tensor)
        tensor = torch.as_tensor(np.asarray(codes, dtype=np.float32) if as_numpy else codes)
        single = tensor.dim() == 1
        tensor = tensor.reshape(-1, self.code_size).to(self._device(), torch.float32)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not as_numpy):
            images = self.decoder(tensor)
        return _convert_back(images[0] if single else images, as_numpy)

    def generate(self, count: int, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
        """`count` new images (count, 28, 28) in [0, 1], decoded from codes drawn from the model's code
        density; `temperature` below 1 draws nearer each component's centre (clearer, less varied)."""
        density = self.density
        if density is None and self.config.variational:
            density = CodeDensity.standard_normal(self.code_size)
        if density is None:
            raise ValueError(
                "This model has no code density to sample from yet: fit one to its training codes "
                "(model.density = aegui.fit_model_density(...)), or train it with aegui, which does."
            )
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        codes = density.sample(whole(count, "The number of images", 0, MAX_GENERATED), generator, temperature)
        with torch.no_grad():
            return self.decode(codes.numpy()).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)

    def reconstruct(self, images: Any) -> Any:
        """decode(encode(images)), shaped like the input."""
        batch, as_numpy, shape = self._to_batch(images)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not as_numpy):
            output = self.forward(batch)
        return _convert_back(output.reshape(shape), as_numpy)

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def _to_batch(self, images: Any) -> tuple[torch.Tensor, bool, tuple[int, ...]]:
        as_numpy = not isinstance(images, torch.Tensor)
        tensor = torch.as_tensor(np.asarray(images)) if as_numpy else images
        shape = tuple(tensor.shape)
        flat = len(shape) in (1, 2) and shape[-1:] == (PIXELS,)
        square = shape[-2:] == (IMAGE_SIZE, IMAGE_SIZE) and (len(shape) in (2, 3) or shape[-3:-2] == (1,))
        if not (flat or square) or len(shape) > 4:
            raise ValueError(
                f"Expected images shaped (N, 784), (N, 28, 28), (N, 1, 28, 28), (784,) or (28, 28); got {shape}."
            )
        if tensor.dtype == torch.uint8:
            tensor = tensor.float() / 255.0
        tensor = tensor.to(self._device(), torch.float32).reshape(-1, PIXELS)
        if tensor.numel() and not (torch.isfinite(tensor).all() and tensor.min() >= -1e-3 and tensor.max() <= 1.001):
            raise ValueError("Image values must be finite and in [0, 1] (divide 0-255 pixels by 255).")
        return tensor, as_numpy, shape


def _convert_back(tensor: torch.Tensor, as_numpy: bool) -> Any:
    return tensor.detach().cpu().numpy() if as_numpy else tensor


def model_for_weights(config: ModelConfig) -> AutoEncoder:
    """A model whose weights are about to be loaded: memory allocated, no random initialisation
    (which, for the default model, costs more than loading the weights)."""
    with torch.device("meta"):
        model = AutoEncoder(config)
    return model.to_empty(device="cpu")


def build_model(config: ModelConfig, seed: int | None = None) -> AutoEncoder:
    """A new model; with a seed, its initial weights are reproducible."""
    if seed is None:
        return AutoEncoder(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return AutoEncoder(config)
