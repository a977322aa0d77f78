"""What the network learned, as pictures: the first layer's weights (fully connected: one image per
unit; convolutional: one filter per channel, enlarged), what each code value decodes to, and every layer's
activations for one image. Signed values are shown around mid-grey: 0.5 + 0.5 * value / max |value|.
Pictures are (N, height, width) for grey models and (N, height, width, 3) for colour ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from aegui.core.data.shapes import ImageShape, pictures
from aegui.core.model.autoencoder import ACTIVATIONS, AutoEncoder

FILTERS_SHOWN = 64


def _signed(images: np.ndarray) -> np.ndarray:
    """Each image's values around mid-grey, scaled by its largest magnitude, in [0, 1]."""
    flat = images.reshape(len(images), -1)
    largest = np.abs(flat).max(1, keepdims=True)
    return (0.5 + 0.5 * flat / np.where(largest > 0, largest, 1.0)).reshape(images.shape).astype(np.float32)


def _enlarged(filters: np.ndarray, shape: ImageShape) -> np.ndarray:
    """Small filter pictures (N, k, k[, 3]) blown up (nearest neighbour) and centred in the model's image
    size, as the mosaics show them."""
    side, height, width = filters.shape[1], shape[1], shape[2]
    scale = max(1, min(height, width) // side)
    big = filters.repeat(scale, axis=1).repeat(scale, axis=2)
    out = np.full((len(filters), height, width, *filters.shape[3:]), 0.5, np.float32)
    top, left = (height - big.shape[1]) // 2, (width - big.shape[2]) // 2
    out[:, top : top + big.shape[1], left : left + big.shape[2]] = big
    return out


def first_layer(model: AutoEncoder, limit: int = FILTERS_SHOWN) -> tuple[np.ndarray, np.ndarray, int]:
    """The first layer's weights as n pictures in [0, 1] (see the module's note), which units they are and how many
    units the layer has; the most important first: a unit's importance is the size of its input
    weights times the size of the weights that carry its output on (a unit nothing listens to shows
    nothing learned)."""
    layers = [m for m in model.encoder if isinstance(m, (nn.Linear, nn.Conv2d))]
    first, following = layers[0], layers[1] if len(layers) > 1 else None
    with torch.no_grad():
        weights = first.weight.detach().float().numpy()
        units = weights.shape[0]
        incoming = np.linalg.norm(weights.reshape(units, -1), axis=1)
        if following is None:
            outgoing = np.ones(units)
        elif isinstance(following, nn.Conv2d):
            carried_on = following.weight.detach().float().numpy().transpose(1, 0, 2, 3)  # (in, out, k, k)
            outgoing = np.linalg.norm(carried_on.reshape(units, -1), axis=1)
        else:
            outgoing = np.linalg.norm(following.weight.detach().float().numpy()[:, :units], axis=0)
    order = np.argsort(-(incoming * outgoing), kind="stable")[:limit]
    shape = model.image_shape
    if isinstance(first, nn.Conv2d):
        filters = pictures(_signed(weights[order]), (shape[0], *weights.shape[-2:]))
        return _enlarged(filters, shape), order, units
    return pictures(_signed(weights[order]), shape), order, units


def code_directions(model: AutoEncoder, centre: np.ndarray | None = None,
                    spread: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """What each code value does: the decoded image with that value raised by `spread` minus the one
    with it lowered, around `centre` (defaults: zero and one), as code_size pictures in [0, 1]:
    light where raising it adds ink, dark where it removes ink."""
    size = model.code_size
    centre = np.zeros(size, np.float32) if centre is None else np.asarray(centre, np.float32)
    spread = np.ones(size, np.float32) if spread is None else np.asarray(spread, np.float32)
    steps = np.eye(size, dtype=np.float32) * spread[:, None]
    with torch.inference_mode():
        up = model.decoder(torch.from_numpy(centre + steps))
        down = model.decoder(torch.from_numpy(centre - steps))
    return pictures(_signed((up - down).numpy()), model.image_shape)


@dataclass(frozen=True)
class Activation:
    name: str  # e.g. "encoder 1: 1024 relu", "code: 32"
    values: np.ndarray  # (n,) for a fully connected layer, (channels, h, w) for a convolution's


def activations(model: AutoEncoder, image: np.ndarray) -> list[Activation]:
    """Every layer's output for one image (its values in [0, 1], flat or shaped), encoder to decoder:
    after each activation function, and the code."""
    found: list[Activation] = []
    hooks = []
    activation_types = tuple({kind for kind in ACTIVATIONS.values() if kind is not nn.Identity})
    for part, sequence in (("encoder", model.encoder), ("decoder", model.decoder)):
        count = 0
        modules = list(sequence)
        for index, module in enumerate(modules):
            is_code = part == "encoder" and index == len(modules) - 1
            if not (isinstance(module, activation_types) or is_code):
                continue
            count += 1
            name = "code" if is_code else f"{part} {count}: {type(module).__name__.lower()}"

            def keep(_module, _inputs, output, name=name) -> None:
                values = output.detach()[0].float().numpy().copy()
                label = f"{name}: {values.shape[0]}" + (f" channels of {values.shape[1]}x{values.shape[2]}"
                                                        if values.ndim == 3 else "")  # fmt: skip
                found.append(Activation(label, values))

            hooks.append(module.register_forward_hook(keep))
    try:
        with torch.inference_mode():
            pixels = torch.from_numpy(np.ascontiguousarray(image, np.float32).reshape(1, -1))
            model.decoder(model.encoder(pixels))
    finally:
        for hook in hooks:
            hook.remove()
    return found


def strip(values: np.ndarray, width: int = 64) -> np.ndarray:
    """An activation as a picture in [0, 1]: a vector in rows of `width` values, a convolution's feature
    maps side by side; scaled by its largest magnitude (signed values around mid-grey)."""
    values = np.asarray(values, np.float32)
    if values.ndim == 3:  # (channels, h, w): the maps in a row, a pixel apart
        channels, height, map_width = values.shape
        picture = np.full((height, channels * (map_width + 1) - 1), np.nan, np.float32)
        for channel in range(channels):
            picture[:, channel * (map_width + 1) : channel * (map_width + 1) + map_width] = values[channel]
    elif len(values) <= width:
        picture = values.reshape(1, -1)
    else:  # rows of `width` values, the last one padded
        picture = np.full(-(-len(values) // width) * width, np.nan, np.float32)
        picture[: len(values)] = values
        picture = picture.reshape(-1, width)
    finite = picture[np.isfinite(picture)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    negative = finite.size and float(finite.min()) < 0
    scaled = picture / (largest if largest > 0 else 1.0)
    scaled = 0.5 + 0.5 * scaled if negative else scaled
    return np.nan_to_num(scaled, nan=0.25).astype(np.float32)
