import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import aegui
from aegui.cli import main, program
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def _no_density(monkeypatch) -> None:
    """The code density (seconds of fitting at each save) is no part of what these tests check."""
    import aegui.cli.keeping as keeping

    monkeypatch.setattr(keeping, "fit_density", lambda *_args: None)


def test_train_prints_the_lessons_lines_and_writes_metrics(tmp_path, capsys):
    metrics, saved = tmp_path / "metrics.json", tmp_path / "model.aegui.pt"
    code = main(["train", "--preset", "seed", "--epochs", "2", "--dataset", "sample",
                 "--metrics-out", str(metrics), "--save", str(saved)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("Epoch:")]
    assert len(epoch_lines) == 2
    assert all(re.fullmatch(r"Epoch: 000[12] cost= \d\.\d{9} test_mse= \d\.\d{9}", line) for line in epoch_lines)
    assert lines.index("Optimization Finished!") > lines.index(epoch_lines[-1])
    assert "Embedded sample 4,000 / 1,000" in out and "aegui download mnist" in out

    report = json.loads(metrics.read_text())
    assert [e["epoch"] for e in report["epochs"]] == [1, 2]
    assert set(report["epochs"][0]) >= {"epoch", "train_loss", "test_mse", "samples_per_s", "seconds"}
    assert set(report["final"]) >= {"test_mse", "test_sse_per_image"}
    assert report["final"]["test_mse"] == pytest.approx(report["epochs"][-1]["test_mse"])
    assert report["config"]["preset"] == "seed" and report["config"]["model"]["code_size"] == 128
    assert report["config"]["train"]["optimizer"] == "rmsprop"
    assert aegui.load_model(saved).code_size == 128


def test_options_override_the_preset(tmp_path, capsys):
    metrics = tmp_path / "m.json"
    args = ["train", "--preset", "seed", "--epochs", "1", "--dataset", "sample", "--code-size", "12", "--hidden", "64",
            "--optimizer", "adam", "--lr", "0.002", "--loss", "bce", "--batch-size", "500", "--activation", "relu",
            "--metrics-out", str(metrics)]  # fmt: skip
    assert main(args) == 0
    config = json.loads(metrics.read_text())["config"]
    assert config["model"]["code_size"] == 12 and config["model"]["hidden_sizes"] == [64]
    assert config["train"] | {"seed": 0} == config["train"]
    assert (config["train"]["optimizer"], config["train"]["lr"], config["train"]["loss"]) == ("adam", 0.002, "bce")
    assert config["train"]["batch_size"] == 500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-1"], "learning rate"),
        (["--code-size", "0"], "code size must be 1 to 784"),
        (["--epochs", "0"], "epochs must be 1 to 100000"),  # not the preset's epochs
        (["--seed", str(2**70)], "seed must be 0 to"),
        (["--augment", "nan"], "augment must be 0 to 1"),
        (["--dataset", "mnist", "--data-dir", "{tmp}"], "aegui download mnist"),
    ],
)
def test_bad_options_give_a_message_not_a_traceback(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    try:
        code = main(["train", "--epochs", "1", "--dataset", "sample", *args])
    except SystemExit as exit:  # argparse's own checks (the fields' table) end here, with the same code
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_divergence_exits_nonzero_with_reason(capsys):
    args = ["--epochs", "2", "--dataset", "sample", "--optimizer", "sgd", "--lr", "100000", "--schedule", "constant"]
    code = main(["train", *args])
    assert code == 1
    assert "last good weights" in capsys.readouterr().err


def run(*args: str, env_extra: dict | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_main_py_trains_on_the_embedded_sample_with_no_data_folder(tmp_path):
    folders = {"AEGUI_DATA_DIR": str(tmp_path / "absent"), "AEGUI_CACHE_DIR": str(tmp_path / "cache")}
    result = run(sys.executable, "main.py", "train", "--epochs", "1", env_extra=folders)
    assert result.returncode == 0, result.stderr
    assert "Embedded sample" in result.stdout and "Optimization Finished!" in result.stdout


def test_small_data_trains_more_epochs_and_says_so(capsys, tmp_path):
    metrics = tmp_path / "m.json"
    assert main(["train", "--preset", "seed", "--dataset", "sample", "--metrics-out", str(metrics),
                 "--batch-size", "4000", "--hidden", "8", "--code-size", "2"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "The 'seed' preset's 8 epochs are for full MNIST; on these 4,000 training images it trains 60" in out
    assert "cross-entropy (bce)" in out or "squared error (mse)" in out  # the window's words for the losses
    assert len(json.loads(metrics.read_text())["epochs"]) == 60


def test_three_entry_points_are_the_same_program(tmp_path):
    script = Path(sys.executable).with_name("aegui")
    outputs = {
        run(sys.executable, "main.py", "--version").stdout,
        run(sys.executable, "-m", "aegui", "--version", cwd=tmp_path).stdout,
        run(str(script), "--version", cwd=tmp_path).stdout if script.exists() else None,
    }
    assert outputs == {f"aegui {aegui.__version__}\n"}


def test_the_program_returns_mains_code_and_leaves_its_objects_to_the_exit(monkeypatch, capsys, tmp_path):
    """`program()` is `main()` plus `gc.freeze()`: the collection at exit then skips what the run made."""
    monkeypatch.setattr(sys, "argv", ["aegui", "presets"])
    gc.unfreeze()
    try:
        assert program() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert "default" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["aegui", "train", "--epochs", "1", "--data-dir", str(tmp_path / "nowhere")])
    try:
        assert program() == 2  # an error's code goes through unchanged
    finally:
        gc.unfreeze()


def test_download_failure_is_a_clear_message(tmp_path, capsys):
    code = main(["download", "mnist", "--data-dir", str(tmp_path), "--mirror", "http://127.0.0.1:9/", "--timeout", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Could not download" in err and "127.0.0.1:9" in err


def test_help_shows_defaults_and_presets(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for text in ("--metrics-out", "(default: auto)", "seed     784-256-128", "rmsprop lr 0.01", "VAE only"):
        assert text in out
    assert "vAE" not in out  # the help's lower-cased lead leaves an acronym alone


def test_convolutional_denoising_model_from_the_command_line(tmp_path, capsys):
    saved, metrics = tmp_path / "conv.aegui.pt", tmp_path / "m.json"
    args = ["train", "--dataset", "sample", "--epochs", "1", "--model", "conv", "--channels", "4,8", "--hidden", "16",
            "--code-size", "5", "--noise", "gaussian", "--noise-level", "0.2", "--augment", "0.5",
            "--shift", "0.4", "--save", str(saved), "--metrics-out", str(metrics)]  # fmt: skip
    assert main(args) == 0
    config = json.loads(metrics.read_text())["config"]
    assert config["model"]["kind"] == "conv" and config["model"]["channels"] == [4, 8]
    assert config["train"]["noise"] == "gaussian" and config["train"]["augment"] == 0.5
    assert config["train"]["shift"] == 0.4
    model = aegui.load_model(saved)
    assert model.config.kind == "conv" and model.code_size == 5


@pytest.mark.parametrize("output", ["folder", "same file", "file as parent"])
def test_outputs_are_checked_before_training(tmp_path, capsys, output):
    (tmp_path / "a-file").write_text("x")
    save, metrics = {
        "folder": (tmp_path, tmp_path / "m.json"),
        "same file": (tmp_path / "out", tmp_path / "." / "out"),
        "file as parent": (tmp_path / "a-file" / "model.aegui.pt", None),
    }[output]
    args = ["train", "--epochs", "1", "--dataset", "sample", "--save", str(save)]
    code = main(args + (["--metrics-out", str(metrics)] if metrics else []))
    captured = capsys.readouterr()
    assert code == 2 and "Epoch:" not in captured.out and "Traceback" not in captured.err
    assert {"folder": "it is a folder", "same file": "the same file", "file as parent": "Cannot write"}[output] in \
        captured.err  # fmt: skip


def test_the_model_is_saved_even_when_the_metrics_cannot_be_written(tmp_path, capsys, monkeypatch):
    from aegui.core.errors import AeguiError

    def full_disk(*args, **kwargs):
        raise AeguiError("Could not write the metrics: No space left on device.")

    monkeypatch.setattr("aegui.core.training.runs.write_metrics", full_disk)
    saved = tmp_path / "model.aegui.pt"
    args = ["train", "--epochs", "1", "--dataset", "sample", "--save", str(saved), "--metrics-out", str(tmp_path / "m")]
    assert main(args) == 2
    assert aegui.load_model(saved) is not None and "No space left" in capsys.readouterr().err


def test_a_second_ctrl_c_while_saving_waits_for_the_file(tmp_path, capsys, monkeypatch):
    import os
    import signal

    from aegui.core.files import checkpoints

    real_save = checkpoints.save_checkpoint

    def save_interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while the file is being written
        return real_save(*args, **kwargs)

    monkeypatch.setattr(checkpoints, "save_checkpoint", save_interrupted)
    saved = tmp_path / "model.aegui.pt"
    code = main(["train", "--epochs", "1", "--dataset", "sample", "--save", str(saved)])
    assert code == 130 and aegui.load_model(saved) is not None
    captured = capsys.readouterr()
    assert "still saving the model" in captured.err and f"Saved the model to {saved}" in captured.out


def test_a_data_folder_that_does_not_exist_is_an_error(tmp_path, capsys):
    code = main(["train", "--epochs", "1", "--data-dir", str(tmp_path / "nowhere")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
