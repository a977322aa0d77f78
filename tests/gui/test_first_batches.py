"""A run's first batches in the window: their Trainer is made in the worker, and no command asked meanwhile is
lost."""

from __future__ import annotations

from aegui.core.training.protocol import Pause, Resume, SetRate, Stop
from aegui.gui.concurrency.first_batches import FirstBatches


class Recorder:
    """A Trainer's controls, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def pause(self) -> None:
        self.calls.append(("pause",))

    def resume(self) -> None:
        self.calls.append(("resume",))

    def request_stop(self) -> None:
        self.calls.append(("stop",))

    def set_lr(self, lr: float) -> None:
        self.calls.append(("lr", lr))


def test_commands_asked_before_the_trainer_exists_reach_it_in_order():
    first, trainer = FirstBatches(), Recorder()
    for command in (Pause(), SetRate(0.01), Resume(), Stop()):
        first.ask(command)
    assert first.trainer is None and trainer.calls == []
    first.attach(trainer)
    assert trainer.calls == [("pause",), ("lr", 0.01), ("resume",), ("stop",)]
    first.ask(Pause())  # once it exists, at once
    assert trainer.calls[-1] == ("pause",) and first.trainer is trainer
