"""Where the window keeps its settings (QSettings, an INI file per user)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings


def make_settings() -> QSettings:
    """The app's settings; AEGUI_CONFIG_DIR moves them (tests use a private folder)."""
    folder = os.environ.get("AEGUI_CONFIG_DIR")
    if folder:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "aegui", "aegui")


def read(settings: QSettings, key: str, default, kind: type):
    """A stored value of the expected type, or the default when it is missing or unusable."""
    value = settings.value(key, default)
    try:
        if kind is bool and isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return kind(value)
    except (TypeError, ValueError):
        return default
