"""The session controller: the one owner of the window's state, with an explicit phase.

It holds the dataset, the model (and the inference copy the views draw with), its history, file
and unsaved flag, the trainer and its worker, downloads and the crash-recovery copy. Every action
goes through here; an action the phase does not allow is refused with the reason (see `phases`).
It has no widgets: views listen to its signals and call its intent-level methods, and the one
question it asks a person (keep unsaved work?) goes through the `ask_unsaved` callback it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from PySide6.QtCore import QObject, Signal

from aegui.core.checkpoints import CheckpointError, load_checkpoint, save_checkpoint, save_weights
from aegui.core.data import Dataset, default_data_dir, download_dataset, load_dataset
from aegui.core.device import describe_device, resolve_device_or_cpu
from aegui.core.errors import AeguiError
from aegui.core.inference import InferenceModel
from aegui.core.model import AutoEncoder, ModelConfig, build_model
from aegui.core.training import Ended, EpochEnd, History, Paused, TrainConfig, Trainer
from aegui.gui.autosave import Autosave, Orphan
from aegui.gui.pacer import Interval
from aegui.gui.phases import Action, Phase, allowed, refusal
from aegui.gui.workers import (
    DEFAULT_TRAINING_PRIORITY,
    ProgressRelay,
    TrainingProgress,
    run_in_thread,
    start_training,
    wait_for_workers,
)

AUTOSAVE_INTERVAL = 30.0  # seconds; checked at each epoch's end
AUTOSAVE_LONG_INTERVAL = 120.0  # for epochs that take longer than this
SHUTDOWN_WAIT_MS = 1500
ASK_ANSWERS = ("save", "discard", "cancel")


def clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _copy(history: History) -> History:
    return History(list(history.epochs), list(history.batch_losses))


class Session(QObject):
    phaseChanged = Signal(object)  # the new Phase
    datasetLoaded = Signal(object)  # the Dataset now in use
    modelChanged = Signal()  # another model: new, reset, opened or restored (its history with it)
    weightsChanged = Signal()  # the same model, newer weights (an epoch's end, training's end)
    trainingStarted = Signal()
    trainingProgress = Signal(object)  # TrainingProgress, a few times a second
    epochEnded = Signal(object)  # EpochEnd
    trainingPaused = Signal(int)  # the loop has stopped after this step (1-based) until resumed
    trainingFinished = Signal(object)  # the Ended record
    message = Signal(str, bool)  # a sentence for the person, and whether it reports a problem
    statusChanged = Signal(str)  # the status line, which belongs to the phase
    progressChanged = Signal(float, str)  # fraction done (< 0: nothing in progress) and its label
    downloadProgress = Signal(str, int, int)  # file name, bytes done, bytes expected (0: unknown)
    titleChanged = Signal(str)

    def __init__(
        self,
        data_dir: str | Path | None = None,
        device: str = "auto",
        ask_unsaved: Callable[[str], str] | None = None,
        autosave: Autosave | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.device, self.device_note = resolve_device_or_cpu(device)
        self.ask_unsaved = ask_unsaved or (lambda doing: "cancel")
        self.training_priority = DEFAULT_TRAINING_PRIORITY
        self.download_mirrors: list[str] | None = None  # None: torchvision's mirrors
        self._phase = Phase.LOADING
        self.dataset: Dataset | None = None
        self.data_choice = "auto"
        self._data_worker = None
        self._data_request = 0  # bumped by every load: only the latest request's result is used
        self._tried_sample = False
        self.model: AutoEncoder | None = None
        self.inference: InferenceModel | None = None
        self.history = History()
        self.train_config: TrainConfig | None = None
        self.preset_name = "default"
        self.model_path: Path | None = None
        self.dirty = False
        self.trainer: Trainer | None = None
        self._worker = None
        self.latest_snapshot = None
        self._run_first_epoch = 1
        self._run_epochs = 0
        self._last_progress_text = ""
        self._closed = False
        self._idle_status = ""
        self._download_cancelled = False
        self._download_relay: ProgressRelay | None = None
        self._autosave_due = Interval(AUTOSAVE_INTERVAL)
        self._autosave_long_due = Interval(AUTOSAVE_LONG_INTERVAL)
        self.autosave = autosave if autosave is not None else Autosave()
        self.orphan: Orphan | None = None
        self.orphan_checkpoint = None

    # --- the phase ---

    @property
    def phase(self) -> Phase:
        return self._phase

    def _set_phase(self, phase: Phase, status: str | None = None) -> None:
        changed = phase is not self._phase
        self._phase = phase
        if changed:
            self.phaseChanged.emit(phase)
        self.statusChanged.emit(status if status is not None else self._status_for(phase))
        if phase in (Phase.IDLE, Phase.LOADING):
            self.progressChanged.emit(-1.0, "")

    def _status_for(self, phase: Phase) -> str:
        return {
            Phase.LOADING: f"Loading data ({self.data_choice})…",
            Phase.IDLE: self._idle_status,
            Phase.TRAINING: "Training: starting…",
            Phase.PAUSING: "Pausing after this batch…",
            Phase.PAUSED: "Paused. Resume (Space) goes on from there.",
            Phase.STOPPING: "Stopping after this batch…",
            Phase.DOWNLOADING: "Downloading MNIST…",
        }[phase]

    def allows(self, action: Action) -> bool:
        return allowed(action, self._phase)

    def _may(self, action: Action) -> bool:
        """True if the phase allows `action`; otherwise say why, and False."""
        reason = refusal(action, self._phase)
        if reason is not None:
            self.message.emit(reason, True)
        return reason is None

    def is_training(self) -> bool:
        return self._worker is not None

    # --- data ---

    def load_data(self, choice: str) -> bool:
        """Load a dataset in a worker; the latest request wins, earlier results are dropped."""
        if not self._may(Action.CHOOSE_DATA):
            return False
        self.data_choice = choice
        self._data_request += 1
        request = self._data_request
        self._set_phase(Phase.LOADING)
        self._data_worker = run_in_thread(load_dataset, choice, self.data_dir,
                                          on_result=lambda data: self._on_data_loaded(request, data),
                                          on_error=lambda error: self._on_data_failed(request, error))  # fmt: skip
        return True

    def set_data_folder(self, folder: str | Path) -> bool:
        if not self._may(Action.CHOOSE_DATA):
            return False
        self.data_dir = Path(folder)
        return self.load_data(self.data_choice)

    def _on_data_loaded(self, request: int, dataset: Dataset) -> None:
        if request != self._data_request:
            return  # a later request is on its way
        self._data_worker = None
        self.dataset = dataset
        self.data_choice = dataset.name if dataset.name in ("mnist", "fashion-mnist", "sample") else self.data_choice
        self._idle_status = dataset.describe()
        self._set_phase(Phase.IDLE)
        self.datasetLoaded.emit(dataset)

    def _on_data_failed(self, request: int, error: Exception) -> None:
        if request != self._data_request:
            return
        self._data_worker = None
        message = str(error) if isinstance(error, AeguiError) else f"{type(error).__name__}: {error}"
        if self.dataset is None and not self._tried_sample and self.data_choice != "sample":
            self._tried_sample = True  # nothing to train on: fall back to the embedded sample, once
            self.message.emit(f"{message} Using the embedded sample instead.", True)
            self._set_phase(Phase.IDLE)
            self.load_data("sample")
            return
        self.message.emit(message, True)
        if self.dataset is not None:
            self.data_choice = self.dataset.name
            self._idle_status = f"The data was not changed: {self.dataset.describe()}"
        else:
            self._idle_status = "No data could be loaded: see the message in the training panel."
        self._set_phase(Phase.IDLE)
        if self.dataset is not None:
            self.datasetLoaded.emit(self.dataset)  # views go back to showing the data in use

    def download(self, name: str = "mnist") -> bool:
        """Download a dataset into the data folder in a worker, then load it (once)."""
        if not self._may(Action.DOWNLOAD):
            return False
        relay = ProgressRelay()
        relay.progress.connect(self._on_download_progress)
        self._download_relay = relay
        self._download_cancelled = False
        self._set_phase(Phase.DOWNLOADING)
        self.progressChanged.emit(0.0, "download · 0%")
        self._data_worker = run_in_thread(download_dataset, name, self.data_dir, mirrors=self.download_mirrors,
                                          progress=relay.report, cancelled=lambda: self._download_cancelled,
                                          on_result=lambda _root: self._on_downloaded(name),
                                          on_error=self._on_download_failed)  # fmt: skip
        return True

    def cancel_download(self) -> bool:
        if not self._may(Action.CANCEL_DOWNLOAD):
            return False
        self._download_cancelled = True
        self.statusChanged.emit("Cancelling the download…")
        return True

    def _on_download_progress(self, name: str, done: int, total: int) -> None:
        if total:
            self.progressChanged.emit(done / total, f"{name} · {100 * done / total:.0f}%")
        self.downloadProgress.emit(name, done, total)

    def _on_downloaded(self, name: str) -> None:
        self._data_worker = None
        self.message.emit(f"{name.upper() if name == 'mnist' else name} downloaded to {self.data_dir}.", False)
        self._set_phase(Phase.IDLE)
        self.load_data(name)

    def _on_download_failed(self, error: Exception) -> None:
        self._data_worker = None
        self.message.emit(str(error), True)
        self._set_phase(Phase.IDLE)

    # --- the model ---

    def _replace_model(self, model: AutoEncoder, history: History, train_config: TrainConfig | None, preset: str,
                       path: str | Path | None) -> None:  # fmt: skip
        self.model = model.cpu()
        self.history = history
        self.train_config = train_config
        self.preset_name = preset
        self.model_path = Path(path) if path else None
        self.inference = InferenceModel(model.config, model.state_dict())
        self._set_dirty(False)
        self.modelChanged.emit()

    def new_model(self, config: ModelConfig, preset: str = "") -> None:
        """A fresh, untrained model (no question asked: callers settle unsaved work first)."""
        self._replace_model(build_model(config), History(), None, preset, None)

    def reset(self, config: ModelConfig, preset: str = "") -> bool:
        if not self._may(Action.RESET) or not self.settle_unsaved("resetting it"):
            return False
        self.new_model(config, preset)
        self.message.emit("The model was reset to new, untrained weights.", False)
        return True

    def open(self, path: str | Path) -> bool:
        """Open a saved model; on any problem, say why and keep the current model and its file."""
        if not self._may(Action.OPEN):
            return False
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            self.message.emit(f"{error} The current model is unchanged.", True)
            return False
        if not self.settle_unsaved("opening another model"):
            return False
        self._install(checkpoint, path)
        epochs = checkpoint.history.epochs_done
        last = checkpoint.history.epochs[-1] if epochs else None
        detail = f", test MSE {last['test_mse']:.5f}" if last else ", untrained"
        self.message.emit(f"Opened {Path(path).name}: {checkpoint.config.describe()}, {epochs} epochs{detail}.", False)
        return True

    def _install(self, checkpoint, path: str | Path | None) -> None:
        self._replace_model(checkpoint.model, checkpoint.history, checkpoint.train_config, checkpoint.preset or "",
                            path)  # fmt: skip

    def save(self, path: str | Path | None = None) -> bool:
        """Save the model (while training: its latest published weights). False if not saved."""
        path = Path(path) if path else self.model_path
        if path is None or self.model is None:
            self.message.emit("Choose where to save the model.", True)
            return False
        if not self._may(Action.SAVE):
            return False
        dataset = self.dataset.name if self.dataset else ""
        try:
            if self.trainer is not None:  # never read the live model: save the latest snapshot
                state = self.current_weights()
                save_weights(path, self.model.config, state, _copy(self.history), self.train_config, dataset,
                             self.preset_name)  # fmt: skip
            else:
                save_checkpoint(path, self.model, _copy(self.history), self.train_config, dataset, self.preset_name)
        except CheckpointError as error:
            self.message.emit(str(error), True)
            return False
        self.model_path = path
        self._set_dirty(False)
        if self.trainer is None:
            self.autosave.remove()  # saved: nothing left to recover (while training, more is coming)
        self.message.emit(f"Saved the model to {path}.", False)
        return True

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        name = self.model_path.name if self.model_path else "untitled"
        self.titleChanged.emit(f"aegui – {name}{' *' if dirty else ''}")

    def settle_unsaved(self, doing: str) -> bool:
        """True when it is fine to go on: nothing unsaved, or it was saved, or a person let it go.
        False (Cancel, or a failed save) leaves model, history and file exactly as they were."""
        if not self.dirty:
            return True
        answer = self.ask_unsaved(doing)
        if answer == "save":
            return self.save()
        if answer == "discard":
            self.autosave.remove()
            return True
        return False

    def current_weights(self) -> dict[str, torch.Tensor] | None:
        """A detached copy of the weights for work in another thread: the latest snapshot while training."""
        if self.trainer is not None:
            snapshot = self.trainer.latest_snapshot()
            return None if snapshot is None else snapshot.state
        if self.model is None:
            return None
        return {name: tensor.detach().clone() for name, tensor in self.model.state_dict().items()}

    def follow_training(self) -> None:
        """Bring the inference copy up to the latest published weights (while training)."""
        if self._worker is not None and self.inference is not None:
            self.inference.update(self.latest_snapshot)

    # --- training ---

    def train(self, config: ModelConfig, train_config: TrainConfig, preset: str = "") -> bool:
        """Train the current model further, or, for another architecture, a new one (asking first)."""
        if not self._may(Action.TRAIN):
            return False
        if self.dataset is None:
            self.message.emit("No data is loaded: choose a dataset or a data folder first.", True)
            return False
        if self.model is None or self.model.config != config:
            if not self.settle_unsaved("starting a new model"):
                return False
            self.new_model(config, preset)
        try:
            trainer = Trainer(self.model, self.dataset, train_config, self.device, history=self.history)
        except AeguiError as error:
            self.message.emit(str(error), True)
            return False
        self.train_config = train_config
        self.preset_name = preset
        self.trainer = trainer
        self._run_first_epoch = self.history.epochs_done + 1
        self._run_epochs = train_config.epochs
        self._autosave_due.mark()
        self._autosave_long_due.mark()
        whole = ""
        if trainer.batch_size < train_config.batch_size:
            whole = f"; batch {trainer.batch_size} (the whole training set)"
        self.message.emit(f"Training on {self.dataset.summary}, {describe_device(self.device)}{whole}.", False)
        self._set_phase(Phase.TRAINING)
        self.progressChanged.emit(0.0, f"epoch 1/{self._run_epochs} · 0%")
        self._worker = start_training(trainer, self._on_training_update, self._on_training_ended,
                                      self.training_priority)  # fmt: skip
        self.trainingStarted.emit()
        return True

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
        self._set_phase(Phase.TRAINING, self._last_progress_text or None)
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

    def _on_training_update(self, item) -> None:
        if isinstance(item, TrainingProgress):
            self.latest_snapshot = item.snapshot
            last = item.last
            run_epoch = last.epoch - self._run_first_epoch + 1
            fraction = last.step / max(last.total_steps, 1)
            samples_per_s = last.step * self.trainer.batch_size / last.elapsed if last.elapsed > 0 else 0.0
            self._last_progress_text = (
                f"Epoch {run_epoch} of {self._run_epochs} · loss {last.loss:.4f} · {samples_per_s:,.0f} samples/s · "
                f"{clock(last.elapsed)} elapsed · ETA {clock(last.eta)}"
            )
            if self._phase is Phase.TRAINING:
                self.statusChanged.emit(self._last_progress_text)
            self.progressChanged.emit(fraction, f"epoch {run_epoch}/{self._run_epochs} · {100 * fraction:.0f}%")
            self.trainingProgress.emit(item)
            if self._autosave_long_due.due():
                self._autosave()
        elif isinstance(item, EpochEnd):
            if self._autosave_due.due():
                self._autosave()
            if self.inference is not None:
                self.inference.update(self.latest_snapshot)
            self._set_dirty(True)
            self.epochEnded.emit(item)
            self.weightsChanged.emit()
        elif isinstance(item, Paused) and self._phase is Phase.PAUSING and self.trainer.is_paused:
            self._set_phase(Phase.PAUSED, f"Paused after batch {item.step:,}. Resume (Space) goes on from there.")
            self.trainingPaused.emit(item.step)

    def _on_training_ended(self, ended: Ended) -> None:
        self._worker = None
        self.trainer = None
        self._last_progress_text = ""
        if self.model is not None and self.inference is not None:
            self.inference.load_state(self.model.state_dict())  # the worker is done: safe to read
        self._set_dirty(self.dirty or ended.steps > 0)
        epochs = self.history.epochs
        if ended.reason == "finished" and epochs:
            last = epochs[-1]
            self.message.emit(f"Finished: test MSE {last['test_mse']:.5f}, squared error per image "
                              f"{last['test_sse_per_image']:.2f}, {clock(ended.elapsed)}.", False)  # fmt: skip
            self._idle_status = f"Training finished after {clock(ended.elapsed)}."
        elif ended.reason == "stopped":
            self.message.emit(f"Stopped after {ended.steps:,} batches.", False)
            self._idle_status = f"Training stopped after {ended.steps:,} batches."
        else:
            self.message.emit(ended.message, True)
            self._idle_status = "Training ended early: see the message in the training panel."
        if ended.steps > 0:
            self._autosave()
        self._set_phase(Phase.IDLE)
        self.weightsChanged.emit()
        self.trainingFinished.emit(ended)

    # --- crash recovery ---

    def _autosave(self) -> None:
        """Write the latest weights and history to this instance's recovery copy, off the GUI thread."""
        state = self.current_weights()  # None without a model, or before training's first snapshot
        if state is None or self.model is None or self._closed:
            return
        self._autosave_due.mark()
        self._autosave_long_due.mark()
        config, history, train_config = self.model.config, _copy(self.history), self.train_config
        dataset, preset = (self.dataset.name if self.dataset else ""), self.preset_name

        def save(path: Path) -> None:
            save_weights(path, config, state, history, train_config, dataset, preset)

        run_in_thread(self.autosave.write, self.autosave.begin(), save, on_result=self._on_autosaved,
                      on_error=self._on_autosave_failed)  # fmt: skip

    # Bound methods, not lambdas: Qt holds these weakly, so a closed session is freed even while the
    # autosave that it started is still to report.
    def _on_autosaved(self, _result: object) -> None:
        pass

    def _on_autosave_failed(self, error: Exception) -> None:
        self.message.emit(f"Autosave failed: {error}", True)

    def find_recovery(self) -> str | None:
        """Look for a copy left by an instance that ended without cleaning up; a description, or None.
        A copy that cannot be read is set aside (renamed), so it is not tried again at each start."""
        orphan = self.autosave.find_orphan()
        if orphan is None:
            return None
        try:
            checkpoint = load_checkpoint(orphan.path)
        except CheckpointError:
            try:
                orphan.path.replace(orphan.path.with_name(orphan.path.name + ".unreadable"))
            except OSError:
                orphan.path.unlink(missing_ok=True)
            orphan.release()
            return self.find_recovery()
        self.orphan, self.orphan_checkpoint = orphan, checkpoint
        epochs = checkpoint.history.epochs_done
        return (
            f"aegui stopped unexpectedly while a model was training. Restore it? "
            f"({checkpoint.config.describe()}, {epochs} epoch{'s' if epochs != 1 else ''}, "
            f"autosaved {checkpoint.created.replace('T', ' ')} UTC)"
        )

    def restore_recovery(self) -> bool:
        if self.orphan is None or not self._may(Action.OPEN) or not self.settle_unsaved("restoring the autosave"):
            return False
        self._install(self.orphan_checkpoint, None)
        self.autosave.adopt(self.orphan)  # now this instance's copy, removed once the work is saved
        self.orphan, self.orphan_checkpoint = None, None
        self._set_dirty(True)
        self.message.emit("Restored the autosaved model. Save it to keep it.", False)
        return True

    def discard_recovery(self) -> None:
        if self.orphan is not None:
            self.orphan.discard()
        self.orphan, self.orphan_checkpoint = None, None

    # --- closing ---

    def shutdown(self) -> bool:
        """Stop every worker and wait for it; True if all threads ended in time. An unanswered
        recovery offer stays for the next start; this instance's copy stays only for unsaved work."""
        self._closed = True
        if self.trainer is not None:
            self.trainer.request_stop()
        self._download_cancelled = True
        finished = wait_for_workers(SHUTDOWN_WAIT_MS)
        if self.orphan is not None:
            self.orphan.release()
            self.orphan = None
        self.autosave.close(keep=self.dirty)
        return finished
