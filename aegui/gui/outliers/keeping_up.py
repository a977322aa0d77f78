"""What both modes of the Outliers tab (Outliers and Near-duplicates) do to keep in step with the model, the data
and training: a pass over the data is made only while the mode is shown and no training runs, given up when they
change or training starts, and made again when the mode is shown once more."""

from __future__ import annotations

from PySide6.QtCore import QObject


class KeepingUp(QObject):
    """A mode's controller that follows the session. Its `view` shows `show_fit()`, `show_unfit(note)` and
    `show_status(text)`; the subclass gives `refresh()` (start the pass, from `_fresh_inputs()`), `cancel()` (give
    up the one on its way), `_forget()` (drop what was found: the model does not take the data) and `WAITING`
    (said while training runs).

    On becoming visible with something out of date it re-checks everything `_on_changed` checks (whether the model
    takes the data, whether training runs) rather than refreshing straight away: the rule the Near-duplicates mode
    always had, and now the Outliers mode's too, so a tab shown during training waits for it to end."""

    WAITING = ""

    def __init__(self, session, view, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.view = session, view
        self._visible = False
        self._stale = True
        # (training started: results still on their way are given up, they would take its CPU)
        for signal in (session.modelChanged, session.weightsChanged, session.datasetLoaded, session.trainingStarted):
            signal.connect(self._on_changed)

    def set_visible(self, visible: bool) -> None:
        self._visible = visible
        if visible and self._stale:
            self._on_changed()

    def _on_changed(self, *_args) -> None:
        self.cancel()  # results of weights or data that are gone
        self._stale = True
        note = self.session.unfit_note()
        if note:  # the model does not take the data: nothing to show, export or move
            self._forget()
            self.view.show_unfit(note)
        elif self._visible and not self.session.is_training():
            self.refresh()
        elif self._visible:
            self.view.show_status(self.WAITING)

    def _fresh_inputs(self):
        """The current weights and data, for `refresh` to start from: the view told the model takes them and
        nothing left out of date. None (and nothing done) while there are no weights, data or model yet."""
        session = self.session
        state, dataset = session.current_weights(), session.model_data
        if state is None or dataset is None or session.model is None:
            return None
        self._stale = False
        self.view.show_fit()
        return state, dataset

    def refresh(self) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def _forget(self) -> None:
        raise NotImplementedError
