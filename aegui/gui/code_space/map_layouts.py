"""The code map's non-linear layouts (t-SNE, UMAP): computed in a worker after the instant PCA map is
shown, with progress, cached per weights, digit count and method, and during training only when
asked (t-SNE takes seconds; an epoch may take less)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from aegui.core.errors import Cancelled
from aegui.core.latent import LatentMap
from aegui.core.projections import METHODS, embed, unavailable
from aegui.gui.concurrency.threads import ProgressRelay, run_in_thread

CACHED = 6  # layouts kept: switching methods or counts back and forth recomputes nothing


def lay_out(latent: LatentMap, method: str, progress: Callable[[str, int, int], None],
            cancelled: Callable[[], bool]) -> LatentMap:  # fmt: skip
    """The same digits laid out by `method`, with its separation score (a worker's job)."""
    embedding = embed(latent.codes, method, progress=lambda done: progress(method, round(1000 * done), 1000),
                      cancelled=cancelled)  # fmt: skip
    return latent.with_embedding(embedding)


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
        self._running: tuple[int, int, str] | None = None  # what the worker is laying out
        self._cancel = threading.Event()
        self._relay = ProgressRelay()
        self._relay.progress.connect(self._on_progress)

    def note(self, codes: int) -> str:
        """Why the map shows PCA now, if it is not the chosen method's layout ("" otherwise)."""
        name = METHODS[self.method]
        if self.method == "pca" or codes == 2:
            return ""
        reason = unavailable(self.method)
        if reason is not None:
            return reason
        if self._running is not None:
            return f"Laying the codes out by {name}; PCA is shown meanwhile."
        if self._is_training() and not self.follow_training:
            return f"{name} is computed when training ends (tick 'follow training' for every epoch); PCA meanwhile."
        return ""

    def request(self, latent: LatentMap, generation: int) -> LatentMap | None:
        """The map to show for a PCA map just computed: the chosen layout if it is at hand (or PCA is
        chosen), else None while it is computed, or, during training, until training ends."""
        if self.method == "pca" or latent.codes.shape[1] == 2:
            return latent
        key = (generation, len(latent.codes), self.method)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if unavailable(self.method) is not None or (self._is_training() and not self.follow_training):
            return None
        if self._running == key:
            return None
        self.cancel()
        self._running, self._cancel = key, threading.Event()
        run_in_thread(lay_out, latent, self.method, self._relay.report, self._cancel.is_set,
                      on_result=lambda laid_out: self._on_laid_out(key, laid_out),
                      on_error=lambda error: self._on_failed(key, error))  # fmt: skip
        return None

    def cancel(self) -> None:
        """Make a layout in progress give up (newer weights, another method, or the window closing)."""
        self._cancel.set()
        self._running = None

    def _on_progress(self, method: str, done: int, total: int) -> None:
        if self._running is not None:
            self.progress.emit(done / total, f"{METHODS[method]} · {100 * done / total:.0f}%")

    def _on_laid_out(self, key: tuple[int, int, str], laid_out: LatentMap) -> None:
        self._cache[key] = laid_out
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        if self._running == key:
            self._running = None
            self.progress.emit(-1.0, "")
            self.ready.emit(laid_out, key[0])

    def _on_failed(self, key: tuple[int, int, str], error: Exception) -> None:
        if self._running != key:
            return  # given up for something newer
        self._running = None
        self.progress.emit(-1.0, "")
        if not isinstance(error, Cancelled):
            self.failed.emit(f"Could not lay the codes out by {METHODS[key[2]]}: {error}")
