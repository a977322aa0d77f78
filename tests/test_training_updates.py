"""The window takes a run's records in paced by time, never per batch or per epoch: `UpdatePacer` gathers them, and
the session tells each view once per update. Counted against the time-based limit, not timed."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QCoreApplication

from aegui.core.training.protocol import EpochEnd, Paused, TrainingProgress
from aegui.core.training.records import BatchEnd
from aegui.gui.concurrency.pacer import WINDOW_UPDATES_PER_SECOND, TrainingUpdate, UpdatePacer
from aegui.gui.session.controller import WEIGHTS_FOLLOW_MS
from tests.test_controller import make_session, running  # noqa: F401 (a fixture)

RECORDS = 3000


def progress(step: int) -> TrainingProgress:
    return TrainingProgress(
        np.array([float(step)]), step, BatchEnd(step, 1, step, RECORDS, float(step), 0.0, 0.0), 1e-3
    )


def epoch_end(epoch: int) -> EpochEnd:
    return EpochEnd(epoch, RECORDS, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1e-3)


def within_limit(updates: int, seconds: float) -> bool:
    """At most one update per interval, plus the one at the start and one deferred at the end."""
    return updates <= WINDOW_UPDATES_PER_SECOND * seconds + 2


def test_a_flood_of_records_reaches_the_window_in_few_updates_and_whole(qtbot):
    updates: list[TrainingUpdate] = []
    pacer = UpdatePacer(updates.append)
    started = time.perf_counter()
    for step in range(1, RECORDS + 1):  # a batch and an epoch each time, as a tiny data set gives them
        pacer.add(progress(step))
        pacer.add(epoch_end(step))
        QCoreApplication.processEvents()  # (a deferred update may run between them)
    qtbot.waitUntil(lambda: sum(update.progress is not None and len(update.progress.losses) for update in updates)
                    == RECORDS)  # fmt: skip
    assert within_limit(len(updates), time.perf_counter() - started) and len(updates) < RECORDS / 10
    losses = np.concatenate([update.progress.losses for update in updates])
    assert np.array_equal(losses, np.arange(1, RECORDS + 1))  # every batch, in order
    assert [record.epoch for update in updates for record in update.epochs] == list(range(1, RECORDS + 1))
    assert [update.progress.first_step for update in updates] == [1] + [int(u.progress.last.step) + 1
                                                                        for u in updates[:-1]]  # fmt: skip


def test_a_pause_is_handed_on_at_once_after_the_losses_before_it(qtbot):
    updates: list[TrainingUpdate] = []
    pacer = UpdatePacer(updates.append)
    for step in range(1, 101):
        pacer.add(progress(step))
    pacer.add(Paused(100))
    assert updates[-1].paused == Paused(100) and updates[-1].progress.last.step == 100  # no event loop turned
    pacer.add(progress(101))
    qtbot.waitUntil(lambda: updates[-1].progress.first_step == 101)
    assert updates[-1].paused is None


def test_the_session_refreshes_the_window_once_per_update_however_many_records_come(make_session, qtbot):  # noqa: F811
    session, view = make_session()
    running(session, qtbot)
    counts = {"weights": 0, "progress": 0, "epochs": 0}
    session.weightsChanged.connect(lambda: counts.__setitem__("weights", counts["weights"] + 1))
    session.trainingProgress.connect(lambda _item: counts.__setitem__("progress", counts["progress"] + 1))
    session.epochEnded.connect(lambda _item: counts.__setitem__("epochs", counts["epochs"] + 1))
    statuses, bars = len(view.statuses), len(view.progress)
    epochs = len(session.history.epochs)
    run = session.trainer
    started = time.perf_counter()
    for step in range(1, RECORDS + 1):  # as a training process of one-batch epochs reports (the run's own go on)
        run._on_message(progress(step))
        run._on_message(epoch_end(step))
        QCoreApplication.processEvents()
    qtbot.waitUntil(lambda: counts["epochs"] >= RECORDS)
    seconds = time.perf_counter() - started
    assert len(session.history.epochs) >= epochs + RECORDS  # every record taken in
    for refreshes in (counts["weights"], counts["progress"], len(view.statuses) - statuses, len(view.progress) - bars):
        assert within_limit(refreshes, seconds) and refreshes < RECORDS / 10
    # what follows the weights (the gallery, code bars, maps...) at most every WEIGHTS_FOLLOW_MS
    assert counts["weights"] <= seconds * 1000 / WEIGHTS_FOLLOW_MS + 2
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000):
        session.stop()
