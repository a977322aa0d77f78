"""Nothing lost: outputs never replace inputs, every stop (a second Ctrl-C, SIGTERM, SIGHUP) keeps what is
finished, long runs keep a copy to go on from, and paths that cannot be written are refused before any work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import aegui
import aegui.cli.keeping as keeping
from aegui.cli import main
from aegui.core.files.checkpoints import load_checkpoint
from aegui.core.training.trainer import EpochEnd, Trainer

QUICK = ["train", "--dataset", "sample", "--preset", "seed", "--batch-size", "1000"]


@pytest.fixture(autouse=True)
def _no_density(monkeypatch) -> None:
    """The code density (seconds of fitting) is no part of what these tests check; those about it set their own."""
    monkeypatch.setattr(keeping, "fit_density", lambda *_args: None)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.aegui.pt"
    with pytest.MonkeyPatch.context() as patch:  # (made before any test's _no_density is in force)
        patch.setattr(keeping, "fit_density", lambda *_args: None)
        assert main([*QUICK, "--epochs", "1", "--save", str(path)]) == 0
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    """A small folder of digit-like images with a labels file beside them."""
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for index in range(12):
        picture = np.zeros((28, 28), np.uint8)
        picture[6 + index % 5 : 20, 8 + index % 7 : 14 + index % 7] = 255
        Image.fromarray(picture).save(images / f"d{index}.png")
        rows.append(f"d{index}.png,{index % 2}")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    return images


def _fingerprints(*paths: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in paths}


# --- outputs that name an input ------------------------------------------------------------------------
def test_export_onto_its_model_or_a_link_or_hard_link_to_it_is_refused(model_file, tmp_path, capsys):
    before = _fingerprints(model_file)
    link, hard = tmp_path / "link.pt", tmp_path / "hard.pt"
    link.symlink_to(model_file)
    os.link(model_file, hard)
    for out in (model_file, link, hard):
        assert main(["export", str(model_file), "--out", str(out), "--to", "torchscript"]) == 2
        err = capsys.readouterr().err
        assert "the model file MODEL" in err and "would replace" in err and "Nothing was exported." in err
    assert _fingerprints(model_file) == before and link.is_symlink()


def test_train_outputs_onto_the_labels_file_or_into_the_image_folder_are_refused(folder, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    before = _fingerprints(labels, *sorted(folder.iterdir()))
    base = ["train", "--images", str(folder), "--labels", str(labels), "--epochs", "1", "--preset", "seed"]
    for outputs, what in (
        (["--save", str(labels)], "the labels file --labels"),
        (["--metrics-out", str(labels)], "the labels file --labels"),
        (["--save", str(folder / "model.aegui.pt")], "the image folder --images"),
        (["--metrics-out", str(folder / "d3.png")], "the image folder --images"),
        (["--tensorboard", str(folder / "logs")], "the image folder --images"),
    ):
        assert main([*base, *outputs]) == 2, outputs
        captured = capsys.readouterr()
        assert what in captured.err and "Nothing was trained." in captured.err and "Epoch:" not in captured.out
    assert _fingerprints(labels, *sorted(folder.iterdir())) == before  # not one file more or changed


def test_outliers_and_generate_outputs_onto_their_inputs_are_refused(model_file, folder, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    before = _fingerprints(model_file, labels, *sorted(folder.iterdir()))
    for command in (
        ["outliers", str(model_file), "--images", str(folder), "--out", str(folder / "d0.png")],
        ["outliers", str(model_file), "--images", str(folder), "--labels", str(labels), "--out", str(labels)],
        ["outliers", str(model_file), "--out", str(model_file.with_suffix(".csv"))],  # (allowed: checked below)
        ["generate", str(model_file), "--out", str(folder / "sheet.png"), "--images", str(folder)],
    ):
        code = main(command)
        if command[-1].endswith(".csv") and "--labels" not in command:
            assert code == 0
            continue
        assert code == 2, command
        assert "Nothing was written." in capsys.readouterr().err
    assert _fingerprints(model_file, labels, *sorted(folder.iterdir())) == before


def test_metrics_onto_the_file_resume_reads_is_refused_but_save_over_it_keeps_the_old_one(tmp_path, capsys):
    model = tmp_path / "run.aegui.pt"
    assert main([*QUICK, "--epochs", "1", "--save", str(model)]) == 0
    original = model.read_bytes()
    assert main(["train", "--resume", str(model), "--metrics-out", str(model)]) == 2  # (--save is the model too)
    assert main(["train", "--resume", str(model), "--save", str(tmp_path / "b.aegui.pt"), "--metrics-out",
                 str(model)]) == 2  # fmt: skip
    assert "the model --resume goes on from" in capsys.readouterr().err and model.read_bytes() == original
    assert main(["train", "--resume", str(model), "--epochs", "1"]) == 0
    kept = tmp_path / "run.previous.aegui.pt"
    assert f"kept as {kept}" in capsys.readouterr().out
    assert kept.read_bytes() == original and load_checkpoint(model).history.epochs_done == 2


# --- paths that cannot be written ------------------------------------------------------------------------
def test_a_loop_of_links_a_name_too_long_and_a_file_as_folder_are_refused_before_training(tmp_path, capsys):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "file").write_text("x")
    for save, said in (
        (tmp_path / "a", "loop of links"),
        (tmp_path / ("n" * 300 + ".aegui.pt"), "bytes long"),
        (tmp_path / "file" / "inside.aegui.pt", "Not a directory"),
    ):
        assert main([*QUICK, "--epochs", "1", "--save", str(save)]) == 2
        captured = capsys.readouterr()
        assert said in captured.err and "Nothing was trained." in captured.err and "Epoch:" not in captured.out
        assert "Traceback" not in captured.err


def test_a_name_at_the_limit_trains_and_saves(tmp_path, capsys):
    """A 250-byte name is allowed: the temporary file beside it (and the recovery copy) get shorter names."""
    save = tmp_path / ("m" * 241 + ".aegui.pt")
    assert len(os.fsencode(save.name)) == 250
    assert main([*QUICK, "--epochs", "1", "--save", str(save)]) == 0
    assert aegui.load_model(save) is not None and sorted(tmp_path.iterdir()) == [save]


def test_refused_work_leaves_no_empty_folders(model_file, tmp_path):
    """Outputs are checked without making their folders; a command refused later (here: its data) leaves none."""
    work = tmp_path / "work"
    work.mkdir()
    assert main([*QUICK, "--epochs", "1", "--save", str(work / "new" / "x.aegui.pt"), "--images",
                 str(work / "missing")]) == 2  # fmt: skip
    assert main(["outliers", str(model_file), "--images", str(work / "missing"), "--out",
                 str(work / "made" / "x.csv")]) == 2  # fmt: skip
    assert sorted(work.iterdir()) == []


# --- stops ---------------------------------------------------------------------------------------------


def _signal_after_epoch(monkeypatch, number: int, epoch: int = 1, then=None) -> None:
    """Send this process `number` when epoch `epoch` has ended, as a scheduler or a closing terminal would."""
    iterate = Trainer.iterate

    def iterate_and_signal(self):
        for event in iterate(self):
            yield event
            if isinstance(event, EpochEnd) and event.epoch == epoch:
                os.kill(os.getpid(), number)
                if then is not None:
                    then()

    monkeypatch.setattr(Trainer, "iterate", iterate_and_signal)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT])
def test_a_stop_signal_keeps_the_finished_epochs(number, monkeypatch, tmp_path, capsys):
    _signal_after_epoch(monkeypatch, number)
    save, metrics = tmp_path / "m.aegui.pt", tmp_path / "m.json"
    code = main([*QUICK, "--epochs", "4", "--save", str(save), "--metrics-out", str(metrics)])
    assert code == 128 + number
    checkpoint = load_checkpoint(save)
    assert 1 <= checkpoint.history.epochs_done < 4 and checkpoint.training_state is not None
    assert metrics.exists() and "Training stopped." in capsys.readouterr().err


def test_a_second_ctrl_c_during_the_density_fit_saves_without_the_density(monkeypatch, tmp_path, capsys):
    def fit_interrupted(*_args) -> None:
        signal.raise_signal(signal.SIGINT)  # (its handler runs, and raises KeyboardInterrupt, before this returns)
        raise AssertionError("the second Ctrl-C did not end the fit")

    monkeypatch.setattr(keeping, "fit_density", fit_interrupted)
    save = tmp_path / "m.aegui.pt"
    assert main([*QUICK, "--epochs", "2", "--save", str(save)]) == 130
    checkpoint = load_checkpoint(save)
    assert checkpoint.history.epochs_done == 2 and checkpoint.model.density is None
    assert "saved without a code density" in capsys.readouterr().err


def test_a_stop_during_the_density_fit_after_a_stop_skips_it(monkeypatch, tmp_path):
    """A stop asked for is answered with what is finished, without waiting for the density."""

    def never(*_args) -> None:
        raise AssertionError("the density was fitted after a stop")

    monkeypatch.setattr(keeping, "fit_density", never)
    _signal_after_epoch(monkeypatch, signal.SIGTERM)
    save = tmp_path / "m.aegui.pt"
    assert main([*QUICK, "--epochs", "3", "--save", str(save)]) == 143
    assert load_checkpoint(save).model.density is None


def test_long_runs_keep_a_copy_to_go_on_from_until_saved(monkeypatch, tmp_path):
    monkeypatch.setattr(keeping, "RECOVERY_COPY_INTERVAL", 0.0)
    save = tmp_path / "m.aegui.pt"
    copy = tmp_path / "m.recovery.aegui.pt"
    seen: list[int] = []
    _signal_after_epoch(monkeypatch, 0, epoch=2, then=lambda: seen.append(load_checkpoint(copy).history.epochs_done))
    assert main([*QUICK, "--epochs", "3", "--save", str(save)]) == 0
    assert seen == [2] and not copy.exists() and load_checkpoint(save).history.epochs_done == 3


def test_the_test_error_printed_after_a_stop_within_an_epoch_is_the_saved_weights(monkeypatch, tmp_path, capsys):
    from aegui.core.model.steps import evaluate
    from aegui.core.training.trainer import BatchEnd

    iterate = Trainer.iterate

    def stop_mid_epoch(self):
        for event in iterate(self):
            yield event
            if isinstance(event, BatchEnd) and event.epoch == 2 and event.batch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(Trainer, "iterate", stop_mid_epoch)
    save = tmp_path / "m.aegui.pt"
    assert main([*QUICK, "--epochs", "3", "--save", str(save)]) == 130
    out = capsys.readouterr().out
    from aegui.core.data.datasets import load_sample

    saved = evaluate(aegui.load_model(save), load_sample().test_images, "mse")["mse"]
    line = next(line for line in out.splitlines() if line.startswith("Test MSE"))
    assert "(the weights as they stopped)" in line and f"{saved:.6f}" in line
    assert "Model: seed" in out


def _sigterm_after_the_first_epoch(arguments: list[str], save: Path) -> None:
    """Run `aegui ARGUMENTS --save SAVE` as a process, send SIGTERM once its first epoch is done, as a scheduler
    stops a job, and check that it ended as stopped, with no traceback and the finished epochs saved."""
    process = subprocess.Popen([sys.executable, "-m", "aegui", *arguments, "--save", str(save)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Epoch: 0001"):
            break
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=180)
    assert process.returncode == 143, err
    assert "Traceback" not in err and load_checkpoint(save).history.epochs_done >= 1


def test_sigterm_from_outside_keeps_the_finished_epochs(tmp_path):
    _sigterm_after_the_first_epoch([*QUICK, "--epochs", "400"], tmp_path / "m.aegui.pt")


# --- inputs that are not what they seem --------------------------------------------------------------------
def test_a_model_file_whose_name_is_not_utf8_saves_and_opens(model_file, tmp_path):
    name = os.fsdecode(b"m\xff.aegui.pt")
    assert main(["train", "--resume", str(model_file), "--epochs", "1", "--save", str(tmp_path / name)]) == 0
    assert load_checkpoint(tmp_path / name).history.epochs_done == 2


def test_named_pipes_where_files_or_folders_are_read_are_refused_at_once(tmp_path, capsys):
    from aegui.core.data.catalog import load_dataset
    from aegui.core.data.datasets import DataError
    from aegui.core.training.runs import RunsFileError, read_runs_csv

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(RunsFileError, match="named pipe"):
        read_runs_csv(pipe)
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):  # fmt: skip
        os.mkfifo(raw / name)
    with pytest.raises(DataError, match="named pipe"):
        load_dataset("mnist", tmp_path / "data")
    assert main(["datasets", "--data-dir", str(pipe)]) == 2 and "not a folder" in capsys.readouterr().err


# --- the hostile pass's twins --------------------------------------------------------------------------------


def _train_process(save: Path, stdout) -> subprocess.Popen:
    small = ["--hidden", "16", "--code-size", "2", "--epochs", "1"]  # (its density, PCA, kNN: ~2 s, not ~6 s)
    return subprocess.Popen([sys.executable, "-m", "aegui", *QUICK, *small, "--save", str(save)], stdout=stdout,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_a_reader_that_leaves_or_a_full_disk_under_stdout_loses_no_model(tmp_path):
    """`aegui train … | head -1`, and `> log` on a full disk: the output is dropped, the model is saved."""
    closed = _train_process(tmp_path / "piped.aegui.pt", subprocess.PIPE)
    assert closed.stdout is not None
    closed.stdout.readline()
    closed.stdout.close()  # (the reader leaves after one line)
    _out, err = closed.communicate(timeout=300)
    assert closed.returncode == 0 and "Traceback" not in err
    assert load_checkpoint(tmp_path / "piped.aegui.pt").history.epochs_done == 1
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            process = _train_process(tmp_path / "full.aegui.pt", full)
            _out, err = process.communicate(timeout=300)
        assert process.returncode == 0 and "Traceback" not in err
        assert load_checkpoint(tmp_path / "full.aegui.pt").history.epochs_done == 1


def test_outputs_onto_dataset_files_the_tensorboard_folder_or_the_kept_copy_are_refused(tmp_path, capsys):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"images")
    model = tmp_path / "r.aegui.pt"
    assert main([*QUICK, "--epochs", "1", "--save", str(model)]) == 0
    original = model.read_bytes()
    for command, said in (
        ([*QUICK, "--data-dir", str(tmp_path / "data"), "--save", str(raw / "train-images-idx3-ubyte")],
         "the dataset files of MNIST"),
        ([*QUICK, "--save", str(tmp_path / "tb" / "m.aegui.pt"), "--tensorboard", str(tmp_path / "tb" / "m.aegui.pt")],
         "name the same place"),
        (["train", "--resume", str(model), "--metrics-out", str(tmp_path / "r.previous.aegui.pt")],
         "the copy of the file as it was"),
    ):  # fmt: skip
        assert main([*command, "--epochs", "1"]) == 2, command
        assert said in capsys.readouterr().err
    assert (raw / "train-images-idx3-ubyte").read_bytes() == b"images" and model.read_bytes() == original


def test_a_stop_before_training_and_in_other_commands_says_one_line(monkeypatch, tmp_path, capsys):
    import aegui.cli.train as train_module

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "load_data", interrupted)
    assert main([*QUICK, "--epochs", "1", "--save", str(tmp_path / "m.aegui.pt")]) == 130
    assert capsys.readouterr().err.strip() == "aegui: interrupted; nothing was written."
    assert not (tmp_path / "m.aegui.pt").exists()


def test_a_data_folder_note_that_is_a_pipe_and_a_huge_labels_file_are_refused_at_once(tmp_path, monkeypatch, folder):
    config = tmp_path / "config"
    (config / "aegui").mkdir(parents=True)
    os.mkfifo(config / "aegui" / "data-folder.txt")
    result = subprocess.run([sys.executable, "-m", "aegui", "datasets"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "AEGUI_CONFIG_DIR": str(config)})  # fmt: skip
    assert result.returncode == 0 and "Data folder" in result.stdout
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as handle:
        handle.truncate(300 << 20)  # (sparse: no disk used)
    assert main(["train", "--images", str(folder), "--labels", str(huge), "--epochs", "1"]) == 2


def test_download_options_are_checked_and_names_reach_the_terminal_escaped(model_file, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["download", "mnist", "--timeout", "inf"])
    with pytest.raises(SystemExit):
        main(["download", "mnist", "--mirror", f"file://{tmp_path}/"])
    capsys.readouterr()
    out = tmp_path / "ex\x1b[31m\u202e.pt"
    assert main(["export", str(model_file), "--out", str(out), "--to", "torchscript"]) == 0
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err and "\u202e" not in captured.out
    assert "\\x1b[31m\\u202e" in captured.out


def test_sigterm_to_a_run_in_several_processes_stops_them_all_after_one_batch_and_saves(tmp_path):
    arguments = ["train", "--nproc", "2", "--dataset", "sample", "--preset", "seed", "--epochs", "300", "--batch-size",
                 "100"]  # fmt: skip
    _sigterm_after_the_first_epoch(arguments, tmp_path / "m.aegui.pt")


def test_an_earlier_runs_recovery_copy_is_never_overwritten_and_can_be_resumed(model_file, tmp_path, capsys):
    copy = tmp_path / "long.recovery.aegui.pt"
    copy.write_bytes(model_file.read_bytes())  # (as a killed long run leaves it)
    save = tmp_path / "long.aegui.pt"
    assert main([*QUICK, "--epochs", "1", "--save", str(save)]) == 2
    assert "a copy to go on from" in capsys.readouterr().err and copy.read_bytes() == model_file.read_bytes()
    assert main(["train", "--resume", str(copy), "--save", str(save), "--epochs", "1"]) == 0
    assert load_checkpoint(save).history.epochs_done == 2 and not copy.exists()


def test_the_printed_command_names_the_same_files_whatever_their_names_hold(tmp_path):
    from aegui.core.model.commands import shell_word

    for name in ("plain", "two words", "esc\x1bdir", os.fsdecode(b"caf\xe9"), "quo'te\\x", "bidi\u202eX", "cr\rlf\n"):
        word = shell_word(name)
        assert "\x1b" not in word and "\r" not in word and "\u202e" not in word
        echoed = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True).stdout
        assert echoed == os.fsencode(name), name
