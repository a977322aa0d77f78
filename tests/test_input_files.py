"""Files a person names for reading must be regular files (issue "Nothing lost, nothing injected"): a labels CSV
that was a named pipe made `aegui train --images DIR --labels FIFO` wait forever. Now a pipe, a device, a
socket or a folder is refused before it is opened, in a moment, saying what it is."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from aegui.cli import main
from aegui.core.data.datasets import DataError
from aegui.core.data.image_reading import read_labels
from aegui.core.errors import AeguiError

WAIT = 20.0  # seconds: refusing takes milliseconds; reading a pipe with no writer never ends


def _within(seconds: float, work: Callable[[], object], fifo: Path) -> object:
    """What `work` returns or raises, run in a thread; if it is still waiting after `seconds`, the pipe is opened
    for writing and closed (so that the reader gets an empty file and the test ends), and the test fails."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # (handed to the test)
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(seconds)
        pytest.fail(f"still waiting on the named pipe after {seconds:.0f} s")
    return outcome[0]


def test_a_labels_file_that_is_a_named_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "labels.csv"
    os.mkfifo(fifo)
    error = _within(WAIT, lambda: read_labels(fifo), fifo)
    assert isinstance(error, DataError) and "named pipe" in str(error) and "labels file" in str(error)


def test_train_with_a_named_pipe_for_labels_says_so_and_ends(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    fifo = tmp_path / "labels.csv"
    os.mkfifo(fifo)
    argv = [
        "train",
        "--images",
        str(folder),
        "--labels",
        str(fifo),
        "--epochs",
        "1",
        "--save",
        str(tmp_path / "m.aegui.pt"),
    ]
    assert _within(WAIT, lambda: main(argv), fifo) == 2
    assert "named pipe" in capsys.readouterr().err


def test_only_regular_files_are_read(tmp_path):
    from aegui.core.writes import readable_file

    regular = tmp_path / "labels.csv"
    regular.write_text("a.png,1\n")
    link = tmp_path / "link.csv"
    link.symlink_to(regular)
    assert readable_file(regular, "the labels file") == regular and readable_file(link) == link
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock"))
        refused = {fifo: "a named pipe", tmp_path: "a folder", Path(os.devnull): "a device",
                   tmp_path / "sock": "a socket", tmp_path / "missing.csv": "does not exist"}  # fmt: skip
        for path, said in refused.items():
            with pytest.raises(AeguiError, match=f"Cannot read the labels file {re.escape(str(path))}: .*{said}"):
                readable_file(path, "the labels file")
    finally:
        server.close()
    with pytest.raises(DataError, match="is a folder"):
        read_labels(tmp_path)
