"""Runs kept between sessions (`aegui.core.training.run_store`): written and read back as they were; a file that cannot
be read is set aside and said, never raised; a folder that cannot be used is said; the newest write wins."""

from __future__ import annotations

import json
import math

import pytest

from aegui.core.errors import AeguiError
from aegui.core.training.run_store import SUFFIX, KeptRun, RunFileError, RunStore, parse_run
from aegui.core.training.trainer import History

RECORD = {"epoch": 1, "train_loss": 0.31, "test_loss": 0.29, "test_mse": 0.05, "seconds": 1.5}


def kept(name: str = "run 1") -> KeptRun:
    history = History([dict(RECORD)], [0.7, float("nan"), 0.4])  # (a diverged batch's loss is kept too)
    return KeptRun(name, "default", 32, 12.5, (200, 30, 40), history, settings={"model": {"code_size": 32}})


def test_a_run_is_kept_and_read_back_as_it_was(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = kept()
    store.save(run, store.ticket(run.id))
    (back,), problems = RunStore(tmp_path / "runs").load()
    assert problems == [] and back.name == "run 1" and back.colour == (200, 30, 40) and back.settings == run.settings
    assert back.history.epochs == run.history.epochs and back.history.batch_losses[0] == 0.7
    assert math.isnan(back.history.batch_losses[1]) and back.id == run.id and back.seconds == 12.5


def test_the_newest_write_wins_and_a_removed_run_stays_removed(tmp_path):
    store = RunStore(tmp_path)
    run = kept()
    old = store.ticket(run.id)
    run.name = "renamed"
    store.save(run, store.ticket(run.id))
    run.name = "stale"
    store.save(run, old)  # (a worker that ran late)
    assert parse_run((tmp_path / run.file_name).read_text()).name == "renamed"
    late = store.ticket(run.id)
    aside = store.remove(run)
    store.save(run, late)
    assert [path.name for path in tmp_path.iterdir()] == ["removed"]  # out of the list, not lost
    assert aside == tmp_path / "removed" / run.file_name and parse_run(aside.read_text()).name == "renamed"
    assert store.load() == ([], [])
    aside.replace(tmp_path / run.file_name)  # moved back: listed again
    assert [back.name for back in store.load()[0]] == ["renamed"]


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.update(batch_losses="many"),
        lambda data: data["epochs"][0].update(test_loss="low"),
        lambda data: data["epochs"][0].pop("test_loss"),
        lambda data: data.update(colour=[1, 2, 300]),
        lambda data: data.update(code_size=True),
        lambda data: data.update(name="x" * 10_000),
        lambda data: data.update(version=99),
        lambda data: data.update(id="../../elsewhere"),
    ],
    ids=["losses", "epoch loss", "missing loss", "colour", "code size", "long name", "version", "id"],
)
def test_a_file_that_cannot_be_used_is_set_aside_and_said(tmp_path, change):
    store = RunStore(tmp_path)
    good, bad = kept("good"), kept("bad")
    for run in (good, bad):
        store.save(run, store.ticket(run.id))
    data = json.loads((tmp_path / bad.file_name).read_text())
    change(data)
    (tmp_path / bad.file_name).write_text(json.dumps(data))
    runs, problems = store.load()
    assert [run.name for run in runs] == ["good"] and len(problems) == 1 and "set aside" in problems[0]
    assert (tmp_path / (bad.file_name + ".unreadable")).exists()
    again, problems = store.load()
    assert [run.name for run in again] == ["good"] and problems == []  # (not tried again)


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe", b"[1, 2", b"null", b"[" * 100_000],
    ids=["empty", "not UTF-8", "cut short", "null", "deep"],
)
def test_garbage_never_raises(tmp_path, content):
    (tmp_path / f"x{SUFFIX}").write_bytes(content)
    runs, problems = RunStore(tmp_path).load()
    assert runs == [] and len(problems) == 1
    with pytest.raises(RunFileError):
        parse_run(content)


def test_a_folder_that_is_a_file_is_said_on_loading_and_on_writing(tmp_path):
    in_the_way = tmp_path / "runs"
    in_the_way.write_text("notes")
    store = RunStore(in_the_way / "below")
    runs, problems = store.load()
    assert runs == [] and "is a file, not a folder" in problems[0] and "AEGUI_RUNS_DIR" in problems[0]
    run = kept()
    with pytest.raises(AeguiError, match="is a file, not a folder"):
        store.save(run, store.ticket(run.id))
    assert in_the_way.read_text() == "notes"
