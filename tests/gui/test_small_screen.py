"""On a 1366x768 laptop (less its task bar) every view fits: no essential of any tab is cut off or
scrolled out of sight, and the settings scroll while the buttons and messages stay in view."""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QScrollArea, QWidget

LAPTOP = (1366, 728)


@pytest.fixture
def laptop_window(qtbot, monkeypatch, window_factory):
    from aegui.gui.window import main_window

    monkeypatch.setattr(main_window, "_available_size", lambda: LAPTOP)
    return window_factory()


def wholly_visible(widget: QWidget) -> bool:
    """Shown, and no part of it clipped by a scroll area, a splitter or the window's edge: inside every
    widget it lies in."""
    if not widget.isVisible():
        return False
    holder = widget.parentWidget()
    while holder is not None:
        if not holder.rect().contains(QRect(widget.mapTo(holder, QPoint(0, 0)), widget.size())):
            return False
        holder = holder.parentWidget()
    return True


def essentials(window) -> dict[int, dict[str, QWidget]]:
    """What each tab (by index) must show whole."""
    parts = window.parts
    space, explore, generate, features = (parts.code_space_panel, parts.explore_panel, parts.generate_view,
                                          parts.features_view)  # fmt: skip
    return {
        0: {"loss plot": parts.loss_plot, "runs table": parts.runs_view.table, "gallery": parts.gallery},
        1: {"code map": space.code_map, "pixel map": space.pixel_map, "legend": space.legend, "status": space.status,
            "hovered digit": space.hovered_view, "decoded digit": space.decoded_view,
            "projection": space.projection_combo, "count": space.count_spin},
        2: {"slider digit": explore.slider_view, "interpolation": explore.interpolation,
            "neighbours": explore.neighbours, "from drawing": explore.from_drawing_button},
        3: {"digits": generate.mosaic, "new batch": generate.new_button, "like drawing": generate.like_button},
        4: {"first layer": features.filters, "code values": features.directions, "activations": features.strips,
            "export": features.export_button},
    }  # fmt: skip


def test_every_tab_shows_its_essentials_whole_on_a_laptop_screen(qtbot, laptop_window):
    window = laptop_window
    assert window.width() <= LAPTOP[0] and window.height() <= LAPTOP[1]
    runs = window.parts.runs_view.table
    assert runs.viewport().height() >= 3 * runs.verticalHeader().defaultSectionSize()  # three runs in sight
    for index, widgets in essentials(window).items():
        window.tabs.setCurrentIndex(index)

        def cut_off(widgets=widgets) -> list[str]:
            return [name for name, widget in widgets.items() if not wholly_visible(widget)]

        with contextlib.suppress(qtbot.TimeoutError):  # (layouts settle over a few events after a switch)
            qtbot.waitUntil(lambda: not cut_off(), timeout=3000)
        assert cut_off() == [], f"tab {window.tabs.tabText(index)}: cut off"
        for name in ("loss plot", "code map", "pixel map", "digits"):
            if name in widgets:
                assert widgets[name].height() >= 150, f"{name} squeezed to {widgets[name].height()} px"
        page = window.tabs.currentWidget()
        if isinstance(page, QScrollArea):
            assert not page.verticalScrollBar().isVisible(), f"tab {window.tabs.tabText(index)} scrolls"


def test_the_training_buttons_and_messages_stay_in_view_while_the_settings_scroll(laptop_window):
    panel = laptop_window.panel
    panel.show_message("A message a person must see.\nSecond line.\nThird line.", error=True)
    for widget in (panel.train_button, panel.pause_button, panel.stop_button, panel.reset_button,
                   panel.message_label):  # fmt: skip
        assert wholly_visible(widget), widget.objectName()
    assert not panel.settings_area.horizontalScrollBar().isVisible()  # nothing cut at the side
    panel.settings_area.ensureWidgetVisible(panel.warmup_spin)  # the last setting: reachable by scrolling
    assert wholly_visible(panel.warmup_spin)


def test_the_status_bar_says_what_to_do_in_full_on_a_laptop(laptop_window, qtbot):
    """With the embedded sample loaded, the status bar's advice (File › Download full MNIST…) is not cut."""
    label = laptop_window.status_line.label
    qtbot.waitUntil(lambda: "Choose data folder" in label.text(), timeout=20_000)
    assert label.shown_text() == label.text()


def test_leave_out_a_long_progress_label_and_the_outliers_headers_are_whole_on_a_laptop(laptop_window, qtbot):
    window = laptop_window
    window.panel.show_message("A message a person must see.\nSecond line.\nThird line.", error=True)
    box = window.panel.data_box
    for widget in (box.dataset_combo, box.dataset_label, box.exclude_combo):  # the Data box: never below a scroll
        assert wholly_visible(widget), widget.objectName()
    label = "converting images · 1,500 of 2,062"
    window.status_line.show_progress(0.73, label)
    bar = window.status_line.progress
    assert wholly_visible(bar) and bar.width() >= bar.fontMetrics().horizontalAdvance(label) + 16  # in one line
    window.status_line.show_progress(-1, "")
    view = window.parts.outliers_view
    with qtbot.waitSignal(window.parts.outliers.scored, timeout=60_000):
        window.tabs.setCurrentWidget(view)
    header = view.table.horizontalHeader()
    assert header.isVisible() and wholly_visible(header) and header.height() > 10
    assert wholly_visible(view.table) and view.table.columnCount() == 4
