"""Nearest neighbours among codes: an index built once over a collection's codes, for the images most like a query
and for every image's nearest others at once.

A search is exact (Euclidean distances by blocks of matrix products, the few nearest re-measured directly) and
costs N x M x size for M queries: one query among 100,000 codes takes milliseconds. Every image's nearest others
among N would take N^2 x size, so beyond EXACT_UP_TO images they are looked for among candidates: codes longer
than REDUCED values are projected on their first REDUCED principal components, the projections are grouped in
about sqrt(N) cells (k-means), each image's nearest are searched in its own cell and the PROBE cells nearest it,
and those candidates (CANDIDATES more than asked) are re-measured exactly in full. Measured on two shared cores:
the 5 nearest of each of MNIST's 70,000 codes (32 values) in 5.8 s, 98% of them the exact ones (exactly: about
44 s); of 100,000 random 256-value codes in 14 s (exactly: 140 to 300 s). Random codes have no structure
for cells to follow, and there the candidates miss most true neighbours; real codes are not random. Trees
(scikit-learn's k-d and ball trees) were slower than brute force already at 10,000 random 32-value codes (42 s
and 23 s against 5 s), and its brute force slower than this one (20 s against 14 s at 256 values).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

BLOCK_VALUES = 1 << 24  # query rows x indexed rows per block of distances (64 MB of float32)
EXACT_UP_TO = 20_000  # codes: every code's nearest others are found exactly up to this many
REDUCED = 32  # principal components a larger search finds its candidates among
CANDIDATES = 10  # candidates beyond those asked for, re-measured exactly
SAMPLE = 20_000  # codes the principal components and the cells are computed from (a seeded sample)
PROBE = 32  # cells a point's candidates are looked for in: its own and the nearest others
ROUNDS = 10  # rounds of k-means that place the cells


class CodeIndex:
    """Codes (N, size) indexed for exact nearest-neighbour search by Euclidean distance."""

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes, np.float32)
        if codes.ndim != 2:
            raise ValueError(f"Codes must be (N, size), not {codes.shape}.")
        self.codes = torch.from_numpy(np.ascontiguousarray(codes))
        self.squares = (self.codes.double() ** 2).sum(1).float()  # (the squared norms, once)

    def __len__(self) -> int:
        return len(self.codes)

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest indexed rows of each query, nearest first: distances (M, k) float32 and indices (M, k)
        int64. `rows`: the indexed rows the queries are, each left out of its own list."""
        queries = torch.from_numpy(np.ascontiguousarray(queries, np.float32)).reshape(-1, self.codes.shape[1])
        own = torch.as_tensor(rows, dtype=torch.int64) if rows is not None else None
        k = max(0, min(k, len(self) - (1 if own is not None else 0)))
        distances = np.zeros((len(queries), k), np.float32)
        indices = np.zeros((len(queries), k), np.int64)
        if k == 0:
            return distances, indices

        step = max(1, BLOCK_VALUES // max(len(self), 1))
        with torch.inference_mode():
            for start in range(0, len(queries), step):
                block = queries[start : start + step]
                squared = torch.addmm(self.squares[None, :], block, self.codes.T, alpha=-2.0)
                squared += (block * block).sum(1, keepdim=True)
                if own is not None:
                    squared[torch.arange(len(block)), own[start : start + len(block)]] = float("inf")
                found = torch.topk(squared, k, dim=1, largest=False, sorted=False).indices
                exact = (block[:, None, :] - self.codes[found]).square().sum(-1).sqrt()  # (no cancellation)
                exact, order = exact.sort(dim=1, stable=True)
                distances[start : start + len(block)] = exact.numpy()
                indices[start : start + len(block)] = torch.gather(found, 1, order).numpy()
        return distances, indices

    def neighbours(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Every indexed row's k nearest others: distances (N, k) and indices (N, k), nearest first; exact up to
        EXACT_UP_TO rows, beyond that among candidates found by cells of principal components (see the module)."""
        everyone = np.arange(len(self))
        if len(self) <= EXACT_UP_TO:
            return self.search(self.codes.numpy(), k, everyone)
        points = self._principal_components(REDUCED) if self.codes.shape[1] > REDUCED else self.codes.numpy()
        with one_thread():
            candidates = _candidates(points, min(k + CANDIDATES, len(self) - 1))
        k = min(k, candidates.shape[1])
        distances, indices = np.zeros((len(self), k), np.float32), np.zeros((len(self), k), np.int64)
        step = max(1, BLOCK_VALUES // max(candidates.shape[1] * self.codes.shape[1], 1))
        with torch.inference_mode():
            for start in range(0, len(self), step):
                found = torch.from_numpy(candidates[start : start + step])
                block = self.codes[start : start + len(found)]
                exact = (block[:, None, :] - self.codes[found]).square().sum(-1).sqrt()
                exact, order = exact.sort(dim=1, stable=True)
                distances[start : start + len(found)] = exact[:, :k].numpy()
                indices[start : start + len(found)] = torch.gather(found, 1, order)[:, :k].numpy()
        return distances, indices

    def _principal_components(self, count: int, seed: int = 0) -> np.ndarray:
        """The codes projected on their first `count` principal directions (from a seeded sample of SAMPLE)."""
        chosen = np.sort(np.random.default_rng(seed).permutation(len(self))[:SAMPLE])
        sample = self.codes[torch.from_numpy(chosen)].double()
        mean = sample.mean(0)
        with one_thread():
            _values, vectors = torch.linalg.eigh((sample - mean).T @ (sample - mean))
        directions = vectors[:, -count:].float()
        return ((self.codes - mean.float()) @ directions).numpy()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch on one thread for a while: for many small operations, whose threads, where the cores are busy with
    other work, spent longer waiting on each other than computing (a 3,670-code search: 12 s on two, 1 s on one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _cells(points: np.ndarray, count: int, seed: int = 0, rounds: int = ROUNDS) -> np.ndarray:
    """`count` centres of the points' clusters (k-means from a seeded sample of SAMPLE, `rounds` rounds)."""
    rng = np.random.default_rng(seed)
    sample = torch.from_numpy(points[np.sort(rng.permutation(len(points))[:SAMPLE])])
    centres = sample[torch.from_numpy(rng.permutation(len(sample))[:count])].clone()
    for _round in range(rounds):
        _near, nearest = CodeIndex(centres.numpy()).search(sample.numpy(), 1)
        nearest = torch.from_numpy(nearest[:, 0])
        sums = torch.zeros_like(centres).index_add_(0, nearest, sample)
        counts = torch.bincount(nearest, minlength=len(centres)).float()[:, None]
        centres = torch.where(counts > 0, sums / counts.clamp_min(1.0), centres)  # (an empty cell keeps its centre)
    return centres.numpy()


def _candidates(points: np.ndarray, k: int) -> np.ndarray:
    """Each point's k nearest others (N, k), searched among the points of its cell and the cells nearest it (at
    least PROBE cells and k + 1 points): about sqrt(N) cells of sqrt(N) points, so a point is measured against some
    PROBE x sqrt(N) others, not N."""
    centres = _cells(points, max(1, round(len(points) ** 0.5)))
    _near, cell = CodeIndex(centres).search(points, 1)
    cell = cell[:, 0]
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(len(centres) + 1))
    members = [order[bounds[c] : bounds[c + 1]] for c in range(len(centres))]
    _near, nearby = CodeIndex(centres).search(centres, len(centres))  # (each cell's cells, nearest first)
    found = np.zeros((len(points), k), np.int64)
    for c, queries in enumerate(members):
        if not len(queries):
            continue
        pool, taken = [queries], len(queries)
        for other in nearby[c]:
            if other == c:
                continue
            if taken > k and len(pool) >= PROBE:
                break
            pool.append(members[other])
            taken += len(members[other])
        pool = np.concatenate(pool)
        _near, chosen = CodeIndex(points[pool]).search(points[queries], k, np.arange(len(queries)))
        found[queries] = pool[chosen]
    return found
