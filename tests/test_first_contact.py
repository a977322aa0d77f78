"""What a newcomer meets first on the command line: no display, a file to open, a mistyped option,
words that count right, and the data folder the window chose."""

import os
import subprocess
import sys

import pytest

from aegui import qt_check
from aegui.cli import file_to_open, main
from tests.conftest import REPO


def test_no_display_is_said_and_exits_without_a_core_dump(tmp_path):
    """With no display, `aegui` says so and how to work headless; it exits 3, not by Qt's abort (signal 6)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                                         "QT_QPA_PLATFORM")}  # fmt: skip
    env["AEGUI_CONFIG_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "aegui"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 3, result.stderr[-2000:]
    assert "no display" in result.stderr and "xvfb-run aegui" in result.stderr and "aegui train" in result.stderr
    assert "Traceback" not in result.stderr and "core dumped" not in result.stderr


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({}, True),
        ({"DISPLAY": ":0"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, True),
        ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, False),
    ],
)
def test_a_display_is_needed_only_where_qt_needs_one(environ, problem):
    assert (qt_check.display_problem(environ, "linux") is not None) == problem
    assert qt_check.display_problem(environ, "darwin") is None and qt_check.display_problem(environ, "win32") is None


def test_a_model_file_or_an_image_as_the_first_argument_opens_the_window_with_it(tmp_path, monkeypatch):
    model, image = tmp_path / "digits.aegui.pt", tmp_path / "three.png"
    model.write_bytes(b"x")
    image.write_bytes(b"x")
    assert file_to_open([str(model)]) == ["gui", "--model", str(model)]
    assert file_to_open([str(image), "--data-dir", "d"]) == ["gui", "--image", str(image), "--data-dir", "d"]
    assert file_to_open(["train", "--epochs", "1"]) is None and file_to_open([]) is None
    opened = []
    monkeypatch.setattr("aegui.cli.gui.run", lambda args: opened.append((args.model, args.image)) or 0)
    assert main([str(model)]) == 0 and main([str(image)]) == 0
    assert opened == [(model, None), (None, image)]


@pytest.mark.parametrize(
    ("argument", "message"),
    [("missing.aegui.pt", "no such file"), ("notes.txt", "neither a model file"), ("folder/", "no such file")],
)
def test_a_file_aegui_cannot_open_is_one_clear_line(tmp_path, monkeypatch, capsys, argument, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    assert main([argument]) == 2
    err = capsys.readouterr().err
    assert message in err and "usage" not in err and len(err.strip().splitlines()) == 1


def test_a_model_file_opens_the_real_window(tmp_path):
    """`aegui MODEL.aegui.pt` starts the window with it (offscreen here) and exits cleanly when asked."""
    model = tmp_path / "tiny.aegui.pt"
    _save(model)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AEGUI_CONFIG_DIR": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-m", "aegui", str(model), "--exit-when-ready"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "window ready" in result.stdout


def _save(path):
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.autoencoder import ModelConfig, build_model
    from aegui.core.training.trainer import History

    save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(16,), code_size=2)), History())


def test_a_wrong_choice_says_the_error_and_the_choices_first(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--preset", "nope"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    first = err.splitlines()[0]
    assert "invalid choice: 'nope'" in first and "'default'" in first and "'record30'" in first
    assert "usage:" not in err and len(err.splitlines()) == 2 and "aegui train --help" in err


def test_counts_read_as_words(tmp_path, capsys):
    assert main(["train", "--dataset", "sample", "--epochs", "1", "--preset", "seed", "--batch-size", "4000"]) == 0
    out = capsys.readouterr().out
    assert "Training: 1 epoch," in out and "1 epochs" not in out


def test_train_help_says_nothing_the_command_line_cannot_do(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "changed while training" not in capsys.readouterr().out


def test_the_folder_chosen_in_the_window_is_the_one_the_commands_use(tmp_path, monkeypatch, capsys):
    from aegui.core.folders import chosen_data_folder, default_data_dir, remember_data_folder

    monkeypatch.delenv("AEGUI_DATA_DIR", raising=False)
    monkeypatch.setenv("AEGUI_CONFIG_DIR", str(tmp_path / "config"))
    folder = tmp_path / "my data"
    folder.mkdir()
    before = default_data_dir()
    remember_data_folder(folder)  # what File › Choose data folder… does
    assert chosen_data_folder() == folder.resolve() and default_data_dir() == folder.resolve()
    assert main(["datasets"]) == 0
    assert f"Data folder: {folder.resolve()} (chosen in the window)" in capsys.readouterr().out
    folder.rmdir()  # gone: back to the per-user folder
    assert default_data_dir() == before
