"""Nothing a person's data holds is run where it goes: file names, labels and run names reach CSV files as text a
spreadsheet will not take for a formula, and the terminal as text that cannot clear the screen, move the cursor,
reverse the line or fail to encode."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from aegui.cli import main
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.safe_text import csv_cell, from_csv_cell, terminal_text
from aegui.core.training.runs import read_runs_csv, write_runs_csv
from aegui.core.training.trainer import History
from tests.conftest import REPO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_NAMES = ["=cmd|' -C calc'!A0", "@SUM(A1)", "+1", "-2", "\tx", "\rx", '=HYPERLINK("http:evil")', "-1+2",
                 "'=quoted", "plain"]  # fmt: skip
HOSTILE_CLASSES = ['=HYPERLINK("x")', "@evil", "-2+3", "\tcls", "\rcls", "\x1b[2Jcls"]
# what reaches the terminal must hold none of these (but newlines): ESC, CR, C1 CSI, bell, DEL, bidi overrides
TERMINAL_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
ESCAPING_NAMES = ["\x1b[2J\x1b[H", "\x9b31mcsi", "bell\x07\x08", "\u202eevil", "\x1b]0;title\x07"]


def _image(path: Path, value: int) -> None:
    picture = np.full((32, 32), 255, np.uint8)
    picture[4 + value % 9 : 28 - value % 4, 12 : 14 + value % 5] = 0  # a dark stroke on white, of its own size
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path, format="PNG")


def _hostile_folder(folder: Path, layout: str) -> Path:
    """Images under hostile names: loose in the folder (`files`), or in class folders with hostile names too;
    and a file that is not an image and one that cannot be read, under names with escape sequences."""
    names = [*HOSTILE_NAMES, *ESCAPING_NAMES]
    if layout == "files":
        for index, name in enumerate(names):
            _image(folder / f"{name}.png", index)
        for index in range(6):
            _image(folder / f"digit {index}.png", index)
        skipped_in = folder
    else:
        for number, label in enumerate(HOSTILE_CLASSES):
            for index, name in enumerate(names[number::3]):
                _image(folder / label / f"{name}.png", index)
            _image(folder / label / "0.png", number)
        skipped_in = folder / HOSTILE_CLASSES[0]
    (skipped_in / "\x1b[2Jnotes.txt").write_text("not an image")
    (skipped_in / "\x1b[31mbroken\u202e.png").write_bytes(b"not a png")
    return folder


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """An untrained model of 28x28 grey images: scoring needs no training."""
    return save_checkpoint(tmp_path_factory.mktemp("model") / "m.aegui.pt",
                           build_model(ModelConfig(hidden_sizes=(32,), code_size=4), seed=0))  # fmt: skip


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell == cell.strip()


def _formula_cells(rows: list[list[str]]) -> list[str]:
    """The cells a spreadsheet would run: they start with =, +, -, @, a tab or a CR and are not numbers."""
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS) and not _is_number(cell)]


@pytest.mark.parametrize("layout", ["files", "classes"])
def test_the_outliers_csv_holds_names_and_labels_as_text_not_formulas(tmp_path, capsys, model_file, layout):
    folder = _hostile_folder(tmp_path / "data", layout)
    out = tmp_path / "o.csv"
    assert main(["outliers", str(model_file), "--images", str(folder), "--out", str(out)]) == 0
    capsys.readouterr()
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["rank", "file_or_index", "label", "score", "error"]
    assert not _formula_cells(rows)
    assert any(float(row[3]) < 0 for row in rows[1:])  # (standardised scores below the median stay numbers)
    files = {row[1] for row in rows[1:]}
    if layout == "files":
        assert {"'=cmd|' -C calc'!A0.png", "'@SUM(A1).png", "'+1.png", "'-2.png", "'\tx.png", "'\rx.png",
                "''=quoted.png", "plain.png"} <= files  # fmt: skip
    else:
        labels = {row[2] for row in rows[1:]}
        assert {'\'=HYPERLINK("x")', "'@evil", "'-2+3", "'\tcls", "'\rcls"} <= labels
        assert all(name.startswith("'") or name.startswith("\x1b") for name in files)


def test_a_runs_csv_holds_run_names_as_text_and_reads_them_back_as_they_were(tmp_path):
    history = History(batch_losses=[0.5, 0.25], epochs=[{"epoch": 1, "train_loss": 0.3, "test_loss": -0.5}])
    names = [*HOSTILE_NAMES, "-0.5", "''@twice"]
    path = tmp_path / "runs.csv"
    write_runs_csv(path, [(name, history) for name in names])
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert not _formula_cells(rows)
    assert "-0.5" in {row[0] for row in rows} and "-0.5" in {row[6] for row in rows}  # numbers stay numbers
    back = read_runs_csv(path)
    assert [run.name for run in back] == names
    assert all(run.history.batch_losses == [0.5, 0.25] and run.history.epochs[0]["test_loss"] == -0.5 for run in back)


@pytest.mark.parametrize("layout", ["files", "classes"])
def test_names_with_escape_sequences_reach_the_terminal_escaped(tmp_path, capsys, model_file, layout):
    folder = _hostile_folder(tmp_path / "data", layout)
    assert main(["outliers", str(model_file), "--images", str(folder), "--top", "100"]) == 0
    printed = capsys.readouterr()
    said = printed.out + printed.err.replace("\rConverting", "Converting")  # (the progress line's own CR)
    assert not TERMINAL_CONTROLS.findall(said), said
    assert "\\x1b[2J\\x1b[H.png" in printed.out and "\\u202eevil.png" in printed.out  # shown, not run
    assert "\\x1b[2Jnotes.txt" in printed.out and "skipped" in printed.out
    # errors that name what was given: a folder, a file to open
    assert main(["outliers", str(model_file), "--images", str(folder / "\x1b[2Jgone\x9b")]) == 2
    assert main(["\x1b[2J\x1b[Hgone.png"]) == 2
    printed = capsys.readouterr()
    assert not TERMINAL_CONTROLS.findall(printed.out + printed.err) and "\\x1b[2J" in printed.err


def test_a_name_that_is_not_utf8_cannot_end_a_command_in_a_traceback(tmp_path, model_file):
    """Printed to a strict stream (a pipe, PYTHONIOENCODING=utf-8:strict or ascii:strict), a name of bytes that are
    not UTF-8 is written escaped: the model and the scores are saved and said to be, with no UnicodeEncodeError
    after the work (nor for the non-ASCII letters of aegui's own words, such as 28×28, on an ASCII stream)."""
    folder = os.fsencode(tmp_path / "data")
    os.makedirs(folder)
    for index in range(10):
        _image(Path(os.fsdecode(os.path.join(folder, b"\xff\xfe%d.png" % index))), index)
    (tmp_path / "data" / "\x1b[2Jnotes.txt").write_text("x")
    model = os.path.join(os.fsencode(tmp_path), b"m\xff.aegui.pt")
    out = os.path.join(os.fsencode(tmp_path), b"o\xfe.csv")
    train = [b"train", b"--images", folder, b"--epochs", b"1", b"--preset", b"seed", b"--save", model]
    outliers = [b"outliers", os.fsencode(model_file), b"--images", folder, b"--out", out]
    for encoding, command in (("utf-8:strict", train), ("ascii:strict", outliers)):
        env = {**os.environ, "PYTHONIOENCODING": encoding, "LANG": "C.UTF-8"}
        ran = subprocess.run([sys.executable, "-m", "aegui", *command], cwd=REPO, env=env, capture_output=True,
                             timeout=300)  # fmt: skip
        assert ran.returncode == 0 and b"Traceback" not in ran.stderr, ran.stderr.decode(errors="replace")
        assert b"\x1b" not in ran.stdout + ran.stderr
    assert os.path.exists(model) and os.path.exists(out)
    assert b"o\\xfe.csv" in ran.stdout  # (the name as its bytes, escaped)


@given(st.text())
def test_csv_cells_read_back_as_written_and_are_never_formulas(text):
    cell = csv_cell(text)
    assert not cell.startswith(FORMULA_STARTS) or _is_number(cell)
    if not re.search("[\ud800-\udfff]", text):
        assert from_csv_cell(cell) == text


@given(st.text())
def test_terminal_text_is_printable_whatever_it_is_given(text):
    shown = terminal_text(text)
    assert not TERMINAL_CONTROLS.findall(shown) and "\n" not in shown
    shown.encode("utf-8")  # (no surrogate left to fail a strict stream)
    assert terminal_text(shown) == shown  # (escaping twice changes nothing: a message escaped, then printed)
    assert terminal_text("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"
    assert terminal_text("caf\udce9 \x9b") == "caf\\xe9 \\x9b"
