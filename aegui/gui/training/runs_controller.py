"""Every training run, kept with its settings and history so that runs can be compared: shown or hidden
under the current one, renamed, removed, exported as CSV, and, when asked, written as TensorBoard logs.
Runs are kept between sessions (`aegui.core.training.run_store`): those of earlier sessions are listed at start, and
each change is written in a worker; a file or folder that cannot be used is said, and stops nothing."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from aegui.core.errors import AeguiError
from aegui.core.folders import default_data_dir
from aegui.core.training.run_store import KeptRun, RunStore
from aegui.core.training.runs import TensorBoardLog, smoothed_levels, write_runs_csv
from aegui.core.training.trainer import Ended, History
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.theme.themes import class_colours
from aegui.gui.training.loss_plot import LossPlot
from aegui.gui.training.runs_view import RunsView

COLOURS = 12  # colours handed out in turn


def _smoothed_levels(curves: list, _cancel: threading.Event) -> dict:
    return smoothed_levels(curves)  # (a worker's job, not given up)


@dataclass
class SessionRun:
    name: str
    preset: str
    code_size: int
    history: History  # the model's whole history at the run's end
    seconds: float
    colour: tuple[int, int, int]
    model_generation: int  # which model of the session it trained (its later runs continue the same curve)
    visible: bool = True
    settings: dict = field(default_factory=dict)  # the model's and training's settings
    kept: KeptRun | None = None  # as it is kept between sessions (its file's name)

    @property
    def final_test_loss(self) -> float | None:
        return float(self.history.epochs[-1]["test_loss"]) if self.history.epochs else None


def write_tensorboard(folder: Path, history: History, first_epoch: int) -> Path:
    """A run's batch losses and epoch records as TensorBoard scalars (a worker's job)."""
    from aegui.core.training.trainer import EpochEnd

    log = TensorBoardLog(folder)
    try:
        log.add_batch_losses(history.batch_losses, 1)
        for record in history.epochs[first_epoch:]:
            values = {key: record.get(key, 0.0) for key in EpochEnd.__dataclass_fields__}
            log.add_epoch(EpochEnd(**values))
    finally:
        log.close()
    return log.folder


MAX_OVERLAID = 10  # earlier runs drawn beneath the current one: the newest ten (each costs its smoothing
# levels: a 20-minute session of 62 runs held hundreds of MB of them when every run was drawn)


class RunsController(QObject):
    """The runs, and the controller that keeps the runs list and the loss plot's earlier runs in step."""

    changed = Signal()
    message = Signal(str, bool)

    def __init__(self, session, view: RunsView, plot: LossPlot, parent: QObject | None = None,
                 store: RunStore | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._session, self._view, self._plot = session, view, plot
        self.runs: list[SessionRun] = []
        self.store = store if store is not None else RunStore()
        self.loaded = False  # the runs of earlier sessions are listed
        self._keep_problem = ""  # why runs are not kept (said once)
        self.tensorboard_folder: Path | None = None  # where each run's logs go, when asked
        self._generation = 0
        self._started = 0.0
        self._epochs_before = 0
        self._count = 0
        # only the latest runs' smoothing levels are handed to the plot (without them, a level is computed when asked)
        self._levels = LatestTask(plot.set_smoothed_levels, lambda _error: None, self)
        session.modelChanged.connect(self._on_model_changed)
        session.trainingStarted.connect(self._on_training_started)
        session.trainingFinished.connect(self._on_training_finished)
        view.visibilityToggled.connect(self.set_visible)
        view.renamed.connect(self.rename)
        view.removeRequested.connect(self.remove)
        view.smoothingChanged.connect(plot.set_smoothing)
        view.tensorboardToggled.connect(self._on_tensorboard_toggled)
        self.changed.connect(self._on_changed)
        self._redraw_later = QTimer(self, singleShot=True, interval=0)  # after the model change's own work
        self._redraw_later.timeout.connect(self._on_changed)
        run_in_thread(self.store.load, on_result=self._on_loaded, on_error=self._on_load_failed)

    # --- kept between sessions ---

    def _on_loaded(self, found: tuple[list[KeptRun], list[str]]) -> None:
        kept, problems = found
        earlier = [SessionRun(run.name, run.preset, run.code_size, run.history, run.seconds, run.colour, -1,
                              run.visible, run.settings, run) for run in kept]  # fmt: skip
        self.runs[:0] = earlier
        self._count += len(earlier)
        self.loaded = True
        if earlier:
            self.changed.emit()
        if problems:
            self.message.emit(" ".join(problems) + " Everything else is as it was.", True)

    def _on_load_failed(self, error: Exception) -> None:
        self.loaded = True
        self.message.emit(f"The runs of earlier sessions could not be read: {error}", True)

    def _keep(self, run: SessionRun) -> None:
        """Write the run's file (in a worker), as it is now."""
        if run.kept is None:
            run.kept = KeptRun(run.name, run.preset, run.code_size, run.seconds, run.colour, run.history)
        run.kept.name, run.kept.visible, run.kept.settings = run.name, run.visible, run.settings
        run_in_thread(self.store.save, run.kept, self.store.ticket(run.kept.id), on_result=self._on_kept,
                      on_error=self._on_keep_failed)  # fmt: skip

    def _on_kept(self, _none) -> None:
        self._keep_problem = ""

    def _on_keep_failed(self, error: Exception) -> None:
        text = str(error) if isinstance(error, AeguiError) else f"The run could not be kept: {error}."
        if text != self._keep_problem:  # (said once: every run would say it again)
            self._keep_problem = text
            self.message.emit(f"{text} It stays listed until the window closes.", True)

    def _on_changed(self) -> None:
        self._view.show_runs(self.runs)
        self._plot.set_earlier_runs([(run.colour, run.history) for run in self.earlier()[-MAX_OVERLAID:]])
        curves = self._plot.earlier_curves()
        if curves:  # every smoothing level of the runs now shown, ahead of a drag of the slider
            self._levels.start(_smoothed_levels, curves)
        else:
            self._levels.cancel()

    def _on_tensorboard_toggled(self, on: bool) -> None:
        self.tensorboard_folder = default_data_dir().parent / "tensorboard" if on else None
        if on:
            self.message.emit(f"Each finished run's losses will be written for TensorBoard under "
                              f"{self.tensorboard_folder}.", False)  # fmt: skip

    def _on_model_changed(self) -> None:
        self._generation += 1
        # the current model's runs are no longer its curve: drawn faintly from the next turn of the event
        # loop, so that opening a model (whose own views redraw now) is not one long freeze
        self._redraw_later.start()

    def _on_training_started(self) -> None:
        self._started = time.monotonic()
        self._epochs_before = self._session.history.epochs_done

    def _on_training_finished(self, ended: Ended) -> None:
        session = self._session
        if session.history.epochs_done == self._epochs_before:
            return  # stopped before a whole epoch: nothing to compare
        self._count += 1
        config = session.model.config
        preset = session.preset_name or "custom"
        run = SessionRun(f"run {self._count}", preset, config.code_size, session.history.copy(),
                         time.monotonic() - self._started, class_colours(COLOURS)[(self._count - 1) % COLOURS],
                         self._generation, settings={"model": config.to_dict(), "train":
                         session.train_config.to_dict() if session.train_config else {}})  # fmt: skip
        self.runs.append(run)
        self.changed.emit()
        self._keep(run)
        if self.tensorboard_folder is not None:
            folder = self.tensorboard_folder / run.name.replace(":", "").replace(" ", "-")
            run_in_thread(write_tensorboard, folder, run.history, self._epochs_before,
                          on_result=lambda written: self.message.emit(f"TensorBoard logs: {written}", False),
                          on_error=lambda error: self.message.emit(str(error), True))  # fmt: skip

    def earlier(self) -> list[SessionRun]:  # (the plot overlays the last MAX_OVERLAID of them)
        """The visible runs of other models than the current one (its own runs are its curve)."""
        return [run for run in self.runs if run.visible and run.model_generation != self._generation]

    def set_visible(self, index: int, visible: bool) -> None:
        if self.runs[index].visible != visible:
            self.runs[index].visible = visible
            self.changed.emit()
            self._keep(self.runs[index])

    def rename(self, index: int, name: str) -> None:
        if name.strip() and name.strip() != self.runs[index].name:
            self.runs[index].name = name.strip()
            self.changed.emit()
            self._keep(self.runs[index])

    def remove(self, index: int) -> None:
        run = self.runs.pop(index)
        self.changed.emit()
        if run.kept is not None:
            try:
                aside = self.store.remove(run.kept)
            except AeguiError as error:
                self.message.emit(str(error), True)
            else:
                if aside is not None:
                    self.message.emit(f"Removed {run.name}; its record is kept in {aside} (move it back to the runs "
                                      "folder to list it again).", False)  # fmt: skip

    def export_csv(self, path: str | Path) -> None:
        """Every run's history (raises AeguiError when the file cannot be written)."""
        write_runs_csv(path, [(run.name, run.history) for run in self.runs])
