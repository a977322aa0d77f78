"""Using the codes of the whole collection (training and test images) in the window: the images nearest in code
space to the one picked, what the codes are worth where there are labels, and the codes written out (CSV, .npy,
Parquet) by the command line's one writer, `codes.write_codes`. The collection is encoded once per model, weights
and data, off the GUI thread, and indexed (`CodeIndex`); a search's latest request wins."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from aegui.core.analysis.code_worth import CodeWorth, code_worth, has_labels, vote_weights
from aegui.core.analysis.codes import Collection, check_codes_output, collection, export_names, iter_codes, write_codes
from aegui.core.analysis.inference import InferenceModel
from aegui.core.analysis.neighbours import CodeIndex
from aegui.core.data.datasets import Dataset
from aegui.core.data.shapes import pictures
from aegui.core.errors import AeguiError, Cancelled
from aegui.core.model.autoencoder import ModelConfig, model_for_weights
from aegui.core.words import with_article
from aegui.core.writes import refuse_inputs_as_outputs, writable_target
from aegui.gui.code_space.neighbours_view import NeighboursView, ShownNeighbour
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.concurrency.threads import run_in_thread

NEIGHBOURS = 8
Found = tuple[np.ndarray, np.ndarray, int | None]  # the nearest images' distances and positions; the one picked


@dataclass(frozen=True)
class Encoded:
    """A collection's codes (N, size), in `collection`'s order, indexed for search."""

    found: Collection
    codes: np.ndarray
    index: CodeIndex

    def position(self, split: int, index: int) -> int | None:
        """Where image `index` of a split (0: train, 1: test) is in the collection."""
        hits = np.flatnonzero((self.found.split == split) & (self.found.index == index))
        return int(hits[0]) if len(hits) else None


@dataclass(frozen=True)
class Query:
    """What the neighbours are asked for: a code (the drawing's), or an image of the data (`split`, `index`)."""

    heading: str
    code: np.ndarray | None = None
    split: int = -1
    index: int = -1


def _model(config: ModelConfig, state: dict[str, torch.Tensor]):
    model = model_for_weights(config).eval()
    model.load_state_dict(state)
    return model


def _blocks(model, found: Collection, cancel: threading.Event) -> Iterator[np.ndarray]:
    for block in iter_codes(model, found.images):
        if cancel.is_set():
            raise Cancelled("encoding cancelled")
        yield block


def encode_collection(config: ModelConfig, state: dict[str, torch.Tensor], dataset: Dataset,
                      cancel: threading.Event) -> Encoded:  # fmt: skip
    """Every image's code, with a private copy of the model (a worker's job; gives up when `cancel` is set)."""
    found = collection(dataset)
    codes = np.concatenate([np.zeros((0, config.code_size), np.float32),
                            *_blocks(_model(config, state), found, cancel)])  # fmt: skip
    return Encoded(found, codes, CodeIndex(codes))


def search(encoded: Encoded, query: Query, k: int, _cancel: threading.Event | None = None) -> Found:
    """The k nearest images (distances, positions), nearest first; a picked image of the data first, at 0."""
    position = encoded.position(query.split, query.index) if query.code is None else None
    if query.code is None and position is None:
        raise AeguiError("That image is not in the data any more.")
    code = encoded.codes[position] if position is not None else np.asarray(query.code, np.float32)
    distances, rows = (part[0] for part in encoded.index.search(code[None], k))
    if position is not None:  # (itself, even where an exact copy ties with it)
        kept = rows != position
        rows = np.concatenate([[position], rows[kept]])[:k]
        distances = np.concatenate([[0.0], distances[kept]])[:k].astype(np.float32)
    return distances, rows, position


def measure_worth(config: ModelConfig, dataset: Dataset, codes: tuple[np.ndarray, np.ndarray],
                  cancel: threading.Event) -> CodeWorth | None:  # fmt: skip
    """`code_worth` of codes at hand (the model only says its code size); gives up when `cancel` is set."""
    return code_worth(model_for_weights(config), dataset, codes=codes, cancelled=cancel.is_set)


def write_collection(config: ModelConfig, state: dict[str, torch.Tensor], dataset: Dataset, path: Path,
                     encoded: Encoded | None, cancel: threading.Event) -> int:  # fmt: skip
    """Write every image's code with `write_codes` (encoding them block by block unless `encoded` has them)."""
    found = encoded.found if encoded is not None else collection(dataset)
    labels = [found.label_name(i) for i in range(len(found.names))]
    blocks = [encoded.codes] if encoded is not None else _blocks(_model(config, state), found, cancel)
    write_codes(path, export_names(dataset, found), labels, blocks, config.code_size)
    return len(found.names)


class CollectionCodes(QObject):
    """The whole collection's codes for the Code space and Explore tabs (see the module)."""

    neighboursShown = Signal()
    worthShown = Signal(str)  # the line shown ("" where the data has no labels)
    exported = Signal(object)  # the path written

    def __init__(self, neighbours_view: NeighboursView, show_worth: Callable[[str], None],
                 inference: Callable[[], InferenceModel | None], weights: Callable[[], dict[str, torch.Tensor] | None],
                 dataset: Callable[[], Dataset | None], report: Callable[[str, bool], None],
                 is_training: Callable[[], bool], read: Callable[[], tuple[list, list]] = lambda: ([], []),
                 parent: QObject | None = None) -> None:  # fmt: skip
        """`read`: what the model and the data are read from, (files, folders), each `(what, path)`: an export is
        never written onto one, nor into one of the folders."""
        super().__init__(parent)
        self.view, self._show_worth = neighbours_view, show_worth
        self._inference, self._weights, self._dataset, self._report = inference, weights, dataset, report
        self._is_training, self._read = is_training, read
        self._closing = threading.Event()  # (an export is not given up for new weights, only when the window closes)
        self.encoded: Encoded | None = None
        self.worth: CodeWorth | None = None
        self._version = 0  # bumped by new weights, model or data (the codes weighed are of one version)
        # the latest request wins (encoding: one worker at a time, a newer request waiting for the one given up)
        self._encoder = LatestTask(self._on_encoded, self._on_encode_failed, self, one_at_a_time=True)
        self._searcher = LatestTask(self._on_found, self._on_search_failed, self, one_at_a_time=True)
        self._weigher = LatestTask(self._on_worth, self._on_worth_failed, self)
        self._closed = False
        self._labelled: tuple[weakref.ref[Dataset], bool] | None = None  # the last data asked about: labelled?
        self._wanted = {"explore": False, "map": False}
        self._query: Query | None = None  # asked, not yet answered
        self._shown_query: Query | None = None  # answered and shown: asked again for new weights
        self._asked = 0  # the latest request's number
        self._searching: tuple[Query, int, Encoded] | None = None  # the search on its way: its query, number, codes
        self._follow_drawing = True  # the drawing is the query until an image is picked, and again once it changes
        self._worth_version = -1

    # --- keeping up ---

    def set_visible(self, map_visible: bool, explore_visible: bool) -> None:
        self._wanted = {"explore": explore_visible, "map": map_visible}
        self._update()

    def invalidate(self) -> None:
        """New weights, another model or other data: the codes are computed again when something needs them."""
        self._version += 1
        self._encoder.cancel()
        self._weigher.cancel()
        self.encoded, self.worth = None, None
        self._update()

    def unfit(self) -> None:
        """The model does not take the data: nothing of its codes is shown."""
        self._query, self._shown_query = None, None
        self.invalidate()
        self._show_worth("")
        self.view.show_neighbours(None)

    def cancel(self) -> None:
        """The window closes: give up what runs, and start nothing more (a cancelled worker's end comes later)."""
        self._closed = True
        for task in (self._encoder, self._searcher, self._weigher):
            task.cancel()
        self._closing.set()

    def _can_run(self) -> tuple[ModelConfig, dict, Dataset] | None:
        inference, dataset = self._inference(), self._dataset()
        if inference is None or dataset is None:
            return None
        state = self._weights()
        return None if state is None else (inference.config, state, dataset)

    def _update(self) -> None:
        """Encode when a tab or a request needs the codes; weigh them when the map's tab shows and training rests."""
        map_needs = self._wanted["map"] and not self._is_training()  # (only to weigh them)
        if self._closed:
            return
        needed = self._wanted["explore"] or map_needs or self._query is not None
        picked = self._shown_query is not None and self._shown_query.code is None
        if self.encoded is None and self._query is None and picked and self._wanted["explore"]:
            self._query, self._asked = self._shown_query, self._asked + 1  # (an image picked: its new neighbours)
        if self.encoded is None:
            if needed:
                self._encode()
        elif self._query is not None:
            self._search()
        self._update_worth()

    def _encode(self) -> None:
        if self._encoder.busy:
            return  # (the codes of these weights are on their way)
        inputs = self._can_run()
        if inputs is not None:
            self._encoder.start(encode_collection, *inputs)

    def _on_encoded(self, encoded: Encoded) -> None:
        self.encoded = encoded
        self._update()

    def _on_encode_failed(self, error: Exception) -> None:
        if not isinstance(error, Cancelled):  # (given up for newer weights: what needs them encodes them)
            self._report(f"Could not encode the images: {error}", True)

    # --- neighbours ---

    def follow_drawing(self) -> None:
        """The canvas changed: its drawing is what the neighbours are found for again."""
        self._follow_drawing = True

    def show_drawing(self, code: np.ndarray | None, noun: str) -> None:
        if not self._follow_drawing:
            return  # (an image picked holds until the drawing changes)
        if code is None:
            self._query, self._shown_query = None, None
            self._asked += 1
            self.view.show_neighbours(None)
            return
        self._ask(Query(f"The drawing's nearest {noun}s", code=np.asarray(code, np.float32)))

    def show_image(self, split: int, index: int) -> None:
        """An image of the data was picked (a point of the map, an outlier): its nearest images, itself first."""
        self._follow_drawing = False
        self._ask(Query("", split=split, index=index))

    def show_position(self, position: int) -> None:
        """Image `position` of the data's training images then its test images (an outlier's) was picked."""
        dataset = self._dataset()
        if dataset is not None:
            train = len(dataset.train_images)
            self.show_image(*((0, position) if position < train else (1, position - train)))

    def _ask(self, query: Query) -> None:
        self._query, self._asked = query, self._asked + 1
        if self.encoded is None:
            self.view.show_neighbours(None, waiting=True)
        self._update()

    def _search(self) -> None:
        query, encoded, on_its_way = self._query, self.encoded, self._searching
        if query is None or encoded is None:
            return
        if self._searcher.busy and on_its_way is not None and on_its_way[1] == self._asked and on_its_way[2] is encoded:
            return  # (this request's answer is on its way)
        self._searching = (query, self._asked, encoded)
        self._searcher.start(search, encoded, query, NEIGHBOURS)

    def _on_found(self, found: Found) -> None:
        query, asked, encoded = self._searching
        dataset = self._dataset()
        if asked != self._asked or encoded is not self.encoded or dataset is None:
            self._update()  # a newer request, or newer codes: search again
            return
        self._query, self._shown_query = None, query
        distances, rows, position = found
        found_set = encoded.found
        images = pictures(found_set.images[rows].float().numpy() / 255, dataset.image_shape)
        shown = [ShownNeighbour(images[i], float(distances[i]), found_set.names[row], found_set.label_name(row))
                 for i, row in enumerate(rows.tolist())]  # fmt: skip
        labels = found_set.labels[rows]
        if position is None:
            verdict = self._verdict(labels, found_set.classes)
            heading = query.heading + (f": {verdict}" if verdict else "")
        else:
            label = found_set.label_name(position)
            heading = f"Nearest to {found_set.names[position]}{f' ({label})' if label else ''}, itself first"
        self.view.show_neighbours(shown, f"{heading} (distances in code space)",
                                  labels=labels if found_set.labelled else None)  # fmt: skip
        self.neighboursShown.emit()

    @staticmethod
    def _verdict(labels: np.ndarray, classes: tuple[str, ...]) -> str:
        """What most of them are ('looks like a 3, 6 of 8'); '' where they have no labels."""
        known = labels >= 0
        if not known.any():
            return ""
        votes = np.bincount(labels[known], weights=vote_weights(len(labels))[known])
        most = int(votes.argmax())
        name = classes[most] if most < len(classes) else str(most)
        return f"looks like {with_article(name)}, {int((labels == most).sum())} of {len(labels)}"

    def _on_search_failed(self, error: Exception) -> None:
        self._query = None
        self._report(f"Could not find the nearest images: {error}", True)

    # --- what the codes are worth ---

    def _has_labels(self, dataset: Dataset) -> bool:
        """`has_labels`, once per dataset (asked at each drawing change, it compares every training label)."""
        if self._labelled is None or self._labelled[0]() is not dataset:
            self._labelled = (weakref.ref(dataset), has_labels(dataset))  # (weakly: the data may be replaced)
        return self._labelled[1]

    def _update_worth(self) -> None:
        dataset = self._dataset()
        if dataset is None or not self._has_labels(dataset):
            self._show_worth("")
            return
        if not self._wanted["map"] or self._worth_version == self._version:
            return
        if self._is_training():
            self._show_worth("What the codes are worth (k-nearest-neighbour accuracy) is measured when training ends.")
            return
        if self.encoded is None:
            self._show_worth("Measuring what the codes are worth…")
            return
        inference = self._inference()
        if inference is None:
            return
        self._worth_version = self._version
        self._weigher.start(measure_worth, inference.config, dataset, self.encoded.found.by_split(self.encoded.codes))

    def _on_worth_failed(self, error: Exception) -> None:
        if not isinstance(error, Cancelled):
            self._report(f"Could not weigh the codes: {error}", True)

    def _on_worth(self, worth: CodeWorth | None) -> None:
        if worth is None:
            return
        self.worth = worth
        line = (f"What the codes are worth: {worth.k}-nearest-neighbour accuracy on {worth.test:,} test images "
                f"against {worth.train:,} training images: codes ({worth.components} values) {worth.codes:.1%}, "
                f"PCA ({worth.pca_components} components) {worth.pca:.1%}, raw pixels ({worth.pixel_count:,} "
                f"values) {worth.pixels:.1%}.")  # fmt: skip
        self._show_worth(line)
        self.worthShown.emit(line)

    # --- export ---

    def export(self, path: str | Path) -> bool:
        """Write every image's code to `path` (.csv, .npy or .parquet) in a worker; False, said, where it cannot
        start (`exported` says when it is written)."""
        path = Path(path)
        inputs = None if self._closed else self._can_run()
        try:
            check_codes_output(path)
            if inputs is None:
                raise AeguiError("Load data and a model that takes it first. Nothing was written.")
            writable_target(path)
            refuse_inputs_as_outputs([("The codes file", path)], *self._read())
        except AeguiError as error:
            self._report(str(error).replace("--out must", "The file name must"), True)
            return False
        run_in_thread(write_collection, *inputs, path, self.encoded, self._closing,
                      on_result=lambda count: self._on_written(path, count),
                      on_error=lambda error: self._report(f"Could not export the codes: {error}", True))  # fmt: skip
        self._report(f"Writing every image's code to {path}…", False)
        return True

    def _on_written(self, path: Path, count: int) -> None:
        self._report(f"Exported the codes of {count:,} images to {path}.", False)
        self.exported.emit(path)
