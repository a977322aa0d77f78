"""Names and descriptions for screen readers: every control and picture of a window gets an accessible
name (its label in a form, its own text, its object name in words, its group's title, or the first
sentence of its tooltip) and its tooltip as the description, unless it was given its own."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QGraphicsView,
    QGroupBox,
    QLabel,
    QSlider,
    QWidget,
)

CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QAbstractItemView, QGraphicsView)
INTERNAL = re.compile(r"^qt_")  # Qt's own parts of a widget (a spin box's line edit, a scroll viewport)


def needs_name(widget: QWidget) -> bool:
    """A control or picture a person reaches, as opposed to Qt's inner parts of one."""
    if not isinstance(widget, CONTROLS) or INTERNAL.match(widget.objectName()):
        return False
    return not any(
        isinstance(parent, (QComboBox, QAbstractSpinBox, QAbstractItemView)) for parent in _ancestors(widget)
    )


def _ancestors(widget: QWidget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def _form_label(widget: QWidget) -> str:
    """The label of the widget's row in the nearest form around it, if it is that row's field."""
    for parent in _ancestors(widget):
        layout = parent.layout()
        if isinstance(layout, QFormLayout):
            label = layout.labelForField(widget)
            return label.text().replace("&", "") if isinstance(label, QLabel) else ""
    return ""


def _words(object_name: str) -> str:
    """'generateCountSpin' -> 'generate count'."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", object_name).lower().split()
    return " ".join(word for word in words if word not in ("spin", "combo", "button", "check"))


def name_controls(root: QWidget) -> None:
    for widget in root.findChildren(QWidget):
        if not needs_name(widget):
            continue
        if not widget.accessibleDescription() and widget.toolTip():
            widget.setAccessibleDescription(widget.toolTip())
        if widget.accessibleName():
            continue
        text = widget.text().replace("&", "") if isinstance(widget, QAbstractButton) else ""
        group = next((parent.title() for parent in _ancestors(widget) if isinstance(parent, QGroupBox)), "")
        tooltip = widget.toolTip().split(". ")[0].rstrip(".")
        name = _form_label(widget) or text or _words(widget.objectName()) or group or tooltip
        if name:
            widget.setAccessibleName(name)


def unnamed(root: QWidget) -> list[QWidget]:
    """The controls and pictures still without an accessible name (for tests)."""
    return [widget for widget in root.findChildren(QWidget) if needs_name(widget) and not widget.accessibleName()]
