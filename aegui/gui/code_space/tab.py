"""The Code space and Explore tabs: the maps of the codes, and sliders, interpolation and neighbours. They
follow the session: its model, weights and data, the drawing and the code's scales it publishes, and its
requests to show the images nearest one of the data."""

from __future__ import annotations

from pathlib import Path

from aegui.core.words import noun_of
from aegui.gui.code_space.code_space_panel import CodeSpacePanel
from aegui.gui.code_space.controller import CodeSpaceController
from aegui.gui.code_space.explore_panel import ExplorePanel
from aegui.gui.window.parts import Feature, Parts
from aegui.gui.window.sizing import scrolling

REQUIRES = ("session", "window", "files", "report")
PROVIDES = ("code_space_panel", "explore_panel", "code_space", "code_map_page", "manifold")


def build(parts: Parts) -> Feature:
    session, window = parts.session, parts.window
    code_panel = parts.code_space_panel = CodeSpacePanel()
    explore_panel = parts.explore_panel = ExplorePanel()
    parts.manifold = code_panel.manifold_box  # (the Generate feature fills it)

    def read() -> tuple[list[tuple[str, Path | None]], list[tuple[str, Path | None]]]:
        """What the model and the data are read from (files, folders): an export of the codes goes elsewhere."""
        dataset = session.dataset
        source = Path(dataset.source) if dataset is not None and dataset.source else None
        folder = source if source is not None and source.is_dir() else None
        return [("the model file", session.model_path)], [("the folder the data is read from", folder)]

    code_space = parts.code_space = CodeSpaceController(
        code_panel, explore_panel, lambda: session.inference, session.current_weights, lambda: session.model_data,
        parts.report, session.is_training, window, session.unfit_note, read, lambda: session.closed)  # fmt: skip
    code_panel.exportRequested.connect(parts.files.export_code_space_dialog)
    session.modelChanged.connect(lambda: code_space.follow_model(painted=window.isVisible()))
    session.weightsChanged.connect(code_space.follow_weights)
    session.datasetLoaded.connect(lambda _dataset: code_space.data_changed())
    session.drawingEdited.connect(code_space.collection.follow_drawing)  # (the drawing is asked about again)
    session.drawingChanged.connect(lambda: code_space.show_drawing(session.drawing.code))
    session.codeScalesChanged.connect(lambda scales: code_space.set_slider_ranges(scales.slider_low,
                                                                                  scales.slider_high))  # fmt: skip
    session.similarRequested.connect(code_space.collection.show_position)

    def on_dataset_loaded(dataset) -> None:  # words follow the data
        code_panel.set_noun(noun_of(dataset))
        explore_panel.set_noun(noun_of(dataset))

    session.datasetLoaded.connect(on_dataset_loaded)
    map_page, explore_page = scrolling(code_panel), scrolling(explore_panel)
    parts.code_map_page = map_page  # (the Generate tab draws the manifold there)
    return Feature(
        pages=(("Code space", map_page), ("Explore", explore_page)),
        tab_shown=lambda page: code_space.set_visible(page is map_page, page is explore_page),
        cancel=code_space.cancel,
    )
