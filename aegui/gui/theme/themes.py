"""Light and dark: one table of colours per theme, and the one object that decides which is in use.

The choice is System (follow the desktop's colour scheme, live), Light or Dark (View › Theme, kept in
the settings). Every colour a widget paints itself (plots, bars, maps, digit panes, banners,
messages) comes from the `Theme` in use; everything else from the application palette, which an
explicit choice sets from the same table. Widgets follow it with `follow_theme`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QMenu

from aegui.gui.window.settings import Settings, read

if TYPE_CHECKING:
    import pyqtgraph as pg

CHOICES = {"system": "&System", "light": "&Light", "dark": "&Dark"}  # choice: its View › Theme entry
SETTINGS_KEY = "view/theme"
# The canvas is a digit as the model sees it, white ink on black, in either theme.
DIGIT_FIELD, DIGIT_INK, DIGIT_HINT = "#0c0c10", "#fafafa", "#9696a0"
DARK_BELOW = 128  # a palette whose window colour is darker than this (HSV value) is a dark one


@dataclass(frozen=True)
class Theme:
    name: str
    palette: dict[str, str]  # QPalette role name: colour, for the application when chosen explicitly
    disabled_text: str
    plot_background: str
    plot_foreground: str  # axes, tick labels, titles, legends
    batch_loss: str
    train_loss: str
    test_loss: str
    kl_loss: str
    code_positive: str
    code_negative: str
    beyond_fill: str  # the triangle at the end of a code bar that goes past the scale
    beyond_edge: str
    marker_fill: str  # the drawing's star on the maps
    marker_edge: str  # its outline, a hovered point's ring
    digit_frame: str  # around the black field of a digit picture
    digit_caption: str  # text on that frame
    banner_background: str
    banner_border: str
    banner_text: str
    error_text: str


LIGHT = Theme(
    name="light",
    palette={"Window": "#efefef", "WindowText": "#000000", "Base": "#ffffff", "AlternateBase": "#f7f7f7",
             "ToolTipBase": "#ffffdc", "ToolTipText": "#000000", "PlaceholderText": "#7f7f7f", "Text": "#000000",
             "Button": "#efefef", "ButtonText": "#000000", "BrightText": "#ffffff", "Light": "#ffffff",
             "Midlight": "#cacaca", "Mid": "#b8b8b8", "Dark": "#9f9f9f", "Shadow": "#767676",
             "Highlight": "#308cc6", "HighlightedText": "#ffffff", "Link": "#0000ff", "LinkVisited": "#ff00ff"},
    disabled_text="#bebebe",
    plot_background="#ffffff", plot_foreground="#202020",
    batch_loss="#90afe3", train_loss="#285ac8", test_loss="#e6781e", kl_loss="#28a05a",
    code_positive="#3c8cdc", code_negative="#dc6e3c", beyond_fill="#fafafa", beyond_edge="#282828",
    marker_fill="#ffd700", marker_edge="#000000",
    digit_frame="#24242c", digit_caption="#dddddd",
    banner_background="#fff4d6", banner_border="#e0b84c", banner_text="#000000",
    error_text="#c0392b",
)  # fmt: skip

DARK = Theme(
    name="dark",
    palette={"Window": "#2d2d32", "WindowText": "#e6e6e6", "Base": "#1e1e22", "AlternateBase": "#2a2a2f",
             "ToolTipBase": "#3a3a40", "ToolTipText": "#e6e6e6", "PlaceholderText": "#8c8c8c", "Text": "#e6e6e6",
             "Button": "#3a3a40", "ButtonText": "#e6e6e6", "BrightText": "#ff6b6b", "Light": "#505057",
             "Midlight": "#44444a", "Mid": "#2a2a2f", "Dark": "#1a1a1e", "Shadow": "#101012",
             "Highlight": "#3d7bd9", "HighlightedText": "#ffffff", "Link": "#6ab0ff", "LinkVisited": "#c792ea"},
    disabled_text="#7a7a80",
    plot_background="#1b1b1f", plot_foreground="#d0d0d6",
    batch_loss="#3d5580", train_loss="#6fa0ff", test_loss="#ff9a40", kl_loss="#50c878",
    code_positive="#4d9be6", code_negative="#e8834d", beyond_fill="#1b1b1f", beyond_edge="#e0e0e0",
    marker_fill="#ffd700", marker_edge="#ffffff",
    digit_frame="#3a3a42", digit_caption="#e0e0e6",
    banner_background="#4a3c14", banner_border="#a8862e", banner_text="#f2e6c4",
    error_text="#ff7b6b",
)  # fmt: skip

THEMES = {theme.name: theme for theme in (LIGHT, DARK)}

# ten distinct colours (matplotlib's tab10), one per digit; more classes take evenly spread hues
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
                 (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]  # fmt: skip


def class_colours(count: int) -> list[tuple[int, int, int]]:
    """One colour per class: tab10 up to ten classes; beyond, hues a golden angle apart in three
    lightnesses, so that neighbouring labels (EMNIST's 47 classes) never look alike."""
    if count <= len(CLASS_COLOURS):
        return CLASS_COLOURS[:count]
    colours = []
    for index in range(count):
        hue = (index * 0.381966) % 1.0
        colour = QColor.fromHslF(hue, 0.75, (0.42, 0.58, 0.32)[index % 3])
        colours.append((colour.red(), colour.green(), colour.blue()))
    return colours


def rgb(colour: str) -> tuple[int, int, int]:
    value = QColor(colour)
    return value.red(), value.green(), value.blue()


def make_palette(theme: Theme) -> QPalette:
    palette = QPalette()
    for role_name, colour in theme.palette.items():
        palette.setColor(QPalette.ColorRole[role_name], QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.disabled_text))
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).value() < DARK_BELOW


class Themes(QObject):
    """The theme in use, from the person's choice and (for System) the desktop's colour scheme, or the
    application palette where the platform does not say (an offscreen or older desktop)."""

    changed = Signal(object)  # the Theme now in use

    def __init__(self, app: QGuiApplication) -> None:
        super().__init__(app)
        self._app = app
        self._choice = "system"
        self._system_palette: QPalette | None = None  # the palette before an explicit choice replaced it
        self._setting_palette = False
        self.theme = self._deciding_theme()
        app.styleHints().colorSchemeChanged.connect(self._on_system_changed)
        app.paletteChanged.connect(self._on_system_changed)  # (an event filter on the app would see every event)

    def choice(self) -> str:
        return self._choice

    def set_choice(self, choice: str) -> None:
        """ "system", "light" or "dark" (anything else is taken as "system")."""
        choice = choice if choice in CHOICES else "system"
        self._choice = choice
        hints = self._app.styleHints()
        self._setting_palette = True
        try:
            if choice == "system":
                if self._system_palette is not None:
                    self._app.setPalette(self._system_palette)
                    self._system_palette = None
                if hasattr(hints, "unsetColorScheme"):  # Qt >= 6.8
                    hints.unsetColorScheme()
            else:
                if self._system_palette is None:
                    self._system_palette = QPalette(self._app.palette())
                if hasattr(hints, "setColorScheme"):  # native parts (title bars, dialogs) follow where supported
                    hints.setColorScheme(Qt.ColorScheme.Dark if choice == "dark" else Qt.ColorScheme.Light)
                self._app.setPalette(make_palette(THEMES[choice]))
        finally:
            self._setting_palette = False
        self._refresh()

    def _deciding_theme(self) -> Theme:
        if self._choice != "system":
            return THEMES[self._choice]
        scheme = self._app.styleHints().colorScheme()
        if scheme == Qt.ColorScheme.Dark:
            return DARK
        if scheme == Qt.ColorScheme.Light:
            return LIGHT
        return DARK if is_dark(self._app.palette()) else LIGHT

    def _refresh(self) -> None:
        theme = self._deciding_theme()
        if theme is not self.theme:
            self.theme = theme
            self.changed.emit(theme)

    def _on_system_changed(self, _scheme_or_palette) -> None:
        """The desktop's colour scheme changed, or someone set another palette (a platform without colour
        schemes, a test): what System means may have changed."""
        if not self._setting_palette:
            self._refresh()


_themes: Themes | None = None


def themes() -> Themes:
    """The application's one `Themes` (made with it)."""
    global _themes
    app = QGuiApplication.instance()
    if _themes is None or _themes.parent() is not app:
        _themes = Themes(app)
    return _themes


def follow_theme(apply: Callable[[Theme], None]) -> Theme:
    """Call `apply` (a widget's bound method: disconnected when the widget goes) whenever the theme
    changes; return the theme in use now."""
    manager = themes()
    manager.changed.connect(apply)
    return manager.theme


def style_plot(widget: pg.PlotWidget, theme: Theme) -> bool:
    """A plot's background, axes (their grid lines too), title and legend in the theme's colours; False
    (nothing done) when the plot has been closed (pyqtgraph then lets its plot item go)."""
    if widget.closed:
        return False
    plot = widget.getPlotItem()
    widget.setBackground(theme.plot_background)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(theme.plot_foreground)
        axis.setTextPen(theme.plot_foreground)
    plot.titleLabel.setText(plot.titleLabel.text, color=theme.plot_foreground)
    if plot.legend is not None:
        plot.legend.setLabelTextColor(theme.plot_foreground)
        for _sample, label in plot.legend.items:
            label.setText(label.text)
    return True


def restore_theme(settings: Settings) -> None:
    """Use the theme chosen last time (System when none was, or the stored value is not a choice)."""
    themes().set_choice(read(settings, SETTINGS_KEY, "system", str))


def fill_theme_menu(menu: QMenu, settings: QSettings) -> None:
    """View › Theme: System, Light, Dark; one checked, the choice kept in `settings`."""
    group = QActionGroup(menu, exclusive=True)
    for choice, text in CHOICES.items():
        action = QAction(text, menu, checkable=True, objectName=f"theme{choice.title()}Action")
        action.setChecked(themes().choice() == choice)
        action.triggered.connect(lambda _checked=False, choice=choice: _choose(choice, settings))
        group.addAction(action)
        menu.addAction(action)


def _choose(choice: str, settings: QSettings) -> None:
    themes().set_choice(choice)
    settings.setValue(SETTINGS_KEY, choice)
