"""Choosing an entry of a combo box by its data, as the panels do when they show settings."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox


def select(combo: QComboBox, value) -> None:
    """Show the entry whose data is `value`; an unknown value leaves the choice as it is."""
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
