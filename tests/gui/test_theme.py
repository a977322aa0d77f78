"""Light and dark: the window follows the application's colour scheme (here: its palette, as offscreen
Qt reports no scheme) and View › Theme, live; every colour a widget paints comes from the theme table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QAction, QImage, QPalette

import aegui.gui
from aegui.gui.theme.themes import DARK, LIGHT, make_palette, themes

GUI_SOURCES = Path(aegui.gui.__file__).parent


def luminance(widget) -> float:
    """Mean relative luminance (0 black .. 1 white) of what the widget shows."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3) / 255
    return float((pixels @ np.array([0.2126, 0.7152, 0.0722])).mean())


def themed_views(window) -> dict:
    return {"loss plot": window.parts.loss_plot, "code map": window.parts.code_space_panel.code_map,
            "code bars": window.draw_panel.code_view}  # fmt: skip


@pytest.fixture
def restore_palette(qapp):
    """Tests here change the application's palette and theme: put both back for the next test."""
    before = QPalette(qapp.palette())
    yield
    themes().set_choice("system")
    qapp.setPalette(before)


def theme_action(window, choice: str) -> QAction:
    return window.findChild(QAction, f"theme{choice.title()}Action")


def test_a_dark_scheme_before_the_window_opens_makes_every_view_dark(qapp, qtbot, window_factory, restore_palette):
    qapp.setPalette(make_palette(DARK))  # a dark desktop
    window = window_factory()
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.parts.code_space_panel.code_map.isVisible())
    for name, view in themed_views(window).items():
        assert luminance(view) < 0.25, name
    axis = window.parts.loss_plot.getPlotItem().getAxis("left")
    assert axis.textPen().color().lightness() > 160  # light labels on the dark plot: readable
    assert theme_action(window, "system").isChecked()


def test_switching_theme_live_turns_views_light_and_dark_and_is_remembered(qapp, qtbot, window_factory,
                                                                            restore_palette):  # fmt: skip
    window = window_factory()
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.parts.code_space_panel.code_map.isVisible())
    theme_action(window, "dark").trigger()
    assert qapp.palette().window().color().name() == DARK.palette["Window"]
    assert all(luminance(view) < 0.25 for view in themed_views(window).values())
    theme_action(window, "light").trigger()
    assert all(luminance(view) > 0.75 for view in themed_views(window).values())
    theme_action(window, "dark").trigger()
    window.close()
    again = window_factory()  # the choice is kept in the settings
    assert themes().theme is DARK and theme_action(again, "dark").isChecked()
    theme_action(again, "system").trigger()  # back to the desktop's palette, light here
    assert themes().theme is LIGHT and qapp.palette().window().color().name() != DARK.palette["Window"]


def test_system_follows_a_palette_changed_while_the_window_is_open(qapp, window, restore_palette):
    assert themes().theme is LIGHT
    qapp.setPalette(make_palette(DARK))
    assert themes().theme is DARK and luminance(window.parts.loss_plot) < 0.25


def test_a_stored_theme_that_is_not_a_choice_means_system(window_factory, restore_palette):
    from aegui.gui.theme.themes import SETTINGS_KEY
    from aegui.gui.window.settings import make_settings

    make_settings().setValue(SETTINGS_KEY, "purple")
    window = window_factory()
    assert themes().choice() == "system" and theme_action(window, "system").isChecked()


def test_earlier_runs_are_faint_over_the_themes_background(qtbot):
    """(The plot is given each theme as a theme change gives it, without changing the application's palette:
    the live switch of every view is tested above.)"""
    from aegui.core.training.trainer import History
    from aegui.gui.training.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    history = History(batch_losses=[0.5, 0.4, 0.3], epochs=[{"epoch": 1, "train_loss": 0.4, "test_loss": 0.3}])
    plot.set_earlier_runs([((214, 39, 40), history)])
    plot._on_theme_changed(DARK)
    faint_on_dark = plot._earlier[0][0].opts["pen"].color()
    plot._on_theme_changed(LIGHT)
    faint_on_light = plot._earlier[0][0].opts["pen"].color()
    assert faint_on_dark.lightness() < 110 < faint_on_light.lightness()  # toward each background


def test_no_widget_fixes_a_colour_of_its_own():
    """Colours live in the theme table (theme.py); a literal colour elsewhere in the GUI would not follow
    light and dark."""
    literal = re.compile(r"#[0-9a-fA-F]{6}\b|QColor\(\s*\d|mk(Pen|Brush)\(\s*(\d|\"[a-z]\")|setBackground\(\s*\"")
    found = [f"{path.name}:{number}: {line.strip()}" for path in sorted(GUI_SOURCES.glob("*.py"))
             if path.name != "theme.py"
             for number, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]  # fmt: skip
    assert found == []
