"""The Outliers tab: what the model finds strange in the data, most unusual first; and, in its Near-duplicates
mode, the images that are copies of each other."""

from __future__ import annotations

from aegui.gui.outliers.controller import OutliersController
from aegui.gui.outliers.duplicates_controller import DuplicatesController
from aegui.gui.outliers.outliers_view import OutliersView
from aegui.gui.window.parts import Feature, Parts

REQUIRES = ("session", "window", "files", "report")
PROVIDES = ("outliers_view", "outliers", "duplicates")


def build(parts: Parts) -> Feature:
    view = parts.outliers_view = OutliersView()
    controller = parts.outliers = OutliersController(parts.session, view, parts.report, parts.window)
    duplicates = parts.duplicates = DuplicatesController(parts.session, view.duplicates, parts.report, parts.window)
    view.exportRequested.connect(parts.files.export_outliers_dialog)
    shown = [False]  # whether the tab is the page shown

    def follow(*_args) -> None:
        controller.set_visible(shown[0] and view.mode() == "unusual")
        duplicates.set_visible(shown[0] and view.mode() == "duplicates")

    def tab_shown(page) -> None:
        shown[0] = page is view
        follow()

    view.modeChosen.connect(follow)

    def cancel() -> None:
        controller.cancel()
        duplicates.cancel()

    return Feature(pages=(("Outliers", view),), tab_shown=tab_shown, cancel=cancel)
