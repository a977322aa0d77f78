"""The session's model file: opening (read and checked in a worker), saving, and the unsaved-work
question. A part of `SessionController`, which holds the state these methods change."""

from __future__ import annotations

from pathlib import Path

from aegui.core.data.datasets import IMAGES
from aegui.core.files.checkpoints import CheckpointError, save_weights
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.session.data_fit import data_title
from aegui.gui.session.phases import Action, refusal


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


class ModelFileFlows:
    """Open, save and settle unsaved work (mixed into `SessionController`)."""

    def open(self, path: str | Path) -> bool:
        """Start opening a saved model: the file is read and checked in a worker (a large or hostile file
        never freezes the window) and `openEnded` says how it went. A file that cannot be opened is
        refused before the unsaved-work question; on any problem the current model and its file stay."""
        if not self._may(Action.OPEN):
            return False
        self.message.emit(f"Opening {Path(path).name}…", False)
        self._model_loader.load(path)
        return True

    def _on_model_file_read(self, path: Path, checkpoint) -> None:
        if self._closed:
            return
        problem = None
        if not self._may(Action.OPEN):  # training (say) began while the file was being read
            problem = refusal(Action.OPEN, self._phase)
        elif self.settle_unsaved("opening another model"):
            self._install(checkpoint, path)
            data = self.follow_model_data(checkpoint.dataset)
            self.message.emit(f"Opened {Path(path).name}: {checkpoint.summary()}.{_notes(checkpoint)}"
                              f"{' ' + data if data else ''}", False)  # fmt: skip
            self.fileUsed.emit(Path(path))
        else:  # a person kept the unsaved work: "Opening …" must not stay on the message line
            self.message.emit(f"{Path(path).name} was not opened; the current model is kept.", False)
        self.openEnded.emit(path, problem)

    def _on_model_file_failed(self, path: Path | None, problem: str) -> None:
        if not self._closed:
            problem = f"{problem} The current model is unchanged."
            self.message.emit(problem, True)
            self.openEnded.emit(path, problem)

    def _install(self, checkpoint, path: str | Path | None, epochs_left: int | None = None) -> None:
        name, state = checkpoint.dataset, checkpoint.training_state
        trained_on = (name, data_title(name)) if name else None
        if state is not None and state.interrupted:
            epochs_left = state.run_epochs - state.run_epochs_done
        self._replace_model(checkpoint.model, checkpoint.history, checkpoint.train_config, checkpoint.preset or "",
                            path, trained_on, state, epochs_left)  # fmt: skip

    def export(self, path: str | Path, to: str = "onnx", part: str = "full") -> bool:
        """Export the model (while training: its latest published weights) in a worker; the message line says
        how it went (written, and checked against the model, or why not)."""
        if self.model is None or not self._may(Action.SAVE) or not self.may_write(path, "The export"):
            return False
        state = (self.current_weights() if self.trainer is not None else None) or self.model.state_dict()
        self.message.emit(f"Exporting {Path(path).name}…", False)
        run_in_thread(export_weights, self.model.config, state, Path(path), to, part,
                      on_result=lambda report: self.message.emit(report.describe(), False),
                      on_error=lambda error: self.message.emit(f"Could not export the model: {error}", True),
                      )  # fmt: skip
        return True

    def save(self, path: str | Path | None = None) -> bool:
        """Save the model (while training: its latest published weights). False if not saved."""
        path = Path(path) if path else self.model_path
        if path is None or self.model is None:
            self.message.emit("Choose where to save the model.", True)
            return False
        if not self._may(Action.SAVE) or not self.may_write(path, "The model", keeps_model=True):
            return False
        # while training, never read the live model: save the latest snapshot (none published yet: as it began)
        state = (self.current_weights() if self.trainer is not None else None) or self.model.state_dict()
        density = self.model.density if self.trainer is None else None  # (a density is of the weights it was fitted to)
        try:
            save_weights(path, self.model.config, state, self.history.copy(), self.train_config,
                         self.trained_data_key(), self.preset_name, density,
                         self.training_state if self.trainer is None else None)  # fmt: skip
        except CheckpointError as error:
            self.message.emit(str(error), True)
            return False
        self.model_path = path
        self._set_dirty(False)
        if self.trainer is None:
            self.recovery.autosave.remove()  # saved: nothing left to recover (while training, more is coming)
        self.message.emit(f"Saved the model to {path}.", False)
        self.fileUsed.emit(path)
        return True

    def may_write(self, path: str | Path, what: str, keeps_model: bool = False) -> bool:
        """Whether `path` can be written without replacing what the session reads: the model's own file (unless
        this writes the model: a save over its file) or a file in the image folder in use; else it says why."""
        from aegui.core.writes import WriteError, refuse_inputs_as_outputs

        model_file = None if keeps_model else self.model_path
        folder = self.data.images_folder if self.data.choice == IMAGES else None
        try:
            refuse_inputs_as_outputs([(what, Path(path))], [("the model's own file", model_file)],
                                     [("the image folder in use", folder)])  # fmt: skip
        except WriteError as error:
            self.message.emit(str(error), True)
            return False
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
            self.recovery.autosave.remove()
            return True
        return False
