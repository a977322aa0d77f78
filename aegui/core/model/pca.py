"""Principal components of a set of images: the simplest peer of an autoencoder with a code of the same size
(what a model must beat to earn its keep), and the linear path a photo model starts from."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from aegui.core.model.steps import to_float

MAX_IMAGES = 20_000  # fitted on at most this many training images (a seeded sample): seconds, not minutes
CHUNK = 2_000
EXACT_UP_TO = 4_096  # Gram matrices up to this side are decomposed exactly


@dataclass(frozen=True)
class Components:
    """The mean image (D,) and the first k principal directions (k, D), orthonormal rows."""

    mean: torch.Tensor
    directions: torch.Tensor

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Float images (N, D) projected on the directions and back, in [0, 1]."""
        centred = images - self.mean
        return ((centred @ self.directions.T) @ self.directions + self.mean).clamp(0.0, 1.0)

    def test_mse(self, images_uint8: torch.Tensor) -> float:
        """Mean squared error per value of uint8 images reconstructed from k components."""
        total, values = 0.0, 0
        for start in range(0, len(images_uint8), CHUNK):
            batch = to_float(images_uint8[start : start + CHUNK].reshape(-1, self.mean.numel()))
            total += float(((self.reconstruct(batch) - batch) ** 2).sum())
            values += batch.numel()
        return total / max(values, 1)


def fit_components(images_uint8: torch.Tensor, count: int, seed: int = 0) -> Components:
    """The mean and first `count` principal directions of uint8 images (N, ...): from the smaller of the two Gram
    matrices (N x N or D x D) in float64 where that is at most EXACT_UP_TO square (exact, seconds), else by a
    randomized SVD with power iterations (Halko et al. 2011: the leading directions to float precision)."""
    flat = images_uint8.reshape(len(images_uint8), -1)
    if len(flat) > MAX_IMAGES:
        chosen = torch.randperm(len(flat), generator=torch.Generator().manual_seed(seed))[:MAX_IMAGES]
        flat = flat[chosen.sort().values]
    count = min(count, *flat.shape)
    if min(flat.shape) > EXACT_UP_TO:
        data = to_float(flat)
        mean = data.mean(0)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            _, _, vectors = torch.svd_lowrank(data - mean, q=min(count + 16, *flat.shape), niter=6)
        return Components(mean, vectors[:, :count].T.contiguous())
    data = to_float(flat).double()
    mean = data.mean(0)
    data -= mean
    if data.shape[0] >= data.shape[1]:  # more images than values: the covariance's eigenvectors
        values, vectors = torch.linalg.eigh(data.T @ data)
        directions = vectors[:, -count:].flip(1).T
    else:  # fewer images: the Gram matrix's, taken back to pixel space
        values, vectors = torch.linalg.eigh(data @ data.T)
        top, scale = vectors[:, -count:].flip(1), values[-count:].flip(0).clamp_min(1e-12).sqrt()
        directions = (data.T @ top / scale).T
    return Components(mean.float(), directions.float().contiguous())
