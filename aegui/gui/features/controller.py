"""Keeps the Features tab in step with the model: the first layer and the code values at every new set
of weights, the activations at every drawing update; only while the tab is open (each costs a few
milliseconds of the GUI thread, from the published copy of the weights)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject

from aegui.core.analysis.features import activations, code_directions, first_layer, strip
from aegui.core.analysis.inference import InferenceModel
from aegui.core.model.steps import to_float
from aegui.gui.features.features_view import FeaturesView

SPREAD_DIGITS = 500  # test digits whose codes set each code value's centre and spread
SPREAD = 1.5  # code directions: each value raised and lowered by this many standard deviations


class FeaturesController(QObject):
    def __init__(self, view: FeaturesView, inference: Callable[[], InferenceModel | None],
                 test_images: Callable[[], object], model_input: Callable[[], np.ndarray | None],
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._view, self._inference, self._test_images, self._model_input = view, inference, test_images, model_input
        self._visible = False
        self._stale = True

    def set_visible(self, visible: bool) -> None:
        self._visible = visible
        if visible and self._stale:
            self.weights_changed()

    def weights_changed(self) -> None:
        """New weights (an epoch's end) or another model: redraw the weights' pictures and the strips."""
        inference = self._inference()
        if not self._visible or inference is None:
            self._stale = True
            return
        self._stale = False
        model = inference.model
        filters, shown, units = first_layer(model)
        self._view.filters.show_images(filters)
        kind = "filters" if inference.config.kind == "conv" else "units"
        self._view.filters_caption.setText(f"The first layer's {len(shown)} most used {kind} (of {units}).")
        centre, spread = self._code_spread(inference)
        self._view.directions.show_images(code_directions(model, centre, spread))
        by = f"{SPREAD:g} standard deviations of its test codes" if spread is not None else "1 around zero (no test "\
             "images it takes are loaded)"  # fmt: skip
        self._view.directions_caption.setText(f"Each of the {model.code_size} code values raised minus lowered by "
                                              f"{by}.")  # fmt: skip
        self.drawing_changed()

    def _code_spread(self, inference: InferenceModel) -> tuple[np.ndarray | None, np.ndarray | None]:
        images = self._test_images()
        if images is None or len(images) == 0:
            return None, None
        codes = inference.encode_many(images[:SPREAD_DIGITS])
        return codes.mean(0), np.maximum(codes.std(0), 1e-3) * SPREAD

    def drawing_changed(self) -> None:
        inference, image = self._inference(), self._model_input()
        if not self._visible or inference is None:
            return
        if image is not None and np.asarray(image).size != inference.config.pixels:
            return  # drawn for the model before: the drawing for this one comes within a frame
        if image is None or not np.asarray(image).any():
            self._view.strips_caption.setText("Draw a digit to see every layer's activations.")
            image = to_float(self._test_images()[:1]).numpy() if self._test_images() is not None else None
            if image is None:
                return
        else:
            self._view.strips_caption.setText("Every layer's activations for the drawing (each scaled to its "
                                              "largest value).")  # fmt: skip
        found = activations(inference.model, image)
        self._view.strips.show_strips([layer.name for layer in found], [strip(layer.values) for layer in found])
