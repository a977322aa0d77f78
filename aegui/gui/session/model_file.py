"""The session's model file: opening (read and checked in a worker), saving, exporting, and the unsaved-work
question.

`ModelFile` is a part of `SessionController`: it owns the reader of model files (`loaders.ModelLoader`) and
what to do with what it reads; the model, its history, file and unsaved flag are the session's, which it
reaches through `host.ModelFileHost` (a file read is installed with `host.install`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from aegui.core.data.datasets import IMAGES
from aegui.core.files.checkpoints import CheckpointError, save_weights
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.session.loaders import ModelLoader
from aegui.gui.session.phases import Action, refusal

if TYPE_CHECKING:
    from aegui.gui.session.host import ModelFileHost


def export_weights(config, state, path: Path, to: str, part: str):
    """In a worker: a model with these weights, exported (and checked) as `aegui.core.files.export` does."""
    from aegui.core.files.export import export_model
    from aegui.core.model.autoencoder import model_for_weights

    model = model_for_weights(config)
    model.load_state_dict(state)
    return export_model(model, path, to, part)


def _notes(checkpoint) -> str:
    """What a person should know of an opened file beyond its summary: a dropped density, a run to go on with."""
    notes = f" Its code density was unusable ({checkpoint.density_problem})." if checkpoint.density_problem else ""
    notes += "".join(f" {note}" for note in checkpoint.notes)  # (settings a newer aegui wrote, left out)
    state = checkpoint.training_state
    if state is not None and state.interrupted:
        notes += (
            f" Its run stopped in epoch {state.run_epochs_done + 1} of {state.run_epochs}: Train goes on from there."
        )
    return notes


class ModelFile:
    """Open, save, export, and settle unsaved work, for the session that is its host."""

    def __init__(self, host: ModelFileHost, parent: QObject | None = None) -> None:
        """`parent`: the Qt parent of the part's Qt objects (the session: they go with it)."""
        self.host = host
        self.loader = ModelLoader(parent)  # reads and checks files in a worker; of two opened, the second counts
        self.loader.loaded.connect(self._on_read)
        self.loader.failed.connect(self._on_failed)

    def open(self, path: str | Path) -> bool:
        """Start opening a saved model: the file is read and checked in a worker (a large or hostile file
        never freezes the window) and `openEnded` says how it went. A file that cannot be opened is
        refused before the unsaved-work question; on any problem the current model and its file stay."""
        host = self.host
        if not host.may(Action.OPEN):
            return False
        host.message.emit(f"Opening {Path(path).name}…", False)
        self.loader.load(path)
        return True

    def _on_read(self, path: Path, checkpoint) -> None:
        host = self.host
        if host.closed:
            return
        problem = None
        if not host.may(Action.OPEN):  # training (say) began while the file was being read
            problem = refusal(Action.OPEN, host.phase)
        elif self.settle_unsaved("opening another model"):
            host.install(checkpoint, path)
            data = host.follow_model_data(checkpoint.dataset)
            host.message.emit(f"Opened {Path(path).name}: {checkpoint.summary()}.{_notes(checkpoint)}"
                              f"{' ' + data if data else ''}", False)  # fmt: skip
            host.fileUsed.emit(Path(path))
        else:  # a person kept the unsaved work: "Opening …" must not stay on the message line
            host.message.emit(f"{Path(path).name} was not opened; the current model is kept.", False)
        host.openEnded.emit(path, problem)

    def _on_failed(self, path: Path | None, problem: str) -> None:
        if not self.host.closed:
            problem = f"{problem} The current model is unchanged."
            self.host.message.emit(problem, True)
            self.host.openEnded.emit(path, problem)

    def _weights(self) -> dict:
        """The weights to write: while training, never the live model's but the latest snapshot (none published
        yet: the model's, as the run began)."""
        host = self.host
        return (host.current_weights() if host.is_training() else None) or host.model.state_dict()

    def export(self, path: str | Path, to: str = "onnx", part: str = "full") -> bool:
        """Export the model (while training: its latest published weights) in a worker; the message line says
        how it went (written, and checked against the model, or why not)."""
        host = self.host
        if host.model is None or not host.may(Action.SAVE) or not self.may_write(path, "The export"):
            return False
        host.message.emit(f"Exporting {Path(path).name}…", False)
        run_in_thread(export_weights, host.model.config, self._weights(), Path(path), to, part,
                      on_result=lambda report: host.message.emit(report.describe(), False),
                      on_error=lambda error: host.message.emit(f"Could not export the model: {error}", True),
                      )  # fmt: skip
        return True

    def save(self, path: str | Path | None = None) -> bool:
        """Save the model (while training: its latest published weights). False if not saved."""
        host = self.host
        path = Path(path) if path else host.model_path
        if path is None or host.model is None:
            host.message.emit("Choose where to save the model.", True)
            return False
        if not host.may(Action.SAVE) or not self.may_write(path, "The model", keeps_model=True):
            return False
        training = host.is_training()
        density = None if training else host.model.density  # (a density is of the weights it was fitted to)
        try:
            save_weights(path, host.model.config, self._weights(), host.history.copy(), host.train_config,
                         host.trained_data_key(), host.preset_name, density,
                         None if training else host.training_state)  # fmt: skip
        except CheckpointError as error:
            host.message.emit(str(error), True)
            return False
        host.model_path = path
        host.set_dirty(False)
        if not training:
            host.recovery.drop_copy()  # saved: nothing left to recover (while training, more is coming)
        host.message.emit(f"Saved the model to {path}.", False)
        host.fileUsed.emit(path)
        return True

    def may_write(self, path: str | Path, what: str, keeps_model: bool = False) -> bool:
        """Whether `path` can be written without replacing what the session reads: the model's own file (unless
        this writes the model: a save over its file) or a file in the image folder in use; else it says why."""
        from aegui.core.writes import WriteError, refuse_inputs_as_outputs

        host = self.host
        model_file = None if keeps_model else host.model_path
        folder = host.data.images_folder if host.data.choice == IMAGES else None
        try:
            refuse_inputs_as_outputs([(what, Path(path))], [("the model's own file", model_file)],
                                     [("the image folder in use", folder)])  # fmt: skip
        except WriteError as error:
            host.message.emit(str(error), True)
            return False
        return True

    def settle_unsaved(self, doing: str) -> bool:
        """True when it is fine to go on: nothing unsaved, or it was saved, or a person let it go.
        False (Cancel, or a failed save) leaves model, history and file exactly as they were."""
        host = self.host
        if not host.dirty:
            return True
        answer = host.ask_unsaved(doing)
        if answer == "save":
            return self.save()
        if answer == "discard":
            host.recovery.drop_copy()
            return True
        return False
