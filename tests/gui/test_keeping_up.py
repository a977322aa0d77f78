"""Both modes of the Outliers tab keep up with the session by one rule (`KeepingUp`): a pass only while shown and
no training runs, and on being shown again the same checks as on a change (a tab shown during training waits)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from aegui.gui.outliers.keeping_up import KeepingUp


class FakeSession(QObject):
    modelChanged = Signal()
    weightsChanged = Signal()
    datasetLoaded = Signal()
    trainingStarted = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.training, self.note = False, ""

    def is_training(self) -> bool:
        return self.training

    def unfit_note(self) -> str:
        return self.note


class FakeView:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def show_unfit(self, note: str) -> None:
        self.said.append(("unfit", note))

    def show_status(self, text: str) -> None:
        self.said.append(("status", text))


class Mode(KeepingUp):
    WAITING = "after training"

    def __init__(self, session, view) -> None:
        super().__init__(session, view)
        self.calls: list[str] = []

    def refresh(self) -> None:
        self.calls.append("refresh")
        self._stale = False

    def cancel(self) -> None:
        self.calls.append("cancel")

    def _forget(self) -> None:
        self.calls.append("forget")


def test_a_mode_shown_during_training_waits_and_one_shown_after_it_refreshes(qtbot):
    session, view = FakeSession(), FakeView()
    mode = Mode(session, view)
    session.training = True
    mode.set_visible(True)
    assert "refresh" not in mode.calls and view.said[-1] == ("status", "after training")
    mode.set_visible(False)
    session.training = False
    mode.set_visible(True)
    assert mode.calls[-1] == "refresh"
    mode.calls.clear()
    mode.set_visible(True)  # nothing out of date: nothing done
    assert mode.calls == []


def test_a_change_while_hidden_waits_for_the_mode_to_be_shown_and_an_unfit_model_forgets(qtbot):
    session, view = FakeSession(), FakeView()
    mode = Mode(session, view)
    session.weightsChanged.emit()
    assert mode.calls == ["cancel"]  # hidden: given up, not redone
    session.note = "the model takes 28x28 images"
    mode.set_visible(True)
    assert mode.calls[-1] == "forget" and view.said[-1] == ("unfit", "the model takes 28x28 images")
    session.note, session.training = "", True
    mode.calls.clear()
    session.trainingStarted.emit()  # shown: what was on its way is given up, and the mode waits
    assert mode.calls == ["cancel"] and view.said[-1] == ("status", "after training")
