"""Ways to lay codes out on a plane: PCA (linear, instant), t-SNE (openTSNE) and UMAP (umap-learn, an
optional extra). The non-linear maps separate digit classes far better (the default preset's 32-value
codes of 2,000 test digits: PCA 0.40, t-SNE 0.90 by the 10-nearest-neighbour score) but take seconds
and have no inverse: a new code (the drawing's) is placed by its nearest codes' spots, and a spot is
decoded from the codes around it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from aegui.core.errors import AeguiError, Cancelled

METHODS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
PLACE_NEIGHBOURS = 10  # codes whose spots place a new code on a non-linear map
# iterations of early exaggeration, then the rest: 60% of openTSNE's defaults (250, 500), the same map
# quality here (default preset, 2,000 test codes: separation 0.898 vs 0.897) in 4.4 s instead of 6.2 s
TSNE_PHASES = (150, 300)
TSNE_REPORT_EVERY = 10  # iterations between progress reports (and looks at `cancelled`: ~0.2 s on a slow CPU)
EXACT_NEIGHBOURS = 5000  # t-SNE finds the neighbours of this many codes or fewer exactly (more: Annoy)

Progress = Callable[[float], None]  # fraction done


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
    """Principal components of the rows of x. Wide data (a map of 2,000 test images of 784 or more values) is
    solved in a few components' subspace found by power iterations: a full SVD of it took ~0.5 CPU-s, time a
    map shown while training takes from training."""
    data = torch.as_tensor(np.asarray(x, np.float32))
    mean = data.mean(0)
    centred = data - mean
    total = float((centred.double() ** 2).sum())
    variance, components = _leading_components(centred, dims)
    explained = float(variance.sum() / total) if total > 0 else 1.0
    return Projection(mean.numpy(), components.numpy().copy(), explained)


SUBSPACE_EXTRA = 8  # directions beyond those asked for that the power iterations carry (their accuracy)
SUBSPACE_ITERATIONS = 6


def _leading_components(centred: torch.Tensor, dims: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The `dims` leading directions of the rows' spread and the variance along each (as squared singular
    values), each direction's sign fixed (its largest entry positive) so that the same data maps alike."""
    rows, width = centred.shape
    carried = min(dims + SUBSPACE_EXTRA, rows, width)
    if width <= 4 * carried:  # (narrow: codes) exact
        _, singular, vh = torch.linalg.svd(centred, full_matrices=False)
    else:  # randomised subspace iteration (Halko et al.), seeded: the same data gives the same map
        generator = torch.Generator().manual_seed(0)
        basis = torch.linalg.qr(torch.randn(width, carried, generator=generator))[0]
        for _ in range(SUBSPACE_ITERATIONS):
            basis = torch.linalg.qr(centred.T @ (centred @ basis))[0]
        _, singular, vh = torch.linalg.svd(centred @ basis, full_matrices=False)
        vh = vh @ basis.T
    components = vh[:dims]
    signs = torch.sign(components.gather(1, components.abs().argmax(1, keepdim=True)))
    return singular[:dims] ** 2, components * torch.where(signs == 0, 1.0, signs)


def identity_projection(dims: int) -> Projection:
    return Projection(np.zeros(dims, np.float32), np.eye(2, dims, dtype=np.float32), 1.0)


class ProjectionUnavailable(AeguiError):
    """A projection whose optional package is not installed; the message says how to get it."""


def unavailable(method: str) -> str | None:
    """Why `method` cannot be used here, or None if it can."""
    if method not in METHODS:
        return f"Unknown projection {method!r}; choose one of {', '.join(METHODS)}."
    if method == "umap" and not _installed("umap"):
        return "UMAP needs the optional package umap-learn: pip install 'aegui[maps]'."
    if method == "tsne" and not _installed("openTSNE"):
        return "t-SNE needs the package openTSNE: pip install openTSNE."
    return None


def import_ahead(method: str) -> None:
    """Import the library `method` lays out with, if it is installed (openTSNE brings scikit-learn and SciPy:
    1.5 CPU-seconds on a slow CPU, better spent when the method is chosen than in the first layout)."""
    module = {"tsne": "openTSNE", "umap": "umap"}.get(method)
    if module is not None and unavailable(method) is None:
        importlib.import_module(module)


def _installed(module: str) -> bool:
    """True if the module can be imported (a leftover empty folder of that name is not a package)."""
    spec = importlib.util.find_spec(module)
    return spec is not None and spec.loader is not None


@dataclass(frozen=True)
class Embedding:
    """Codes laid out on a plane: their spots, and how to place new codes and decode any spot."""

    method: str  # a key of METHODS ("pca" also for 2-value codes, shown as they are)
    codes: np.ndarray  # (N, D) the codes laid out
    points: np.ndarray  # (N, 2) their spots
    linear: Projection | None  # PCA or the identity: exact placement and inverse; None for t-SNE, UMAP

    @property
    def title(self) -> str:
        if self.linear is not None and self.codes.shape[1] == 2:
            return "codes"
        return f"{METHODS[self.method]} of codes"

    def describe(self) -> str:
        """How the codes were laid out, for a sentence: 'PCA of the 32-value codes (41% of their variance)'."""
        if self.linear is not None and self.codes.shape[1] == 2:
            return "the codes themselves"
        of = f"{METHODS[self.method]} of the {self.codes.shape[1]}-value codes"
        return f"{of} ({self.linear.explained:.0%} of their variance)" if self.linear is not None else of

    def place(self, codes: np.ndarray) -> np.ndarray:
        """Spots (M, 2) for new codes (M, D): projected, or the weighted mean of the spots of each
        code's nearest laid-out codes (openTSNE's `transform` starts from the same and then optimises,
        at ~250 ms a code here: too slow to follow a pen)."""
        codes = np.asarray(codes, np.float32).reshape(-1, self.codes.shape[1])
        if self.linear is not None:
            return self.linear.project(codes)
        weights, nearest = _nearest(self.codes, codes, PLACE_NEIGHBOURS)
        return (self.points[nearest] * weights[..., None]).sum(1)

    def code_at(self, point: np.ndarray, neighbours: int = 8) -> np.ndarray:
        """A code for any spot of the map. A linear map is inverted, and the part of the code it cannot
        see is borrowed from the nearest codes on the map (weighted by closeness), so the result stays
        around the data rather than at its blurry mean; a non-linear one takes the weighted mean of the
        codes around the spot."""
        point = np.asarray(point, np.float32).reshape(1, 2)
        weights, nearest = _nearest(self.points, point, neighbours)
        weights, nearest = weights[0], nearest[0]
        if self.linear is None:
            return (self.codes[nearest] * weights[:, None]).sum(0)
        base = self.linear.inverse(point[0])
        if self.codes.shape[1] == 2:
            return base
        residuals = self.codes[nearest] - self.linear.inverse(self.points[nearest])
        return base + (weights[:, None] * residuals).sum(0)


def _nearest(reference: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each query, its k nearest rows of reference and inverse-distance weights summing to one."""
    k = min(k, len(reference))
    distances = np.sqrt(np.maximum(((queries[:, None, :] - reference[None, :, :]) ** 2).sum(-1), 0.0))
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    weights = 1.0 / (np.take_along_axis(distances, nearest, 1) + 1e-6)
    return (weights / weights.sum(1, keepdims=True)).astype(np.float32), nearest


def embed(codes: np.ndarray, method: str = "pca", seed: int = 0, progress: Progress | None = None,
          cancelled: Callable[[], bool] = lambda: False) -> Embedding:  # fmt: skip
    """Lay codes out with `method`. 2-value codes are shown as they are whatever the method. t-SNE
    reports progress and gives up (Cancelled) when `cancelled` says so between steps; UMAP cannot."""
    codes = np.asarray(codes, np.float32)
    if codes.shape[1] == 2:
        return Embedding("pca", codes, codes.copy(), identity_projection(2))
    if method == "pca" or len(codes) < 2 * PLACE_NEIGHBOURS:
        projection = pca(codes)
        return Embedding("pca", codes, projection.project(codes), projection)
    reason = unavailable(method)
    if reason is not None:
        raise ProjectionUnavailable(reason)
    points = _tsne(codes, seed, progress, cancelled) if method == "tsne" else _umap(codes, seed)
    if cancelled():
        raise Cancelled(f"{METHODS[method]} cancelled")
    return Embedding(method, codes, np.asarray(points, np.float32), None)


def _threads() -> int:
    """As many as the process computes on (one while the window trains: `TrainingRun`), at most 4."""
    return max(1, min(torch.get_num_threads(), os.cpu_count() or 1, 4))


def _tsne(codes: np.ndarray, seed: int, progress: Progress | None, cancelled: Callable[[], bool]) -> np.ndarray:
    import openTSNE

    total = sum(TSNE_PHASES) // TSNE_REPORT_EVERY
    reports = [0]

    def report(_iteration: int, _error: float, _embedding) -> bool:
        if cancelled():
            raise Cancelled("t-SNE cancelled")
        reports[0] += 1
        if progress is not None:
            progress(min(1.0, reports[0] / total))
        return False

    if cancelled():  # (before the neighbours, which cannot be interrupted)
        raise Cancelled("t-SNE cancelled")
    # exact neighbours up to EXACT_NEIGHBOURS codes: for 2,000, 0.2 CPU-s against Annoy's 1.0 (0.5 against 1.9
    # for 784 pixels), and no approximation
    neighbours = "exact" if len(codes) <= EXACT_NEIGHBOURS else "auto"
    tsne = openTSNE.TSNE(n_components=2, early_exaggeration_iter=TSNE_PHASES[0], n_iter=TSNE_PHASES[1],
                         n_jobs=_threads(), random_state=seed, callbacks=report, neighbors=neighbours,
                         callbacks_every_iters=TSNE_REPORT_EVERY)  # fmt: skip
    return np.asarray(tsne.fit(codes))


def _umap(codes: np.ndarray, seed: int) -> np.ndarray:
    import umap

    return umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit_transform(codes)
