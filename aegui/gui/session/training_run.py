"""The session's training run: start, pause, resume, stop, the learning rate while training, and what the
training process reports.

`TrainingControl` is a part of `SessionController`: it owns the run in progress (`trainer`, its wording and
place in the history, `RunProgress`) and the pacing of what follows the weights while it runs; the model, its
history and the phase are the session's, which it reaches through `host.TrainingHost`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import ModelConfig
from aegui.core.training.trainer import Ended, TrainConfig
from aegui.gui.concurrency.pacer import FramePacer
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.concurrency.training_process import TrainingRun, TrainingUpdate, describe_training_device
from aegui.gui.session.phases import Action, Phase
from aegui.gui.session.run_progress import RunProgress, ended_report, pca_comparison, pca_test_mse

if TYPE_CHECKING:
    from aegui.gui.session.host import TrainingHost

WEIGHTS_FOLLOW_MS = 500


def goes_on_with(wanted: TrainConfig, before: TrainConfig) -> bool:
    """Whether a run with `wanted` settings takes up the last run's optimizer and schedule: the same
    settings, but for how many epochs."""
    return replace(wanted, epochs=before.epochs) == before


class TrainingControl:
    """Train, pause, resume, stop, for the session that is its host."""

    def __init__(self, host: TrainingHost, parent: QObject | None = None) -> None:
        """`parent`: the Qt parent of the part's Qt objects (the session: they go with it)."""
        self.host = host
        self.trainer: TrainingRun | None = None  # the run in progress, in the training process
        self.progress: RunProgress | None = None  # the run in progress: its wording and its place in the history
        # what follows the weights while training (gallery, code bars, maps, features...) at most twice a second,
        # however fast epochs end: that work costs training its CPU
        self.weights_pacer = FramePacer(host.weightsChanged.emit, WEIGHTS_FOLLOW_MS, parent)

    def train(self, config: ModelConfig, train_config: TrainConfig, preset: str = "") -> bool:
        """Train the current model further, or, for another architecture, a new one (asking first)."""
        host = self.host
        if not host.may(Action.TRAIN):
            return False
        dataset = host.dataset
        if dataset is None:
            host.message.emit("No data is loaded: choose a dataset or a data folder first.", True)
            return False
        config = host.for_data(config)
        if host.model is None or host.model.config != config:
            if not host.settle_unsaved("starting a new model"):
                return False
            host.new_model(config, preset)
        before = host.train_config
        resume = host.training_state if before is not None and goes_on_with(train_config, before) else None
        try:
            trainer = TrainingRun(host.model, dataset, train_config, host.device, host.history, resume)
        except AeguiError as error:
            host.message.emit(str(error), True)
            return False
        host.train_config = train_config
        host.preset_name = preset
        self.trainer = trainer
        host.trained_on = (dataset.key, dataset.title)
        self.progress = RunProgress.begin(host.history, train_config.epochs)
        host.recovery.begin_run()
        device = describe_training_device(host.device)  # (as About says it)
        host.message.emit(f"Training on {dataset.summary}, {device}{trainer.batch_note()}.", False)
        host.set_phase(Phase.TRAINING)
        host.progressChanged.emit(0.0, self.progress.label(1, 0.0))
        trainer.yielded.connect(self._on_update)
        trainer.returned.connect(self._on_ended)
        host.trainingStarted.emit()
        return True

    def run_epochs_left(self) -> int:
        """The epochs the run in progress (else the last, stopped midway) has still to train."""
        if self.progress is not None:
            return max(self.progress.epochs - (self.host.history.epochs_done - self.progress.first_epoch + 1), 0)
        return self.host.epochs_left or 0

    def pause(self) -> bool:
        if not self.host.may(Action.PAUSE):
            return False
        self.trainer.pause()  # the loop stops after the batch in hand, then says so (a Paused record)
        self.host.set_phase(Phase.PAUSING)
        return True

    def resume(self) -> bool:
        if not self.host.may(Action.RESUME):
            return False
        self.trainer.resume()
        self.host.set_phase(Phase.TRAINING, self.progress.text or None)
        return True

    def stop(self) -> bool:
        if not self.host.may(Action.STOP):
            return False
        self.trainer.request_stop()
        self.host.set_phase(Phase.STOPPING)
        return True

    def set_lr(self, lr: float) -> bool:
        if self.trainer is None:
            return True  # it applies at the next Train
        if not self.host.may(Action.SET_LR):
            return False
        try:
            self.trainer.set_lr(lr)
        except AeguiError as error:
            self.host.message.emit(str(error), True)
            return False
        return True

    def shut_down(self, wait_s: float) -> bool:
        """Stop the run in progress and wait for its end (which arrives, and is handled, here); False if it did
        not end in time (a process still starting): its end, when it comes, is then for nobody."""
        trainer = self.trainer
        if trainer is None:
            return True
        trainer.request_stop()
        if trainer.wait(wait_s):
            return True
        trainer.abandon()
        self.trainer = None
        return False

    def _on_update(self, update: TrainingUpdate) -> None:
        """What the run reported since the last update (at most WINDOW_UPDATES_PER_SECOND a second): each view
        is told once, however many batches and epochs it holds."""
        host = self.host
        if (item := update.progress) is not None:
            host.history.batch_losses.extend(item.losses.tolist())
            fraction, label = self.progress.update(item.last, self.trainer.batch_size)
            if host.phase is Phase.TRAINING:
                host.statusChanged.emit(self.progress.text)
            host.progressChanged.emit(fraction, label)
            host.trainingProgress.emit(item)
        host.history.epochs.extend(record.to_dict() for record in update.epochs)
        if (item is not None or update.epochs) and host.recovery.due(epoch_ended=bool(update.epochs)):
            host.write_recovery_copy()
        if update.epochs:
            if host.inference is not None:
                host.inference.update(self.trainer.latest_snapshot())
            host.set_dirty(True)
            for record in update.epochs:
                host.epochEnded.emit(record)
            self.weights_pacer.request()
        paused = update.paused
        if paused is not None and host.phase is Phase.PAUSING and self.trainer.is_paused:
            host.set_phase(Phase.PAUSED, f"Paused after batch {paused.step:,}. Resume (Space) goes on from there.")
            host.trainingPaused.emit(paused.step)

    def _on_ended(self, ended: Ended) -> None:
        host = self.host
        run, self.trainer = self.trainer, None
        progress, self.progress = self.progress, None
        if run is not None and run.final_state is not None:  # the model takes the run's final weights
            host.model.load_state_dict(run.final_state)
            host.training_state = state = run.final_training_state
            host.epochs_left = state.run_epochs - state.run_epochs_done if state is not None else None
            host.model.density = None  # (fitted to the codes of weights it no longer has)
            host.inference.load_state(run.final_state)
        elif run is not None:  # the process was lost with the weights: the history goes back with them
            progress.take_back(host.history)
            host.modelChanged.emit()
        host.set_dirty(host.dirty or ended.steps > 0)
        text, problem, host.idle_status = ended_report(ended, host.history)
        host.message.emit(text, problem)
        if ended.reason == "finished" and host.history.epochs and host.dataset is not None:
            self._compare_with_pca(text)
        if ended.steps > 0:
            host.write_recovery_copy()
        host.set_phase(Phase.IDLE)
        self.weights_pacer.cancel()  # (the final weights, now)
        host.weightsChanged.emit()
        host.trainingFinished.emit(ended)

    def _compare_with_pca(self, text: str) -> None:
        """In a worker: PCA with as many components as the code has values, on the same training images, said
        after the run's message (the simplest peer: a model must beat it to earn its keep)."""
        host = self.host
        model, dataset, left_out = host.model, host.dataset, host.train_config.exclude_class
        test_mse = host.history.epochs[-1]["test_mse"]

        def said(found: tuple[int, float]) -> None:
            if host.model is model and self.trainer is None and not host.closed:
                host.message.emit(f"{text} {pca_comparison(*found, test_mse)}", False)

        run_in_thread(pca_test_mse, dataset, model.code_size, left_out, on_result=said, on_error=lambda _error: None)
