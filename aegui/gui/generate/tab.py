"""The Generate tab: new digits from the model's code density (and the manifold on the Code space tab)."""

from __future__ import annotations

from aegui.core.words import noun_of
from aegui.gui.generate.controller import GenerateController
from aegui.gui.generate.generate_view import GenerateView
from aegui.gui.window.parts import Feature, Parts

REQUIRES = ("session", "window", "manifold", "code_map_page")
PROVIDES = ("generate_view", "generation")


def build(parts: Parts) -> Feature:
    view = parts.generate_view = GenerateView()
    generation = parts.generation = GenerateController(parts.session, view, parts.manifold, parts.window)
    parts.session.datasetLoaded.connect(lambda dataset: view.set_noun(noun_of(dataset)))  # words follow the data
    map_page = parts.code_map_page  # (where the manifold is shown)
    return Feature(
        pages=(("Generate", view),),
        tab_shown=lambda page: generation.set_visible(page is view, page is map_page),
        cancel=generation.cancel,
    )
