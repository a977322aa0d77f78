"""Crash recovery for the session: when to write this instance's copy, and the offer of another's.

The session decides what is worth keeping (a model, its latest weights); this decides when a copy
is due (at most every 30 s at an epoch's end; every 2 min within epochs that take longer), writes
it off the GUI thread, and looks (in a worker, since it reads a model file) for a copy left by an
instance that ended without cleaning up.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from aegui.core.files.checkpoints import Checkpoint
from aegui.core.model.autoencoder import ModelConfig
from aegui.core.training.pacing import Interval
from aegui.core.training.trainer import History, TrainConfig
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.session.autosave import Autosave, Orphan

AUTOSAVE_INTERVAL = 30.0  # seconds; checked at each epoch's end
AUTOSAVE_LONG_INTERVAL = 120.0  # for epochs that take longer than this


class Recovery(QObject):
    checked = Signal(object)  # a description of another instance's copy to offer back, or None
    failed = Signal(str)  # a sentence: writing or looking for a copy went wrong

    def __init__(self, autosave: Autosave | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.autosave = autosave if autosave is not None else Autosave()
        self.orphan: Orphan | None = None
        self.done_looking = False  # the search for another instance's copy is over
        self._closed = False
        self._due = Interval(AUTOSAVE_INTERVAL)
        self._long_due = Interval(AUTOSAVE_LONG_INTERVAL)

    def begin_run(self) -> None:
        self._due.mark()
        self._long_due.mark()

    def due(self, epoch_ended: bool) -> bool:
        """Whether a copy is due now: at an epoch's end, or (within a long epoch) at any report."""
        return self._due.due() if epoch_ended else self._long_due.due()

    def write(self, config: ModelConfig, state: dict, history: History, train_config: TrainConfig | None,
              dataset: str, preset: str, context: dict | None = None) -> None:  # fmt: skip
        if self._closed:
            return
        self.begin_run()
        self.autosave.write_in_background(config, state, history, train_config, dataset, preset, self._on_write_failed,
                                          context)  # fmt: skip

    def drop_copy(self) -> None:
        """Remove this instance's copy: the work in it was saved, or let go."""
        self.autosave.remove()

    def _on_write_failed(self, error: Exception) -> None:  # a bound method: Qt holds it weakly
        self.failed.emit(f"Autosave failed: {error}")

    def look(self) -> None:
        """Look for a copy left by an instance that is gone; `checked` then says what was found."""
        run_in_thread(self.autosave.find_orphan, on_result=self._on_found, on_error=self._on_look_failed)

    def _on_found(self, orphan: Orphan | None) -> None:
        if orphan is not None and self._closed:
            orphan.release()  # for the next start
            return
        self.orphan, self.done_looking = orphan, True
        self.checked.emit(orphan.describe() if orphan else None)

    def _on_look_failed(self, error: Exception) -> None:
        self.done_looking = True
        self.checked.emit(None)
        self.failed.emit(f"Could not look for an autosaved model: {error}")

    def take(self) -> tuple[Checkpoint, dict] | None:
        """The offered copy's contents and context; the copy becomes this instance's, removed once the work is
        saved."""
        if self.orphan is None:
            return None
        orphan, self.orphan = self.orphan, None
        self.autosave.adopt(orphan)
        return orphan.checkpoint, orphan.context

    def discard(self) -> None:
        if self.orphan is not None:
            self.orphan.discard()
        self.orphan = None

    def close(self, keep: bool) -> None:
        """An unanswered offer stays for the next start; this instance's copy stays only if `keep`."""
        self._closed = True
        if self.orphan is not None:
            self.orphan.release()
            self.orphan = None
        self.autosave.close(keep=keep)
