"""What a Clear throws away comes back: the recent models' list (the canvas's Clear: test_drawing.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu


def entry(menu: QMenu, name: str):
    return next(action for action in menu.actions() if action.objectName() == name)


def test_clear_the_list_of_recent_models_can_be_brought_back(qtbot, tmp_path):
    from aegui.gui.window.recent_files import RecentFiles, fill_recent_menu
    from aegui.gui.window.settings import make_settings

    recent, menu, opened = RecentFiles(make_settings()), QMenu(), []
    for name in ("a", "b"):
        recent.add_model(tmp_path / f"{name}.aegui.pt")
    before = recent.models()
    recent.changed.connect(lambda: fill_recent_menu(menu, recent, opened.append))
    fill_recent_menu(menu, recent, opened.append)
    assert not any(action.objectName() == "undoClearRecentAction" for action in menu.actions())
    entry(menu, "clearRecentAction").trigger()
    assert recent.models() == []
    recent.add_model(tmp_path / "c.aegui.pt")  # a model used since: kept first
    entry(menu, "undoClearRecentAction").trigger()
    assert recent.models() == [tmp_path / "c.aegui.pt", *before] and not recent.cleared
    assert not any(action.objectName() == "undoClearRecentAction" for action in menu.actions())
