"""What the window is made of, as the feature packages see it: the first frame's parts (given), and
what each feature's `build` adds. The window's second step is a loop over `FEATURES`.

A feature package (`aegui.gui.<feature>.tab`) has `build(parts) -> Feature`: it makes its controller and
views from the parts it needs, connects them, records them on `parts` (for other features, tests and
scripts), and returns its tab pages and how it follows the window (the tab shown, closing, settings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    from aegui.gui.widgets.gallery import ReconstructionGallery
    from aegui.gui.window.file_actions import FileActions
    from aegui.gui.window.recent_files import RecentFiles


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
    files: FileActions
    refresh_rate: float = 60.0
    report: Callable[..., Any] = field(default=lambda text, error=False: None)  # a sentence on the message line
    # training
    loss_plot: LossPlot | None = None
    log_check: QCheckBox | None = None
    runs_view: RunsView | None = None
    run_list: RunsController | None = None
    gallery: ReconstructionGallery | None = None
    # code space and Explore
    code_space_panel: CodeSpacePanel | None = None
    explore_panel: ExplorePanel | None = None
    code_space: CodeSpaceController | None = None
    code_map_page: QWidget | None = None
    # drawing
    model_views: DrawingController | None = None
    # generate
    generate_view: GenerateView | None = None
    generation: GenerateController | None = None
    # features
    features_view: FeaturesView | None = None
    feature_maps: FeaturesController | None = None
    # outliers
    outliers_view: OutliersView | None = None
    outliers: OutliersController | None = None
    duplicates: DuplicatesController | None = None  # the Outliers tab's Near-duplicates mode
    # data
    data_picker: DataController | None = None
