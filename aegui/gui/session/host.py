"""What the session's parts may use of the session: small typed protocols of its public members.

`SessionController` is made of parts: `data_choice.DataChoice` (loading and downloading data),
`model_file.ModelFile` (open, save, export, the unsaved-work question), `training_run.TrainingControl` (a
training run: train, pause, resume, stop) and `data_fit.DataFit` (the model against the data). Each is given
the session as its host and reaches it only through one of the protocols here, never through a private
member; so a test can give a part a small stand-in host instead of a session. The session owns the state
they share (the model, its history and file, the unsaved flag, the phase); each part owns what only it uses
(the model file's reader, the run in progress and its wording).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch
    from PySide6.QtCore import SignalInstance

    from aegui.core.analysis.inference import InferenceModel
    from aegui.core.data.datasets import Dataset
    from aegui.core.files.checkpoints import Checkpoint
    from aegui.core.model.autoencoder import AutoEncoder, ModelConfig
    from aegui.core.training.resume import TrainingState
    from aegui.core.training.trainer import History, TrainConfig
    from aegui.gui.session.loaders import DataSource
    from aegui.gui.session.phases import Action, Phase


class DataFitHost(Protocol):
    """What `DataFit` reads of the session, and the one thing it asks of it: load data."""

    data: DataSource  # the data in use, its folder, and how image folders are read
    model: AutoEncoder | None
    history: History
    trained_on: tuple[str, str] | None  # (dataset key, title) of the data the model was trained on
    dirty: bool  # the model has unsaved changes

    @property
    def dataset(self) -> Dataset | None: ...

    def load_data(self, choice: str, images_folder: str | Path | None = None) -> bool:
        """Start loading data (refused, with the reason said, where the phase does not allow it)."""
        ...


class SessionHost(Protocol):
    """What every part that acts uses: the phase and its refusals, the closed flag, and the message line."""

    message: SignalInstance  # (a sentence for the person, whether it reports a problem)

    @property
    def phase(self) -> Phase: ...

    @property
    def closed(self) -> bool:
        """The window has closed: a late result starts nothing more."""
        ...

    def may(self, action: Action) -> bool:
        """True if the phase allows `action`; otherwise the reason is said, and False."""
        ...


class DataChoiceHost(SessionHost, Protocol):
    """What `DataChoice` uses of the session."""

    statusChanged: SignalInstance  # (the status line)
    progressChanged: SignalInstance  # (fraction done, label)
    datasetLoaded: SignalInstance  # (the Dataset now in use)
    data: DataSource
    model: AutoEncoder | None
    preset_name: str
    idle_status: str  # what the status line says while idle

    @property
    def dataset(self) -> Dataset | None: ...

    def set_phase(self, phase: Phase, status: str | None = None) -> None:
        """Enter `phase`, with its status line (None: the phase's own)."""
        ...

    def is_untouched(self) -> bool:
        """Whether the model is new: never trained, opened or restored."""
        ...

    def new_model(self, config: ModelConfig, preset: str = "") -> None: ...


class RecoveryCopy(Protocol):
    """What the parts use of the session's crash-recovery copy (`recovery.Recovery`)."""

    def begin_run(self) -> None:
        """A run begins: the next copy is due an interval from now."""
        ...

    def due(self, epoch_ended: bool) -> bool:
        """Whether a copy is due now."""
        ...

    def drop_copy(self) -> None:
        """Remove this instance's copy: the work in it was saved, or let go."""
        ...


class ModelHost(SessionHost, Protocol):
    """What the parts that change the model use: the model, its history and settings, its unsaved flag."""

    model: AutoEncoder | None
    history: History
    train_config: TrainConfig | None
    preset_name: str
    training_state: TrainingState | None  # where the model's last run stood
    dirty: bool
    recovery: RecoveryCopy  # the crash-recovery copy (`recovery.Recovery`)

    def set_dirty(self, dirty: bool) -> None:
        """Mark the model (un)saved, and retitle the window."""
        ...


class ModelFileHost(ModelHost, Protocol):
    """What `ModelFile` uses of the session."""

    openEnded: SignalInstance  # (the file, why it was not opened or None)
    fileUsed: SignalInstance  # (a model file just opened or saved)
    model_path: Path | None
    data: DataSource
    ask_unsaved: Callable[[str], str]  # (what is being done) -> "save", "discard" or "cancel"

    def is_training(self) -> bool: ...

    def current_weights(self) -> dict[str, torch.Tensor] | None:
        """A detached copy of the weights (while training: the latest published snapshot)."""
        ...

    def trained_data_key(self) -> str:
        """The data a model file names."""
        ...

    def follow_model_data(self, key: str) -> str:
        """Load the data a model just opened was trained on; a sentence saying what happens."""
        ...

    def install(self, checkpoint: Checkpoint, path: str | Path | None, epochs_left: int | None = None) -> None:
        """Make a checkpoint's model the session's (its file `path`, None for none)."""
        ...


class TrainingHost(ModelHost, Protocol):
    """What `TrainingControl` uses of the session."""

    statusChanged: SignalInstance  # (the status line)
    progressChanged: SignalInstance  # (fraction done, label)
    modelChanged: SignalInstance
    weightsChanged: SignalInstance
    trainingStarted: SignalInstance
    trainingProgress: SignalInstance  # (TrainingProgress)
    epochEnded: SignalInstance  # (EpochEnd)
    trainingPaused: SignalInstance  # (the step it paused after)
    trainingFinished: SignalInstance  # (Ended)
    device: str
    inference: InferenceModel | None
    trained_on: tuple[str, str] | None
    epochs_left: int | None  # epochs the model's last run had left when it stopped midway
    idle_status: str  # what the status line says while idle

    @property
    def dataset(self) -> Dataset | None: ...

    def set_phase(self, phase: Phase, status: str | None = None) -> None:
        """Enter `phase`, with its status line (None: the phase's own)."""
        ...

    def for_data(self, config: ModelConfig) -> ModelConfig:
        """The architecture made for the loaded data's images."""
        ...

    def new_model(self, config: ModelConfig, preset: str = "") -> None: ...

    def settle_unsaved(self, doing: str) -> bool:
        """True when it is fine to replace the model: nothing unsaved, saved, or let go."""
        ...

    def write_recovery_copy(self) -> None:
        """Write the latest weights and history to the crash-recovery copy, off the GUI thread."""
        ...
