"""What the window's second step is made of: the session and the views that need torch or pyqtgraph.
Imported in one go, in a worker thread at start-up (`main_window.load_model_library`)."""

from aegui.gui.code_space import CodeSpace
from aegui.gui.code_space_panel import CodeSpacePanel
from aegui.gui.data_picker import DataPicker
from aegui.gui.explore_panel import ExplorePanel
from aegui.gui.feature_maps import FeatureMaps
from aegui.gui.features_view import FeaturesView
from aegui.gui.gallery import ReconstructionGallery
from aegui.gui.generate_view import GenerateView
from aegui.gui.generation import Generation
from aegui.gui.loss_plot import LossPlot
from aegui.gui.model_views import ModelViews
from aegui.gui.run_list import RunList
from aegui.gui.runs_view import RunsView
from aegui.gui.session import Session

__all__ = ["CodeSpace", "CodeSpacePanel", "DataPicker", "ExplorePanel", "FeatureMaps", "FeaturesView",
           "GenerateView", "Generation", "LossPlot", "ModelViews", "ReconstructionGallery", "RunList", "RunsView",
           "Session"]  # fmt: skip
