"""An autosave folder that is a file (AEGUI_AUTOSAVE_DIR, or the default path taken by a file): the window says
so once, at start, and closes cleanly, keeping its settings and leaving the file as it was (before: a
traceback on closing, NotADirectoryError)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from aegui.gui.session.autosave import Autosave
from aegui.gui.window.main_window import MainWindow


@pytest.fixture
def in_the_way(tmp_path, monkeypatch) -> Path:
    """A file where the autosave folder should be, and AEGUI_AUTOSAVE_DIR naming it."""
    path = tmp_path / "autosave"
    path.write_text("someone's notes")
    monkeypatch.setenv("AEGUI_AUTOSAVE_DIR", str(path))
    return path


@pytest.mark.parametrize("below", [False, True])
def test_autosave_under_a_file_says_so_and_never_raises_on_closing(in_the_way, below):
    folder = in_the_way / "copies" if below else in_the_way
    autosave = Autosave(folder)
    with pytest.raises(Exception, match=re.escape(f"{in_the_way} is a file, not a folder")) as looked:
        autosave.find_orphan()
    assert "Autosave is off" in str(looked.value) and "AEGUI_AUTOSAVE_DIR" in str(looked.value)
    assert autosave._write(autosave._generation) is None  # (said once, at the look: a write skips quietly)
    autosave.remove()
    autosave.close(keep=True)
    autosave.close(keep=False)
    assert in_the_way.read_text() == "someone's notes"


def test_a_write_says_once_why_no_copy_is_kept(in_the_way):
    from aegui.core.model.autoencoder import ModelConfig, build_model

    config = ModelConfig(hidden_sizes=(16,), code_size=3)
    contents = (config, build_model(config).state_dict(), None, None, "sample", "default")
    autosave = Autosave()
    with pytest.raises(Exception, match="is a file, not a folder"):
        autosave._write(autosave._generation, *contents)
    assert autosave._write(autosave._generation, *contents) is None and not autosave.exists()
    os.remove(in_the_way)  # the file moved away: the next copy is written
    autosave._write(autosave._generation, *contents)
    assert in_the_way.is_dir() and autosave.exists()
    autosave.close(keep=False)
    assert not autosave.exists()


def test_the_window_says_autosave_is_off_and_closes_cleanly(in_the_way, qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None and window.session.recovery.done_looking,
                    timeout=30_000)  # fmt: skip
    qtbot.waitUntil(lambda: "Autosave is off" in window.panel.message_label.text())
    assert f"{in_the_way} is a file, not a folder" in window.panel.message_label.text()
    window.panel.preset_combo.setCurrentIndex(window.panel.preset_combo.findData("seed"))
    with qtbot.captureExceptions() as exceptions:
        window.close()
    assert not exceptions, exceptions
    assert in_the_way.read_text() == "someone's notes"
    again = MainWindow()  # nothing lost: the settings were saved as the window closed
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.session.dataset is not None, timeout=30_000)
    assert again.panel.preset_name() == "seed"
    again.close()
