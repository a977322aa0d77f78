"""Now and then, what the allocator kept of freed memory goes back to the system (see `core.memory`)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from aegui.gui.concurrency.threads import run_in_thread

MEMORY_RELEASE_MS = 30_000  # how often


class MemoryRelease(QObject):
    """Every MEMORY_RELEASE_MS once started, `release_free_memory` in a worker, one at a time."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._releasing = False
        self.timer = QTimer(self, interval=MEMORY_RELEASE_MS)
        self.timer.timeout.connect(self._on_timeout)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_timeout(self) -> None:
        if self._releasing:
            return
        from aegui.core.training.memory import release_free_memory

        self._releasing = True
        done = lambda *_: setattr(self, "_releasing", False)  # noqa: E731
        run_in_thread(release_free_memory, on_result=done, on_error=done)
