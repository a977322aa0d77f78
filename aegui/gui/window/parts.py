"""What the window is made of, as the feature packages see it: the first frame's parts (given), and
what each feature's `build` adds. The window's second step is `build_features`.

A feature package (`aegui.gui.<feature>.tab`) has `build(parts) -> Feature`: it makes its controller and
views from the parts it needs, connects them, records them on `parts` (for tests and scripts, and the few
parts another feature shows or fills), and returns its tab pages and how it follows the window (the tab
shown, closing, settings). It declares what it reads of `parts` (`REQUIRES`) and what it records there
(`PROVIDES`): features are built in an order computed from those, each after those whose parts it needs.
Features never import each other: what they tell each other goes through the session (its signals, the
drawing it publishes, its requests), and what they share to show lives in `aegui.gui.widgets`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QMainWindow, QWidget

if TYPE_CHECKING:
    from aegui.gui.code_space.code_space_panel import CodeSpacePanel
    from aegui.gui.code_space.controller import CodeSpaceController
    from aegui.gui.code_space.explore_panel import ExplorePanel
    from aegui.gui.data.controller import DataController
    from aegui.gui.drawing.canvas import DrawCanvas
    from aegui.gui.drawing.controller import DrawingController
    from aegui.gui.drawing.draw_panel import DrawPanel
    from aegui.gui.features.controller import FeaturesController
    from aegui.gui.features.features_view import FeaturesView
    from aegui.gui.generate.controller import GenerateController
    from aegui.gui.generate.generate_view import GenerateView
    from aegui.gui.outliers.controller import OutliersController
    from aegui.gui.outliers.duplicates_controller import DuplicatesController
    from aegui.gui.outliers.outliers_view import OutliersView
    from aegui.gui.session.controller import SessionController
    from aegui.gui.training.loss_plot import LossPlot
    from aegui.gui.training.runs_controller import RunsController
    from aegui.gui.training.runs_view import RunsView
    from aegui.gui.training.training_panel import TrainingPanel
    from aegui.gui.widgets.data_box import DataBox
    from aegui.gui.widgets.gallery import ReconstructionGallery
    from aegui.gui.widgets.manifold import ManifoldView
    from aegui.gui.window.recent_files import RecentFiles


class Exports(Protocol):
    """What the features ask of the window's file actions: where to export, then the export."""

    def export_png_dialog(self, widget: QWidget, name: str) -> None: ...
    def export_code_space_dialog(self, kind: str) -> None: ...
    def export_outliers_dialog(self, kind: str) -> None: ...


@dataclass
class Feature:
    """A feature's place in the window: its tab pages (title, page), in the order of the View menu."""

    pages: tuple[tuple[str, QWidget], ...] = ()
    tab_shown: Callable[[QWidget], None] = lambda _page: None  # the page now shown (maybe another feature's)
    cancel: Callable[[], None] = lambda: None  # the window closes: stop computing
    save_settings: Callable[[QSettings], None] = lambda _settings: None


@dataclass
class Parts:
    """The window's parts. Those without a default are given; the rest are filled by the `build`s."""

    window: QMainWindow
    session: SessionController
    panel: TrainingPanel
    canvas: DrawCanvas
    draw_panel: DrawPanel
    settings: QSettings
    recent: RecentFiles
    files: Exports
    data_box: DataBox  # (the panel shows it, the data feature drives it)
    refresh_rate: float = 60.0
    report: Callable[..., Any] = field(default=lambda text, error=False: None)  # a sentence on the message line
    # training
    loss_plot: LossPlot | None = None
    log_check: QCheckBox | None = None
    runs_view: RunsView | None = None
    runs_controller: RunsController | None = None
    gallery: ReconstructionGallery | None = None  # (shown on the Training tab, filled by the drawing feature)
    # code space and Explore
    code_space_panel: CodeSpacePanel | None = None
    explore_panel: ExplorePanel | None = None
    code_space: CodeSpaceController | None = None
    code_map_page: QWidget | None = None
    manifold: ManifoldView | None = None  # (shown on the Code space tab, filled by the Generate feature)
    # drawing
    drawing_controller: DrawingController | None = None
    # generate
    generate_view: GenerateView | None = None
    generation: GenerateController | None = None
    # features
    features_view: FeaturesView | None = None
    features_controller: FeaturesController | None = None
    # outliers
    outliers_view: OutliersView | None = None
    outliers: OutliersController | None = None
    duplicates: DuplicatesController | None = None  # the Outliers tab's Near-duplicates mode
    # data
    data_controller: DataController | None = None


def given_parts() -> frozenset[str]:
    """The parts the window gives every feature (the rest, None at first, are what features provide)."""
    return frozenset(item.name for item in fields(Parts) if item.default is not None)


def feature_tabs(names: tuple[str, ...]) -> dict[str, ModuleType]:
    """Each feature's `tab` module, by the feature's name."""
    return {name: importlib.import_module(f"aegui.gui.{name}.tab") for name in names}


def build_order(tabs: dict[str, ModuleType]) -> list[str]:
    """The features in an order that builds each after those that provide the parts it requires (otherwise
    in the order given). Raises ValueError for a part nobody gives or provides, or features needing each other."""
    given = given_parts()
    made_by = {part: name for name, tab in tabs.items() for part in tab.PROVIDES}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise ValueError(f"Features need each other's parts: {' -> '.join((*path, name))}.")
        for part in tabs[name].REQUIRES:
            if part not in given and part not in made_by:
                raise ValueError(f"The {name} feature requires '{part}', which no one gives or provides.")
            if made_by.get(part, name) != name:
                visit(made_by[part], (*path, name))
        order.append(name)

    for name in tabs:
        visit(name, ())
    return order


def build_features(parts: Parts, names: tuple[str, ...]) -> list[Feature]:
    """Build every feature (each after those it requires), and return them in the order of `names`."""
    tabs = feature_tabs(names)
    built = {name: tabs[name].build(parts) for name in build_order(tabs)}
    return [built[name] for name in names]
