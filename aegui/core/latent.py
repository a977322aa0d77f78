"""The code space made visible: 2-D maps, their separation scores, decoding anywhere, neighbours.

Hinton & Salakhutdinov's figure compares PCA of the pixels with the autoencoder's 2-D codes. Here a
map is any 2-D placement of test digits; its separation score is the leave-one-out accuracy of a
k-nearest-neighbour vote in the map, so the comparison is a number too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from aegui.core.data import Dataset
from aegui.core.density import FIT_SAMPLES, CodeDensity, fit_density
from aegui.core.errors import Cancelled
from aegui.core.model import ModelConfig, model_for_weights
from aegui.core.training import to_float

KNN_K = 10
ENCODE_CHUNK = 4096


@dataclass(frozen=True)
class Projection:
    """A linear map to 2-D: y = (x - mean) @ components.T (PCA, or the identity for 2-D codes)."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (2, D), orthonormal rows
    explained: float  # fraction of the variance the two directions hold

    def project(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, np.float32) - self.mean) @ self.components.T

    def inverse(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, np.float32) @ self.components + self.mean


def pca(x: np.ndarray | torch.Tensor, dims: int = 2) -> Projection:
    """Principal components of the rows of x."""
    data = torch.as_tensor(np.asarray(x, np.float32))
    mean = data.mean(0)
    centred = data - mean
    _, singular, vh = torch.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    explained = float(variance[:dims].sum() / variance.sum()) if float(variance.sum()) > 0 else 1.0
    return Projection(mean.numpy(), vh[:dims].numpy().copy(), explained)


def identity_projection(dims: int) -> Projection:
    return Projection(np.zeros(dims, np.float32), np.eye(2, dims, dtype=np.float32), 1.0)


def vote_weights(k: int) -> np.ndarray:
    """Weights for the votes of k neighbours, nearest first: they break ties towards the nearer
    neighbours without changing clear majorities."""
    return (1.0 + np.linspace(1e-3, 0.0, k)).astype(np.float32)


def knn_accuracy(points: np.ndarray, labels: np.ndarray, k: int = KNN_K, chunk: int = 2048) -> float:
    """Leave-one-out accuracy of a k-nearest-neighbour majority vote (ties: the nearest label wins)."""
    x = torch.as_tensor(np.asarray(points, np.float32))
    y = torch.as_tensor(np.asarray(labels, np.int64))
    n = len(x)
    if n <= k:
        return float("nan")
    correct = 0
    for start in range(0, n, chunk):
        distances = torch.cdist(x[start : start + chunk], x)
        rows = torch.arange(distances.shape[0])
        distances[rows, rows + start] = float("inf")  # leave the point itself out
        nearest = distances.topk(k, largest=False).indices  # (c, k), nearest first
        votes = torch.zeros(len(nearest), int(y.max()) + 1)
        weights = torch.as_tensor(vote_weights(k)).expand(len(nearest), k)
        votes.scatter_add_(1, y[nearest], weights)
        correct += int((votes.argmax(1) == y[start : start + chunk]).sum())
    return correct / n


@dataclass(frozen=True)
class LatentMap:
    """Test digits placed by their codes and by PCA of their pixels, with both scores."""

    codes: np.ndarray  # (N, code_size)
    points: np.ndarray  # (N, 2), the codes projected
    labels: np.ndarray  # (N,)
    projection: Projection
    score: float
    pixel_points: np.ndarray  # (N, 2), PCA of the raw pixels
    pixel_score: float
    indices: np.ndarray  # which test digits these are

    def decode_point(self, point: np.ndarray, neighbours: int = 8) -> np.ndarray:
        """A code for any spot of the map.

        For 2-D codes the spot is the code. Otherwise the projection is inverted, and the part of
        the code the projection cannot see is borrowed from the nearest digits on the map (weighted
        by closeness), so the result stays around the data rather than at its blurry mean.
        """
        point = np.asarray(point, np.float32).reshape(2)
        base = self.projection.inverse(point)
        if self.codes.shape[1] == 2:
            return base
        distances = np.linalg.norm(self.points - point, axis=1)
        nearest = np.argsort(distances)[:neighbours]
        weights = 1.0 / (distances[nearest] + 1e-6)
        residuals = self.codes[nearest] - self.projection.inverse(self.points[nearest])
        return base + (weights[:, None] * residuals).sum(0) / weights.sum()


def encode_images(
    config: ModelConfig,
    state: dict[str, torch.Tensor],
    images_uint8: torch.Tensor,
    cancelled: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Codes of uint8 images with a private copy of the model (safe in a worker thread).

    `cancelled` is asked between chunks of 4,096 images; when it says True, `Cancelled` is raised.
    """
    model = model_for_weights(config).eval()
    model.load_state_dict(state)
    codes = []
    with torch.inference_mode():
        for start in range(0, len(images_uint8), ENCODE_CHUNK):
            if cancelled():
                raise Cancelled("encoding cancelled")
            codes.append(model.encoder(to_float(images_uint8[start : start + ENCODE_CHUNK])))
    return torch.cat(codes).numpy()


def fit_model_density(config: ModelConfig, state: dict[str, torch.Tensor], train_images: torch.Tensor,
                      test_images: torch.Tensor | None = None, seed: int = 0,
                      cancelled: Callable[[], bool] = lambda: False) -> CodeDensity:  # fmt: skip
    """The density of the model's codes of (up to 10,000 of) the training images, checked, for a VAE,
    against the prior on the test images' codes. Uses a private copy of the model (worker-safe);
    `cancelled` as in `fit_density`."""
    rng = np.random.default_rng(seed)
    if len(train_images) > FIT_SAMPLES:
        train_images = train_images[torch.as_tensor(rng.choice(len(train_images), FIT_SAMPLES, replace=False))]
    held_out = None
    if test_images is not None and len(test_images):
        held_out = encode_images(config, state, test_images[:FIT_SAMPLES], cancelled)
    codes = encode_images(config, state, train_images, cancelled)
    return fit_density(codes, held_out, config.variational, seed=seed, cancelled=cancelled)


def build_latent_map(
    config: ModelConfig,
    state: dict[str, torch.Tensor],
    images_uint8: torch.Tensor,
    labels: torch.Tensor,
    count: int = 2000,
    pixel_points: np.ndarray | None = None,
    pixel_score: float | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> LatentMap:
    """The map of the first `count` test digits. Pass the pixel map back in to reuse it."""
    count = min(count, len(images_uint8))
    images, label_array = images_uint8[:count], labels[:count].numpy()
    codes = encode_images(config, state, images, cancelled)
    projection = identity_projection(2) if codes.shape[1] == 2 else pca(codes)
    points = projection.project(codes)
    if pixel_points is None or len(pixel_points) != count:
        pixels = to_float(images).numpy()
        pixel_points = pca(pixels).project(pixels)
        pixel_score = knn_accuracy(pixel_points, label_array)
    return LatentMap(
        codes=codes,
        points=points,
        labels=label_array,
        projection=projection,
        score=knn_accuracy(points, label_array),
        pixel_points=pixel_points,
        pixel_score=float(pixel_score),
        indices=np.arange(count),
    )


@dataclass(frozen=True)
class Neighbours:
    indices: np.ndarray  # into the training set, nearest first
    distances: np.ndarray
    labels: np.ndarray
    majority: int  # the most common label among them (ties: the nearer)


def nearest_neighbours(code: np.ndarray, codes: np.ndarray, labels: np.ndarray, k: int = 8) -> Neighbours:
    """The k codes nearest to `code` (Euclidean), and their majority label."""
    distances = np.linalg.norm(codes - np.asarray(code, np.float32), axis=1)
    k = min(k, len(codes))
    nearest = np.argpartition(distances, k - 1)[:k]
    nearest = nearest[np.argsort(distances[nearest])]
    found = labels[nearest]
    votes = np.bincount(found, weights=vote_weights(k), minlength=10)
    return Neighbours(nearest, distances[nearest], found, int(votes.argmax()))


def interpolate(start: np.ndarray, end: np.ndarray, steps: int = 10) -> np.ndarray:
    """Codes evenly spaced on the line from start to end, both included: (steps, code_size)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(start, np.float32) + t * np.asarray(end, np.float32)


def export_codes_csv(path, codes: np.ndarray, labels: np.ndarray) -> None:
    header = "label," + ",".join(f"code_{i}" for i in range(codes.shape[1]))
    table = np.column_stack([labels.astype(np.float64), codes.astype(np.float64)])
    np.savetxt(path, table, delimiter=",", header=header, comments="", fmt=["%d"] + ["%.6g"] * codes.shape[1])


def export_codes_npy(path, codes: np.ndarray, labels: np.ndarray) -> None:
    """A structured array with 'label' and 'code' fields, readable with np.load alone."""
    table = np.zeros(len(codes), dtype=[("label", np.int64), ("code", np.float32, (codes.shape[1],))])
    table["label"], table["code"] = labels, codes
    np.save(path, table)


def compute_code_space(config: ModelConfig, state: dict[str, torch.Tensor], dataset: Dataset, count: int,
                       pixel_cache: tuple[np.ndarray, float] | None, with_training_codes: bool,
                       cancel: threading.Event) -> tuple[LatentMap, np.ndarray | None]:  # fmt: skip
    """The map of `count` test digits and, if asked, the codes of every training digit (a worker's job;
    `cancel` set makes it give up between chunks of digits)."""
    pixel_points, pixel_score = pixel_cache if pixel_cache else (None, None)
    latent = build_latent_map(config, state, dataset.test_images, dataset.test_labels, count, pixel_points,
                              pixel_score, cancel.is_set)  # fmt: skip
    training_codes = encode_images(config, state, dataset.train_images, cancel.is_set) if with_training_codes else None
    return latent, training_codes
