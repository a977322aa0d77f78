"""The code space made visible: 2-D maps, their separation scores, decoding anywhere, interpolation.

Hinton & Salakhutdinov's figure compares PCA of the pixels with the autoencoder's 2-D codes. Here a
map is any 2-D placement of test digits; its separation score is the leave-one-out accuracy of a
k-nearest-neighbour vote in the map, so the comparison is a number too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from aegui.core.analysis.code_worth import knn_predict
from aegui.core.analysis.projections import METHODS, Embedding, embed, pca
from aegui.core.data.datasets import Dataset
from aegui.core.data.shapes import describe_shape, shape_of
from aegui.core.errors import Cancelled
from aegui.core.model.autoencoder import ModelConfig, model_for_weights
from aegui.core.model.density import CLASS_FIT_SAMPLES, FIT_SAMPLES, CodeDensity, fit_density
from aegui.core.model.steps import to_float

KNN_K = 10
ENCODE_CHUNK = 4096


def knn_accuracy(points: np.ndarray, labels: np.ndarray, k: int = KNN_K) -> float:
    """Leave-one-out accuracy of a k-nearest-neighbour vote among the points (`code_worth.knn_predict`'s: ties go
    to the nearer neighbours); NaN for k points or fewer."""
    labels = np.asarray(labels, np.int64).reshape(-1)
    if len(labels) <= k:
        return float("nan")
    predicted = knn_predict(points, labels, points, k, own_rows=np.arange(len(labels)))
    return float(np.mean(predicted == labels))


@dataclass(frozen=True)
class LatentMap:
    """Test digits placed by their codes (`embedding`: PCA, t-SNE or UMAP) and by their pixels (by PCA, or
    by the codes' method once laid out: like with like), with both scores."""

    codes: np.ndarray  # (N, code_size)
    embedding: Embedding  # the codes laid out on the plane
    labels: np.ndarray  # (N,)
    score: float
    pixel_points: np.ndarray  # (N, 2), the raw pixels laid out by `pixel_method`
    pixel_score: float
    indices: np.ndarray  # which test digits these are
    pixel_method: str = "pca"  # a key of METHODS
    pixel_explained: float | None = None  # by PCA: the share of the pixels' variance the plane holds
    images: torch.Tensor | None = field(default=None, repr=False, compare=False)  # the test images (uint8)

    @property
    def points(self) -> np.ndarray:
        return self.embedding.points

    def decode_point(self, point: np.ndarray, neighbours: int = 8) -> np.ndarray:
        """A code for any spot of the map (see `Embedding.code_at`)."""
        return self.embedding.code_at(point, neighbours)

    def with_embedding(self, embedding: Embedding) -> LatentMap:
        """The same digits laid out another way (its score computed)."""
        return replace(self, embedding=embedding, score=knn_accuracy(embedding.points, self.labels))

    def with_pixels(self, points: np.ndarray, score: float, method: str) -> LatentMap:
        """The same digits with their pixels laid out by `method` (its score given)."""
        return replace(self, pixel_points=points, pixel_score=score, pixel_method=method, pixel_explained=None)

    def pixels(self) -> np.ndarray:
        """The mapped test images' pixels in [0, 1], one row each (N, pixels)."""
        return to_float(self.images[torch.as_tensor(self.indices)]).numpy()

    @property
    def pixel_title(self) -> str:
        """The pixels' map's name: 'PCA of pixels', 't-SNE of pixels'."""
        return f"{METHODS[self.pixel_method]} of pixels"

    def describe_pixels(self) -> str:
        """How the pixels were laid out, for a sentence: 'PCA of the 784 pixel values (17% of their variance)'."""
        values = self.images[0].numel() if self.images is not None and len(self.images) else 0
        of = f"{METHODS[self.pixel_method]} of the {values:,} pixel values" if values else \
            f"{METHODS[self.pixel_method]} of the pixels"  # fmt: skip
        return f"{of} ({self.pixel_explained:.0%} of their variance)" if self.pixel_explained is not None else of

    def describe(self, noun: str = "digit", classes: int = 10) -> str:
        """Which map is which and what their scores mean, in three sentences."""
        return (f"Codes: {self.embedding.describe()}, separation {self.score:.3f}. Pixels: {self.describe_pixels()}, "
                f"separation {self.pixel_score:.3f}. Separation: the share of {noun}s whose {KNN_K} nearest "
                f"neighbours on the map are mostly of their class (1: classes apart; {1 / max(classes, 1):.2g}: "
                "mixed).")  # fmt: skip


def encode_images(
    config: ModelConfig,
    state: dict[str, torch.Tensor],
    images_uint8: torch.Tensor,
    cancelled: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Codes of uint8 images with a private copy of the model (safe in a worker thread).

    `cancelled` is asked between chunks of 4,096 images; when it says True, `Cancelled` is raised.
    """
    from aegui.core.analysis.codes import iter_codes

    model = model_for_weights(config).eval()
    model.load_state_dict(state)
    blocks, codes = iter_codes(model, images_uint8, ENCODE_CHUNK), []
    for _ in range(0, len(images_uint8), ENCODE_CHUNK):
        if cancelled():
            raise Cancelled("encoding cancelled")
        codes.append(next(blocks))
    return np.concatenate(codes) if codes else np.zeros((0, model.code_size), np.float32)


def fit_model_density(config: ModelConfig, state: dict[str, torch.Tensor], train_images: torch.Tensor,
                      test_images: torch.Tensor | None = None, seed: int = 0,
                      cancelled: Callable[[], bool] = lambda: False,
                      train_labels: torch.Tensor | None = None) -> CodeDensity:  # fmt: skip
    """The density of the model's codes of (up to 20,000 of) the training images, a share of its components
    for each class when `train_labels` are given (see `fit_density`), checked, for a VAE, against the prior
    on the test images' codes. Uses a private copy of the model (worker-safe); `cancelled` as in
    `fit_density`."""
    images_shape = shape_of(tuple(train_images.shape))
    if images_shape != tuple(config.image_shape):
        raise ValueError(f"A code density is fitted to the codes of the model's own images: it takes "
                         f"{describe_shape(config.image_shape)} images, not "
                         f"{describe_shape(images_shape)}.")  # fmt: skip
    rng = np.random.default_rng(seed)
    most = CLASS_FIT_SAMPLES if train_labels is not None else FIT_SAMPLES
    labels = None if train_labels is None else np.asarray(train_labels).reshape(-1)
    if len(train_images) > most:
        chosen = rng.choice(len(train_images), most, replace=False)
        train_images = train_images[torch.as_tensor(chosen)]
        labels = None if labels is None else labels[chosen]
    held_out = None  # (only a VAE's mixture is weighed against its prior on held-out codes)
    if config.variational and test_images is not None and len(test_images):
        held_out = encode_images(config, state, test_images[:FIT_SAMPLES], cancelled)
    codes = encode_images(config, state, train_images, cancelled)
    return fit_density(codes, held_out, config.variational, seed=seed, cancelled=cancelled, labels=labels)


def build_latent_map(
    config: ModelConfig,
    state: dict[str, torch.Tensor],
    images_uint8: torch.Tensor,
    labels: torch.Tensor,
    count: int = 2000,
    pixel_points: np.ndarray | None = None,
    pixel_score: float | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    pixel_explained: float | None = None,
) -> LatentMap:
    """The map of the first `count` test digits, both sides by PCA. Pass the pixel map back in to reuse it."""
    count = min(count, len(images_uint8))
    images, label_array = images_uint8[:count], labels[:count].numpy()
    codes = encode_images(config, state, images, cancelled)
    embedding = embed(codes, "pca")
    if pixel_points is None or len(pixel_points) != count:
        if cancelled():  # (asked between the steps too: a worker may be kept to a share of the CPU there)
            raise Cancelled("the map was cancelled")
        pixels = to_float(images).numpy()
        projection = pca(pixels)
        pixel_points, pixel_explained = projection.project(pixels), projection.explained
        pixel_score = knn_accuracy(pixel_points, label_array)
    return LatentMap(
        codes=codes,
        embedding=embedding,
        labels=label_array,
        score=knn_accuracy(embedding.points, label_array),
        pixel_points=pixel_points,
        pixel_score=float(pixel_score),
        indices=np.arange(count),
        pixel_explained=pixel_explained,
        images=images_uint8,
    )


def interpolate(start: np.ndarray, end: np.ndarray, steps: int = 10) -> np.ndarray:
    """Codes evenly spaced on the line from start to end, both included: (steps, code_size)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(start, np.float32) + t * np.asarray(end, np.float32)


def compute_code_space(config: ModelConfig, state: dict[str, torch.Tensor], dataset: Dataset, count: int,
                       pixel_cache: tuple[np.ndarray, float, float | None] | None,
                       cancel: threading.Event) -> LatentMap:  # fmt: skip
    """The map of `count` test digits (a worker's job; `cancel` set makes it give up between chunks of digits).
    `pixel_cache`: an earlier map's pixel points, score and explained variance, reused. (The whole collection's
    codes, for neighbours and what they are worth, are `gui.code_space.collection_codes`'.)"""
    pixel_points, pixel_score, explained = pixel_cache if pixel_cache else (None, None, None)
    latent = build_latent_map(config, state, dataset.test_images, dataset.test_labels, count, pixel_points,
                              pixel_score, cancel.is_set, explained)  # fmt: skip
    return latent
