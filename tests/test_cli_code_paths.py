"""Every path a person types into `aegui encode`, `similar` and `duplicates` is an input: outputs that name one (the
model, the folder, a file in it, the query; through a link too), named pipes, loops of links, names too long for
the file system, folders as files, folders that cannot be written, and a stop by Ctrl-C or SIGTERM: refused before
any work, or stopped with nothing half-written, always with a sentence and never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aegui.cli import main
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model

CONV = ModelConfig(kind="conv", channels=(4, 8), hidden_sizes=(), code_size=8, activation="silu",
                   image_shape=(3, 16, 16))  # fmt: skip
COUNT = 12
EARLIER = "an earlier file, kept\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, Path]:
    """(a folder of COUNT small colour images, an untrained model for them)."""
    root = tmp_path_factory.mktemp("paths")
    folder = root / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(COUNT):
        Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(folder / f"p{index:02d}.png")
    return folder, save_checkpoint(root / "m.aegui.pt", build_model(CONV, seed=0))


def command(name: str, model: Path, folder: Path, out: Path | str | None, query: Path | str | None = None) -> list[str]:
    line = [name, str(model), "--images", str(folder)]
    line += ["--query", str(query if query is not None else folder / "p01.png")] if name == "similar" else []
    return line + (["--out", str(out)] if out is not None else [])


def refused(capsys, line: list[str], *said: str) -> str:
    """Run the command: it must end with code 2 and a one-line error saying each of `said`, no traceback."""
    assert main(line) == 2
    err = capsys.readouterr().err
    assert err.startswith("aegui: error: ") and "Traceback" not in err, err
    assert all(words in err for words in said), err
    return err


@pytest.mark.parametrize("name", ["encode", "similar", "duplicates"])
def test_an_output_that_names_an_input_is_refused_before_any_work(made, tmp_path, capsys, name):
    folder, model = made
    before = sorted(folder.iterdir())
    as_csv = tmp_path / "model.csv"  # (a model file may have any name)
    as_csv.write_bytes(model.read_bytes())
    refused(capsys, command(name, as_csv, folder, as_csv), "is the model file MODEL", "Nothing was written")
    refused(capsys, command(name, model, folder, folder / "codes.csv"), "lies in the image folder --images")
    refused(capsys, command(name, model, folder, folder))  # the folder itself (its name ends in no .csv)
    named_csv = tmp_path / "photos.csv"
    named_csv.symlink_to(folder, target_is_directory=True)
    refused(capsys, command(name, model, named_csv, named_csv), "Nothing was written")
    onto_model, into_folder = tmp_path / "onto-model.csv", tmp_path / "into-folder.csv"
    onto_model.symlink_to(as_csv)
    into_folder.symlink_to(folder / "p03.png")
    refused(capsys, command(name, as_csv, folder, onto_model), "is the model file MODEL")
    refused(capsys, command(name, model, folder, into_folder), "lies in the image folder --images")
    assert sorted(folder.iterdir()) == before and as_csv.read_bytes() == model.read_bytes()


def test_similar_refuses_an_output_that_is_a_query_image(made, tmp_path, capsys):
    folder, model = made
    query = tmp_path / "query.csv"  # (an image is read by what it holds, whatever its name)
    query.write_bytes((folder / "p02.png").read_bytes())
    refused(capsys, command("similar", model, folder, query, query), "is the query image --query")
    linked = tmp_path / "linked.csv"
    linked.symlink_to(query)
    refused(capsys, command("similar", model, folder, linked, query), "is the query image --query")
    assert query.read_bytes() == (folder / "p02.png").read_bytes()


@pytest.mark.parametrize("name", ["encode", "similar", "duplicates"])
def test_named_pipes_folders_and_long_names_are_refused(made, tmp_path, capsys, name):
    folder, model = made
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    refused(capsys, command(name, model, folder, pipe), "named pipe (FIFO)")
    a_folder = tmp_path / "out.csv"
    a_folder.mkdir()
    refused(capsys, command(name, model, folder, a_folder), "is a folder, not a file")
    refused(capsys, command(name, model, folder, tmp_path / ("x" * 300 + ".csv")), "bytes long")
    refused(capsys, command(name, model, folder, tmp_path / ("y" * 300) / "out.csv"), "Cannot write")
    too_long = command(name, model, tmp_path / ("z" * 300), tmp_path / "c.csv", folder / "p01.png")
    refused(capsys, too_long, "Cannot open the image folder")
    refused(capsys, command(name, tmp_path / ("m" * 300), folder, tmp_path / "c.csv"), "model file")
    refused(capsys, command(name, pipe, folder, tmp_path / "c.csv"), "model file", "named pipe (FIFO)")
    assert not (tmp_path / "c.csv").exists() and list(a_folder.iterdir()) == []


def test_a_query_that_is_a_pipe_or_too_long_a_name_is_refused(made, tmp_path, capsys):
    folder, model = made
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    refused(capsys, command("similar", model, folder, None, pipe), "the query image", "named pipe (FIFO)")
    refused(capsys, command("similar", model, folder, None, tmp_path / ("q" * 300 + ".png")), "File name too long")


@pytest.mark.parametrize("name", ["encode", "similar", "duplicates"])
def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(made, tmp_path, capsys, name):
    folder, model = made
    if os.geteuid() == 0:  # (root writes any folder a mode forbids; /proc takes no files even from root)
        locked = Path("/proc")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
    refused(capsys, command(name, model, folder, locked / "out.csv"), f"Cannot write to {locked}")


def test_pipes_and_loops_of_links_in_the_folder_are_passed_over(made, tmp_path, capsys):
    folder, model = made
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for path in sorted(folder.iterdir()):
        (mixed / path.name).write_bytes(path.read_bytes())
    os.mkfifo(mixed / "pipe.png")  # (opening it would wait for a writer forever)
    (mixed / "loop.png").symlink_to(mixed / "loop.png")
    (mixed / "up").symlink_to(mixed, target_is_directory=True)
    (mixed / "to-pipe.png").symlink_to(mixed / "pipe.png")
    for name in ("encode", "similar", "duplicates"):
        assert main(command(name, model, mixed, tmp_path / f"{name}.csv")) == 0, name
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "up (a link to a folder (not followed))" in out
    rows = (tmp_path / "encode.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == [f"p{index:02d}.png" for index in range(COUNT)]


STALLED = """
import signal, sys
from aegui.cli import main
from aegui.core.data import images

images.PROGRESS_EVERY = 4  # (blocks of 4: the first is written before the stall)
real, calls = images.fitted_uint8, []

def stalling(path, fitting):
    calls.append(path)
    if len(calls) == 6:  # in the second block: say so, then wait for the signal
        print("STALLED", flush=True)
        signal.pause()
    return real(path, fitting)

images.fitted_uint8 = stalling
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("name", "number"), [("encode", signal.SIGINT), ("encode", signal.SIGTERM),
                                              ("similar", signal.SIGTERM), ("duplicates", signal.SIGINT)])  # fmt: skip
def test_a_stop_while_encoding_leaves_nothing_half_written(made, tmp_path, name, number):
    """Ctrl-C or SIGTERM in the middle of the images: the exit code `train` gives (128 + the signal's number), one
    sentence, no traceback, an earlier --out file as it was and no temporary file beside it."""
    folder, model = made
    out = tmp_path / "out.csv"
    out.write_text(EARLIER)
    child = subprocess.Popen([sys.executable, "-c", STALLED, *command(name, model, folder, out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for line in child.stdout:  # (waits for the stall, however long the start takes)
            if line.strip() == "STALLED":
                break
        child.send_signal(number)
        _out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 128 + number, err
    assert err.strip() == "aegui: interrupted; nothing was written.", err
    assert out.read_text() == EARLIER and sorted(tmp_path.iterdir()) == [out]
