"""The code map's non-linear layouts (t-SNE, UMAP): computed in a worker after the instant PCA map is
shown, with progress, cached per weights, digit count and method, and during training only when
asked (t-SNE takes seconds; an epoch may take less). The pixels are laid out by the same method, so
that the two maps compare like with like (cached per test images, count and method: they do not
depend on the weights)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

import numpy as np
from PySide6.QtCore import QObject, Signal

from aegui.core.analysis.latent import LatentMap, knn_accuracy
from aegui.core.analysis.projections import METHODS, embed, import_ahead, unavailable
from aegui.core.errors import Cancelled
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.concurrency.threads import ProgressRelay, warm_in_background

CACHED = 6  # layouts kept: switching methods or counts back and forth recomputes nothing
PixelLayout = tuple[np.ndarray, float]  # the pixels' points and their separation score


def lay_out(latent: LatentMap, method: str, pixels: PixelLayout | None, progress: Callable[[str, int, int], None],
            cancel: threading.Event) -> LatentMap:  # fmt: skip
    """The same digits laid out by `method`, codes and (unless `pixels` are given) pixels, with their
    separation scores (a worker's job; gives up when `cancel` is set)."""
    cancelled = cancel.is_set
    sides = 1 if pixels is not None else 2

    def report(side: int, done: float) -> None:
        progress(method, round(1000 * (side + done) / sides), 1000)

    embedding = embed(latent.codes, method, progress=lambda done: report(0, done), cancelled=cancelled)
    latent = latent.with_embedding(embedding)
    if pixels is None and latent.images is not None:
        laid_out = embed(latent.pixels(), method, progress=lambda done: report(1, done), cancelled=cancelled)
        return latent.with_pixels(laid_out.points, knn_accuracy(laid_out.points, latent.labels), laid_out.method)
    return latent if pixels is None else latent.with_pixels(*pixels, method)


class MapLayouts(QObject):
    ready = Signal(object, int)  # the map laid out by the chosen method, and the weights' generation
    progress = Signal(float, str)  # fraction done and a label
    failed = Signal(str)

    def __init__(self, is_training: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._is_training = is_training
        self.method = "pca"
        self.follow_training = False
        self._cache: OrderedDict[tuple[int, int, str], LatentMap] = OrderedDict()
        # the pixels' layouts by test images, count and method, each with the images it was made of (held, so that
        # their id is no other's while cached)
        self._pixel_cache: OrderedDict[tuple[int, int, str], tuple[object, PixelLayout]] = OrderedDict()
        self._running: tuple[int, int, str] | None = None  # what the worker is laying out
        self._running_images: object = None  # and of which test images
        self._with_pixels = False  # and whether it lays the pixels out too
        self._task = LatestTask(self._on_laid_out, self._on_failed, self)  # (the layout asked for last)
        self._relay = ProgressRelay()
        self._relay.progress.connect(self._on_progress)

    def choose(self, method: str) -> None:
        """Lay maps out by `method` from now on; its library is imported ahead (unless training: then the first
        layout imports it, on the window's share of a core)."""
        self.method = method
        if method != "pca" and not self._is_training():
            warm_in_background(partial(import_ahead, method), "aegui-map-library")

    def note(self, codes: int) -> str:
        """Why the map shows PCA now, if it is not the chosen method's layout ("" otherwise)."""
        name = METHODS[self.method]
        if self.method == "pca" or codes == 2:
            return ""
        reason = unavailable(self.method)
        if reason is not None:
            return reason
        if self._running is not None:
            sides = "codes and the pixels" if self._with_pixels else "codes"
            return f"Laying the {sides} out by {name}; PCA is shown meanwhile."
        if self._is_training() and not self.follow_training:
            return f"{name} is computed when training ends (tick 'follow training' for every epoch); PCA meanwhile."
        return ""

    def request(self, latent: LatentMap, generation: int) -> LatentMap | None:
        """The map to show for a PCA map just computed: the chosen layout if it is at hand (or PCA is
        chosen), else None while it is computed, or, during training, until training ends."""
        if self.method == "pca" or latent.codes.shape[1] == 2:
            return latent
        key = (generation, len(latent.codes), self.method)
        if key in self._cache and self._cache[key].images is latent.images:  # (of these weights and test images)
            self._cache.move_to_end(key)
            return self._cache[key]
        if unavailable(self.method) is not None or (self._is_training() and not self.follow_training):
            return None
        if self._running == key and self._running_images is latent.images:
            return None
        self.cancel()
        self._running, self._running_images = key, latent.images
        pixels = self._pixels_at_hand(latent)
        self._with_pixels = pixels is None
        self._task.start(lay_out, latent, self.method, pixels, self._relay.report)
        return None

    def _pixels_at_hand(self, latent: LatentMap) -> PixelLayout | None:
        found = self._pixel_cache.get((id(latent.images), len(latent.codes), self.method))
        return found[1] if found is not None and found[0] is latent.images else None

    def cancel(self) -> None:
        """Make a layout in progress give up (newer weights, another method, or the window closing)."""
        self._task.cancel()
        self._running = None

    def _on_progress(self, method: str, done: int, total: int) -> None:
        if self._running is not None:
            self.progress.emit(done / total, f"{METHODS[method]} · {100 * done / total:.0f}%")

    def _on_laid_out(self, laid_out: LatentMap) -> None:
        key, self._running = self._running, None
        self._cache[key] = laid_out
        if laid_out.pixel_method == key[2]:
            pixels = (laid_out.pixel_points, laid_out.pixel_score)
            self._pixel_cache[(id(laid_out.images), *key[1:])] = (laid_out.images, pixels)
        for cache in (self._cache, self._pixel_cache):
            while len(cache) > CACHED:
                cache.popitem(last=False)
        self.progress.emit(-1.0, "")
        self.ready.emit(laid_out, key[0])

    def _on_failed(self, error: Exception) -> None:
        key, self._running = self._running, None
        self.progress.emit(-1.0, "")
        if not isinstance(error, Cancelled):
            self.failed.emit(f"Could not lay the codes out by {METHODS[key[2]]}: {error}")
