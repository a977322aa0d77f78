"""Generating digits in the window: the Generate tab's batches and the manifold of a 2-value code.

What codes are drawn from: the model's fitted density once it has one for its current weights; a
VAE's prior, or for a plain autoencoder one Gaussian with its test codes' mean and covariance, while
it trains or until its density is fitted. The density is fitted in a worker when digits are to be
shown without one (the Generate tab open, or a 2-value code's manifold), once training has ended,
and kept in the model through the session (and so in the file it is saved to). Not at every run's
end: the fit holds a core and the interpreter for seconds, which made Save, Open and tab switches
just after a run freeze for ~160 ms instead of ~70 ms. A batch keeps its random numbers while the
weights change, so the same digits can be watched sharpen epoch by epoch.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from aegui.core.analysis.latent import fit_model_density
from aegui.core.data.datasets import Dataset
from aegui.core.errors import Cancelled
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.density import CodeDensity
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.generate.generate_view import GenerateView
from aegui.gui.session.controller import SessionController
from aegui.gui.widgets.manifold import ManifoldView

MANIFOLD_SIDE = 15
CODE_IMAGES = 2000  # test images whose codes stand in for a density not fitted yet
NEAR_SPREAD = 0.5  # "more like my drawing": the spread, as a share of the nearest component's


def _fit(model: AutoEncoder, state: dict[str, torch.Tensor], dataset: Dataset, cancel: threading.Event):
    """(model, its code density): a worker's job (the model only travels with the result)."""
    density = fit_model_density(model.config, state, dataset.train_images, dataset.test_images,
                                cancelled=cancel.is_set, train_labels=dataset.train_labels)  # fmt: skip
    return model, density


class GenerateController(QObject):
    batchShown = Signal()  # a batch of generated digits is on screen
    densityFitted = Signal()

    def __init__(self, session: SessionController, view: GenerateView, manifold: ManifoldView,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.session, self.view, self.manifold = session, view, manifold
        self.visible = self.map_visible = False
        self._version = 0  # bumped by every change of model or weights (the fallback density is of one version)
        self._seed = 0
        self._near: np.ndarray | None = None  # the drawing's code the batch was drawn around, if it was
        self._fallback: tuple[int, CodeDensity] | None = None  # (version, density) while none is fitted
        self._fit = LatestTask(self._on_fitted, self._on_fit_failed, self)  # (given up for newer weights)
        view.newBatchRequested.connect(self.new_batch)
        view.moreLikeDrawingRequested.connect(self.more_like_drawing)
        view.digitChosen.connect(session.imageRequested)  # (onto the canvas)
        manifold.imageChosen.connect(session.imageRequested)
        session.modelChanged.connect(self._on_weights_changed)
        session.weightsChanged.connect(self._on_weights_changed)
        session.datasetLoaded.connect(self._on_weights_changed)
        session.densityChanged.connect(self._on_density_changed)

    @property
    def fitting(self) -> bool:
        return self._fit.busy

    # --- what codes come from ---

    def density(self) -> tuple[CodeDensity | None, str]:
        """The density to draw codes from now, and a sentence saying what it is (or why there is none)."""
        session, model = self.session, self.session.model
        if model is None:
            return None, "No model."
        unfit = session.unfit_note()  # (its own images still come from its density or prior: none is fitted here)
        if model.density is not None and not session.is_training():
            return model.density, f"From {model.density.describe()}." + (f" {unfit}" if unfit else "")
        if session.history.epochs_done == 0 and not session.is_training():
            return None, "Train the model first: an untrained decoder draws noise."
        if model.config.variational:
            prior, named = CodeDensity.standard_normal(model.code_size), "the VAE's prior N(0, I)"
            return prior, f"From {named}. {unfit}" if unfit else self._waiting(named)
        if unfit:
            return None, f"No codes to draw from: this model has no code density, and none can be fitted. {unfit}"
        if session.model_data is None or session.inference is None:
            return None, "Load data first: a plain autoencoder's codes are drawn from where its test codes lie."
        if self._fallback is None or self._fallback[0] != self._version:
            session.follow_training()
            codes = session.inference.encode_many(session.model_data.test_images[:CODE_IMAGES])
            self._fallback = (self._version, CodeDensity.gaussian(codes))
        return self._fallback[1], self._waiting("one Gaussian with the test codes' mean and covariance")

    def _waiting(self, what: str) -> str:
        if self.session.is_training():
            return f"From {what} while it trains; a density is fitted to its codes when training ends."
        self.fit_density()
        return f"From {what} until the density of its training codes is fitted{'…' if self.fitting else '.'}"

    def fit_density(self) -> bool:
        """Fit the model's code density in a worker (if it has none for its current weights)."""
        session = self.session
        state = session.current_weights()
        if (self.fitting or session.is_training() or session.model_data is None or state is None
                or session.model.density is not None or session.history.epochs_done == 0):  # fmt: skip
            return False
        self._fit.start(_fit, session.model, state, session.model_data)
        return True

    def cancel(self) -> None:
        """Make a fit in progress give up within a few iterations (the window is closing)."""
        self._fit.cancel()

    def _on_fitted(self, result: tuple[AutoEncoder, CodeDensity]) -> None:
        if self.session.set_density(*result):
            return  # (its densityChanged has shown it)
        self.refresh()  # the model changed meanwhile: the new one is fitted if digits are on screen

    def _on_fit_failed(self, error: Exception) -> None:
        if not isinstance(error, Cancelled):
            self.session.message.emit(f"Could not fit a density to the codes: {error}", True)

    # --- showing ---

    def set_visible(self, generate_tab: bool, code_map: bool) -> None:
        """Which of the views this keeps up to date are on screen (only those are computed)."""
        self.visible, self.map_visible = generate_tab, code_map
        self.refresh()

    def refresh(self) -> None:
        """Show the current batch (same random numbers) with the current weights, and the manifold."""
        if self.session.closed:
            return
        if self.visible:
            self._show_batch()
        if self.map_visible:
            self._show_manifold()

    def new_batch(self) -> None:
        self._seed += 1
        self._near = None
        self._show_batch()

    def more_like_drawing(self) -> bool:
        inference, drawing = self.session.inference, self.session.drawing.image
        if drawing is None or inference is None:
            self.view.show_state("Draw a digit (or click one) first: new digits are drawn around its code.", True)
            return False
        self.session.follow_training()
        self._near = inference.reconstruct(drawing).code
        self._seed += 1
        self._show_batch()
        return True

    def _show_batch(self) -> None:
        density, text = self.density()
        inference = self.session.inference
        self.view.show_state(text, density is not None)
        if density is None or inference is None:
            return
        generator = torch.Generator().manual_seed(self._seed)
        count = self.view.count()
        if self._near is not None and self._near.shape == (density.code_size,):
            codes = density.near(self._near, count, generator, NEAR_SPREAD * self.view.temperature())
        else:
            codes = density.sample(count, generator, self.view.temperature())
        self.session.follow_training()
        self.view.show_digits(inference.decode(codes.numpy()))
        self.batchShown.emit()

    def _show_manifold(self) -> None:
        model, inference = self.session.model, self.session.inference
        density = self.density()[0] if model is not None and inference is not None and model.code_size == 2 else None
        if density is None:
            self.manifold.show_manifold(None)
            return
        self.session.follow_training()
        images = inference.decode(density.quantile_grid(MANIFOLD_SIDE))
        caption = f"decoded over the code plane, spaced by the quantiles of {density.describe()}"
        self.manifold.show_manifold(images, MANIFOLD_SIDE, caption)

    # --- events ---

    def _on_weights_changed(self, *_args) -> None:
        self._version += 1
        self._fit.cancel()  # a density of weights that are gone (the new ones are fitted if digits are on screen)
        self.refresh()

    def _on_density_changed(self) -> None:
        self.densityFitted.emit()
        self.refresh()
