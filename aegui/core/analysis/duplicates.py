"""Near-duplicates in a collection of images: re-encoded, resized and slightly cropped copies.

Each image is described twice (`duplicate_features`): by the model's code of its centre and by an 8x8
thumbnail of its centre. The centre, because a slight crop moves a photo's edges most; the thumbnail beside the
code, because a small picture of the colours and their layout changes little under JPEG, resizing and cropping,
whatever the model learned. A pair is listed when, by each description, its distance is at most RATIO times the
distance of either image to its NEIGHBOURS-th nearest other (`find_duplicates`): a rule relative to how crowded
that part of the collection is, so it needs no threshold in the features' units; and one both descriptions must
agree on, so a model whose codes lump unlike images together (a small one, or one trained on other images) adds
no false pairs.

Measured on real photos (flower photos: 300 with 15 planted copies, JPEG quality 30-70, resized to 50-80%,
cropped 0-6% a side, each alone or all three at once; three draws; a model trained on one of the sets, and one on
other photos): at 0.7 every copy was found in all six sets with either model, with 17 to 20 pairs listed; on seven
sets of 300 photos without planted copies it listed 1 to 6 pairs (a real burst-shot near-duplicate among them, the
rest look-alikes). With crops of up to 10% a side, 14 and 15 of 15 were found. At 0.65, 14 or 15 found and 1 or 2
listed without copies; at 0.8, 15 found and 7 to 12 listed without copies. The whole image's code alone found 13 to
15 for as many false pairs, and a threshold on the median nearest-neighbour distance listed more look-alikes for as
many copies found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # (the command line's parser reads RATIO: no torch for it)
    import torch

    from aegui.core.model.autoencoder import AutoEncoder

NEIGHBOURS = 5  # a pair is measured against each image's distance to its 5th nearest other
RATIO = 0.7  # a pair is listed at most this share of that distance apart, by each description
CENTRE = 0.75  # the share of a photo's side whose code and thumbnail are compared
THUMBNAIL = 8  # the thumbnail's side
CHUNK = 1024


@dataclass(frozen=True)
class Duplicates:
    """Pairs of images far nearer each other than to the rest, grouped (pairs that share an image are one group):
    `first[i]` and `second[i]` at `distances[i]` (by the first description), `relative[i]` the largest share, over
    the descriptions, of their distance over the smaller of the two images' distances to their `neighbours`-th
    nearest other; in group `groups[i]` (1, 2, …: the group with the nearest pair first), nearest first within it."""

    first: np.ndarray
    second: np.ndarray
    distances: np.ndarray
    relative: np.ndarray
    groups: np.ndarray
    ratio: float
    neighbours: int

    def __len__(self) -> int:
        return len(self.first)

    @property
    def group_count(self) -> int:
        return int(self.groups.max()) if len(self.groups) else 0

    def members(self, group: int) -> list[int]:
        """The images of a group, in the order they first appear in its pairs."""
        chosen = self.groups == group
        return list(dict.fromkeys(np.stack([self.first[chosen], self.second[chosen]], 1).ravel().tolist()))


def _components(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Each pair's group: the connected components of the graph the pairs make (union-find)."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        parent[root(a)] = root(b)
    return np.array([root(a) for a in first.tolist()], np.int64)


def find_duplicates(features: np.ndarray | Sequence[np.ndarray], ratio: float = RATIO,
                    neighbours: int = NEIGHBOURS) -> Duplicates:  # fmt: skip
    """Near-duplicates among N images described by `features`, (N, size) or several such descriptions: pairs
    whose distance is, by every description, at most `ratio` times the smaller of the two images' distances to
    their `neighbours`-th nearest other; grouped. `distances` are by the first description, `relative` the largest
    share over the descriptions. Identical images are always listed (their distances are 0)."""
    from aegui.core.analysis.neighbours import CodeIndex

    parts = [np.asarray(features, np.float32)] if isinstance(features, np.ndarray) else \
        [np.asarray(part, np.float32) for part in features]  # fmt: skip
    searched = [CodeIndex(part).neighbours(neighbours) for part in parts]
    empty = np.zeros(0, np.int64)
    if searched[0][0].shape[1] == 0:
        return Duplicates(empty, empty, np.zeros(0, np.float32), np.zeros(0, np.float32), empty, ratio, neighbours)
    scales = [distances[:, -1] for distances, _indices in searched]  # (fewer images than neighbours: the farthest)
    distances, indices = searched[0]
    rows, columns = np.nonzero(distances <= ratio * np.minimum(scales[0][:, None], scales[0][indices]))
    first = np.minimum(rows, indices[rows, columns])
    second = np.maximum(rows, indices[rows, columns])
    first, second = np.unique(np.stack([first, second], 1), axis=0).T.reshape(2, -1)
    relative = np.zeros(len(first), np.float32)
    found = np.zeros(len(first), np.float32)
    for number, (part, scale) in enumerate(zip(parts, scales, strict=True)):
        apart = np.sqrt(((part[first].astype(np.float64) - part[second]) ** 2).sum(1)).astype(np.float32)
        relative = np.maximum(relative, apart / np.maximum(np.minimum(scale[first], scale[second]), 1e-30))
        found = apart if number == 0 else found
    kept = relative <= ratio
    first, second, found, relative = first[kept], second[kept], found[kept], relative[kept]
    order = np.lexsort((second, first, found))
    first, second, found, relative = first[order], second[order], found[order], relative[order]
    roots = _components(first, second)
    numbers = {root: number for number, root in enumerate(dict.fromkeys(roots.tolist()), 1)}
    groups = np.array([numbers[root] for root in roots.tolist()], np.int64).reshape(-1)
    order = np.lexsort((found, groups))
    return Duplicates(first[order], second[order], found[order], relative[order], groups[order], ratio, neighbours)


def duplicate_features(model: AutoEncoder, images: torch.Tensor,
                       centre: bool = True) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The two descriptions near-duplicates are told by, of uint8 images (N, ...): the model's codes of their
    centres (the middle CENTRE of each side, enlarged back to the model's size), (N, code_size), and THUMBNAIL-
    square thumbnails of the centres, (N, channels x 64); with `centre` False (digits, which their fitting already
    centres), of the whole images."""
    import torch
    import torch.nn.functional as F

    from aegui.core.model.steps import to_float

    channels, height, width = model.image_shape
    top, left = round(height * (1 - CENTRE) / 2), round(width * (1 - CENTRE) / 2)
    codes, thumbnails = [], []
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        for start in range(0, len(images), CHUNK):
            block = to_float(torch.as_tensor(images[start : start + CHUNK])).reshape(-1, channels, height, width)
            if centre:
                block = block[:, :, top : height - top, left : width - left]
                thumbnails.append(F.adaptive_avg_pool2d(block, THUMBNAIL).reshape(len(block), -1).numpy())
                block = F.interpolate(block, size=(height, width), mode="bilinear", align_corners=False)
                block = block.clamp(0.0, 1.0)
            else:
                thumbnails.append(F.adaptive_avg_pool2d(block, THUMBNAIL).reshape(len(block), -1).numpy())
            with torch.inference_mode():
                codes.append(model.encoder(block.reshape(len(block), -1).to(device)).float().cpu().numpy())
    finally:
        model.train(was_training)
    return tuple(np.concatenate([np.zeros((0, size), np.float32), *found])
                 for found, size in ((codes, model.code_size), (thumbnails, channels * THUMBNAIL**2)))  # fmt: skip


CSV_COLUMNS = ("group", "file_a", "label_a", "file_b", "label_b", "distance", "relative_distance")


def write_pairs(path: str | Path, pairs: Duplicates, names: Sequence[str], labels: Sequence[str]) -> None:
    """Every pair as a CSV row (CSV_COLUMNS: its group, each image's name and label as cells a spreadsheet will not
    run, their distance by the first description, and `relative`), groups in order, nearest first; written
    atomically (`writes.write_text`: the file whole or not at all, never over an input's kind of file). `names` and
    `labels` ('' where unknown) are every image's, by position. `aegui duplicates --out`, and the window's export."""
    import csv
    import io

    from aegui.core.safe_text import csv_cell
    from aegui.core.writes import write_text

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    columns = (pairs.first, pairs.second, pairs.distances, pairs.relative, pairs.groups)
    for a, b, distance, relative, group in zip(*(column.tolist() for column in columns), strict=True):
        writer.writerow([group, csv_cell(names[a]), csv_cell(labels[a]), csv_cell(names[b]), csv_cell(labels[b]),
                         repr(distance), repr(relative)])  # fmt: skip
    write_text(path, text.getvalue(), "the near-duplicates")
