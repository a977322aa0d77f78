"""The Features tab: the first layer's weights, what each code value does, and the drawing's activations."""

from __future__ import annotations

from aegui.gui.features.controller import FeaturesController
from aegui.gui.features.features_view import FeaturesView
from aegui.gui.window.parts import Feature, Parts


def build(parts: Parts) -> Feature:
    session, canvas = parts.session, parts.canvas
    view = parts.features_view = FeaturesView()
    maps = parts.feature_maps = FeaturesController(
        view, lambda: session.inference, lambda: session.model_data.test_images if session.model_data else None,
        lambda: None if canvas.is_empty() else canvas.model_input(), parts.window)  # fmt: skip
    session.modelChanged.connect(maps.weights_changed)
    for signal in (session.modelChanged, session.datasetLoaded):  # (the model may not take the data)
        signal.connect(lambda *_args: view.show_unfit(session.unfit_note()))
    session.weightsChanged.connect(maps.weights_changed)
    parts.model_views.drawingUpdated.connect(maps.drawing_changed)
    view.exportRequested.connect(lambda: parts.files.export_png_dialog(view, "features"))
    return Feature(pages=(("Features", view),), tab_shown=lambda page: maps.set_visible(page is view))
