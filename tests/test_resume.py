"""Exact resume: a model file keeps where its training stood (optimizer, schedule, epoch, random state),
and training goes on from it as if it had never stopped."""

import shlex

import pytest
import torch

import aegui
from aegui.cli import main
from aegui.core.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model import ModelConfig, build_model
from aegui.core.resume import plan
from aegui.core.training import BatchEnd, TrainConfig, Trainer

SMALL = ModelConfig(hidden_sizes=(32,), code_size=4, activation="relu")
ONE_CYCLE = TrainConfig(epochs=4, batch_size=250, lr=3e-3, optimizer="adam", schedule="onecycle", loss="bce",
                        augment=0.3, shift=0.5, precision="fp32")  # fmt: skip


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
