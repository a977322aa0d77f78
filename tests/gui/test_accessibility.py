"""Every control and picture a person reaches has an accessible name (and its tooltip as description)."""

from __future__ import annotations

from aegui.core.model import ModelConfig
from aegui.gui.accessibility import unnamed


def test_every_control_and_picture_has_an_accessible_name(window):
    assert unnamed(window) == []
    assert window.panel.epochs_spin.accessibleName() == "Epochs"  # its label in the form
    assert "full MNIST" in window.panel.epochs_spin.accessibleDescription()  # its tooltip
    assert window.canvas.accessibleName() == "Drawing canvas"
    assert window.code_space_panel.code_map.accessibleName() == "map of test digits: codes"


def test_controls_made_later_are_named_too(window):
    window.session.new_model(ModelConfig(hidden_sizes=(16,), code_size=5))
    window.tabs.setCurrentIndex(2)  # Explore: one slider per code value, made for this model
    sliders = window.explore_panel.sliders.sliders()
    assert len(sliders) >= 5
    assert [slider.accessibleName() for slider in sliders] == [f"code value {index}" for index in range(len(sliders))]
