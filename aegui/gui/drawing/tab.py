"""The drawing row's second step: what the model sees, the code and the reconstruction, kept in step with
the session (and the gallery of the Training tab with them). It adds no tab of its own; the drawing and the
code's scales are published on the session for the other features."""

from __future__ import annotations

from aegui.gui.drawing.controller import DrawingController
from aegui.gui.window.parts import Feature, Parts

REQUIRES = ("session", "window", "canvas", "draw_panel", "gallery", "refresh_rate", "report")
PROVIDES = ("drawing_controller",)


def build(parts: Parts) -> Feature:
    session, window = parts.session, parts.window
    parts.draw_panel.add_views()
    views = parts.drawing_controller = DrawingController(session, parts.canvas, parts.draw_panel, parts.gallery,
                                                  parts.refresh_rate, window)  # fmt: skip

    def on_model_changed() -> None:
        parts.draw_panel.code_view.set_model(session.model.config.code_size, (-1.0, 1.0))
        views.model_changed(painted=window.isVisible())

    session.modelChanged.connect(on_model_changed)
    parts.canvas.imageRefused.connect(lambda text: parts.report(text, True))
    return Feature()
