"""The Data box's second step: the data picker's entries, downloads and folders. It adds no tab of its own."""

from __future__ import annotations

from aegui.gui.data.controller import DataController
from aegui.gui.window.parts import Feature, Parts

REQUIRES = ("window", "session", "data_box", "settings", "recent")
PROVIDES = ("data_controller",)


def build(parts: Parts) -> Feature:
    parts.data_controller = DataController(parts.window, parts.session, parts.data_box, parts.settings, parts.recent)
    return Feature()
