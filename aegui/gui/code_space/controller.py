"""Wires the code-space views to the model: the live map, decoding anywhere, sliders and interpolation; the
neighbours, what the codes are worth and their export are `CollectionCodes`'. The maps are computed off the GUI
thread, from a detached copy of the weights, and only while a tab that shows them is open."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal

from aegui.core.analysis.inference import InferenceModel
from aegui.core.analysis.latent import LatentMap, compute_code_space, interpolate
from aegui.core.data.datasets import DIGITS, Dataset
from aegui.core.errors import Cancelled
from aegui.core.words import noun_of, with_article
from aegui.gui.code_space.code_space_panel import CodeSpacePanel
from aegui.gui.code_space.collection_codes import CollectionCodes
from aegui.gui.code_space.explore_panel import ExplorePanel
from aegui.gui.code_space.interpolation_strip import STEPS
from aegui.gui.code_space.map_layouts import MapLayouts
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.concurrency.pacer import FRAME_MS, FramePacer

MAP_FOLLOW_MS = 3000  # while training, the maps follow the weights at most this often
DRAWING_VIEWS_MS = 1000 / 30  # the drawing's marker, neighbours, sliders follow a 125 Hz pen at most this often


class CodeSpaceController(QObject):
    mapUpdated = Signal()

    def __init__(
        self,
        code_panel: CodeSpacePanel,
        explore_panel: ExplorePanel,
        inference: Callable[[], InferenceModel | None],
        weights: Callable[[], dict[str, torch.Tensor] | None],
        dataset: Callable[[], Dataset | None],
        report: Callable[[str, bool], None],
        is_training: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
        unfit_note: Callable[[], str] = lambda: "",  # the model does not take the data: so, and what to do
        read: Callable[[], tuple[list, list]] = lambda: ([], []),  # what the model and data are read from
        closed: Callable[[], bool] = lambda: False,  # the session has closed: nothing more to follow
    ) -> None:
        super().__init__(parent)
        self._closed, self._is_training = closed, is_training
        self._maps_pacer = FramePacer(self._refresh_while_training, MAP_FOLLOW_MS, self)
        self.code_panel, self.explore, self._unfit_note = code_panel, explore_panel, unfit_note
        self._inference, self._weights, self._dataset, self._report = inference, weights, dataset, report
        self.latent: LatentMap | None = None  # the map shown: by PCA, or the chosen method once laid out
        self._pca_latent: LatentMap | None = None  # the latest weights' PCA map
        self.layouts = MapLayouts(is_training, self)
        self.layouts.ready.connect(self._on_laid_out)
        self.layouts.progress.connect(self._on_layout_progress)
        self.layouts.failed.connect(lambda text: self._report(text, True))
        self.collection = CollectionCodes(explore_panel.neighbours, code_panel.show_worth, inference, weights, dataset,
                                          report, is_training, read, self)  # fmt: skip
        self._pixel_cache: dict[tuple[str, int], tuple[np.ndarray, float, float | None]] = {}  # PCA of the pixels
        self._pixels_shown: np.ndarray | None = None  # the points the pixels' map shows
        # the maps, one worker at a time: given up for another model, while new weights wait for them (`_pending`)
        self._maps = LatestTask(self._on_computed, self._on_failed, self, one_at_a_time=True)
        self._pending = False
        self._computing: tuple[tuple[str, int], int] | None = None  # what they are computed for: cache key, weights
        self._generation = 0  # bumped by every model change (which weights a layout is of)
        self._visible = {"map": False, "explore": False}
        self._drawing_unshown = False  # the drawing changed while neither tab showed
        self._stale = True
        self._drawing_code: np.ndarray | None = None
        self._drawing_views = FramePacer(self._show_latest_drawing, DRAWING_VIEWS_MS, self)
        self._picked: int | None = None
        self._ends: dict[str, tuple[np.ndarray, str] | None] = {"a": None, "b": None}  # each end's code and name
        self.slider_latencies: deque[float] = deque(maxlen=100_000)
        self.last_decoded_spot: tuple[float, float] | None = None

        maps = code_panel.code_map
        maps.pointHovered.connect(self._on_point_hovered)
        maps.pointClicked.connect(self._on_point_clicked)
        maps.spotClicked.connect(self._on_spot_clicked)
        code_panel.pixel_map.pointHovered.connect(self._on_point_hovered)
        code_panel.pixel_map.pointClicked.connect(self._on_point_clicked)
        code_panel.countChanged.connect(lambda _count: self.refresh(codes_changed=False))
        code_panel.projectionChosen.connect(self._on_projection_chosen)
        code_panel.followToggled.connect(self._on_follow_toggled)
        explore_panel.sliders.codeChanged.connect(self._on_sliders_moved)
        explore_panel.from_drawing_button.clicked.connect(self._on_sliders_from_drawing)
        explore_panel.interpolation.endpointRequested.connect(self._on_endpoint_requested)

    # --- keeping up with the model ---

    def set_visible(self, map_visible: bool, explore_visible: bool) -> None:
        self._visible = {"map": map_visible, "explore": explore_visible}
        if self._stale and (map_visible or explore_visible):
            self.refresh()
        if self._drawing_unshown and (map_visible or explore_visible):
            self._drawing_unshown = False
            self._show_drawing_code(self._drawing_code)
        if not self._unfit_note():
            self.collection.set_visible(map_visible, explore_visible)

    def follow_model(self, painted: bool) -> None:
        """Another model: if the window is already painted, follow a frame later (as the drawing does: both
        at once held the window up to ~100 ms on two busy cores)."""
        if painted:
            QTimer.singleShot(FRAME_MS, self._follow_model)
        else:
            self._follow_model()

    def _follow_model(self) -> None:
        if not self._closed():
            self.model_changed()

    def model_changed(self) -> None:
        """New weights or a new model: sliders follow its code size; maps and neighbours go stale."""
        inference = self._inference()
        if inference is None:
            return
        self._generation += 1
        self._maps.cancel()  # whatever is being computed is for weights that are gone
        self.layouts.cancel()
        self.latent, self._pca_latent = None, None
        self._ends = {"a": None, "b": None}
        self.explore.interpolation.clear()
        self._setup_sliders(inference)
        self.refresh()

    def follow_weights(self) -> None:
        """Newer weights: while training, the maps follow every few seconds (each is a pass over the test
        images, CPU taken from training); otherwise at once."""
        if self._is_training():
            self._maps_pacer.request()
        else:
            self._maps_pacer.cancel()
            self.refresh()

    def _refresh_while_training(self) -> None:
        if self._is_training():  # (training's end refreshes with the final weights itself)
            self.refresh()

    def refresh(self, codes_changed: bool = True) -> None:
        """Recompute the maps from the current weights (`codes_changed`: new weights, model or data)."""
        dataset, state, inference = self._dataset(), self._weights(), self._inference()
        if self._show_unfit(self._unfit_note()):
            return
        if codes_changed:
            self.collection.invalidate()
        if dataset is None or state is None or inference is None:
            return
        if not (self._visible["map"] or self._visible["explore"]):
            self._stale = True  # nobody is looking: compute when a tab opens
            return
        if self._maps.busy:
            self._pending = True  # (so training's maps follow its weights: computed once these are shown)
            return
        self._stale, self._pending = False, False
        self.code_panel.set_test_count(len(dataset.test_images))
        count = self.code_panel.count_spin.value()
        cache_key = (dataset.key, min(count, len(dataset.test_images)))
        self.code_panel.status.setText("Placing the test digits…")
        self._computing = (cache_key, self._generation)
        self._maps.start(compute_code_space, inference.config, state, dataset, count, self._pixel_cache.get(cache_key))

    def _show_unfit(self, note: str) -> bool:
        """Whether the model does not take the data (`note` says so): then nothing is computed, or shown."""
        self.code_panel.show_unfit(note), self.explore.show_unfit(note)
        if note:  # (a map computed or laid out meanwhile is of weights and data that do not fit)
            self.latent, self._pca_latent = None, None
            self._generation += 1
            self._maps.cancel()
            self.collection.unfit()
        return bool(note)

    def _on_computed(self, latent: LatentMap) -> None:
        cache_key, generation = self._computing
        self._pca_latent = latent
        self._pixel_cache[cache_key] = (latent.pixel_points, latent.pixel_score, latent.pixel_explained)
        self._show_latent(self.layouts.request(latent, generation) or latent)
        if self._pending:
            self.refresh()

    def _show_latent(self, latent: LatentMap) -> None:
        """Show a map of the current weights (by PCA, or laid out by the chosen method)."""
        self.latent = latent
        panel, dataset = self.code_panel, self._dataset()
        classes = self._classes()
        panel.legend.set_classes(classes)
        panel.code_map.set_points(latent.points, latent.labels, latent.score, len(classes), latent.embedding.title)
        if dataset is not None:
            thumbnails = dataset.test_images[torch.as_tensor(latent.indices)].numpy()
            panel.code_map.set_thumbnails(thumbnails.transpose(0, 2, 3, 1) if thumbnails.ndim == 4 else thumbnails)
        self._show_status()
        self.show_drawing(self._drawing_code)
        if self._pixels_shown is not latent.pixel_points:  # new data, count or method: the pixels' map changes too,
            QTimer.singleShot(FRAME_MS, self._show_pixel_map)  # drawn a frame later: no paint holds up the window
        else:  # (it does not depend on the weights: after an epoch only the codes' map moves)
            self.mapUpdated.emit()

    def _show_status(self, progress: str = "") -> None:
        latent = self.latent
        if latent is None:
            return
        note = self.layouts.note(latent.codes.shape[1]) if latent.embedding.method != self.layouts.method else ""
        text = latent.describe(self._noun(), len(self._classes()))
        self.code_panel.status.setText(text + (f" {note}" if note else "") + (f" {progress}" if progress else ""))

    def _on_laid_out(self, latent: LatentMap, generation: int) -> None:
        if generation == self._generation and latent.embedding.method == self.layouts.method:
            self._show_latent(latent)

    def _on_layout_progress(self, fraction: float, label: str) -> None:
        self._show_status(label if fraction >= 0 else "")

    def _on_projection_chosen(self, method: str) -> None:
        self.layouts.choose(method)
        if self._pca_latent is not None:
            self._show_latent(self.layouts.request(self._pca_latent, self._generation) or self._pca_latent)

    def _on_follow_toggled(self, follow: bool) -> None:
        self.layouts.follow_training = follow
        self._on_projection_chosen(self.layouts.method)

    def _show_pixel_map(self) -> None:
        if self.latent is not None:
            self._pixels_shown = self.latent.pixel_points
            self.code_panel.pixel_map.set_points(self.latent.pixel_points, self.latent.labels, self.latent.pixel_score,
                                                 len(self._classes()), self.latent.pixel_title)  # fmt: skip
        self.mapUpdated.emit()

    def _on_failed(self, error: Exception) -> None:
        if isinstance(error, Cancelled):  # (given up: newer weights or the window closing, whose answer is dropped)
            return
        self._report(f"Could not compute the code space: {error}", True)

    def cancel(self) -> None:
        """Make a running computation give up soon (the window is closing)."""
        self._pending = False
        self._maps_pacer.cancel()
        self._drawing_views.cancel()
        self._maps.cancel()
        self.layouts.cancel()
        self.collection.cancel()

    def _setup_sliders(self, inference: InferenceModel) -> None:
        """Sliders for the model's code size, spanning [-1, 1] until `set_slider_ranges` gives the spans."""
        size = inference.config.code_size
        self.explore.sliders.set_model(size, np.full(size, -1.0, np.float32), np.ones(size, np.float32))

    def set_slider_ranges(self, low: np.ndarray, high: np.ndarray) -> None:
        """Each slider spans where its code value falls on test digits (99%), for the current weights."""
        self.explore.sliders.set_ranges(low, high)

    def data_changed(self) -> None:
        self.refresh()

    # --- the drawing ---

    def show_drawing(self, code: np.ndarray | None) -> None:
        """The drawing changed: move its marker, find its neighbours, and start the sliders from it (when
        neither tab shows, once one does: while training, the drawing follows the weights twice a second)."""
        self._drawing_code = None if code is None else np.asarray(code, np.float32)
        self._drawing_unshown = not (self._visible["map"] or self._visible["explore"])
        if not self._drawing_unshown:
            self._drawing_views.request()

    def _show_latest_drawing(self) -> None:
        if not self._drawing_unshown:
            self._show_drawing_code(self._drawing_code)

    def _show_drawing_code(self, code: np.ndarray | None) -> None:
        if self.latent is not None and code is not None and len(code) == self.latent.codes.shape[1]:
            self.code_panel.code_map.set_marker(self.latent.embedding.place(code[None])[0])
        else:
            self.code_panel.code_map.set_marker(None)
        self.collection.show_drawing(self._drawing_code, self._noun())
        if code is not None and len(code) == len(
            self.explore.sliders.code()
        ):  # (sliders follow a new model a frame later)
            self.explore.sliders.set_code(code)
            self._decode_sliders()

    # --- map interaction ---

    def _test_image(self, index: int) -> np.ndarray | None:
        dataset = self._dataset()
        if dataset is None or self.latent is None or not 0 <= index < len(self.latent.indices):
            return None
        return dataset.test_images[int(self.latent.indices[index])].float().numpy() / 255

    def _classes(self) -> tuple[str, ...]:
        dataset = self._dataset()
        return dataset.classes if dataset is not None else DIGITS

    def _noun(self) -> str:
        dataset = self._dataset()
        return noun_of(dataset) if dataset is not None else "digit"

    def _name(self, index: int) -> str:
        """The class name of the map's point `index`."""
        dataset, label = self._dataset(), int(self.latent.labels[index])
        return dataset.class_name(label) if dataset is not None else str(label)

    def _on_point_hovered(self, index: int) -> None:
        image = self._test_image(index)
        if image is not None:
            self.code_panel.hovered_view.set_image(image, f"test image #{index}: {self._name(index)}")

    def _on_point_clicked(self, index: int) -> None:
        image = self._test_image(index)
        if image is None:
            return
        self._picked = index
        self.code_panel.decoded_view.set_image(image, f"picked test image #{index} ({self._name(index)})")
        self.explore.interpolation.status.setText(f"Picked test {self._noun()} #{index}: use it as A or B.")
        self.collection.show_image(1, int(self.latent.indices[index]))  # (its nearest images: in Explore)

    def decode_at(self, x: float, y: float) -> np.ndarray | None:
        """The digit the model generates at a spot of the code map."""
        inference = self._inference()
        if self.latent is None or inference is None:
            return None
        self.last_decoded_spot = (x, y)
        image = inference.decode(self.latent.decode_point(np.array([x, y])))
        self.code_panel.decoded_view.set_image(image, f"decoded at ({x:.2f}, {y:.2f})")
        return image

    def _on_spot_clicked(self, x: float, y: float) -> None:
        self.decode_at(x, y)

    # --- sliders ---

    def _on_sliders_from_drawing(self) -> None:
        if self._drawing_code is not None:
            self.explore.sliders.set_code(self._drawing_code)
            self._decode_sliders()

    def _on_sliders_moved(self) -> None:
        started = time.perf_counter()
        self._decode_sliders()
        self.slider_latencies.append(time.perf_counter() - started)

    def _decode_sliders(self) -> None:
        inference = self._inference()
        code = self.explore.sliders.code()
        if inference is None or len(code) != inference.config.code_size:
            return
        self.explore.slider_view.set_image(inference.decode(code))

    # --- interpolation ---

    def _on_endpoint_requested(self, end: str, source: str) -> None:
        strip = self.explore.interpolation
        if source == "drawing":
            if self._drawing_code is None:
                strip.status.setText(f"Draw {with_article(self._noun())} first.")
                return
            self._ends[end] = (self._drawing_code.copy(), "the drawing")
        else:
            if self._picked is None or self.latent is None:
                strip.status.setText(f"Click {with_article(self._noun())} on the code map first.")
                return
            self._ends[end] = (self.latent.codes[self._picked].copy(), f"test digit #{self._picked}")
        self._show_interpolation()

    def set_endpoint(self, end: str, code: np.ndarray, name: str = "a code") -> None:
        self._ends[end] = (np.asarray(code, np.float32), name)
        self._show_interpolation()

    def _ends_text(self) -> str:
        a, b = self._ends["a"], self._ends["b"]
        if a is not None and b is not None:
            return f"A: {a[1]}  →  B: {b[1]}"
        end, (_code, name), other = ("A", a, "B") if a is not None else ("B", b, "A")
        return f"{end}: {name}. Now set {other}."

    def _show_interpolation(self) -> None:
        self.explore.interpolation.status.setText(self._ends_text())
        inference = self._inference()
        a, b = self._ends["a"], self._ends["b"]
        if inference is None or a is None or b is None:
            return
        codes = interpolate(a[0], b[0], STEPS)
        self.explore.interpolation.show_images(inference.decode(codes))

    # --- export ---

    def export(self, kind: str, path: str | Path) -> bool:
        """The map as a PNG picture ("png"), or every image's code (.csv, .npy or .parquet, by `path`'s ending,
        written in a worker: `collection.exported` says when)."""
        if kind != "png":
            return self.collection.export(path)
        if self.code_panel.grab().save(str(path), "PNG"):
            return True
        self._report(f"Could not write {path}.", True)
        return False
