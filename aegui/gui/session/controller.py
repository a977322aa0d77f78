"""The session controller: the one owner of the window's state, with an explicit phase.

It holds the model (and the inference copy the views draw with), its history, file and unsaved flag, and
the phase. Its parts, each made here and kept as a public attribute, do the rest: `data` (`loaders.DataSource`:
data read and downloaded in workers), `data_choice` (`data_choice.DataChoice`: which data, and the phase while
it loads), `recovery` (`recovery.Recovery`: the crash-recovery copy), `model_file` (`model_file.ModelFile`:
open, save, export, the unsaved-work question), `training` (`training_run.TrainingControl`: the run in
progress) and `data_fit` (`data_fit.DataFit`: the model against the data). A part reaches the session only
through a protocol of its public members (`host`), so each can be tested alone; the session's own methods of
the same names hand the work to them.
Every action goes through here; an action the phase does not allow is refused with the reason (see
`phases`). It has no widgets: views listen to its signals and call its intent-level methods, and the one
question it asks a person (keep unsaved work?) goes through the `ask_unsaved` callback it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal

from aegui.core.analysis.inference import CodeScales, InferenceModel
from aegui.core.data.datasets import Dataset
from aegui.core.data.shapes import Reading
from aegui.core.files.checkpoints import Checkpoint
from aegui.core.folders import default_data_dir
from aegui.core.model.autoencoder import AutoEncoder, ModelConfig, build_model
from aegui.core.model.density import CodeDensity
from aegui.core.model.device import resolve_device_or_cpu
from aegui.core.training.resume import MAX_EPOCHS, TrainingState
from aegui.core.training.trainer import History, TrainConfig
from aegui.gui.concurrency.processes import prepare_training_process, warm_up_training
from aegui.gui.concurrency.threads import wait_for_workers
from aegui.gui.concurrency.training_process import TrainingRun
from aegui.gui.session.autosave import Autosave
from aegui.gui.session.data_choice import DataChoice
from aegui.gui.session.data_fit import DataFit, data_title
from aegui.gui.session.loaders import DataSource
from aegui.gui.session.model_file import ModelFile
from aegui.gui.session.phases import STATUS, Action, Phase, allowed, refusal
from aegui.gui.session.recovery import Recovery
from aegui.gui.session.training_run import WEIGHTS_FOLLOW_MS as WEIGHTS_FOLLOW_MS  # (where tests read it)
from aegui.gui.session.training_run import TrainingControl


@dataclass(frozen=True)
class Drawing:
    """The drawing as the model sees it (None: the canvas is empty), and its code (None: not computed)."""

    image: np.ndarray | None = None
    code: np.ndarray | None = None


SHUTDOWN_WAIT_MS = 1500
TRAINING_PROCESS_DELAY_MS = 1000


class SessionController(QObject):
    phaseChanged = Signal(object)  # the new Phase
    datasetLoaded = Signal(object)  # the Dataset now in use
    modelChanged = Signal()  # another model: new, reset, opened or restored (its history with it)
    weightsChanged = Signal()  # the same model, newer weights (an epoch's end, training's end)
    densityChanged = Signal()  # the model has a code density fitted to its current weights' codes
    trainingStarted = Signal()
    trainingProgress = Signal(object)  # TrainingProgress, a few times a second
    epochEnded = Signal(object)  # EpochEnd
    trainingPaused = Signal(int)  # the loop has stopped after this step (1-based) until resumed
    trainingFinished = Signal(object)  # the Ended record
    message = Signal(str, bool)  # a sentence for the person, and whether it reports a problem
    statusChanged = Signal(str)  # the status line, which belongs to the phase
    progressChanged = Signal(float, str)  # fraction done (< 0: nothing in progress) and its label
    titleChanged = Signal(str)
    recoveryChecked = Signal(object)  # a description of an autosaved model to offer back, or None
    openEnded = Signal(object, object)  # the file, and why it was not opened (None: opened, or a person said no)
    fileUsed = Signal(object)  # a model file just opened or saved (for the recent files)
    # what the features tell each other (none imports another): the drawing, the code's scales, and requests
    drawingEdited = Signal()  # the drawing was changed or replaced (its code follows with drawingChanged)
    drawingChanged = Signal()  # `drawing`: the drawing as the model sees it, and its code, are new
    codeScalesChanged = Signal(object)  # `code_scales`: the code values' spans (CodeScales) for the weights
    imageRequested = Signal(object)  # put this image (values in [0, 1], the model's size) on the canvas
    similarRequested = Signal(int)  # show the images nearest image `position` of the data (train, then test)

    def __init__(
        self,
        data_dir: str | Path | None = None,
        device: str = "auto",
        ask_unsaved: Callable[[str], str] | None = None,
        autosave: Autosave | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.last_problem = ""  # the latest refusal or failure said (a dialog repeats it; never read from a label)
        self.message.connect(self._on_message)
        self.device, self.device_note = resolve_device_or_cpu(device)
        self.ask_unsaved = ask_unsaved or (lambda doing: "cancel")
        self._phase = Phase.LOADING
        self.data = DataSource(Path(data_dir) if data_dir else default_data_dir(), self)
        self.data.folderRead.connect(self.message)  # (a problem when files were skipped)
        self.data.progress.connect(self.progressChanged)
        self.data_choice = DataChoice(self)
        self.model: AutoEncoder | None = None
        self.inference: InferenceModel | None = None
        self.history = History()
        self.train_config: TrainConfig | None = None
        self.preset_name = "default"
        self.trained_on: tuple[str, str] | None = None  # (dataset key, title) of the data the model was trained on
        self.training_state: TrainingState | None = None  # where its last run stood: Train goes on exactly from it
        self.epochs_left: int | None = None  # epochs its last run had left, when it stopped midway (or crashed)
        self.model_path: Path | None = None
        self.dirty = False
        self._closed = False
        self.idle_status = ""  # what the status line says while idle: the data in use, or how the last run ended
        self.drawing = Drawing()  # published by the drawing feature, read by the others
        self.code_scales: CodeScales | None = None
        self.recovery = Recovery(autosave, self)
        self.recovery.checked.connect(self.recoveryChecked)
        self.recovery.failed.connect(self._report_problem)
        self.model_file = ModelFile(self, self)
        self.training = TrainingControl(self, self)
        self.data_fit = DataFit(self)
        # the training process imports PyTorch (seconds of CPU): start it early, but not while the window paints
        # its first frame and the data loads (on two cores, that doubled the first freeze, 50 -> 100 ms)
        QTimer.singleShot(TRAINING_PROCESS_DELAY_MS, self._prepare_training)
        warm_up_training()  # (a worker: what the first Train needs of this process, imported before it is pressed)

    def _prepare_training(self) -> None:
        if not self._closed:
            prepare_training_process()

    # --- the phase ---

    @property
    def phase(self) -> Phase:
        return self._phase

    def set_phase(self, phase: Phase, status: str | None = None) -> None:
        """Enter `phase`; the status line says `status` (None: what the phase says)."""
        changed = phase is not self._phase
        self._phase = phase
        if changed:
            self.phaseChanged.emit(phase)
        self.statusChanged.emit(status if status is not None else self._status_for(phase))
        if phase in (Phase.IDLE, Phase.LOADING):
            self.progressChanged.emit(-1.0, "")

    def _status_for(self, phase: Phase) -> str:
        return self.idle_status if phase is Phase.IDLE else STATUS[phase].format(choice=self.data.choice)

    def allows(self, action: Action) -> bool:
        return allowed(action, self._phase)

    def may(self, action: Action) -> bool:
        """True if the phase allows `action`; otherwise say why, and False."""
        reason = refusal(action, self._phase)
        if reason is not None:
            self.message.emit(reason, True)
        return reason is None

    def _report_problem(self, text: str) -> None:
        self.message.emit(text, True)

    @property
    def closed(self) -> bool:
        """The window has closed (`shutdown`): a result that arrives late starts nothing more."""
        return self._closed

    @property
    def trainer(self) -> TrainingRun | None:
        """The run in progress, in the training process (None: none is)."""
        return self.training.trainer

    def is_training(self) -> bool:
        return self.trainer is not None

    # --- data ---

    @property
    def dataset(self) -> Dataset | None:
        return self.data.dataset

    @property
    def model_data(self) -> Dataset | None:
        """The loaded data if the model in the session takes its images (their size and colour), else None:
        the data views run the model on."""
        dataset, model = self.data.dataset, self.model
        return dataset if dataset is not None and model is not None and model.image_shape == dataset.image_shape \
            else None  # fmt: skip

    def load_data(self, choice: str, images_folder: str | Path | None = None) -> bool:
        return self.data_choice.load_data(choice, images_folder)

    def set_image_reading(self, reading: Reading) -> bool:
        return self.data_choice.set_image_reading(reading)

    def set_data_folder(self, folder: str | Path) -> bool:
        return self.data_choice.set_data_folder(folder)

    def download(self, name: str = "mnist") -> bool:
        return self.data_choice.download(name)

    def cancel_download(self) -> bool:
        return self.data_choice.cancel_download()

    def _on_message(self, text: str, problem: bool) -> None:
        if problem:
            self.last_problem = text

    def is_untouched(self) -> bool:
        """Whether the model in the session is new: never trained, opened or restored (nothing to lose)."""
        return not self.history.epochs_done and self.model_path is None and self.trainer is None

    # --- the model ---

    def replace_model(self, model: AutoEncoder, history: History, train_config: TrainConfig | None, preset: str,
                      path: str | Path | None, trained_on: tuple[str, str] | None = None,
                      training_state: TrainingState | None = None,
                      epochs_left: int | None = None) -> None:  # fmt: skip
        """Make `model` the session's, with its history, settings, file and run state; nothing unsaved."""
        self.model = model.cpu()
        self.trained_on = trained_on
        self.training_state = training_state
        self.epochs_left = epochs_left
        self.history = history
        self.train_config = train_config
        self.preset_name = preset
        self.model_path = Path(path) if path else None
        self.inference = InferenceModel(model.config, model.state_dict())
        self.set_dirty(False)
        self.modelChanged.emit()

    def install(self, checkpoint: Checkpoint, path: str | Path | None, epochs_left: int | None = None) -> None:
        """Make a checkpoint's model the session's (`path`: its file, None for none); a run it stopped midway
        goes on from where it stood."""
        name, state = checkpoint.dataset, checkpoint.training_state
        trained_on = (name, data_title(name)) if name else None
        if state is not None and state.interrupted:
            epochs_left = state.run_epochs - state.run_epochs_done
        self.replace_model(checkpoint.model, checkpoint.history, checkpoint.train_config, checkpoint.preset or "",
                           path, trained_on, state, epochs_left)  # fmt: skip

    def set_dirty(self, dirty: bool) -> None:
        """Mark the model as having unsaved changes (or not), and say so in the window's title."""
        self.dirty = dirty
        name = self.model_path.name if self.model_path else "untitled"
        self.titleChanged.emit(f"aegui – {name}{' *' if dirty else ''}")

    def new_model(self, config: ModelConfig, preset: str = "") -> None:
        """A fresh, untrained model for the data's image size and colour (no question asked: callers settle
        unsaved work first)."""
        self.replace_model(build_model(self.for_data(config)), History(), None, preset, None)

    def for_data(self, config: ModelConfig) -> ModelConfig:
        """The architecture made for the loaded data's images (their size and colour); as it is without data."""
        dataset = self.dataset
        return config if dataset is None else replace(config, image_shape=dataset.image_shape)

    def reset(self, config: ModelConfig, preset: str = "") -> bool:
        if not self.may(Action.RESET) or not self.settle_unsaved("resetting it"):
            return False
        self.new_model(config, preset)
        self.message.emit("The model was reset to new, untrained weights.", False)
        return True

    def current_weights(self) -> dict[str, torch.Tensor] | None:
        """A detached copy of the weights for work in another thread: the latest snapshot while training (before
        the run's first, the weights it started from: the model keeps them until the run ends)."""
        snapshot = self.trainer.latest_snapshot() if self.trainer is not None else None
        if snapshot is not None:
            return snapshot.state
        if self.model is None:
            return None
        return {name: tensor.detach().clone() for name, tensor in self.model.state_dict().items()}

    def set_density(self, model: AutoEncoder, density: CodeDensity) -> bool:
        """Keep a code density fitted (in a worker) to `model`'s codes: refused if another model is in the
        session now, or training began meanwhile (whoever fitted it knows whether the weights changed)."""
        if model is not self.model or self.trainer is not None:
            return False
        model.density = density
        self.densityChanged.emit()
        return True

    def follow_training(self) -> None:
        """Bring the inference copy up to the latest published weights (while training)."""
        if self.trainer is not None and self.inference is not None:
            self.inference.update(self.trainer.latest_snapshot())

    # --- what the features tell each other ---

    def publish_drawing(self, drawing: Drawing) -> None:
        self.drawing = drawing
        self.drawingChanged.emit()

    def publish_code_scales(self, scales: CodeScales) -> None:
        self.code_scales = scales
        self.codeScalesChanged.emit(scales)

    # --- crash recovery ---

    def write_recovery_copy(self) -> None:
        """Write the latest weights and history to this instance's recovery copy, off the GUI thread."""
        state = self.current_weights()  # None without a model, or before training's first snapshot
        if state is not None and self.model is not None and not self._closed:
            self.recovery.write(self.model.config, state, self.history.copy(), self.train_config,
                                self.trained_data_key(), self.preset_name,
                                {"epochs_left": self.run_epochs_left()})  # fmt: skip

    def look_for_recovery(self) -> None:
        """Look, in a worker, for a copy left by an instance that ended without cleaning up."""
        self.recovery.look()

    def restore_recovery(self) -> bool:
        if self.recovery.orphan is None or not self.may(Action.OPEN):
            return False
        if not self.settle_unsaved("restoring the autosave"):
            return False
        checkpoint, context = self.recovery.take()
        left = context.get("epochs_left")
        self.install(checkpoint, None, left if isinstance(left, int) and 0 < left <= MAX_EPOCHS else None)
        self.set_dirty(True)
        data = self.follow_model_data(checkpoint.dataset)
        self.message.emit(f"Restored the autosaved model. {data + ' ' if data else ''}Save it to keep it.", False)
        return True

    def discard_recovery(self) -> None:
        self.recovery.discard()

    # --- what the parts do (see each for the whole story) ---

    def open(self, path: str | Path) -> bool:
        return self.model_file.open(path)

    def save(self, path: str | Path | None = None) -> bool:
        return self.model_file.save(path)

    def export(self, path: str | Path, to: str = "onnx", part: str = "full") -> bool:
        return self.model_file.export(path, to, part)

    def may_write(self, path: str | Path, what: str, keeps_model: bool = False) -> bool:
        return self.model_file.may_write(path, what, keeps_model)

    def settle_unsaved(self, doing: str) -> bool:
        return self.model_file.settle_unsaved(doing)

    def train(self, config: ModelConfig, train_config: TrainConfig, preset: str = "") -> bool:
        return self.training.train(config, train_config, preset)

    def pause(self) -> bool:
        return self.training.pause()

    def resume(self) -> bool:
        return self.training.resume()

    def stop(self) -> bool:
        return self.training.stop()

    def set_lr(self, lr: float) -> bool:
        return self.training.set_lr(lr)

    def run_epochs_left(self) -> int:
        return self.training.run_epochs_left()

    def takes_data(self) -> bool:
        return self.data_fit.takes_data()

    def trained_data_key(self) -> str:
        return self.data_fit.trained_data_key()

    def fitting_preset(self) -> str | None:
        return self.data_fit.fitting_preset()

    def preset_fits(self, preset: str) -> bool:
        return self.data_fit.preset_fits(preset)

    def unfit_note(self, short: bool = False) -> str:
        return self.data_fit.unfit_note(short)

    def data_note(self) -> str:
        return self.data_fit.data_note()

    def follow_model_data(self, key: str) -> str:
        return self.data_fit.follow_model_data(key)

    # --- closing ---

    def shutdown(self) -> bool:
        """Stop every worker and wait for it; True if all threads ended in time. An unanswered
        recovery offer stays for the next start; this instance's copy stays only for unsaved work."""
        self._closed = True
        self.data.close()
        finished = self.training.shut_down(SHUTDOWN_WAIT_MS / 1000)
        finished = wait_for_workers(SHUTDOWN_WAIT_MS) and finished
        self.recovery.close(keep=self.dirty)
        return finished
