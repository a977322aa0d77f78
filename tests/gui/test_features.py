"""The Features tab: the first layer, the code values and the activations follow the model and the
drawing while the tab is open; exported as PNG; convolutional models too."""

from __future__ import annotations

import numpy as np
from PIL import Image

from aegui.core.model.autoencoder import ModelConfig
from tests.gui.conftest import ONE_EPOCH, drag, wait_for_drawing

ZERO = [[(160, 50), (100, 100), (95, 200), (160, 270), (225, 200), (220, 100), (160, 50)]]


def test_features_follow_the_model_and_the_drawing(window, qtbot, tmp_path):
    view = window.parts.features_view
    filters_before = view.filters.images()
    assert len(filters_before) == 0  # computed only once the tab is open
    window.tabs.setCurrentWidget(view)
    code_size = window.session.model.code_size
    assert len(view.filters.images()) == 64 and len(view.directions.images()) == code_size
    assert view.strips.names()[1] == f"code: {code_size}"  # (a test digit until something is drawn)
    drag(window.canvas, ZERO)
    wait_for_drawing(window, qtbot)
    qtbot.waitUntil(lambda: "for the drawing" in view.strips_caption.text())
    first = view.filters.images()
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        assert window.session.train(window.session.model.config, ONE_EPOCH)
    qtbot.waitUntil(lambda: not np.array_equal(view.filters.images(), first), timeout=10_000)  # new weights
    path = tmp_path / "features.png"
    assert window.files.export_png(view, path)
    assert Image.open(path).size[0] > 100


def test_a_convolutional_models_filters_and_feature_maps(window, qtbot):
    config = ModelConfig(kind="conv", channels=(8, 16), hidden_sizes=(32,), code_size=4, activation="relu")
    window.session.new_model(config)
    window.tabs.setCurrentWidget(window.parts.features_view)
    view = window.parts.features_view
    assert len(view.filters.images()) == 8 and "8 most used filters (of 8)" in view.filters_caption.text()
    assert any("channels of 14x14" in name for name in view.strips.names())
