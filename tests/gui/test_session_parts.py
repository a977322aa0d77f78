"""Each part of the session alone, against a small stand-in host (no `SessionController`): what a part decides
and says, and what it changes of its host, through the host protocols of `aegui.gui.session.host` only."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Protocol

import pytest
from PySide6.QtCore import QObject, Signal

from aegui.core.data.datasets import IMAGES
from aegui.core.data.shapes import AUTO_READING
from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.records import Ended
from aegui.core.training.trainer import History, TrainConfig
from aegui.gui.session.data_choice import DataChoice
from aegui.gui.session.data_fit import DataFit
from aegui.gui.session.host import DataChoiceHost, DataFitHost, ModelFileHost, TrainingHost
from aegui.gui.session.model_file import ModelFile
from aegui.gui.session.phases import Action, Phase, refusal
from aegui.gui.session.training_run import TrainingControl

TINY = ModelConfig(hidden_sizes=(16,), code_size=3, activation="relu")
ONE_EPOCH = TrainConfig(epochs=1, batch_size=100, lr=3e-3, optimizer="adam")


class FakeRecovery:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def begin_run(self) -> None:
        self.calls.append("begin_run")

    def due(self, epoch_ended: bool) -> bool:
        return False

    def drop_copy(self) -> None:
        self.calls.append("drop_copy")


class FakeData(QObject):
    """What the parts use of `loaders.DataSource`: its settings and the signals it reports with."""

    loaded = Signal(object)
    failed = Signal(str, bool)
    downloaded = Signal(str)
    downloadFailed = Signal(str)

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder, self.choice, self.images_folder, self.reading = folder, "sample", None, AUTO_READING
        self.dataset = None
        self.loads: list[tuple] = []

    def load(self, choice: str, images_folder: Path | None = None) -> None:
        self.loads.append((choice, images_folder))


class FakeHost(QObject):
    """A stand-in session: the members the host protocols name, and a record of what the parts asked of it."""

    message = Signal(str, bool)
    statusChanged = Signal(str)
    progressChanged = Signal(float, str)
    datasetLoaded = Signal(object)
    openEnded = Signal(object, object)
    fileUsed = Signal(object)
    modelChanged = Signal()
    weightsChanged = Signal()
    trainingStarted = Signal()
    trainingProgress = Signal(object)
    epochEnded = Signal(object)
    trainingPaused = Signal(int)
    trainingFinished = Signal(object)

    def __init__(self, tmp_path: Path, phase: Phase = Phase.IDLE, answer: str = "cancel") -> None:
        super().__init__()
        self.phase, self.closed, self.device = phase, False, "cpu"
        self.model = build_model(TINY)
        self.inference = None
        self.history, self.train_config, self.preset_name = History(), None, "default"
        self.trained_on, self.training_state, self.epochs_left = None, None, None
        self.model_path, self.dirty, self.idle_status = None, False, ""
        self.data, self.recovery = FakeData(tmp_path), FakeRecovery()
        self.messages: list[tuple[str, bool]] = []
        self.message.connect(lambda text, problem: self.messages.append((text, problem)))
        self.asked: list[str] = []
        self.ask_unsaved = lambda doing: self.asked.append(doing) or answer
        self.calls: list[tuple] = []
        self.weights = None

    @property
    def dataset(self):
        return self.data.dataset

    def may(self, action: Action) -> bool:
        reason = refusal(action, self.phase)
        if reason is not None:
            self.message.emit(reason, True)
        return reason is None

    def set_phase(self, phase: Phase, status: str | None = None) -> None:
        self.phase = phase
        self.calls.append(("set_phase", phase, status))

    def set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.calls.append(("set_dirty", dirty))

    def is_training(self) -> bool:
        return False

    def is_untouched(self) -> bool:
        return not self.history.epochs_done and self.model_path is None

    def current_weights(self):
        return self.weights

    def trained_data_key(self) -> str:
        return "sample"

    def follow_model_data(self, key: str) -> str:
        self.calls.append(("follow_model_data", key))
        return ""

    def install(self, checkpoint, path, epochs_left=None) -> None:
        self.calls.append(("install", path))
        self.model = checkpoint.model

    def for_data(self, config: ModelConfig) -> ModelConfig:
        return config

    def new_model(self, config: ModelConfig, preset: str = "") -> None:
        self.calls.append(("new_model", config, preset))
        self.model = build_model(config)

    def settle_unsaved(self, doing: str) -> bool:
        return not self.dirty or self.ask_unsaved(doing) != "cancel"

    def write_recovery_copy(self) -> None:
        self.calls.append(("write_recovery_copy",))

    def load_data(self, choice: str, images_folder=None) -> bool:
        self.calls.append(("load_data", choice, images_folder))
        return True

    def problems(self) -> list[str]:
        return [text for text, problem in self.messages if problem]


def named(calls: list[tuple], name: str) -> list[tuple]:
    return [call for call in calls if call[0] == name]


def shaped(shape: tuple[int, int, int], **more) -> SimpleNamespace:
    """A dataset (or a model) that has only what the data-fit part reads of it."""
    return SimpleNamespace(image_shape=shape, **more)


# --- the training part ---


@pytest.mark.parametrize("phase", [Phase.LOADING, Phase.TRAINING, Phase.DOWNLOADING])
def test_training_is_refused_when_the_host_does_not_allow_it_and_says_why(tmp_path, small_sample, phase):
    host = FakeHost(tmp_path, phase)
    host.data.dataset = small_sample
    model = host.model
    training = TrainingControl(host)
    assert not training.train(TINY, ONE_EPOCH)
    assert host.problems() == [refusal(Action.TRAIN, phase)] and "Cannot train now" in host.problems()[0]
    assert training.trainer is None and host.model is model and host.phase is phase and not host.calls


def test_pause_resume_and_stop_without_a_run_are_refused_saying_none_is_running(tmp_path):
    host = FakeHost(tmp_path)
    training = TrainingControl(host)
    assert not training.pause() and not training.resume() and not training.stop()
    assert host.problems() == [f"Cannot {action} now: no training is running." for action in ("pause", "resume",
                                                                                              "stop")]  # fmt: skip
    assert training.set_lr(1e-2) and len(host.messages) == 3  # (no run: it applies at the next Train)


def test_training_without_data_or_with_unsettled_work_starts_nothing(tmp_path, small_sample):
    host = FakeHost(tmp_path)
    training = TrainingControl(host)
    assert not training.train(TINY, ONE_EPOCH)
    assert host.problems() == ["No data is loaded: choose a dataset or a data folder first."]
    host.data.dataset, host.dirty = small_sample, True
    model = host.model
    other = ModelConfig(hidden_sizes=(16,), code_size=5, activation="relu")
    assert not training.train(other, ONE_EPOCH)  # another architecture: asked, and the person cancelled
    assert host.asked == ["starting a new model"] and host.model is model and not named(host.calls, "new_model")
    assert training.trainer is None and host.phase is Phase.IDLE


def test_a_run_that_ended_leaves_the_host_idle_saying_how_and_keeps_a_recovery_copy(tmp_path, qtbot):
    host = FakeHost(tmp_path, Phase.STOPPING)
    host.epochs_left = 4
    training = TrainingControl(host)
    assert training.run_epochs_left() == 4  # (no run in progress: what the last one had left)
    with qtbot.waitSignal(host.trainingFinished) as finished, qtbot.waitSignal(host.weightsChanged):
        training._on_ended(Ended("stopped", "", 120, 3.0))  # (as a run's end reaches it)
    assert finished.args[0].steps == 120 and host.phase is Phase.IDLE and host.dirty
    assert host.messages == [("Stopped after 120 batches.", False)]
    assert host.idle_status == "Training stopped after 120 batches."
    assert named(host.calls, "write_recovery_copy") and ("set_phase", Phase.IDLE, None) in host.calls


# --- the model-file part ---


def test_a_file_that_cannot_be_read_leaves_the_hosts_model_untouched_and_says_so(tmp_path, qtbot):
    host = FakeHost(tmp_path)
    model, path = host.model, tmp_path / "broken.aegui.pt"
    path.write_bytes(b"not a model at all")
    part = ModelFile(host)
    with qtbot.waitSignal(host.openEnded, timeout=30_000) as ended:
        assert part.open(path)
    assert ended.args[0] == path and ended.args[1].endswith("The current model is unchanged.")
    assert host.model is model and not named(host.calls, "install") and host.problems() == [ended.args[1]]
    assert host.messages[0] == ("Opening broken.aegui.pt…", False)


def test_opening_is_refused_while_the_host_trains(tmp_path):
    host = FakeHost(tmp_path, Phase.TRAINING)
    assert not ModelFile(host).open(tmp_path / "any.aegui.pt")
    assert host.problems() == ["Cannot open a model now: training is running: stop it first."]


@pytest.mark.parametrize("answer", ["cancel", "discard"])
def test_a_readable_file_is_installed_only_once_unsaved_work_is_settled(tmp_path, qtbot, answer):
    path = tmp_path / "other.aegui.pt"
    save_checkpoint(path, build_model(TINY), History(), dataset="sample")
    host = FakeHost(tmp_path, answer=answer)
    host.dirty, model = True, host.model
    part = ModelFile(host)
    with qtbot.waitSignal(host.openEnded, timeout=30_000) as ended:
        assert part.open(path)
    assert ended.args == [path, None] and host.asked == ["opening another model"]
    if answer == "cancel":
        assert host.model is model and not named(host.calls, "install")
        assert host.messages[-1] == ("other.aegui.pt was not opened; the current model is kept.", False)
    else:
        assert named(host.calls, "install") == [("install", path)] and host.model is not model
        assert ("follow_model_data", "sample") in host.calls and host.recovery.calls == ["drop_copy"]
        assert host.messages[-1][0].startswith("Opened other.aegui.pt: ")


def test_saving_writes_the_hosts_model_and_marks_it_saved(tmp_path):
    host = FakeHost(tmp_path)
    part = ModelFile(host)
    assert not part.save() and host.problems() == ["Choose where to save the model."]
    host.dirty, path = True, tmp_path / "kept.aegui.pt"
    assert part.save(path)
    assert host.model_path == path and not host.dirty and host.recovery.calls == ["drop_copy"]
    assert load_checkpoint(path).config == TINY and host.messages[-1] == (f"Saved the model to {path}.", False)


def test_unsaved_work_is_settled_as_the_person_answers(tmp_path):
    for answer, settled in (("cancel", False), ("discard", True), ("save", False)):  # (save: nowhere to save to)
        host = FakeHost(tmp_path, answer=answer)
        part = ModelFile(host)
        assert part.settle_unsaved("closing") and not host.asked  # nothing unsaved: nothing asked
        host.dirty = True
        assert part.settle_unsaved("closing") is settled and host.asked == ["closing"]
        assert host.recovery.calls == (["drop_copy"] if answer == "discard" else [])


# --- the data-fit part ---


def test_the_data_fit_part_says_when_the_model_does_not_take_the_data_and_what_to_do(tmp_path):
    host = FakeHost(tmp_path)
    fit = DataFit(host)
    assert fit.takes_data() and fit.unfit_note() == "" and fit.fitting_preset() is None and fit.preset_fits("x")
    host.data.dataset = shaped((3, 32, 32), title="Photos", key="images:/p", name=IMAGES)
    host.model = shaped((1, 28, 28))
    assert not fit.takes_data() and fit.fitting_preset() == "photos"
    assert fit.preset_fits("photos") and not fit.preset_fits("default")
    note = fit.unfit_note()
    assert note.startswith("This model takes 28×28 grey images; Photos' are 32×32 colour, so it cannot run on them.")
    assert "the 'photos' preset is made for them" in note and "Train makes a new model" in fit.unfit_note(short=True)
    host.model = shaped((3, 32, 32))
    assert fit.takes_data() and fit.unfit_note() == ""


def test_the_data_a_model_file_names_is_what_it_was_trained_on_else_the_data_in_use(tmp_path):
    host = FakeHost(tmp_path)
    fit = DataFit(host)
    assert fit.trained_data_key() == ""
    host.data.dataset = shaped((1, 28, 28), key="sample", name="sample", title="the sample")
    assert fit.trained_data_key() == "sample"
    host.trained_on = ("mnist", "MNIST")
    assert fit.trained_data_key() == "mnist"


def test_a_trained_model_on_other_data_gets_a_note_saying_what_train_does(tmp_path):
    host = FakeHost(tmp_path)
    fit = DataFit(host)
    host.data.dataset = shaped((1, 28, 28), key="fashion", name="fashion", title="Fashion-MNIST")
    host.trained_on, host.model = ("mnist", "MNIST"), shaped((1, 28, 28))
    assert fit.data_note() == ""  # (never trained: nothing to say)
    host.history.epochs.append({"test_mse": 0.1})
    assert fit.data_note().startswith("This model was trained on MNIST; Train goes on training it on Fashion-MNIST.")
    host.trained_on = ("sample", "the sample")
    host.data.dataset = shaped((1, 28, 28), key="mnist", name="mnist", title="MNIST")
    assert fit.data_note() == ""  # the sample is MNIST's digits: the same data


def test_following_a_models_data_loads_its_folder_at_its_size_or_says_why_not(tmp_path):
    host = FakeHost(tmp_path)
    fit = DataFit(host)
    host.model = shaped((3, 48, 48))
    missing = tmp_path / "gone"
    assert fit.follow_model_data(f"{IMAGES}:{missing}").startswith(f"The folder it was trained on, {missing}, is not")
    assert not named(host.calls, "load_data") and fit.follow_model_data("") == ""
    folder = tmp_path / "photos"
    folder.mkdir()
    assert fit.follow_model_data(f"{IMAGES}:{folder}") == "Loading photos, the images it was trained on."
    assert named(host.calls, "load_data") == [("load_data", IMAGES, str(folder))]
    assert (host.data.reading.size, host.data.reading.colour) == (48, "rgb")  # read at the model's size and colour
    host.data.dataset = shaped((3, 48, 48), key=f"{IMAGES}:{folder}", name=IMAGES, title="photos")
    assert fit.follow_model_data(f"{IMAGES}:{folder}") == "" and len(named(host.calls, "load_data")) == 1


# --- the data-choice part ---


def test_choosing_data_is_refused_while_training_and_nothing_is_loaded(tmp_path):
    host = FakeHost(tmp_path, Phase.TRAINING)
    choice = DataChoice(host)
    assert not choice.load_data("mnist") and not choice.set_data_folder(tmp_path / "other")
    assert host.problems() == ["Cannot change the data now: training is running: stop it first."] * 2
    assert host.data.loads == [] and host.data.folder == tmp_path and host.phase is Phase.TRAINING


def test_data_that_failed_to_load_keeps_the_data_in_use_and_says_so(tmp_path, small_sample, qtbot):
    host = FakeHost(tmp_path, Phase.LOADING)
    choice = DataChoice(host)  # noqa: F841 (held, as the session holds it: its handlers are its own)
    host.data.dataset = small_sample
    with qtbot.waitSignal(host.datasetLoaded) as loaded:
        host.data.failed.emit("That folder has no images.", False)
    assert loaded.args == [small_sample] and host.phase is Phase.IDLE
    assert host.problems() == ["That folder has no images."] and host.idle_status.startswith("The data was not changed")


def test_an_untouched_model_takes_the_size_of_data_just_loaded(tmp_path, small_sample):
    host = FakeHost(tmp_path, Phase.LOADING)
    choice = DataChoice(host)  # noqa: F841 (held, as the session holds it: its handlers are its own)
    colour = ModelConfig(hidden_sizes=(16,), code_size=3, activation="relu", image_shape=(3, 28, 28))
    host.model, host.preset_name = build_model(colour), "photos"
    host.data.loaded.emit(small_sample)
    assert named(host.calls, "new_model") == [("new_model", colour, "photos")] and host.phase is Phase.IDLE
    host.model_path = tmp_path / "opened.aegui.pt"  # a model from a file is not replaced
    host.model = build_model(colour)
    host.data.loaded.emit(small_sample)
    assert len(named(host.calls, "new_model")) == 1


# --- the protocols: what the stand-in and the session both provide ---


def protocol_members(protocol) -> tuple[set[str], set[str]]:
    """What a host protocol names (its bases' included): (signals, methods and properties; other attributes)."""
    on_class, attributes = set(), set()
    for cls in protocol.__mro__:
        if not getattr(cls, "_is_protocol", False) or cls is Protocol:
            continue
        for name, annotation in inspect.get_annotations(cls).items():
            (on_class if "SignalInstance" in str(annotation) else attributes).add(name)
        on_class |= {name for name, value in vars(cls).items()
                     if not name.startswith("_") and (callable(value) or isinstance(value, property))}  # fmt: skip
    return on_class, attributes


@pytest.mark.parametrize("protocol", [DataFitHost, DataChoiceHost, ModelFileHost, TrainingHost])
def test_the_session_and_the_stand_in_host_have_every_member_a_part_may_use(tmp_path, protocol):
    from aegui.gui.session.controller import SessionController

    on_class, attributes = protocol_members(protocol)
    assert on_class and {"model"} <= attributes
    assert not {name for name in on_class if not hasattr(SessionController, name)}  # (attributes: set in __init__)
    host = FakeHost(tmp_path)
    assert not {name for name in on_class | attributes if not hasattr(host, name)}
