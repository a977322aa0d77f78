"""Training-time changes to the images: small random distortions, and noise for denoising.

Drawn digits differ from MNIST's in position, slant, size and stroke thickness. Training on
digits distorted the same ways (and, for a denoising autoencoder, on noisy inputs with clean
targets) keeps the reconstructions of drawn digits recognisable.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MAX_ROTATION = math.radians(15)
MAX_SCALE = 0.15
MAX_SHIFT_PIXELS = 2.0
THICKNESS_BLEND = 0.6
THIN_CUT = 0.4


def _uniform(n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=device) * 2 - 1


def distort(
    images: torch.Tensor, strength: float, generator: torch.Generator, shape: tuple[int, int, int] = (1, 28, 28)
) -> torch.Tensor:
    """Randomly rotate (up to 15°), scale (±15%), shift (±2 px) and thicken or thin each image.

    `images` are flat floats (N, pixels) in [0, 1] of `shape` (channels, height, width); `strength` in
    [0, 1] scales every change. Shifts are in 28ths of the image's side.
    """
    if strength <= 0:
        return images
    n, device = images.shape[0], images.device
    x = images.reshape(n, *shape)
    angle = _uniform(n, generator, device) * MAX_ROTATION * strength
    scale = 1 + _uniform(n, generator, device) * MAX_SCALE * strength
    shift = torch.stack([_uniform(n, generator, device), _uniform(n, generator, device)], 1)
    shift = shift * (MAX_SHIFT_PIXELS / 14.0) * strength  # affine_grid spans 2 units over 28 pixels
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    choice = torch.rand(n, 1, 1, 1, generator=generator, device=device)
    thicker = F.max_pool2d(x, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-x, 3, stride=1, padding=1)
    amount = THICKNESS_BLEND * strength
    x = torch.where(
        choice < 1 / 3, x + amount * (thicker - x), torch.where(choice < 2 / 3, x + amount * (thinner - x), x)
    )
    return x.reshape(n, -1).clamp_(0.0, 1.0)


def shift_pixels(
    images: torch.Tensor, share: float, generator: torch.Generator, shape: tuple[int, int, int] = (1, 28, 28)
) -> torch.Tensor:
    """Move a random `share` of the images one whole pixel in one of the eight directions, the uncovered
    edge black.

    Nothing is resampled, so every image stays as sharp as it was: training on whole-pixel shifts
    brought `record30`'s test error down where `distort`'s resampled (slightly blurred) images raised it.
    """
    if share <= 0:
        return images
    n, device = images.shape[0], images.device
    channels, height, width = shape
    moved = torch.rand(n, generator=generator, device=device) < share
    direction = torch.randint(0, 8, (n,), generator=generator, device=device)
    offset = direction + (direction >= 4)  # 0..8 without 4, the centre of the 3x3 neighbourhood
    offset = torch.where(moved, offset, torch.full_like(offset, 4))
    padded = F.pad(images.reshape(n, channels, height, width), (1, 1, 1, 1)).reshape(n, -1)
    # each image reads its window of its padded copy, all in one gather: where each of its values sits in
    # the padded image's top-left window, moved down `top` rows and right `left` columns
    row_length, plane = width + 2, (height + 2) * (width + 2)
    window = torch.arange(height, device=device).unsqueeze(1) * row_length + torch.arange(width, device=device)
    window = (torch.arange(channels, device=device).view(-1, 1, 1) * plane + window).reshape(1, -1)
    top, left = offset // 3, offset % 3
    return padded.gather(1, window + (top * row_length + left).unsqueeze(1))


def add_noise(images: torch.Tensor, kind: str, level: float, generator: torch.Generator) -> torch.Tensor:
    """The noisy inputs of a denoising autoencoder: Gaussian noise of std `level`, or a `level`
    fraction of pixels set to black ("masking")."""
    if kind == "gaussian" and level > 0:
        noise = torch.randn(images.shape, generator=generator, device=images.device)
        return (images + level * noise).clamp_(0.0, 1.0)
    if kind == "masking" and level > 0:
        keep = torch.rand(images.shape, generator=generator, device=images.device) >= level
        return images * keep
    return images


def mirror_images(
    images: torch.Tensor, share: float, generator: torch.Generator, shape: tuple[int, int, int]
) -> torch.Tensor:
    """Mirror a random `share` of flat images (N, values) left to right."""
    if share <= 0:
        return images
    n = images.shape[0]
    chosen = torch.rand(n, generator=generator, device=images.device) < share
    grid = images.reshape(n, *shape)
    return torch.where(chosen.view(n, 1, 1, 1), grid.flip(-1), grid).reshape(n, -1)
