"""Exact resume: a model file keeps where its training stood (optimizer, schedule, epoch, random state),
and training goes on from it as if it had never stopped."""

import contextlib
import shlex
import signal
import threading

import pytest
import torch

import aegui
import aegui.cli.keeping as keeping
from aegui.cli import main
from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.model.steps import evaluate
from aegui.core.training import trainer as training
from aegui.core.training.resume import plan
from aegui.core.training.trainer import BatchEnd, TrainConfig, Trainer

SMALL = ModelConfig(hidden_sizes=(32,), code_size=4, activation="relu")
ONE_CYCLE = TrainConfig(epochs=4, batch_size=250, lr=3e-3, optimizer="adam", schedule="onecycle", loss="bce",
                        augment=0.3, shift=0.5, precision="fp32")  # fmt: skip


@pytest.fixture(autouse=True)
def _no_density(monkeypatch) -> None:
    """The code density (seconds of fitting at each save, kept apart from the weights) is no part of what these
    tests check."""
    monkeypatch.setattr(keeping, "fit_density", lambda *_args: None)


def _max_difference(first: dict, second: dict) -> float:
    return max(float((first[key] - second[key]).abs().max()) for key in first)


def test_two_epochs_then_two_more_from_the_file_equal_four_straight(tmp_path, capsys):
    common = ["train", "--dataset", "sample", "--preset", "seed", "--precision", "fp32", "--batch-size", "500"]
    assert main([*common, "--epochs", "2", "--save", str(tmp_path / "a.aegui.pt")]) == 0
    assert main(["train", "--resume", str(tmp_path / "a.aegui.pt"), "--epochs", "2", "--save",
                 str(tmp_path / "b.aegui.pt")]) == 0  # fmt: skip
    assert "Resuming a.aegui.pt after 2 epochs" in capsys.readouterr().out
    assert main([*common, "--epochs", "4", "--save", str(tmp_path / "c.aegui.pt")]) == 0
    resumed, straight = (aegui.load_model(tmp_path / name).state_dict() for name in ("b.aegui.pt", "c.aegui.pt"))
    assert _max_difference(resumed, straight) <= 1e-6
    assert load_checkpoint(tmp_path / "b.aegui.pt").history.epochs_done == 4


def test_a_run_stopped_within_an_epoch_goes_on_along_its_one_cycle_schedule_exactly(tmp_path, sample):
    data = sample.subset(2000, 200)
    straight = build_model(SMALL, seed=3)
    Trainer(straight, data, ONE_CYCLE).run()
    model = build_model(SMALL, seed=3)
    trainer = Trainer(model, data, ONE_CYCLE)

    def stop_in_epoch_two(event) -> None:
        if isinstance(event, BatchEnd) and event.epoch == 2 and event.batch == 3:
            trainer.request_stop()

    assert trainer.run(stop_in_epoch_two).reason == "stopped"
    path = save_checkpoint(tmp_path / "stopped.aegui.pt", model, trainer.history, ONE_CYCLE, "sample",
                           training_state=trainer.training_state())  # fmt: skip
    opened = load_checkpoint(path)
    state = opened.training_state
    assert (state.run_epochs, state.run_epochs_done, state.batches_done) == (4, 1, 3) and state.interrupted
    epochs, planned, goes_on = plan(state, None, ONE_CYCLE.epochs)
    assert (epochs, planned, goes_on) == (3, 4, True)
    config = TrainConfig(**{**ONE_CYCLE.to_dict(), "epochs": epochs})
    resumed = Trainer(opened.model, data, config, history=opened.history, resume=state)
    assert resumed.run().reason == "finished"
    assert _max_difference(opened.model.state_dict(), straight.state_dict()) <= 1e-6
    assert [record["epoch"] for record in opened.history.epochs] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "damage",
    ["nan moment", "wrong shape", "unknown entry", "too many epochs", "foreign setting", "not a generator"],
)
def test_a_damaged_training_state_is_dropped_and_the_model_still_opens(tmp_path, small_sample, damage):
    model = build_model(SMALL, seed=0)
    trainer = Trainer(model, small_sample, TrainConfig(epochs=1, batch_size=500, optimizer="adam"))
    trainer.run()
    state = trainer.training_state()
    moments = state.optimizer["state"][0]
    if damage == "nan moment":
        moments["exp_avg"] = torch.full_like(moments["exp_avg"], float("nan"))
    elif damage == "wrong shape":
        moments["exp_avg"] = torch.zeros(3, 3)
    elif damage == "unknown entry":
        moments["payload"] = torch.zeros(1)
    elif damage == "too many epochs":
        state.run_epochs = 10**9
    elif damage == "foreign setting":
        state.optimizer["param_groups"][0]["lr"] = "fast"
    else:
        state.order_generator = torch.zeros(10**3, dtype=torch.uint8)
    path = save_checkpoint(tmp_path / "m.aegui.pt", model, trainer.history, trainer.config, training_state=state)
    opened = load_checkpoint(path)
    assert opened.training_state is None and opened.training_state_problem.startswith("its training state was dropped")
    assert _max_difference(opened.model.state_dict(), model.state_dict()) == 0


def test_resume_keeps_the_files_settings_and_says_what_it_does(tmp_path, capsys, small_sample):
    model = build_model(SMALL, seed=0)
    trainer = Trainer(model, small_sample, TrainConfig(epochs=1, batch_size=500))
    trainer.run()
    old = save_checkpoint(tmp_path / "old.aegui.pt", model, trainer.history, trainer.config, "sample")  # no state
    assert main(["train", "--resume", str(old), "--lr", "0.5"]) == 2
    assert "--lr cannot change them" in capsys.readouterr().err
    assert main(["train", "--resume", str(old), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "holds no optimizer state (it was saved without one)" in out and "1 more epoch with a fresh" in out
    assert load_checkpoint(old).history.epochs_done == 2  # saved back to the file it resumed
    assert load_checkpoint(old).training_state is not None


def test_the_printed_command_reproduces_the_run(tmp_path, capsys):
    settings = ["--dataset", "sample", "--preset", "default", "--code-size", "8", "--hidden", "64", "--optimizer",
                "rmsprop", "--lr", "0.002", "--batch-size", "400", "--epochs", "1", "--seed", "5"]  # fmt: skip
    assert main(["train", *settings, "--print-command"]) == 0
    command = capsys.readouterr().out.strip()
    assert command.startswith("aegui train --preset default") and "--code-size 8" in command
    words = shlex.split(command)
    assert main([*words[1:], "--save", str(tmp_path / "again.aegui.pt")]) == 0
    assert main(["train", *settings, "--save", str(tmp_path / "first.aegui.pt"), "--metrics-out",
                 str(tmp_path / "m.json")]) == 0  # fmt: skip
    import json

    assert json.loads((tmp_path / "m.json").read_text())["config"]["command"] == command
    first, again = (aegui.load_model(tmp_path / name).state_dict() for name in ("first.aegui.pt", "again.aegui.pt"))
    assert _max_difference(first, again) == 0


# --- stopped anywhere, gone on from the file: the weights of a run that never stopped -------------------------

SHUFFLED = TrainConfig(epochs=3, batch_size=300, lr=3e-3, optimizer="adam", schedule="onecycle", loss="bce",
                       augment=0.3, shift=0.5, noise="gaussian", precision="fp32")  # fmt: skip
VAE = ModelConfig(hidden_sizes=(32,), code_size=4, activation="relu", variational=True, code_activation="linear")
RECORDED = ("epoch", "train_loss", "test_loss", "test_mse", "lr", "train_kl", "test_kl")  # (not the timings)


def _ctrl_c() -> None:
    """What Ctrl-C does: the SIGINT handler in force, called (the default one raises KeyboardInterrupt)."""
    signal.getsignal(signal.SIGINT)(signal.SIGINT, None)


_STRAIGHT: dict[bool, tuple[dict, list[dict]]] = {}


def _straight(data, model_config: ModelConfig) -> tuple[dict, list[dict]]:
    """The weights and epochs' records of a run that never stopped (trained once for each kind of model)."""
    if model_config.variational not in _STRAIGHT:
        model = build_model(model_config, seed=3)
        trainer = Trainer(model, data, SHUFFLED)
        assert trainer.run().reason == "finished"
        _STRAIGHT[model_config.variational] = model.state_dict(), trainer.history.epochs
    return _STRAIGHT[model_config.variational]


@pytest.fixture
def ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt, as in a plain Python program (whatever the test runner set)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set in the main thread only")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("model_config", [SMALL, VAE], ids=["plain", "vae"])
@pytest.mark.parametrize(
    "stop",
    ["asked within an epoch", "Ctrl-C within a batch", "asked after an epoch's last batch",
     "asked during an evaluation", "Ctrl-C during an evaluation", "Ctrl-C during the last evaluation"],
)  # fmt: skip
def test_a_run_stopped_at_any_point_goes_on_to_the_weights_of_one_that_never_stopped(
    tmp_path, sample, monkeypatch, ctrl_c_raises, stop, model_config
):
    """Shuffled, distorted, shifted and noisy batches on a one-cycle schedule (a VAE's codes drawn too): stopped
    anywhere, saved, opened and gone on with, the weights are bit for bit those of a run that never stopped, the
    epochs' records the same, and the schedule never steps past its end (it raised ValueError, nothing saved)."""
    data = sample.subset(1000, 200)  # 4 batches of 300 an epoch, the last of 100
    straight, records = _straight(data, model_config)
    model = build_model(model_config, seed=3)
    trainer = Trainer(model, data, SHUFFLED)
    evaluations, original_evaluate = [], training.evaluate

    def evaluate(*args, **kwargs):
        evaluations.append(1)
        if stop == "asked during an evaluation" and len(evaluations) == 2:
            trainer.request_stop()
        if stop.startswith("Ctrl-C during") and len(evaluations) == (3 if "last" in stop else 2):
            _ctrl_c()
        return original_evaluate(*args, **kwargs)

    monkeypatch.setattr(training, "evaluate", evaluate)

    def on(event) -> None:
        if not isinstance(event, BatchEnd) or event.epoch != 2:
            return
        if (stop == "asked within an epoch" and event.batch == 2) or (stop == "asked after an epoch's last batch"
                                                                      and event.batch == 4):  # fmt: skip
            trainer.request_stop()
        if stop == "Ctrl-C within a batch" and event.batch == 2:
            step = trainer.optimizer.step

            def step_then_ctrl_c(*args, **kwargs):  # (Ctrl-C after the weights moved, before the batch counted)
                trainer.optimizer.step = step
                result = step(*args, **kwargs)
                _ctrl_c()
                return result

            trainer.optimizer.step = step_then_ctrl_c

    with contextlib.suppress(KeyboardInterrupt):
        for event in trainer.iterate():
            on(event)
    assert isinstance(event, BatchEnd if stop.startswith("Ctrl-C") else training.Ended)
    path = save_checkpoint(tmp_path / "stopped.aegui.pt", model, trainer.history, SHUFFLED, "sample",
                           training_state=trainer.training_state())  # fmt: skip
    opened = load_checkpoint(path)
    state = opened.training_state
    assert state is not None and state.interrupted
    epochs, _, goes_on = plan(state, None, SHUFFLED.epochs)
    config = TrainConfig(**{**SHUFFLED.to_dict(), "epochs": epochs})
    resumed = Trainer(opened.model, data, config, history=opened.history, resume=state)
    assert resumed.run().reason == "finished" and goes_on
    assert _max_difference(opened.model.state_dict(), straight) == 0
    assert resumed.scheduler.last_epoch == resumed.scheduler.total_steps == 12
    # (a VAE's training KL of the epoch a stop cut is that of the batches after the stop: no file keeps the others')
    recorded = [key for key in RECORDED if not (model_config.variational and key == "train_kl")]
    assert [[record[key] for key in recorded] for record in opened.history.epochs] == [
        [record[key] for key in recorded] for record in records
    ]


# --- a finished run goes on gently ------------------------------------------------------------------------------


def test_more_epochs_on_a_finished_one_cycle_run_stay_at_the_rate_it_ended_on(small_sample):
    """A one-cycle schedule begun again climbed back to its peak (a model at test MSE 0.0084 ended at 0.0116):
    more epochs on a finished run go on at the rate it ended on, and the model gets no worse."""
    config = TrainConfig(epochs=3, batch_size=250, lr=3e-3, optimizer="adam", schedule="onecycle", precision="fp32")
    model = build_model(SMALL, seed=1)
    first = Trainer(model, small_sample, config)
    assert first.run().reason == "finished"
    ended, before = first.lr, evaluate(model, small_sample.test_images)["loss"]
    assert ended < config.lr / 10  # (one-cycle ends far below its peak)
    state = first.training_state()
    assert not state.interrupted
    epochs, _, goes_on = plan(state, 3, config.epochs)
    more = Trainer(model, small_sample, TrainConfig(**{**config.to_dict(), "epochs": epochs}),
                   history=first.history, resume=state)  # fmt: skip
    rates: list[float] = []
    assert more.run(lambda event: rates.append(more.lr)).reason == "finished" and not goes_on
    assert len(rates) > 12 and max(rates) <= ended
    after = evaluate(model, small_sample.test_images)["loss"]
    assert after <= before * 1.001
    assert more.training_state().scheduler is None  # (and a later resume goes on at that rate again)


def test_resume_says_how_the_rate_goes_for_a_finished_run(tmp_path, capsys):
    common = ["train", "--dataset", "sample", "--preset", "seed", "--schedule", "onecycle", "--hidden", "32",
              "--code-size", "4", "--batch-size", "500", "--precision", "fp32"]  # fmt: skip
    first, more = tmp_path / "first.aegui.pt", tmp_path / "more.aegui.pt"
    assert main([*common, "--epochs", "2", "--save", str(first)]) == 0
    assert main(["train", "--resume", str(first), "--epochs", "2", "--save", str(more)]) == 0
    out = capsys.readouterr().out
    assert "(its run had finished): 2 more epochs with its optimizer's state, at the learning rate its run ended" in out
    assert "onecycle schedule is not begun again" in out
    before, after = (load_checkpoint(path).history.epochs for path in (first, more))
    assert len(after) == 4 and max(record["lr"] for record in after[2:]) <= before[-1]["lr"]
    assert after[-1]["test_mse"] <= before[-1]["test_mse"] * 1.001
    assert load_checkpoint(more).training_state is not None  # (held at that rate, it goes on so again)


# --- options that leave the model as it is --------------------------------------------------------------------


def test_resume_takes_the_precision_the_device_and_options_equal_to_the_files(tmp_path, capsys):
    path, metrics = tmp_path / "m.aegui.pt", tmp_path / "m.json"
    model = ["--hidden", "32", "--code-size", "4"]
    assert main(["train", "--dataset", "sample", "--preset", "seed", *model, "--batch-size", "500", "--epochs", "1",
                 "--save", str(path)]) == 0  # fmt: skip
    capsys.readouterr()
    same = [*model, "--lr", "0.01", "--optimizer", "rmsprop", "--batch-size", "500", "--no-variational"]
    assert main(["train", "--resume", str(path), "--precision", "fp32", "--device", "cpu", *same, "--epochs", "1"]) == 0
    assert "Resuming m.aegui.pt after 1 epoch" in capsys.readouterr().out
    assert main(["train", "--resume", str(path), "--precision", "bf16", "--epochs", "1", "--metrics-out",
                 str(metrics)]) == 0  # fmt: skip
    assert "bf16." in capsys.readouterr().out  # (the Training: line)
    opened = load_checkpoint(path)
    assert opened.history.epochs_done == 3 and opened.train_config.precision == "bf16"
    import json

    command = json.loads(metrics.read_text())["config"]["command"]
    assert command == shlex.join(["aegui", "train", "--resume", str(path), "--epochs", "1", "--precision", "bf16"])
    assert main(["train", "--resume", str(path), "--code-size", "8", "--lr", "0.01", "--optimizer", "adam"]) == 2
    error = capsys.readouterr().err
    assert "--code-size, --optimizer cannot change them (it has --code-size 4, --optimizer rmsprop)" in error
    assert load_checkpoint(path).history.epochs_done == 3  # nothing trained
