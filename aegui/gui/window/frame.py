"""The main window as its helpers (the file actions, the menus) use it: a Protocol, so that they name no module
above them. The main window imports them; they never import it, not even for its type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu, QMenuBar, QTabWidget

    from aegui.gui.drawing.canvas import DrawCanvas
    from aegui.gui.session.controller import SessionController
    from aegui.gui.training.training_panel import TrainingPanel
    from aegui.gui.window.parts import Parts


class Frame(Protocol):
    """The main window (a QMainWindow: its helpers' dialogs open over it). `session` and `parts` exist once its
    second step is built (`is_ready`)."""

    session: SessionController
    parts: Parts
    panel: TrainingPanel
    canvas: DrawCanvas
    tabs: QTabWidget
    recent_menu: QMenu
    is_ready: bool

    def menuBar(self) -> QMenuBar: ...
    def close(self) -> bool: ...
    def start_training(self) -> bool: ...
    def stop_training(self) -> None: ...
    def reset_model(self) -> bool: ...
