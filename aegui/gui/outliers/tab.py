"""The Outliers tab: what the model finds strange in the data, most unusual first."""

from __future__ import annotations

from aegui.gui.outliers.controller import OutliersController
from aegui.gui.outliers.outliers_view import OutliersView
from aegui.gui.window.parts import Feature, Parts


def build(parts: Parts) -> Feature:
    view = parts.outliers_view = OutliersView()
    controller = parts.outliers = OutliersController(parts.session, view, parts.canvas, parts.report, parts.window)
    view.exportRequested.connect(parts.files.export_outliers_dialog)
    return Feature(pages=(("Outliers", view),), tab_shown=lambda page: controller.set_visible(page is view),
                   cancel=controller.cancel)  # fmt: skip
