"""What a model finds strange: every image's reconstruction error, as a score that ranks the unusual first.

The score underneath is the *relative* error: the image's squared reconstruction error over its own squared
intensity, the share of the image the model could not rebuild. The plain mean squared error favours images
with much ink (a thin 1 always looks ordinary, a faint photograph too). A labelled data set is ranked by
default by the relative error *standardised* within each class (a robust z-score), so that a class whose
images all reconstruct less well does not fill the top. Measured side by side (`python -m benchmarks
outliers`, planted photographs among 980 digits, two models): standardised 19 and 17 of 20 in the top 20,
relative 18 and 16, squared error 15 and 13; with every digit left out of training in turn, the relative
error's mean AUC was 0.872, the squared error's 0.843 (the novelty curve uses the relative error: standardising
within the left-out class would hide it). The novelty experiment (train without one class, score the test set) is
summed up by the ROC curve and its area (AUC) of the score as a detector of the left-out class.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from aegui.core.data.datasets import Dataset
from aegui.core.data.shapes import check_fits
from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.device import resolve_precision
from aegui.core.model.steps import to_float
from aegui.core.safe_text import csv_cell, terminal_text

METHODS = ("relative", "error", "standardised")
ENERGY_FLOOR = 1e-3  # (a nearly black image's relative error is not blown up by dividing by almost nothing)
CHUNK = 2048
SPLITS = ("train", "test")


class Cancelled(AeguiError):
    """The scoring was cancelled (another model, or the window closing)."""


def reconstruction_errors(model: AutoEncoder, images: torch.Tensor | np.ndarray, precision: str = "auto",
                          cancel: threading.Event | None = None, progress: Callable[[int, int], None] | None = None,
                          relative: bool = False) -> np.ndarray:  # fmt: skip
    """Mean squared error per pixel of each image's reconstruction (N,), float32, or (`relative`) that over
    the image's mean squared intensity: uint8 images (N, ...) or floats in [0, 1]; in batches, in bf16
    where it is native (`precision` "auto"), cancellable."""
    images = torch.as_tensor(images)
    device = next(model.parameters()).device
    autocast = resolve_precision(precision, device)
    errors = np.empty(len(images), np.float32)
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(images), CHUNK):
            if cancel is not None and cancel.is_set():
                raise Cancelled("Scoring was cancelled.")
            chunk = images[start : start + CHUNK].to(device)
            batch = to_float(chunk) if chunk.dtype == torch.uint8 else chunk.reshape(len(chunk), -1).float()
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast is not None):
                output = torch.sigmoid(model.forward_logits(batch).float())
            error = ((output - batch) ** 2).mean(dim=1)
            if relative:
                error = error / energy(batch)
            errors[start : start + len(batch)] = error.cpu().numpy()
            if progress is not None:
                progress(min(start + CHUNK, len(images)), len(images))
    finally:
        model.train(was_training)
    return errors


def energy(batch: torch.Tensor) -> torch.Tensor:
    """Each float image's mean squared intensity (N, 784) -> (N,): what a relative error is relative to."""
    return (batch**2).mean(dim=1).clamp_min(ENERGY_FLOOR)


MIN_CLASS_SIZE = 30  # a class with fewer images is measured against all the images: its own spread is noise


def standardised(errors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each error as a robust z-score within its class: (error - the class's median) / (1.4826 × its median
    absolute deviation), so that a class whose images all reconstruct less well does not fill the top. A
    class of fewer than MIN_CLASS_SIZE images is measured against all the images."""
    scores = np.zeros_like(errors, dtype=np.float32)

    def z(chosen: np.ndarray, reference: np.ndarray) -> np.ndarray:
        median = np.median(reference)
        spread = 1.4826 * np.median(np.abs(reference - median))
        return (chosen - median) / max(float(spread), 1e-12)

    for label in np.unique(labels):
        chosen = labels == label
        scores[chosen] = z(errors[chosen], errors[chosen] if chosen.sum() >= MIN_CLASS_SIZE else errors)
    return scores


def outlier_scores(model: AutoEncoder, images, labels=None, method: str = "relative") -> np.ndarray:
    """A score per image, higher for what the model finds stranger: its relative reconstruction error (see the
    module's note), its mean squared error per pixel (`error`), or (`standardised`, with labels) the relative
    error standardised within its class."""
    if method not in METHODS:
        raise AeguiError(f"The score is one of {', '.join(METHODS)}, not {method!r}.")
    if method == "standardised" and labels is None:
        raise AeguiError("A standardised score needs the images' labels.")
    scores = reconstruction_errors(model, images, relative=method != "error")
    return standardised(scores, np.asarray(labels)) if method == "standardised" else scores


@dataclass(frozen=True)
class OutlierReport:
    """Every image of a dataset scored, the most unusual first (`order`)."""

    scores: np.ndarray  # (N,) in the dataset's order: train images, then test images
    errors: np.ndarray
    labels: np.ndarray
    split: np.ndarray  # 0: train, 1: test
    index: np.ndarray  # the image's index within its split
    files: tuple[str, ...]  # an image folder's files, relative to it (empty otherwise)
    classes: tuple[str, ...]
    method: str

    @property
    def order(self) -> np.ndarray:
        return np.argsort(-self.scores, kind="stable")

    def name(self, position: int) -> str:
        """The image's file, or its split and index."""
        if self.files:
            return self.files[position]
        return f"{SPLITS[int(self.split[position])]} #{int(self.index[position])}"

    def class_name(self, position: int) -> str:
        label = int(self.labels[position])
        return self.classes[label] if 0 <= label < len(self.classes) else str(label)

    def rows(self, top: int | None = None, label: int | None = None) -> list[tuple[int, str, str, float, int]]:
        """(position, name, class, score, rank) of the most unusual images first (of one class, if given)."""
        order = self.order if label is None else [i for i in self.order if int(self.labels[i]) == label]
        return [(int(i), self.name(int(i)), self.class_name(int(i)), float(self.scores[i]), rank)
                for rank, i in enumerate(order[:top], 1)]  # fmt: skip


def sheet_captions(rows: list[tuple[int, str, str, float, int]]) -> list[str]:
    """What a contact sheet of `rows` says under each image: its rank and score, class, and file or index."""
    return [f"#{rank}  score {score:.3g}\nclass {label}\n{name}" for _position, name, label, score, rank in rows]


def score_dataset(model: AutoEncoder, dataset: Dataset, method: str = "standardised", precision: str = "auto",
                  cancel: threading.Event | None = None,
                  progress: Callable[[int, int], None] | None = None) -> OutlierReport:  # fmt: skip
    """Every image of `dataset` (train, then test) scored by `model`."""
    check_fits(model.image_shape, dataset)
    images = torch.cat([dataset.train_images, dataset.test_images])
    labels = torch.cat([dataset.train_labels, dataset.test_labels]).numpy()
    errors = reconstruction_errors(model, images, precision, cancel, progress)
    relative = errors / energy(to_float(images)).numpy()
    scores = {"error": errors, "relative": relative}.get(method)
    scores = standardised(relative, labels) if scores is None else scores
    sizes = (len(dataset.train_images), len(dataset.test_images))
    split = np.repeat(np.arange(2, dtype=np.int8), sizes)
    index = np.concatenate([np.arange(size) for size in sizes])
    files = dataset.train_files + dataset.test_files if len(dataset.train_files) == sizes[0] else ()
    return OutlierReport(scores, errors, labels, split, index, files, dataset.classes, method)


def image_at(dataset: Dataset, report: OutlierReport, position: int) -> torch.Tensor:
    """The uint8 image a report's position stands for."""
    images = dataset.train_images if int(report.split[position]) == 0 else dataset.test_images
    return images[int(report.index[position])]


@dataclass(frozen=True)
class Novelty:
    """How well the reconstruction error tells a class the model never saw from the rest (test set)."""

    label: int
    auc: float
    false_positive_rate: np.ndarray
    true_positive_rate: np.ndarray

    def describe(self, class_name: str) -> str:
        return (f"Left out in training: {terminal_text(class_name)}. Its test images' reconstruction error tells "
                f"them from the rest with an ROC AUC of {self.auc:.3f} (0.5: chance, 1: perfect).")  # fmt: skip


def novelty(model: AutoEncoder, dataset: Dataset, label: int, errors: np.ndarray | None = None) -> Novelty:
    """The ROC curve and AUC of the test images' relative reconstruction error (or the `errors` given) as a
    detector of class `label`."""
    from sklearn.metrics import roc_auc_score, roc_curve

    truth = (dataset.test_labels == label).numpy()
    if truth.all() or not truth.any():
        raise AeguiError(f"The test set needs images of class {label} and of others to measure novelty.")
    errors = reconstruction_errors(model, dataset.test_images, relative=True) if errors is None else errors
    false_positive, true_positive, _ = roc_curve(truth, errors)
    return Novelty(label, float(roc_auc_score(truth, errors)), false_positive.astype(np.float32),
                   true_positive.astype(np.float32))  # fmt: skip


CSV_COLUMNS = ("rank", "file_or_index", "label", "score", "error")


def write_csv(path, report: OutlierReport, rows: list[tuple[int, str, str, float, int]]) -> None:
    """The rows (most unusual first) as CSV: rank, the file (or split and index), class, score, error."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    for position, name, label, score, rank in rows:  # (names and classes as text a spreadsheet will not run)
        writer.writerow([rank, csv_cell(name), csv_cell(label), repr(score), repr(float(report.errors[position]))])
    from aegui.core.writes import write_text

    write_text(path, text.getvalue(), "the outliers")
