"""The session's training run: start, pause, resume, stop, the learning rate while training, and what the
training process reports. A part of `SessionController`, which holds the state these methods change."""

from __future__ import annotations

from dataclasses import replace

from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import ModelConfig
from aegui.core.training.trainer import Ended, TrainConfig
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.concurrency.training_process import TrainingRun, TrainingUpdate, describe_training_device
from aegui.gui.session.phases import Action, Phase
from aegui.gui.session.run_progress import RunProgress, ended_report, pca_comparison, pca_test_mse


def goes_on_with(wanted: TrainConfig, before: TrainConfig) -> bool:
    """Whether a run with `wanted` settings takes up the last run's optimizer and schedule: the same
    settings, but for how many epochs."""
    return replace(wanted, epochs=before.epochs) == before


class TrainingFlows:
    """Train, pause, resume, stop (mixed into `SessionController`)."""

    def train(self, config: ModelConfig, train_config: TrainConfig, preset: str = "") -> bool:
        """Train the current model further, or, for another architecture, a new one (asking first)."""
        if not self._may(Action.TRAIN):
            return False
        if self.dataset is None:
            self.message.emit("No data is loaded: choose a dataset or a data folder first.", True)
            return False
        config = self.for_data(config)
        if self.model is None or self.model.config != config:
            if not self.settle_unsaved("starting a new model"):
                return False
            self.new_model(config, preset)
        resume = (
            self.training_state
            if self.train_config is not None and goes_on_with(train_config, self.train_config)
            else None
        )
        try:
            trainer = TrainingRun(self.model, self.dataset, train_config, self.device, self.history, resume)
        except AeguiError as error:
            self.message.emit(str(error), True)
            return False
        self.train_config = train_config
        self.preset_name = preset
        self.trainer = trainer
        self.trained_on = (self.dataset.key, self.dataset.title)
        self._run = RunProgress.begin(self.history, train_config.epochs)
        self.recovery.begin_run()
        device = describe_training_device(self.device)  # (as About says it)
        self.message.emit(f"Training on {self.dataset.summary}, {device}{trainer.batch_note()}.", False)
        self._set_phase(Phase.TRAINING)
        self.progressChanged.emit(0.0, self._run.label(1, 0.0))
        trainer.yielded.connect(self._on_training_update)
        trainer.returned.connect(self._on_training_ended)
        self.trainingStarted.emit()
        return True

    def run_epochs_left(self) -> int:
        """The epochs the run in progress (else the last, stopped midway) has still to train."""
        if self._run is not None:
            return max(self._run.epochs - (self.history.epochs_done - self._run.first_epoch + 1), 0)
        return self.epochs_left or 0

    def pause(self) -> bool:
        if not self._may(Action.PAUSE):
            return False
        self.trainer.pause()  # the loop stops after the batch in hand, then says so (a Paused record)
        self._set_phase(Phase.PAUSING)
        return True

    def resume(self) -> bool:
        if not self._may(Action.RESUME):
            return False
        self.trainer.resume()
        self._set_phase(Phase.TRAINING, self._run.text or None)
        return True

    def stop(self) -> bool:
        if not self._may(Action.STOP):
            return False
        self.trainer.request_stop()
        self._set_phase(Phase.STOPPING)
        return True

    def set_lr(self, lr: float) -> bool:
        if self.trainer is None:
            return True  # it applies at the next Train
        if not self._may(Action.SET_LR):
            return False
        try:
            self.trainer.set_lr(lr)
        except AeguiError as error:
            self.message.emit(str(error), True)
            return False
        return True

    def _on_training_update(self, update: TrainingUpdate) -> None:
        """What the run reported since the last update (at most WINDOW_UPDATES_PER_SECOND a second): each view
        is told once, however many batches and epochs it holds."""
        if (item := update.progress) is not None:
            self.history.batch_losses.extend(item.losses.tolist())
            fraction, label = self._run.update(item.last, self.trainer.batch_size)
            if self._phase is Phase.TRAINING:
                self.statusChanged.emit(self._run.text)
            self.progressChanged.emit(fraction, label)
            self.trainingProgress.emit(item)
        self.history.epochs.extend(record.to_dict() for record in update.epochs)
        if (item is not None or update.epochs) and self.recovery.due(epoch_ended=bool(update.epochs)):
            self._autosave()
        if update.epochs:
            if self.inference is not None:
                self.inference.update(self.trainer.latest_snapshot())
            self._set_dirty(True)
            for record in update.epochs:
                self.epochEnded.emit(record)
            self._weights_pacer.request()
        paused = update.paused
        if paused is not None and self._phase is Phase.PAUSING and self.trainer.is_paused:
            self._set_phase(Phase.PAUSED, f"Paused after batch {paused.step:,}. Resume (Space) goes on from there.")
            self.trainingPaused.emit(paused.step)

    def _on_training_ended(self, ended: Ended) -> None:
        run, self.trainer = self.trainer, None
        progress, self._run = self._run, None
        if run is not None and run.final_state is not None:  # the model takes the run's final weights
            self.model.load_state_dict(run.final_state)
            self.training_state = state = run.final_training_state
            self.epochs_left = state.run_epochs - state.run_epochs_done if state is not None else None
            self.model.density = None  # (fitted to the codes of weights it no longer has)
            self.inference.load_state(run.final_state)
        elif run is not None:  # the process was lost with the weights: the history goes back with them
            progress.take_back(self.history)
            self.modelChanged.emit()
        self._set_dirty(self.dirty or ended.steps > 0)
        text, problem, self._idle_status = ended_report(ended, self.history)
        self.message.emit(text, problem)
        if ended.reason == "finished" and self.history.epochs and self.dataset is not None:
            self._compare_with_pca(text)
        if ended.steps > 0:
            self._autosave()
        self._set_phase(Phase.IDLE)
        self._weights_pacer.cancel()  # (the final weights, now)
        self.weightsChanged.emit()
        self.trainingFinished.emit(ended)

    def _compare_with_pca(self, text: str) -> None:
        """In a worker: PCA with as many components as the code has values, on the same training images, said
        after the run's message (the simplest peer: a model must beat it to earn its keep)."""
        model, dataset, left_out = self.model, self.dataset, self.train_config.exclude_class
        test_mse = self.history.epochs[-1]["test_mse"]

        def said(found: tuple[int, float]) -> None:
            if self.model is model and self.trainer is None and not self._closed:
                self.message.emit(f"{text} {pca_comparison(*found, test_mse)}", False)

        run_in_thread(pca_test_mse, dataset, model.code_size, left_out, on_result=said, on_error=lambda _error: None)
