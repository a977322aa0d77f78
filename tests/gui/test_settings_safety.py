"""Settings never run code, and a settings path that is not a file never stops the window from starting.

QSettings rebuilt `@Variant(...)` values with QDataStream, and PySide6 unpickled the Python object in them: a
pickled object stored under `view/theme` ran its code when the window started. The settings file is now read
by aegui itself, as plain values only.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings

from aegui.gui.window.main_window import MainWindow

# every reader of the settings: the theme, the recent files, the training panel, the window, the plot, the data
POISONED = ("view/theme", "files/recent_models", "files/last_folder", "training/preset", "training/epochs",
            "training/code_size", "training/lr", "window/geometry", "plot/log_scale", "plot/smoothing",
            "data/choice", "data/reading")  # fmt: skip


class MakesAFolder:
    """Unpickling it makes a folder (os.mkdir): a stand-in for any code a pickle can run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def settings_file() -> Path:
    """Where the window reads its settings in a test (conftest's AEGUI_CONFIG_DIR), as QSettings names it."""
    return Path(os.environ["AEGUI_CONFIG_DIR"]) / "aegui" / "aegui.ini"


def write_with_qsettings(path: Path, values: dict, scratch: Path) -> None:
    """`values` stored the way Qt stores them (a Python object: pickled in an @Variant), in `path`; written to
    another file first, so that no QSettings of this process holds `path` (it would keep the objects)."""
    scratch.parent.mkdir(parents=True, exist_ok=True)
    writer = QSettings(str(scratch), QSettings.Format.IniFormat)
    for key, value in values.items():
        writer.setValue(key, value)
    writer.sync()
    del writer
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(scratch.read_bytes())


def poison(tmp_path: Path, keys=POISONED, **plain) -> dict[str, Path]:
    """A settings file whose `keys` each hold a pickle that would make its own marker folder; `plain`
    values beside them (keys with '__' for '/'). The markers, by key."""
    markers = {key: tmp_path / f"unpickled-{key.replace('/', '-')}" for key in keys}
    values = {key: MakesAFolder(marker) for key, marker in markers.items()}
    values.update({key.replace("__", "/"): value for key, value in plain.items()})
    write_with_qsettings(settings_file(), values, tmp_path / "scratch" / "poisoned.ini")
    assert b"@Variant(" in settings_file().read_bytes() and b"unpickled-view-theme" in settings_file().read_bytes()
    return markers


def unpickled(markers: dict[str, Path]) -> list[str]:
    return [key for key, marker in markers.items() if marker.exists()]


def test_the_readers_never_unpickle_a_stored_object(tmp_path, qtbot):
    from aegui.gui.theme.themes import restore_theme, themes
    from aegui.gui.training.training_panel import TrainingPanel
    from aegui.gui.window.recent_files import RecentFiles
    from aegui.gui.window.settings import make_settings

    markers = poison(tmp_path, keys=[key for key in POISONED if key != "training/preset"], training__preset="seed")
    settings = make_settings()
    restore_theme(settings)
    recent = RecentFiles(settings)
    panel, fresh = TrainingPanel(), TrainingPanel()
    qtbot.addWidget(panel)
    qtbot.addWidget(fresh)
    panel.restore_settings(settings)
    assert unpickled(markers) == []
    assert themes().choice() == "system" and recent.models() == [] and recent.folder() == Path.home()
    fresh.choose_preset("seed")  # (the plain value beside the pickles is kept)
    assert panel.preset_name() == "seed"
    assert all(panel.value(name) == fresh.value(name) for name in ("epochs", "code_size", "lr"))


def test_a_window_starts_with_the_defaults_over_stored_pickles_and_drops_them(tmp_path, qtbot):
    markers = poison(tmp_path, files__other="kept, as it was", misc__plain="@at sign")
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=30_000)
    assert unpickled(markers) == []
    assert window.panel.preset_name() == "default" and not window.parts.log_check.isChecked()
    assert window.recent.models() == [] and window.panel.data_box.dataset_choice() == "auto"
    window.close()
    assert unpickled(markers) == []  # (QSettings unpickled every stored value again to write the file back)
    text = settings_file().read_bytes()
    assert b"@Variant(" not in text and b"unpickled" not in text  # written back without them
    reader = QSettings(str(settings_file()), QSettings.Format.IniFormat)  # and as Qt reads it, nothing is lost
    assert reader.value("files/other") == "kept, as it was" and reader.value("misc/plain") == "@at sign"
    assert reader.value("training/preset") == "default" and isinstance(reader.value("window/geometry"), QByteArray)
    assert unpickled(markers) == []


def test_plain_values_read_as_qsettings_reads_them_and_are_written_as_it_writes_them(tmp_path):
    """Nothing lost: a file QSettings wrote reads back the same here, and what is written here reads back the
    same in QSettings (an earlier version of aegui)."""
    from aegui.gui.window.settings import make_settings

    values = {"top": "t", "General/x": "g", "k y/%z": "sp", "a/b/c": "deep", "s/comma": "a, b; c = d",
              "s/quote": ' "quoted" \\ back ', "s/lines": "one\ntwo\t\x01\x00" + "1", "s/at": "@Variant(no)",
              "s/unicode": "é 中 😀", "s/list": ["a b", "c,d", "é", "@x", ""], "s/one": ["x"], "s/empty": [],
              "s/bytes": QByteArray(bytes(range(256))), "s/true": True, "s/int": -7, "s/float": 0.25,
              "s/none": None}  # fmt: skip
    write_with_qsettings(settings_file(), values, tmp_path / "scratch" / "by-qt.ini")
    copy = tmp_path / "scratch" / "copy.ini"
    copy.write_bytes(settings_file().read_bytes())
    qt = QSettings(str(copy), QSettings.Format.IniFormat)
    expected = {key: qt.value(key) for key in qt.allKeys()}
    settings = make_settings()
    assert {key: settings.value(key) for key in settings.allKeys()} == expected
    for key, value in values.items():
        settings.setValue(key, value)
    settings.setValue("s/added", "new")
    settings.sync()
    again = tmp_path / "scratch" / "again.ini"
    again.write_bytes(settings_file().read_bytes())
    qt = QSettings(str(again), QSettings.Format.IniFormat)
    assert {key: qt.value(key) for key in qt.allKeys()} == {**expected, "s/added": "new"}


def test_typed_reading_keeps_the_default_for_anything_but_its_type():
    from aegui.gui.window.settings import make_settings, read, read_bytes, read_list

    settings = make_settings()
    values = {"n/nan": "nan", "n/inf": "-inf", "n/half": "0.5", "n/text": "x", "n/list": ["a", "b"],
              "n/bytes": QByteArray(b"\x00\xff"), "n/yes": "true", "n/perhaps": "perhaps"}  # fmt: skip
    for key, value in values.items():
        settings.setValue(key, value)
    # (a stored smoothing of nan stopped the window at start: round(nan))
    assert read(settings, "n/nan", 0.1, float) == 0.1 and read(settings, "n/inf", 0.1, float) == 0.1
    assert read(settings, "n/half", 0.1, float) == 0.5
    assert read(settings, "n/list", "d", str) == "d" and read(settings, "n/bytes", "d", str) == "d"
    assert read(settings, "n/yes", False, bool) is True and read(settings, "n/perhaps", False, bool) is False
    assert read(settings, "n/text", 3, int) == 3 and read(settings, "n/missing", 3, int) == 3
    assert read_list(settings, "n/list") == ["a", "b"] and read_list(settings, "n/text") == ["x"]
    assert read_list(settings, "n/bytes") == [] and read_bytes(settings, "n/text") is None
    assert read_bytes(settings, "n/bytes") == QByteArray(b"\x00\xff")


def test_a_python_object_is_never_stored(tmp_path, caplog):
    from aegui.gui.window.settings import make_settings

    settings = make_settings()
    settings.setValue("view/theme", MakesAFolder(tmp_path / "marker"))
    settings.setValue("plot/smoothing", 0.5)
    settings.sync()
    assert settings.value("view/theme") is None and "not kept" in caplog.text
    assert b"@Variant" not in settings_file().read_bytes() and settings.value("plot/smoothing") == "0.5"


UNBLOCKED = 3  # the helper's exit status when it had to open the pipe
UNBLOCK = f"""
import os, select, sys
def test_over(seconds):  # the test closes this process's input when it is over
    return bool(select.select([sys.stdin], [], [], seconds)[0])
if test_over(float(sys.argv[2])):
    sys.exit(0)
while True:  # both ends at once: whoever waits to open the pipe, to read or to write, goes on
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK))
    if test_over(0.2):
        sys.exit({UNBLOCKED})
"""


def unblocker(fifo: Path, grace: float) -> subprocess.Popen:
    """A process that, unless the test is over within `grace` seconds (it closes the process's input then),
    opens and closes the named pipe again and again until it is, so that this process, blocked opening it
    (holding Python's lock: no thread of its own can help), goes on and the test fails instead of hanging.
    It exits with UNBLOCKED if it had to."""
    return subprocess.Popen([sys.executable, "-c", UNBLOCK, str(fifo), str(grace)], stdin=subprocess.PIPE)


def make_in_place(kind: str, path: Path) -> None:
    """A named pipe, a folder, a device (a null device of its own: never a link to the system's, which a
    writer that follows links, as QSettings did, would replace) or a socket at `path`."""
    if kind == "named pipe":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
        except OSError as error:
            pytest.skip(f"cannot make a device here: {error}")
    else:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(path))
        listener.close()


@pytest.mark.parametrize("kind", ["named pipe", "folder", "device", "socket"])
def test_a_settings_path_that_is_not_a_file_is_not_opened(kind, qtbot, caplog):
    path = settings_file()
    path.parent.mkdir(parents=True)
    make_in_place(kind, path)
    helper = unblocker(path, grace=60) if kind == "named pipe" else None
    window, closed = None, False
    try:
        window = MainWindow(load_later=True)  # (QSettings waited here for a writer to the pipe, for ever)
        qtbot.addWidget(window)
        window.load_the_rest()
        qtbot.waitUntil(lambda: window.is_ready and window.session.dataset is not None, timeout=30_000)
        message = window.panel.message_label.text()
        assert "not a regular file" in message and str(path) in message and "default settings" in message
        assert "not a regular file" in caplog.text
        assert window.panel.preset_name() == "default"
        window.close()  # saves nothing there (QSettings would wait to write to the pipe)
        closed = True
    finally:
        if window is not None and not closed:
            window.close()  # (while the pipe is being unblocked: QSettings wrote to it)
        if helper is not None:
            helper.stdin.close()  # the test is over: the helper ends
            helper.wait()
    assert helper is None or helper.returncode == 0, "the window waited on the named pipe until it was unblocked"
    assert path.exists() and not path.is_file()  # left as it was
