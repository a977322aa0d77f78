"""The session controller without a window: every phase transition, every refusal, and the rule that
nothing trained is replaced without the question. Views are stand-ins that record what they are sent."""

from __future__ import annotations

import itertools
import threading

import pytest
import torch

from aegui.core.data.datasets import DataError
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import TrainConfig
from aegui.gui.concurrency.threads import live_workers, unfinished_workers, wait_for_workers
from aegui.gui.session import loaders as session_module
from aegui.gui.session.autosave import Autosave
from aegui.gui.session.controller import SessionController
from aegui.gui.session.phases import ALLOWED, Action, Phase, allowed, refusal
from tests.conftest import open_and_wait

TINY = ModelConfig(hidden_sizes=(32,), code_size=4, activation="relu")
OTHER = ModelConfig(hidden_sizes=(32,), code_size=6, activation="relu")
ONE_EPOCH = TrainConfig(epochs=1, batch_size=500, lr=3e-3, optimizer="adam")
LONG = TrainConfig(epochs=10_000, batch_size=50, lr=3e-3, optimizer="adam")


def all_work_delivered(qtbot) -> None:
    """Wait until every worker started so far (and any a result started in turn) has ended and its result
    has been handled in the GUI thread: what a late result does has then been done."""
    qtbot.waitUntil(lambda: unfinished_workers() == 0 and live_workers() == 0, timeout=10_000)


class View:
    """A mock view: records the session's signals and answers the unsaved-work question."""

    def __init__(self, session: SessionController, answer: str = "cancel") -> None:
        self.answer, self.asked = answer, []
        self.phases, self.messages, self.statuses, self.progress = [], [], [], []
        session.ask_unsaved = self.ask
        session.phaseChanged.connect(self.phases.append)
        session.message.connect(lambda text, error: self.messages.append((text, error)))
        session.statusChanged.connect(self.statuses.append)
        session.progressChanged.connect(lambda fraction, label: self.progress.append((fraction, label)))

    def ask(self, doing: str) -> str:
        self.asked.append(doing)
        return self.answer


@pytest.fixture
def make_session(qtbot, tmp_path, small_sample, monkeypatch):
    """A session on the small sample (through a stand-in loader that counts its calls), and its view."""
    made = []
    calls = []

    def loader(choice, data_dir, size=None):
        calls.append(choice)
        return small_sample

    monkeypatch.setattr(session_module, "load_dataset", loader)

    def make(answer: str = "cancel", load: bool = True):
        session = SessionController(tmp_path / "data", autosave=Autosave(tmp_path / "autosave"))
        view = View(session, answer)
        session.new_model(TINY)
        session.load_calls = calls
        if load:
            session.load_data("sample")
            qtbot.waitUntil(lambda: session.phase is Phase.IDLE, timeout=20_000)
        made.append(session)
        return session, view

    yield make
    for session in made:
        session.shutdown()
    assert wait_for_workers(5000) and live_workers() == 0


def train_one_epoch(session, qtbot, config=TINY):
    with qtbot.waitSignal(session.trainingFinished, timeout=60_000):
        assert session.train(config, ONE_EPOCH)
    assert session.phase is Phase.IDLE and session.dirty


def running(session, qtbot):
    assert session.train(TINY, LONG)
    qtbot.waitUntil(lambda: len(session.history.batch_losses) > 0, timeout=20_000)


# --- the table ---


def test_every_refusal_says_why_and_every_allowed_action_is_not_refused():
    for action in Action:
        for phase in Phase:
            reason = refusal(action, phase)
            assert (reason is None) == allowed(action, phase) == (phase in ALLOWED[action])
            if reason is not None:
                assert reason.endswith(".") and len(reason) > 20


def _drive(session, action: Action, tmp_path) -> bool:
    path = tmp_path / "m.aegui.pt"
    return {
        Action.TRAIN: lambda: session.train(TINY, ONE_EPOCH),
        Action.PAUSE: session.pause,
        Action.RESUME: session.resume,
        Action.STOP: session.stop,
        Action.RESET: lambda: session.reset(TINY),
        Action.OPEN: lambda: session.open(save_checkpoint(path, build_model(TINY))),  # refused: nothing started
        Action.CHOOSE_DATA: lambda: session.load_data("sample"),
        Action.DOWNLOAD: session.download,
        Action.CANCEL_DOWNLOAD: session.cancel_download,
    }[action]()


REFUSABLE = [Action.TRAIN, Action.PAUSE, Action.RESUME, Action.STOP, Action.RESET, Action.OPEN, Action.CHOOSE_DATA,
             Action.DOWNLOAD, Action.CANCEL_DOWNLOAD]  # fmt: skip


def _refused_everywhere_it_should_be(session, view, tmp_path):
    phase, model = session.phase, session.model
    for action in REFUSABLE:
        if allowed(action, phase):
            continue
        view.messages.clear()
        assert _drive(session, action, tmp_path) is False, (action, phase)
        assert session.phase is phase and session.model is model, (action, phase)
        assert view.messages and view.messages[-1] == (refusal(action, phase), True)


def test_refusals_while_idle_and_loading(make_session, tmp_path, qtbot):
    session, view = make_session(load=False)
    assert session.phase is Phase.LOADING
    _refused_everywhere_it_should_be(session, view, tmp_path)
    session.load_data("sample")
    qtbot.waitUntil(lambda: session.phase is Phase.IDLE, timeout=20_000)
    _refused_everywhere_it_should_be(session, view, tmp_path)


def test_training_pausing_paused_stopping_and_back(make_session, tmp_path, qtbot):
    session, view = make_session()
    view.phases.clear()
    running(session, qtbot)
    assert session.phase is Phase.TRAINING
    _refused_everywhere_it_should_be(session, view, tmp_path)
    with qtbot.waitSignal(session.trainingPaused, timeout=20_000):
        assert session.pause()
        assert session.phase is Phase.PAUSING
        _refused_everywhere_it_should_be(session, view, tmp_path)
    assert session.phase is Phase.PAUSED and view.statuses[-1].startswith("Paused after batch")
    _refused_everywhere_it_should_be(session, view, tmp_path)
    assert session.resume() and session.phase is Phase.TRAINING
    assert not view.statuses[-1].startswith("Paused")  # no stale status
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000) as finished:
        assert session.stop()
        assert session.phase is Phase.STOPPING
        _refused_everywhere_it_should_be(session, view, tmp_path)
    assert finished.args[0].reason == "stopped" and session.phase is Phase.IDLE
    assert view.phases == [Phase.TRAINING, Phase.PAUSING, Phase.PAUSED, Phase.TRAINING, Phase.STOPPING, Phase.IDLE]
    assert view.progress[-1][0] < 0  # idle: no progress bar
    with qtbot.waitSignal(session.trainingStarted):
        assert session.train(TINY, LONG)  # the stop is over: a new run says so at once, not "stopped"
    assert view.statuses[-1] == "Training: starting…"
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000):
        session.stop()


def test_stop_from_paused(make_session, qtbot):
    session, _ = make_session()
    running(session, qtbot)
    with qtbot.waitSignal(session.trainingPaused, timeout=20_000):
        session.pause()
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000) as finished:
        assert session.stop()
    assert finished.args[0].reason == "stopped"


def test_the_window_computes_on_one_thread_while_training_and_gets_its_threads_back(make_session, qtbot):
    session, _ = make_session()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        running(session, qtbot)
        assert torch.get_num_threads() == 1  # the training process has the cores
        with qtbot.waitSignal(session.trainingFinished, timeout=20_000):
            session.stop()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_weights_are_at_hand_from_the_first_moment_of_a_run(make_session, qtbot):
    """Before a run publishes its first weights, work that follows them (the maps) gets the weights it starts
    from, not nothing; the window and the training process share the work counted against the window's share."""
    from aegui.gui.concurrency.window_share import SHARE

    session, _ = make_session()
    start = {name: tensor.clone() for name, tensor in session.model.state_dict().items()}
    assert session.train(TINY, LONG)
    assert SHARE.active
    weights = session.current_weights()
    assert weights is not None and set(weights) == set(start)
    if session.trainer.latest_snapshot() is None:  # (no snapshot yet: the weights it starts from)
        assert all(torch.equal(weights[name], start[name]) for name in start)
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000):
        session.stop()
    assert not SHARE.active


def test_progress_has_a_label(make_session, qtbot):
    session, view = make_session()
    train_one_epoch(session, qtbot)
    labels = [label for fraction, label in view.progress if fraction >= 0]
    assert labels[0] == "epoch 1/1 · 0%" and any(label.endswith("%") and label != labels[0] for label in labels)


def test_downloading_refuses_and_cancel_ends_it(make_session, tmp_path, qtbot, monkeypatch):
    session, view = make_session()
    asked = threading.Event()  # set when the session asks its data source to cancel
    cancel = session.data.cancel

    def cancel_and_say_so() -> None:
        cancel()
        asked.set()

    def slow_download(name, folder, mirrors=None, progress=None, cancelled=None):
        if not asked.wait(10) or not cancelled():  # a download that goes on until it is told to stop
            raise AssertionError("never cancelled")
        raise DataError("The download was cancelled; nothing was kept.")

    monkeypatch.setattr(session.data, "cancel", cancel_and_say_so)
    monkeypatch.setattr(session_module, "download_dataset", slow_download)
    assert session.download()
    assert session.phase is Phase.DOWNLOADING
    _refused_everywhere_it_should_be(session, view, tmp_path)
    with qtbot.waitSignal(session.phaseChanged, timeout=10_000):
        assert session.cancel_download()
    assert session.phase is Phase.IDLE and session.dataset is not None
    assert view.messages[-1] == ("The download was cancelled; nothing was kept.", True)


def test_a_finished_download_loads_the_data_once(make_session, qtbot, monkeypatch):
    session, _ = make_session()
    monkeypatch.setattr(session_module, "download_dataset", lambda *args, **kwargs: "folder")
    before = len(session.load_calls)
    with qtbot.waitSignal(session.datasetLoaded, timeout=20_000):
        session.download("mnist")
    all_work_delivered(qtbot)  # a second load, had one been started, has ended and said so
    assert session.load_calls[before:] == ["mnist"]


# --- data ---


def test_the_latest_data_request_wins(make_session, qtbot, monkeypatch, sample, small_sample):
    session, _ = make_session()
    slow = threading.Event()

    def loader(choice, data_dir, size=None):
        if choice == "mnist":
            slow.wait(5)  # MNIST takes longer than the sample picked after it
            return sample
        return small_sample

    monkeypatch.setattr(session_module, "load_dataset", loader)
    session.load_data("mnist")
    with qtbot.waitSignal(session.datasetLoaded, timeout=10_000):
        session.load_data("sample")
    slow.set()
    assert wait_for_workers(5000)
    all_work_delivered(qtbot)  # the MNIST result has arrived, late, and was dropped
    assert session.dataset is small_sample and session.data.choice == "sample"


def test_unreadable_data_is_not_retried_forever(make_session, qtbot, monkeypatch):
    session, view = make_session(load=False)
    calls = []

    def broken(choice, data_dir, size=None):
        calls.append(choice)
        raise DataError(f"{choice} cannot be read.")

    monkeypatch.setattr(session_module, "load_dataset", broken)
    session.load_data("auto")
    qtbot.waitUntil(lambda: session.phase is Phase.IDLE and len(calls) == 2, timeout=10_000)
    all_work_delivered(qtbot)  # a third try, had one been started, has ended and said so
    assert calls == ["auto", "sample"]  # one fall-back to the sample, then it says so and stops
    assert session.dataset is None and "No data could be loaded" in view.statuses[-1]
    view.messages.clear()
    assert not session.train(TINY, ONE_EPOCH) and "No data is loaded" in view.messages[-1][0]


def test_a_failed_data_change_keeps_the_data_in_use(make_session, qtbot, monkeypatch):
    session, _ = make_session()
    before = session.dataset
    monkeypatch.setattr(
        session_module, "load_dataset", lambda choice, folder, size=None: (_ for _ in ()).throw(DataError("no"))
    )
    with qtbot.waitSignal(session.datasetLoaded, timeout=10_000):
        session.load_data("mnist")
    assert session.dataset is before and session.data.choice == "sample" and session.phase is Phase.IDLE


def test_an_image_folder_loads_with_progress_and_a_newer_choice_stops_its_conversion(make_session, qtbot, tmp_path,
                                                                                     sample, monkeypatch):  # fmt: skip
    from aegui.core.data import images
    from benchmarks.images import write_digit_folder

    session, view = make_session()
    folder = write_digit_folder(tmp_path / "own", sample.test_images[:40].numpy(), sample.test_labels[:40].numpy())
    monkeypatch.setattr(images, "PROGRESS_EVERY", 8)
    progress = []
    session.progressChanged.connect(lambda fraction, label: progress.append(label))
    with qtbot.waitSignal(session.datasetLoaded, timeout=20_000) as loaded:
        assert session.load_data("images", folder)
    assert loaded.args[0].name == "images" and session.data.choice == "images"
    assert "converting images · 42 of 42" in progress  # 40 digits and 2 corrupt files
    assert view.messages[-1] == (
        "Read as 28×28 grey, fitted by content (the images are ink on a plain ground). "
        "3 files skipped: one/broken1.png (cannot be read as an image), zero/broken0.png "
        "(cannot be read as an image), zero/notes0.txt (not an image file (.txt)).",
        True,
    )
    # a second folder asked for while the first converts: the first gives up at its next look
    blocked, gave_up = threading.Event(), []
    real_convert = images._convert

    def slow_convert(files, fitting, progress, cancelled):
        if "slow" in str(files[0]):
            blocked.wait(5)
            gave_up.append(cancelled())
        return real_convert(files, fitting, progress, cancelled)

    monkeypatch.setattr(images, "_convert", slow_convert)
    slow = write_digit_folder(tmp_path / "slow", sample.test_images[:20].numpy(), sample.test_labels[:20].numpy())
    session.load_data("images", slow)
    with qtbot.waitSignal(session.datasetLoaded, timeout=20_000) as loaded:
        session.load_data("sample")
    blocked.set()
    assert wait_for_workers(5000) and gave_up == [True]
    assert session.dataset is loaded.args[0] and session.data.choice == "sample"


def test_a_failed_image_folder_keeps_the_data_in_use(make_session, qtbot, tmp_path):
    session, view = make_session()
    before = session.dataset
    with qtbot.waitSignal(session.datasetLoaded, timeout=10_000):
        session.load_data("images", tmp_path / "no such folder")
    assert session.dataset is before and session.data.choice == "sample"
    assert "does not exist" in view.messages[-1][0] and view.messages[-1][1]


# --- nothing trained is discarded without asking ---


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_train_with_another_architecture_asks_first(make_session, qtbot, tmp_path, answer):
    session, view = make_session(answer)
    train_one_epoch(session, qtbot)
    model, history, path = session.model, session.history, session.model_path
    if answer == "save":
        session.model_path = tmp_path / "kept.aegui.pt"
    started = session.train(OTHER, ONE_EPOCH)
    assert view.asked == ["starting a new model"]
    if answer == "cancel":
        assert not started and session.model is model and session.history is history
        assert session.model_path == path and session.dirty and session.phase is Phase.IDLE
        return
    assert started and session.model is not model and session.model.config == OTHER
    if answer == "save":
        assert (tmp_path / "kept.aegui.pt").exists()
    with qtbot.waitSignal(session.trainingFinished, timeout=60_000):
        pass


def test_train_with_the_same_architecture_continues_without_asking(make_session, qtbot):
    session, view = make_session()
    train_one_epoch(session, qtbot)
    model = session.model
    train_one_epoch(session, qtbot)
    assert view.asked == [] and session.model is model and session.history.epochs_done == 2


@pytest.mark.parametrize("doing", ["reset", "open", "restore"])
def test_reset_open_and_restore_ask_and_cancel_keeps_everything(make_session, qtbot, tmp_path, doing):
    session, view = make_session("cancel")
    train_one_epoch(session, qtbot)
    model, history, path = session.model, session.history, session.model_path
    other = save_checkpoint(tmp_path / "other.aegui.pt", build_model(OTHER))
    if doing == "restore":
        save_checkpoint(tmp_path / "autosave" / "autosave-1-gone.aegui.pt", build_model(OTHER))
        with qtbot.waitSignal(session.recoveryChecked, timeout=10_000) as checked:
            session.look_for_recovery()
        assert checked.args[0] is not None
    action = {"reset": lambda: session.reset(OTHER), "open": lambda: open_and_wait(qtbot, session, other) is None,
              "restore": session.restore_recovery}[doing]  # fmt: skip
    action()
    assert len(view.asked) == 1 and not view.messages[-1][1]  # cancelled: nothing to warn about
    assert not view.messages[-1][0].startswith("Opening")  # and no stale "Opening …" on the message line
    assert session.model is model and session.history is history and session.model_path == path and session.dirty
    view.answer = "discard"
    assert action() and session.model is not model
    assert session.model.config == OTHER


def test_open_refuses_a_bad_file_before_asking(make_session, qtbot, tmp_path):
    session, view = make_session("discard")
    train_one_epoch(session, qtbot)
    bad = tmp_path / "bad.aegui.pt"
    bad.write_bytes(b"not a model")
    model = session.model
    problem = open_and_wait(qtbot, session, bad)
    assert view.asked == [] and session.model is model and "current model is unchanged" in view.messages[-1][0]
    assert problem == view.messages[-1][0]  # the window shows it in a dialog, unsaved work or not


def test_the_latest_open_wins_and_training_started_meanwhile_refuses_it(make_session, qtbot, tmp_path):
    session, _view = make_session("discard")
    first = save_checkpoint(tmp_path / "first.aegui.pt", build_model(OTHER))
    second = save_checkpoint(tmp_path / "second.aegui.pt", build_model(TINY))
    assert session.open(first)
    assert open_and_wait(qtbot, session, second) is None
    assert session.model_path == second and wait_for_workers(5000)
    all_work_delivered(qtbot)  # the first file's result has arrived, late, and was dropped
    assert session.model_path == second
    model = session.model
    assert session.open(first)
    assert session.train(TINY, LONG)  # before the file has been read
    with qtbot.waitSignal(session.openEnded, timeout=10_000) as ended:
        pass
    assert ended.args[1] == refusal(Action.OPEN, session.phase) and session.model is model
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000):
        session.stop()


def test_a_density_is_kept_only_for_the_model_it_was_fitted_to(make_session, qtbot):
    from aegui.core.model.density import CodeDensity

    session, _ = make_session()
    fitted_for = session.model
    density = CodeDensity.standard_normal(TINY.code_size)
    with qtbot.waitSignal(session.densityChanged):
        assert session.set_density(fitted_for, density)
    assert session.model.density is density
    running(session, qtbot)
    assert not session.set_density(fitted_for, density)  # training began meanwhile
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000):
        session.stop()
    assert session.model.density is None  # new weights: the old density no longer describes their codes
    session.new_model(OTHER)
    assert not session.set_density(fitted_for, density)  # another model now


def test_saving_clears_the_unsaved_mark_and_the_recovery_copy(make_session, qtbot, tmp_path):
    session, _ = make_session()
    train_one_epoch(session, qtbot)
    qtbot.waitUntil(session.recovery.autosave.exists, timeout=10_000)
    assert session.save(tmp_path / "done.aegui.pt") and not session.dirty
    assert not session.recovery.autosave.exists()


def test_a_training_process_that_dies_ends_the_run_and_keeps_the_model(make_session, qtbot):
    import os
    import signal

    session, view = make_session()
    before = {name: tensor.clone() for name, tensor in session.model.state_dict().items()}
    running(session, qtbot)
    process = session.trainer._process.process
    with qtbot.waitSignal(session.trainingFinished, timeout=20_000) as finished:
        os.kill(process.pid, signal.SIGKILL)
    assert finished.args[0].reason == "failed" and "ended unexpectedly" in finished.args[0].message
    assert session.phase is Phase.IDLE and view.messages[-1][1]
    assert all(torch.equal(before[name], tensor) for name, tensor in session.model.state_dict().items())
    assert session.history.epochs == [] and session.history.batch_losses == []  # no losses of weights now gone
    train_one_epoch(session, qtbot)  # a new process takes the next run


def test_the_first_batches_trainer_is_made_in_a_worker_not_the_gui_thread(make_session, qtbot, monkeypatch):
    """Its optimizer's first use imports torch._dynamo and a linear path fits components: seconds the GUI thread
    must not wait."""
    from aegui.gui.concurrency import first_batches, processes

    made_in: list[bool] = []
    original = first_batches.Trainer

    def recording(*args, **kwargs):
        made_in.append(threading.current_thread() is threading.main_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(first_batches, "Trainer", recording)
    processes.stop_training_processes()  # the next run's process starts now: its first batches train here
    session, _ = make_session()
    assert session.train(TINY, LONG)
    assert session.trainer._local is not None  # (the process is not ready: the first batches train here)
    qtbot.waitUntil(lambda: bool(made_in), timeout=30_000)
    assert made_in == [False]
    with qtbot.waitSignal(session.trainingFinished, timeout=60_000):
        session.stop()


def test_a_run_asked_for_before_its_process_is_ready_starts_here_and_goes_on_there_exactly(make_session, qtbot,
                                                                                       monkeypatch):  # fmt: skip
    from aegui.core.training.trainer import Trainer
    from aegui.gui.concurrency import first_batches, processes

    processes.stop_training_processes()  # the next run's process starts now: it takes seconds
    released = threading.Event()
    original = first_batches.window_run

    def gated(trainer):  # the first batches here hold after two records, until the test lets them go on
        updates, count = original(trainer), 0
        try:
            while True:
                yield next(updates)
                count += 1
                if count == 2:
                    released.wait(10)
        except StopIteration as done:
            return done.value

    monkeypatch.setattr(first_batches, "window_run", gated)
    session, _ = make_session()
    config = TrainConfig(epochs=4, batch_size=50, lr=3e-3, optimizer="adam", schedule="onecycle", precision="fp32",
                         seed=3)  # fmt: skip
    straight = build_model(session.model.config)
    straight.load_state_dict(session.model.state_dict())
    Trainer(straight, session.dataset, config).run()
    records = []
    session.trainingProgress.connect(records.append)
    assert session.train(TINY, config)
    run = session.trainer
    assert run._local is not None  # the process is not ready: the first batches train here
    qtbot.waitUntil(lambda: len(records) >= 2, timeout=10_000)
    with qtbot.waitSignal(session.trainingFinished, timeout=60_000) as finished:
        run._on_process_ready()  # (as the process's "ready" does)
        released.set()
    assert finished.args[0].reason == "finished" and run._offset[0] > 0  # handed over after some batches
    steps = [(item.first_step, len(item.losses)) for item in records]
    assert all(first == previous + count for (previous, count), (first, _) in itertools.pairwise(steps))
    assert len(session.history.batch_losses) == 4 * 20 and records[-1].last.step == 80
    for name, tensor in straight.state_dict().items():
        assert torch.allclose(session.model.state_dict()[name], tensor, atol=1e-5), name
