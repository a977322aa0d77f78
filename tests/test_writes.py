"""Writes that never break anything: a model, metrics or digits go over regular files only (a link is
followed and stays a link), never onto a device, a named pipe or a folder, and are refused before any work."""

import os
import stat
from pathlib import Path

import pytest

import aegui
from aegui.cli import main
from aegui.core.files.checkpoints import CheckpointError, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.writes import WriteError, writable_target, write_text

TINY = ModelConfig(hidden_sizes=(16,), code_size=2)
QUICK = ["train", "--dataset", "sample", "--epochs", "1", "--preset", "seed", "--batch-size", "4000"]


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_save_onto_a_fifo_is_refused_before_training_and_the_fifo_stays(fifo, capsys):
    assert main([*QUICK, "--save", str(fifo)]) == 2
    captured = capsys.readouterr()
    assert "named pipe (FIFO)" in captured.err and "Epoch:" not in captured.out
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_metrics_onto_a_fifo_with_no_reader_is_refused_not_a_hang(fifo, tmp_path, capsys):
    assert main([*QUICK, "--save", str(tmp_path / "m.aegui.pt"), "--metrics-out", str(fifo)]) == 2
    assert "named pipe (FIFO)" in capsys.readouterr().err and stat.S_ISFIFO(fifo.stat().st_mode)
    assert not (tmp_path / "m.aegui.pt").exists()  # refused before training: nothing trained, nothing saved


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a Linux device)")
def test_save_onto_a_device_is_refused_and_the_device_stays(capsys):
    assert main([*QUICK, "--save", "/dev/full"]) == 2
    assert "it is a device" in capsys.readouterr().err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    with pytest.raises(CheckpointError, match="device"):
        save_checkpoint("/dev/full", build_model(TINY))


def test_save_through_a_link_writes_its_file_and_the_link_stays(tmp_path, capsys):
    target = tmp_path / "models" / "real.aegui.pt"
    target.parent.mkdir()
    target.write_bytes(b"an older file")
    link = tmp_path / "current.aegui.pt"
    link.symlink_to(target)
    assert main([*QUICK, "--save", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert aegui.load_model(target) is not None and aegui.load_model(link) is not None
    dangling = tmp_path / "next.aegui.pt"
    dangling.symlink_to(tmp_path / "models" / "new.aegui.pt")  # a link to a file not made yet
    save_checkpoint(dangling, build_model(TINY))
    assert dangling.is_symlink() and (tmp_path / "models" / "new.aegui.pt").is_file()


def test_generate_onto_a_fifo_is_refused(tmp_path, capsys):
    model = save_checkpoint(tmp_path / "m.aegui.pt", build_model(TINY))
    fifo_npy = tmp_path / "digits.npy"
    os.mkfifo(fifo_npy)
    assert main(["generate", str(model), "--out", str(fifo_npy), "--dataset", "sample"]) == 2
    assert stat.S_ISFIFO(fifo_npy.stat().st_mode) and "named pipe" in capsys.readouterr().err


def test_the_write_helpers_refuse_what_is_not_a_file_and_leave_nothing_half_written(tmp_path, fifo):
    with pytest.raises(WriteError, match="folder"):
        writable_target(tmp_path)
    with pytest.raises(WriteError, match="FIFO"):
        write_text(fifo, "x")
    kept = tmp_path / "kept.txt"
    kept.write_text("before")
    with pytest.raises(ZeroDivisionError):
        from aegui.core.writes import atomic_file

        with atomic_file(kept, "w") as out:
            out.write("half")
            raise ZeroDivisionError
    assert kept.read_text() == "before" and [path.name for path in tmp_path.iterdir() if ".tmp" in path.name] == []
