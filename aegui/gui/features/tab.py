"""The Features tab: the first layer's weights, what each code value does, and the drawing's activations."""

from __future__ import annotations

from aegui.gui.features.controller import FeaturesController
from aegui.gui.features.features_view import FeaturesView
from aegui.gui.window.parts import Feature, Parts

REQUIRES = ("session", "window", "files")
PROVIDES = ("features_view", "features_controller")


def build(parts: Parts) -> Feature:
    session = parts.session
    view = parts.features_view = FeaturesView()
    maps = parts.features_controller = FeaturesController(
        view, lambda: session.inference, lambda: session.model_data.test_images if session.model_data else None,
        lambda: session.drawing.image, parts.window)  # fmt: skip
    session.modelChanged.connect(maps.weights_changed)
    for signal in (session.modelChanged, session.datasetLoaded):  # (the model may not take the data)
        signal.connect(lambda *_args: view.show_unfit(session.unfit_note()))
    session.weightsChanged.connect(maps.weights_changed)
    session.drawingChanged.connect(maps.drawing_changed)
    view.exportRequested.connect(lambda: parts.files.export_png_dialog(view, "features"))
    return Feature(pages=(("Features", view),), tab_shown=lambda page: maps.set_visible(page is view))
