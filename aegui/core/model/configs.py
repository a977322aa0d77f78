"""What a model and its training are, as checked settings, and the names they choose from: everything the
window's first frame, the command line's parser and the presets need, without importing torch (which
takes a second or more to load)."""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import asdict, dataclass, fields
from numbers import Real
from pathlib import Path
from typing import Any

from aegui.core.checks import ConfigError, choice, number, sizes, whole
from aegui.core.data.shapes import DIGIT_SHAPE, ImageShape, check_shape, describe_shape, pixel_count

ACTIVATION_NAMES = ("sigmoid", "relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "linear")
NOISES = ("none", "gaussian", "masking")
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
SUFFIX = ".aegui.pt"  # a model file's
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo: instructions that compute in bf16
INITS = ("default", "normal")
MODEL_KINDS = ("mlp", "conv")
MAX_CONV_STAGES = 4
MAX_LAYER_SIZE = 16_384
MAX_HIDDEN_LAYERS = 8
MAX_CHANNELS = 1024
MAX_PARAMETERS = 64_000_000  # 256 MB of float32 weights: far beyond what a CPU trains on digits
MAX_GENERATED = 1_000_000


@dataclass(frozen=True)
class ModelConfig:
    """The architecture; the decoder mirrors the encoder.

    `image_shape` (channels, height, width): what it takes in, (1, 28, 28) for digits. kind "mlp": the
    image's values (784 for digits), then `hidden_sizes`, then the code. kind "conv": one stride-2
    convolution per entry of `channels` (2 to 4; two take 28x28 to 7x7), then `hidden_sizes`, then the
    code; the decoder mirrors it with transposed convolutions. variational: the code is the mean of a
    Gaussian whose log-variance a second head gives (the code activation must be linear).
    """

    hidden_sizes: tuple[int, ...] = (256,)
    code_size: int = 128
    activation: str = "sigmoid"
    code_activation: str = "linear"
    init: str = "default"  # "normal": the lesson's unit-normal weights and biases
    kind: str = "mlp"
    channels: tuple[int, ...] = (32, 64)  # "conv" only
    variational: bool = False  # a VAE: the encoder gives a mean and a log-variance per code value
    image_shape: ImageShape = DIGIT_SHAPE
    linear_path: bool = False  # a linear map beside encoder and decoder, starting as principal components

    def __post_init__(self) -> None:
        # everything is checked before any layer exists: a file or a script may hold anything here
        set_field = object.__setattr__
        set_field(self, "kind", choice(self.kind, "model kind", MODEL_KINDS))
        set_field(self, "image_shape", check_shape(self.image_shape))
        set_field(self, "channels", sizes(self.channels, "Convolutional channels", (2, MAX_CONV_STAGES), 1,
                                          MAX_CHANNELS))  # fmt: skip
        set_field(self, "hidden_sizes", sizes(self.hidden_sizes, "Hidden sizes", (0, MAX_HIDDEN_LAYERS), 1,
                                              MAX_LAYER_SIZE))  # fmt: skip
        set_field(self, "code_size", whole(self.code_size, "Code size", 1, self.pixels))
        set_field(self, "activation", choice(self.activation, "activation", ACTIVATION_NAMES))
        set_field(self, "code_activation", choice(self.code_activation, "code activation", ACTIVATION_NAMES))
        set_field(self, "init", choice(self.init, "initialisation", INITS))
        if not isinstance(self.variational, bool):
            raise ConfigError(f"'variational' must be true or false, not {self.variational!r}.")
        if not isinstance(self.linear_path, bool):
            raise ConfigError(f"'linear_path' must be true or false, not {self.linear_path!r}.")
        if self.linear_path and (self.variational or self.code_activation != "linear"):
            raise ConfigError("A linear path adds principal components to the code: the model cannot be a VAE, and "
                              "its code activation must be linear.")  # fmt: skip
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
        if self.linear_path:  # a weight matrix each way, a bias each way
            dense += 2 * self.pixels * self.code_size + self.pixels + self.code_size
        if self.kind != "conv":
            return dense
        stages = tuple(itertools.pairwise((self.image_shape[0], *self.channels)))
        encoder = sum(9 * size_in * size_out + size_out for size_in, size_out in stages)  # 3x3 convolutions
        decoder = sum(16 * size_out * size_in + size_in for size_in, size_out in stages)  # 4x4 transposed
        return dense + encoder + decoder

    @property
    def pixels(self) -> int:
        """Values per input image: channels x height x width (784 for digits)."""
        return pixel_count(self.image_shape)

    @property
    def conv_features(self) -> tuple[int, int, int]:
        """A convolutional model's (channels, height, width) after its convolutions: each stride-2 one
        halves the sides, rounding up (28 to 14 to 7)."""
        height, width = self.image_shape[1:]
        for _ in self.channels:
            height, width = (height + 1) // 2, (width + 1) // 2
        return self.channels[-1], height, width

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        data["channels"] = list(self.channels)
        data["image_shape"] = list(self.image_shape)
        if not self.variational:
            del data["variational"]  # (so that a plain model's file still opens in earlier versions)
        if not self.linear_path:
            del data["linear_path"]  # (likewise)
        if self.image_shape == DIGIT_SHAPE:
            del data["image_shape"]  # (likewise for digit models)
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
        first = math.prod(self.conv_features) if self.kind == "conv" else self.pixels
        return (first, *self.hidden_sizes, self.code_size)

    def describe(self) -> str:
        code = "" if self.code_activation == self.activation else f", {self.code_activation} code"
        if self.kind == "conv":
            dense = "-".join(str(size) for size in (*self.hidden_sizes, self.code_size))
            layers = f"conv {'-'.join(str(size) for size in self.channels)} then {dense}"
        else:
            layers = "-".join(str(size) for size in self.layer_sizes)
        kind = "VAE " if self.variational else ""
        shape = "" if self.image_shape == DIGIT_SHAPE else f"{describe_shape(self.image_shape)} images, "
        path = " beside a linear path (principal components at the start)" if self.linear_path else ""
        return f"{shape}{kind}{layers} (mirrored decoder){path}, {self.activation}{code}, sigmoid output"


LOSSES = ("mse", "bce")
OPTIMIZERS = ("rmsprop", "adam", "sgd")
SCHEDULES = ("constant", "onecycle", "cosine")
MAX_LEARNING_RATE = 1e6  # beyond this nothing useful can happen; a typo such as 1e9 is refused
MAX_BETA = 100.0


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Every field is a command-line option of `aegui train`."""

    epochs: int = 8
    batch_size: int = 256
    lr: float = 0.01
    loss: str = "mse"  # "mse": mean squared error; "bce": binary cross-entropy
    optimizer: str = "rmsprop"
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.0
    schedule: str = "constant"  # "onecycle" or "cosine" anneal the learning rate over the run
    seed: int = 0
    augment: float = 0.0  # strength of random shifts, rotations, scaling and thickness changes, 0 to 1
    shift: float = 0.0  # share of training images moved one whole pixel (sharp: nothing resampled), 0 to 1
    mirror: float = 0.0  # share of training images mirrored left to right (photos: a scene seen the other way), 0 to 1
    noise: str = "none"  # denoising: "gaussian" or "masking" noise on the inputs, clean targets
    noise_level: float = 0.3  # std of the Gaussian noise, or the fraction of pixels masked
    beta: float = 1.0  # VAE only: the KL term's weight (1: the evidence lower bound)
    kl_warmup: int = 0  # VAE only: epochs over which the KL weight rises from 0 to beta
    precision: str = "auto"  # "auto": bf16 where the hardware does it natively, else fp32; or "fp32", "bf16"
    exclude_class: int = -1  # novelty experiments: train without this class (-1: none); it stays in the test set

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "epochs", whole(self.epochs, "Epochs", 1, 100_000))
        set_field(self, "batch_size", whole(self.batch_size, "Batch size", 1, 1_000_000))
        set_field(self, "seed", whole(self.seed, "The seed", 0, 2**32 - 1))
        set_field(self, "lr", check_learning_rate(self.lr))
        set_field(self, "loss", choice(self.loss, "loss", LOSSES))
        set_field(self, "optimizer", choice(self.optimizer, "optimizer", OPTIMIZERS))
        set_field(self, "schedule", choice(self.schedule, "schedule", SCHEDULES))
        set_field(self, "noise", choice(self.noise, "noise", NOISES))
        set_field(self, "momentum", number(self.momentum, "Momentum", 0.0, 1.0, high_open=True))
        set_field(self, "weight_decay", number(self.weight_decay, "Weight decay", 0.0, 1.0, high_open=True))
        set_field(self, "augment", number(self.augment, "Augmentation strength", 0.0, 1.0))
        set_field(self, "shift", number(self.shift, "The share of images shifted", 0.0, 1.0))
        set_field(self, "mirror", number(self.mirror, "The share of images mirrored", 0.0, 1.0))
        set_field(self, "noise_level", number(self.noise_level, "The noise level", 0.0, 1.0))
        set_field(self, "beta", number(self.beta, "The KL weight (beta)", 0.0, MAX_BETA))
        set_field(self, "kl_warmup", whole(self.kl_warmup, "The KL warm-up", 0, 100_000))
        set_field(self, "precision", choice(self.precision, "precision", PRECISIONS))
        set_field(self, "exclude_class", whole(self.exclude_class, "The class left out", -1, 100_000))

    def kl_weight(self, epochs_done: float) -> float:
        """The KL term's weight after `epochs_done` (fractional) epochs of the model's training."""
        return self.beta * min(1.0, epochs_done / self.kl_warmup) if self.kl_warmup else self.beta

    @property
    def denoising(self) -> bool:
        return self.noise != "none" and self.noise_level > 0

    def image_changes(self) -> str:
        """What training does to the images, for a summary line ("" for nothing), e.g.
        ", augment 0.3, 0.9 of images shifted a pixel"."""
        return ((f", augment {self.augment:g}" if self.augment else "")
                + (f", {self.shift:g} of images shifted a pixel" if self.shift else "")
                + (f", {self.noise} noise {self.noise_level:g}" if self.denoising else ""))  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"Unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**data)


def check_learning_rate(lr: float) -> float:
    """The learning rate if usable, else a ConfigError saying why."""
    if isinstance(lr, bool) or not (isinstance(lr, Real) and math.isfinite(lr) and 0.0 < lr <= MAX_LEARNING_RATE):
        raise ConfigError(f"The learning rate must be a number above 0 and at most {MAX_LEARNING_RATE:g}; "
                          f"got {lr!r}.")  # fmt: skip
    return float(lr)


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX), so that bf16 autocast runs faster
    than fp32. Without those instructions bf16 is emulated and several times slower (measured on an
    AVX2-only CPU: 8 vs 53 GFLOP/s for the default's first layer). Read from Linux's /proc/cpuinfo;
    elsewhere unknown, taken as no."""
    try:
        return native_bf16_in(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:
        return False


def native_bf16_in(cpuinfo: str) -> bool:
    """Whether the first CPU's flags in a /proc/cpuinfo text include a native bf16 instruction set."""
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)
