"""What a model's codes are worth where the images have labels: how often an image's k nearest training images
(by Euclidean distance) name its class, on the codes, beside the same on principal components with as many
components (the linear peer every model is compared with) and on the raw pixels. A code that keeps what tells
the classes apart scores near the pixels, or above them, in far fewer values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from aegui.core.data.datasets import Dataset
from aegui.core.errors import Cancelled
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.steps import to_float

NEIGHBOURS = 5
MAX_TRAIN = 20_000  # a seeded sample of at most this many training images is searched (seconds, not minutes)
MAX_TEST = 5_000  # and at most this many test images are classified
CHUNK = 2_000


def vote_weights(k: int) -> np.ndarray:
    """Weights for the votes of k neighbours, nearest first: they break ties towards the nearer neighbours without
    changing clear majorities."""
    return (1.0 + np.linspace(1e-3, 0.0, k)).astype(np.float32)


def knn_predict(train_features: np.ndarray, train_labels: np.ndarray, queries: np.ndarray, k: int = NEIGHBOURS,
                own_rows: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Each query's label by a vote of its k nearest training rows (exact Euclidean search by `CodeIndex`; a tie
    goes to the nearer neighbours). `own_rows`: the training rows the queries are, each left out of its own vote
    (leave-one-out). The one k-nearest-neighbour vote of aegui: what the codes are worth and the maps' scores."""
    from aegui.core.analysis.neighbours import CodeIndex

    labels = np.asarray(train_labels, np.int64).reshape(-1)
    features = np.asarray(train_features, np.float32).reshape(len(labels), -1)
    _distances, nearest = CodeIndex(features).search(np.asarray(queries, np.float32), k, own_rows)
    votes = np.zeros((len(nearest), int(labels.max(initial=0)) + 1), np.float64)
    rows = np.repeat(np.arange(len(nearest)), nearest.shape[1])
    np.add.at(votes, (rows, labels[nearest].reshape(-1)), np.tile(vote_weights(nearest.shape[1]), len(nearest)))
    return votes.argmax(1)


def knn_accuracy(train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray,
                 test_labels: np.ndarray, k: int = NEIGHBOURS, cancelled: Callable[[], bool] = lambda: False,
                 ) -> float:  # fmt: skip
    """The share of test rows whose k nearest training rows (Euclidean, `knn_predict`'s vote) name their label.
    `cancelled` is asked between blocks of CHUNK test rows; when it says True, `Cancelled` is raised."""
    k = max(1, min(k, len(train_features)))
    predicted = [np.zeros(0, np.int64)]
    for start in range(0, len(test_features), CHUNK):
        if cancelled():
            raise Cancelled("measuring cancelled")
        predicted.append(knn_predict(train_features, train_labels, test_features[start : start + CHUNK], k))
    return float(np.mean(np.concatenate(predicted) == np.asarray(test_labels).reshape(-1)))


@dataclass(frozen=True)
class CodeWorth:
    """k-nearest-neighbour test accuracy on the codes, on PCA with as many components, and on the pixels."""

    codes: float
    pca: float
    pixels: float
    components: int  # the code size
    pca_components: int  # as many, where the training images allow
    pixel_count: int
    train: int  # training images searched
    test: int  # test images classified
    k: int = NEIGHBOURS

    def describe(self) -> str:
        """Three lines: what was measured, then the accuracies side by side."""
        return (f"What the codes are worth: {self.k}-nearest-neighbour accuracy on {self.test:,} test images "
                f"against {self.train:,} training images:\n"
                f"  codes ({self.components} values)       {100 * self.codes:6.2f}%\n"
                f"  PCA ({self.pca_components} components)     {100 * self.pca:6.2f}%\n"
                f"  raw pixels ({self.pixel_count:,} values) {100 * self.pixels:6.2f}%")  # fmt: skip

    def as_dict(self) -> dict[str, float | int]:
        return {"knn_codes": self.codes, "knn_pca": self.pca, "knn_pixels": self.pixels, "k": self.k,
                "components": self.components, "pca_components": self.pca_components, "train": self.train,
                "test": self.test}  # fmt: skip


def _sample(count: int, most: int, seed: int) -> np.ndarray:
    """Which of `count` rows to use: all, or a seeded sorted sample of `most`."""
    if count <= most:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, most, replace=False))


def has_labels(dataset: Dataset) -> bool:
    """Whether the dataset's training and test images carry at least two classes to tell apart."""
    from aegui.core.analysis.codes import UNLABELLED
    from aegui.core.data.datasets import IMAGES

    if dataset.name == IMAGES and dataset.classes == (UNLABELLED,):
        return False
    labels = dataset.train_labels
    # (two classes: a label unlike the first; sorting them all to count classes took 8 ms, asked each drawing)
    return len(labels) > 0 and len(dataset.test_labels) > 0 and bool((labels != labels[0]).any())


def code_worth(model: AutoEncoder, dataset: Dataset, k: int = NEIGHBOURS, seed: int = 0,
               codes: tuple[np.ndarray, np.ndarray] | None = None,
               cancelled: Callable[[], bool] = lambda: False) -> CodeWorth | None:  # fmt: skip
    """kNN accuracy of the model's codes beside PCA with as many components and the raw pixels (test images
    against training images, each a seeded sample of at most MAX_TEST and MAX_TRAIN); None where the dataset
    has no labels. `codes`: the training and test images' codes, where they are already at hand. `cancelled`: as
    in `knn_accuracy` (a window's worker gives up for newer weights)."""
    from aegui.core.analysis.codes import iter_codes
    from aegui.core.model.pca import fit_components

    if not has_labels(dataset):
        return None
    train = _sample(len(dataset.train_images), MAX_TRAIN, seed)
    test = _sample(len(dataset.test_images), MAX_TEST, seed + 1)
    train_images, test_images = dataset.train_images[train], dataset.test_images[test]
    train_labels, test_labels = dataset.train_labels[train].numpy(), dataset.test_labels[test].numpy()
    if codes is not None:
        train_codes, test_codes = codes[0][train], codes[1][test]
    else:
        train_codes = np.concatenate([*iter_codes(model, train_images)])
        test_codes = np.concatenate([*iter_codes(model, test_images)])
    on_codes = knn_accuracy(train_codes, train_labels, test_codes, test_labels, k, cancelled)
    train_pixels, test_pixels = to_float(train_images), to_float(test_images)
    components = fit_components(train_images, model.code_size, seed)

    def project(pixels: torch.Tensor) -> np.ndarray:
        return ((pixels - components.mean) @ components.directions.T).numpy()

    on_pca = knn_accuracy(project(train_pixels), train_labels, project(test_pixels), test_labels, k, cancelled)
    on_pixels = knn_accuracy(train_pixels.numpy(), train_labels, test_pixels.numpy(), test_labels, k, cancelled)
    return CodeWorth(on_codes, on_pca, on_pixels, model.code_size, len(components.directions),
                     train_pixels.shape[1], len(train), len(test), k)  # fmt: skip
