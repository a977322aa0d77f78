"""Configurable autoencoders, fully connected or convolutional, with a sigmoid output; plain or
variational (a Gaussian encoder, Kingma & Welling 2014)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from torch import nn

from aegui.core.checks import whole
from aegui.core.data.shapes import stored
from aegui.core.model.configs import ACTIVATION_NAMES, MAX_GENERATED, ModelConfig
from aegui.core.model.density import CodeDensity

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
assert tuple(ACTIVATIONS) == ACTIVATION_NAMES
MAX_LOG_VARIANCE = 30.0  # a VAE's log-variances are clamped to +-30: exp() stays finite in float32


def _stack(sizes: tuple[int, ...], activation: str, last_activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (size_in, size_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(size_in, size_out))
        is_last = index == len(sizes) - 2
        layers.append(ACTIVATIONS[last_activation if is_last else activation]())
    return nn.Sequential(*layers)


class Crop(nn.Module):
    """The top-left (height, width) of a batch of images: transposed convolutions double a side, so an
    image whose side is not a multiple of 2**stages comes back a few pixels larger."""

    def __init__(self, height: int, width: int) -> None:
        super().__init__()
        self.height, self.width = height, width

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images[..., : self.height, : self.width]


class UnflattenChannelsLast(nn.Unflatten):
    """Flat (N, values) to (N, channels, height, width) images stored channels-last: oneDNN's convolutions
    run faster on that layout (a `record30` training step in bf16 ~1.2x). Only the activations change:
    the weights keep their plain layout, so files and optimizer states are as before."""

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        return super().forward(values).contiguous(memory_format=torch.channels_last)


def _convolutions(config: ModelConfig) -> tuple[list[nn.Module], list[nn.Module]]:
    """Encoder layers (the image to its flat features, each stage halving the sides) and their mirror
    for the decoder; for digits with two stages, 1x28x28 to 64x7x7 and back."""
    act = ACTIVATIONS[config.activation]
    image_channels, height, width = config.image_shape
    stages = list(itertools.pairwise((image_channels, *config.channels)))
    encoder: list[nn.Module] = [UnflattenChannelsLast(1, config.image_shape)]
    for size_in, size_out in stages:
        encoder += [nn.Conv2d(size_in, size_out, 3, stride=2, padding=1), act()]
    encoder.append(nn.Flatten())
    decoder: list[nn.Module] = [act(), UnflattenChannelsLast(1, config.conv_features)]
    for index, (size_out, size_in) in enumerate(reversed(stages)):
        decoder.append(nn.ConvTranspose2d(size_in, size_out, 4, stride=2, padding=1))
        if index < len(stages) - 1:
            decoder.append(act())
    _, feature_height, feature_width = config.conv_features
    if (feature_height << len(stages), feature_width << len(stages)) != (height, width):
        decoder.append(Crop(height, width))
    decoder.append(nn.Flatten())
    return encoder, decoder


class LinearPath(nn.Sequential):
    """Layers with a linear map of their input added to the output of the layer at `join` (the last, unless
    layers follow that must see the sum). Iterating gives the layers alone, as a plain Sequential's."""

    def __init__(self, size_in: int, size_out: int, join: int, *layers: nn.Module) -> None:
        super().__init__(*layers)
        self.join = join
        self.path_weight = nn.Parameter(torch.zeros(size_out, size_in))
        self.path_bias = nn.Parameter(torch.zeros(size_out))

    def forward(self, values: torch.Tensor, end: int | None = None) -> torch.Tensor:
        """The layers up to `end` (all by default), the linear map added at the join."""
        output = values
        for index, layer in enumerate(list(self)[:end]):
            output = layer(output)
            if index == self.join:
                output = output + nn.functional.linear(values, self.path_weight, self.path_bias)
        return output


class ClampedLogit(nn.Module):
    """Values meant as pixels, as logits: a sigmoid after it gives them back clamped to (0, 1). The clamp passes
    gradients straight through, so a value beyond the range is still pulled towards its target."""

    LIMIT = 1e-4

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        values = values.float()
        clamped = values + (values.clamp(self.LIMIT, 1.0 - self.LIMIT) - values).detach()
        return torch.logit(clamped)


class AutoEncoder(nn.Module):
    """encode: image -> code; decode: code -> image; forward: both, on flat (N, pixels) tensors (784 per
    digit; a colour image's values channel after channel).

    `encode`, `decode` and `reconstruct` also take numpy arrays (returning numpy) and images shaped
    flat, (N, channels, height, width), a grey model's (N, height, width), or one such image. A VAE's
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
        if self.config.linear_path:
            self._add_linear_path()
        self.density: CodeDensity | None = None  # where codes lie, for `generate` (not a weight: kept beside them)
        if self.config.init == "normal":
            with torch.no_grad():
                for parameter in self.parameters():
                    parameter.normal_(0.0, 1.0)

    def _add_convolutions(self) -> None:
        """Put the convolutions before the dense encoder and after the dense decoder.

        Both stay Sequentials on flat (N, pixels) images, so the rest of aegui treats a convolutional
        model like any other; the decoder still ends with its sigmoid.
        """
        encoder_convs, decoder_convs = _convolutions(self.config)
        self.encoder = nn.Sequential(*encoder_convs, *self.encoder)
        dense = list(self.decoder)[:-1]  # without the sigmoid
        self.decoder = nn.Sequential(*dense, *decoder_convs, nn.Sigmoid())

    def _add_linear_path(self) -> None:
        """A linear map beside the encoder (image to code) and the decoder (code to image, added before the
        output's sigmoid, which then only clamps): `start_from_components` makes it principal components."""
        pixels, code = self.config.pixels, self.config.code_size
        self.encoder = LinearPath(pixels, code, len(self.encoder) - 1, *self.encoder)
        body = list(self.decoder)[:-1]
        self.decoder = LinearPath(code, pixels, len(body) - 1, *body, ClampedLogit(), nn.Sigmoid())
        self.register_buffer("path_started", torch.zeros(()))  # 1 once started from components (kept in files)

    def needs_components(self) -> bool:
        """Whether this is a model with a linear path that has not yet started from its data's components."""
        return self.config.linear_path and not bool(self.path_started)

    def start_from_components(self, mean: torch.Tensor, directions: torch.Tensor) -> None:
        """Begin as principal components: the code is the projection on `directions` (k, D) and the image comes
        back from it; the layers' last maps start at zero, so that they learn what the components miss."""
        if len(directions) < self.code_size:  # (fewer images than code values: the rest start at zero)
            directions = torch.cat((directions, directions.new_zeros(self.code_size - len(directions), len(mean))))
        with torch.no_grad():
            self.encoder.path_weight.copy_(directions)
            self.encoder.path_bias.copy_(-(directions @ mean))
            self.decoder.path_weight.copy_(directions.T)
            self.decoder.path_bias.copy_(mean)
            for sequence in (self.encoder, self.decoder):
                last = [module for module in sequence if isinstance(module, (nn.Linear, nn.Conv2d,
                                                                            nn.ConvTranspose2d))][-1]  # fmt: skip
                last.weight.zero_()
                last.bias.zero_()
            self.path_started.fill_(1)

    @property
    def code_size(self) -> int:
        return self.config.code_size

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of the images it takes in: (1, 28, 28) for digits."""
        return self.config.image_shape

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
            return self.decode_logits(self.encoder(images)), None
        mean, log_variance = self.code_distribution(images)
        mean32, log_variance32 = mean.float(), log_variance.float()  # (the KL in fp32 under bf16 autocast too)
        kl = 0.5 * (mean32.square() + log_variance32.exp() - 1.0 - log_variance32).sum(dim=1)
        code = mean + torch.randn_like(mean) * (0.5 * log_variance).exp() if self.training else mean
        return self.decode_logits(code), kl

    def decode_logits(self, codes: torch.Tensor) -> torch.Tensor:
        """The decoder's output before its sigmoid."""
        if isinstance(self.decoder, LinearPath):
            return self.decoder(codes, end=-1)
        return self.decoder[:-1](codes)

    # --- the friendly API: arrays or tensors, several shapes -------------------------------------

    def encode(self, images: Any) -> Any:
        """Codes (N, code_size) of images with values in [0, 1]; (code_size,) for a single image."""
        batch, as_numpy, shape = self._to_batch(images)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not as_numpy):
            codes = self.encoder(batch)
        return _convert_back(codes[0] if self._is_single(shape) else codes, as_numpy)

    def decode(self, codes: Any) -> Any:
        """Flat images (N, pixels) in [0, 1] decoded from codes (N, code_size) or one code (code_size,)."""
        as_numpy = not isinstance(codes, torch.Tensor)
        tensor = torch.as_tensor(np.asarray(codes, dtype=np.float32) if as_numpy else codes)
        single = tensor.dim() == 1
        tensor = tensor.reshape(-1, self.code_size).to(self._device(), torch.float32)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not as_numpy):
            images = self.decoder(tensor)
        return _convert_back(images[0] if single else images, as_numpy)

    def generate(self, count: int, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
        """`count` new images in [0, 1], (count, height, width) for grey and (count, 3, height, width) for
        colour, decoded from codes drawn from the model's code
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
            return self.decode(codes.numpy()).reshape(-1, *stored(self.image_shape))

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
        if not self._accepts(shape):
            channels, height, width = self.image_shape
            grey = f", (N, {height}, {width}), ({height}, {width})" if channels == 1 else ""
            raise ValueError(
                f"Expected images shaped (N, {self.config.pixels}), (N, {channels}, {height}, {width})"
                f"{grey}, ({self.config.pixels},) or ({channels}, {height}, {width}); got {shape}."
            )
        if tensor.dtype == torch.uint8:
            tensor = tensor.float() / 255.0
        tensor = tensor.to(self._device(), torch.float32).reshape(-1, self.config.pixels)
        if tensor.numel() and not (torch.isfinite(tensor).all() and tensor.min() >= -1e-3 and tensor.max() <= 1.001):
            raise ValueError("Image values must be finite and in [0, 1] (divide 0-255 pixels by 255).")
        return tensor, as_numpy, shape

    def _accepts(self, shape: tuple[int, ...]) -> bool:
        """Whether images of this shape are ones this model takes: flat, stored or (N, channels, h, w)."""
        full = self.image_shape
        return (len(shape) in (1, 2) and shape[-1:] == (self.config.pixels,)) or \
            (shape[-3:] == full and len(shape) in (3, 4)) or \
            (full[0] == 1 and shape[-2:] == full[1:] and len(shape) in (2, 3))  # fmt: skip

    def _is_single(self, shape: tuple[int, ...]) -> bool:
        """Whether an accepted shape is one image (no batch axis)."""
        full = self.image_shape
        return len(shape) == 1 or shape == full or (full[0] == 1 and shape == full[1:])


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
