"""Issue 6: every path a person can take with bad input or bad luck keeps their work and the app."""

import contextlib
import ctypes
import gc
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import weakref
from functools import partial
from http.server import ThreadingHTTPServer

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from aegui.core.files import checkpoints
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.gui.concurrency.threads import live_workers
from aegui.gui.window import dialogs
from aegui.gui.window.main_window import MainWindow
from tests.conftest import REPO, needs_mnist, open_and_wait
from tests.gui.conftest import drag


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-model-file",))


def _other_architecture(path):
    save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(16,), code_size=3)))
    payload = torch.load(path, weights_only=True)
    payload["model_config"] = '{"hidden_sizes": [64], "code_size": 3}'
    torch.save(payload, path)


def _future(path):
    save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(16,), code_size=3)))
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 7
    torch.save(payload, path)


def _truncated(path):
    save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(16,), code_size=3)))
    path.write_bytes(path.read_bytes()[:1000])


BAD_FILES = {
    "empty": (lambda p: p.write_bytes(b""), "is empty"),
    "random bytes": (lambda p: p.write_bytes(b"\x01" + os.urandom(5000)), "its contents are not recognised"),
    "pickle carrying code": (lambda p: p.write_bytes(pickle.dumps(RunsCode())), "a Python pickle"),
    "torch file carrying code": (lambda p: torch.save({"x": RunsCode()}, p), "holds Python objects"),
    "truncated": (_truncated, "damaged or truncated"),
    "foreign state dict": (lambda p: torch.save({"w": torch.zeros(3)}, p), "another program, not an aegui model"),
    "other architecture": (_other_architecture, "fit its architecture"),
    "future version": (_future, "newer aegui"),
    "a folder": (lambda p: p.mkdir(), "not a file"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_model_files_leave_the_current_model_untouched(window, qtbot, tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    make, message = BAD_FILES[kind]
    path = tmp_path / "bad.aegui.pt"
    make(path)
    model, weights = window.session.model, {k: v.clone() for k, v in window.session.model.state_dict().items()}
    assert message in open_and_wait(qtbot, window.session, path)
    assert window.session.model is model
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    assert message in window.panel.message_label.text()
    assert not (tmp_path / "pwned-by-model-file").exists()


def train_briefly(window, qtbot, epochs=1):
    window.panel.epochs_spin.setValue(epochs)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.start_training()


def test_failed_save_keeps_the_previous_file_and_says_so(window, qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    path = folder / "kept.aegui.pt"
    train_briefly(window, qtbot)
    assert window.files.save_model(path)
    before = path.read_bytes()
    train_briefly(window, qtbot)

    def disk_full(obj, handle):
        handle.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", disk_full)
    assert not window.files.save_model(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["kept.aegui.pt"]
    assert "No space left on device" in window.panel.message_label.text()
    warned: list[str] = []  # Save As… repeats the problem in a dialog, from the session (not read from a label)
    monkeypatch.setattr(dialogs, "model_save_path", lambda *_args: path)
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warned.append(text))
    window.panel.show_message("")
    assert not window.files.save_as_dialog()
    assert warned and "No space left on device" in warned[0]
    assert "Nothing was overwritten" in window.panel.message_label.text()
    assert window.session.dirty


def answer_dialog(button: QMessageBox.StandardButton, seen: list) -> None:
    """Click a button of the unsaved-changes dialog as soon as it is open."""

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "unsavedDialog":
            QTimer.singleShot(20, click)
            return
        seen.append(dialog.text())
        dialog.button(button).click()

    QTimer.singleShot(20, click)


@pytest.mark.real_unsaved_dialog
def test_quitting_with_unsaved_training_asks_first(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    train_briefly(window, qtbot)
    seen = []
    answer_dialog(QMessageBox.StandardButton.Cancel, seen)
    window.close()
    assert seen and "not saved" in seen[0] and window.isVisible()
    path = tmp_path / "asked.aegui.pt"
    window.session.model_path = path  # 'Save' then writes here without a file dialog
    answer_dialog(QMessageBox.StandardButton.Save, seen)
    window.close()
    assert not window.isVisible() and path.exists()


@pytest.mark.real_unsaved_dialog
def test_reset_with_unsaved_training_asks_first(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    train_briefly(window, qtbot)
    trained = window.session.model
    seen = []
    answer_dialog(QMessageBox.StandardButton.Cancel, seen)
    window.reset_model()
    assert window.session.model is trained
    answer_dialog(QMessageBox.StandardButton.Discard, seen)
    window.reset_model()
    assert window.session.model is not trained
    window.close()  # the fresh model has nothing unsaved: no question


def _copies():
    return sorted(checkpoints.autosave_folder().glob("autosave*.aegui.pt"))


def test_autosave_is_offered_after_a_kill(tmp_path, qtbot):
    """A process killed while training leaves its autosave; the next start offers to restore it."""
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(sys.argv)\n"
        "import aegui.gui.session.recovery as s\n"
        "s.AUTOSAVE_INTERVAL = 0.0\n"
        "from aegui.gui import MainWindow\n"
        "window = MainWindow()\n"
        "window.panel.epochs_spin.setValue(1000)\n"
        "window.session.datasetLoaded.connect(lambda _: window.start_training())\n"
        "app.exec()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    versions = set()  # each copy seen, by its file, size and time: each autosave writes the copy anew

    def copies_written() -> int:
        for copy in _copies():
            with contextlib.suppress(OSError):  # (replaced between its listing and its look)
                info = copy.stat()
                if info.st_size > 0:
                    versions.add((info.st_ino, info.st_size, info.st_mtime_ns))
        return len(versions)

    try:
        qtbot.waitUntil(lambda: len(_copies()) == 1 and copies_written() >= 1, timeout=60_000)
        qtbot.waitUntil(lambda: copies_written() >= 3, timeout=60_000)  # a few more epochs, each saved anew
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(
        lambda: window.session.dataset is not None and window.recovery_offer.banner is not None, timeout=20_000
    )
    assert window.recovery_offer.banner.isVisibleTo(window)
    assert "stopped unexpectedly" in window.recovery_offer.banner.label.text()
    assert window.recovery_offer.restore()
    assert window.session.history.epochs_done >= 1 and window.session.dirty
    assert window.recovery_offer.banner is None
    assert len(_copies()) == 1  # kept, now this instance's, until the work is saved or let go
    window.close()  # unsaved: the question (answered Discard here) lets it go
    assert not _copies()


def _orphan(name="autosave-1-dead.aegui.pt"):
    path = checkpoints.autosave_folder() / name
    save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(16,), code_size=3)))
    return path


def test_discarding_the_autosave_removes_it(qtbot):
    autosave = _orphan()
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.recovery_offer.banner is not None, timeout=20_000)  # (the file is read in a worker)
    window.recovery_offer.banner.discard_button.click()
    assert not autosave.exists() and window.recovery_offer.banner is None
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    window.close()


def test_an_unanswered_recovery_offer_survives_closing(qtbot):
    """Closing without answering the banner keeps the copy, and the next start offers it again."""
    autosave = _orphan()
    for _ in range(2):
        window = MainWindow()
        qtbot.addWidget(window)
        qtbot.waitUntil(
            lambda w=window: w.session.dataset is not None and w.recovery_offer.banner is not None, timeout=20_000
        )
        window.close()
        assert autosave.exists()


def test_a_second_instance_never_touches_the_first_ones_autosave(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.session.dataset is not None, timeout=20_000)
    train_briefly(first, qtbot)  # the end of training writes first's copy
    qtbot.waitUntil(lambda: first.session.recovery.autosave.exists(), timeout=10_000)
    second = MainWindow()
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.session.recovery.done_looking, timeout=20_000)
    assert second.recovery_offer.banner is None  # first is alive: its copy is not an orphan
    qtbot.waitUntil(lambda: second.session.dataset is not None, timeout=20_000)
    second.close()
    assert first.session.recovery.autosave.exists()
    first.close()


def _infinite_layers(path) -> None:
    payload = torch.load(save_checkpoint(path, build_model(ModelConfig(hidden_sizes=(8,), code_size=2))),
                         weights_only=True)  # fmt: skip
    payload["model_config"] = '{"hidden_sizes": [Infinity], "code_size": 2}'  # once an OverflowError at each start
    torch.save(payload, path)


@pytest.mark.parametrize("make", [lambda path: path.write_bytes(b"half"), _infinite_layers], ids=["half", "Infinity"])
def test_unreadable_autosave_is_set_aside_once(qtbot, make):
    folder = checkpoints.autosave_folder()
    folder.mkdir(parents=True, exist_ok=True)
    make(folder / "autosave-2-dead.aegui.pt")
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.recovery.done_looking, timeout=20_000)
    assert window.recovery_offer.banner is None and not _copies()
    assert (folder / "autosave-2-dead.aegui.pt.unreadable").exists()  # kept for a person to look at, not retried
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    window.close()


def test_bad_data_folder_keeps_the_data_in_use(window, qtbot, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):  # fmt: skip
        (raw / name).write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 10)
    before = window.session.dataset
    window.session.data.folder = tmp_path
    window.panel.data_box.dataset_combo.setCurrentIndex(window.panel.data_box.dataset_combo.findData("mnist"))
    qtbot.waitUntil(lambda: "truncated" in window.panel.message_label.text(), timeout=20_000)
    assert window.session.dataset is before
    assert window.panel.train_button.isEnabled()
    train_briefly(window, qtbot)  # and the app still trains on what it had


def test_missing_device_falls_back_to_the_cpu(qtbot):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    window = MainWindow(device="cuda")
    qtbot.addWidget(window)
    assert "Using the CPU instead" in window.panel.message_label.text()
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    train_briefly(window, qtbot)
    window.close()


def test_batch_larger_than_the_data(window, qtbot):
    window.panel.batch_spin.setValue(60_000)
    train_briefly(window, qtbot)
    assert "whole training set" in window.status_line.label.text() + window.panel.message_label.text() or (
        window.parts.loss_plot.batch_points() == 1
    )


def _rss_mb() -> float:
    """Resident memory after handing freed heap pages back, so that the allocator's caching is not
    mistaken for growth."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for memory")
@pytest.mark.timeout(400)  # ~80 s alone; a parallel run on 2 cores can take twice that
def test_a_hundred_start_stop_close_cycles(qtbot):
    memory, windows = [], []
    gc.collect()
    gc.freeze()  # a full collection then scans only what the cycles made: ~0.1 s instead of ~0.25 s
    try:
        _run_cycles(qtbot, memory, windows)
    finally:
        gc.unfreeze()
    # the last window may still be held by this loop's own waitSignal blocker; every earlier one must be gone
    alive = [cycle for cycle, ref in enumerate(windows[:-1]) if ref() is not None]
    assert not alive, f"the windows of cycles {alive} were closed but never freed"
    # The trend over the last 80 cycles: the median slope between every two samples (Theil-Sen), which
    # a one-off step does not move much (the allocator alone has shown steps of 50-65 MB) while a steady
    # leak moves it fully. A leaked window is tens of MB and a leaked copy of the default model's
    # weights 6.4 MB, so a leak of either per cycle reads 500 MB or more (checked: a planted 6.4 MB
    # per cycle read 531 MB; runs without it 41-56 MB).
    first, second = np.triu_indices(len(memory), 1)
    slopes = (np.asarray(memory)[second] - np.asarray(memory)[first]) / ((second - first) * 10)
    growth = float(np.median(slopes)) * 80
    assert growth < 150, f"memory grew by {growth:.0f} MB over 80 cycles: {[round(m) for m in memory]}"


def _run_cycles(qtbot, memory: list[float], windows: list) -> None:
    from aegui.gui.concurrency.threads import live_workers, wait_for_workers

    for cycle in range(100):
        window = MainWindow()
        window.show()
        qtbot.waitUntil(lambda w=window: w.session.dataset is not None, timeout=20_000)
        window.panel.epochs_spin.setValue(1000)
        window.start_training()
        qtbot.waitUntil(lambda w=window: w.parts.loss_plot.batch_points() > 0, timeout=20_000)
        if cycle % 2:
            with qtbot.waitSignal(window.session.trainingFinished, timeout=10_000):
                window.stop_training()
        window.close()  # every other cycle closes while training
        assert wait_for_workers(5000) and live_workers() == 0
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        windows.append(weakref.ref(window))
        del window
        gc.collect()  # closed windows sit in reference cycles until a collection
        if cycle >= 19 and cycle % 10 == 9:  # after a warm-up of 20 cycles
            memory.append(_rss_mb())


points = st.tuples(
    st.floats(allow_nan=True, allow_infinity=True, width=32), st.floats(allow_nan=True, allow_infinity=True, width=32)
)
strokes = st.lists(st.lists(points, max_size=30), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strokes=strokes)
def test_the_canvas_survives_any_strokes(window, strokes):
    window.canvas.set_strokes(strokes)
    image = window.canvas.model_input()
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
    window.canvas.repaint()
    window.parts.drawing_controller.refresh_drawing()
    if not image.any():
        assert (
            window.draw_panel.code_view.values() is None
            or window.canvas.is_empty()
            or not np.isfinite(np.concatenate([np.asarray(s, float).ravel() for s in strokes if s])).all()
        )


def test_mouse_far_outside_the_canvas(window, qtbot):
    drag(window.canvas, [[(-5000.0, -5000.0), (160.0, 160.0), (9000.0, 4000.0)]])
    image = window.canvas.model_input()
    assert image.shape == (28, 28) and image.any()


@needs_mnist
def test_download_from_the_window(window, qtbot, tmp_path):
    from tests.test_data import QuietHandler, serve_gzipped_mnist

    served = tmp_path / "served"
    served.mkdir()
    serve_gzipped_mnist(served)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        window.session.data.folder = tmp_path / "data"
        window.session.data.mirrors = [f"http://127.0.0.1:{server.server_address[1]}/"]
        with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
            window.panel.data_box.download_button.click()
        assert loaded.args[0].summary == "MNIST 60,000 / 10,000"
        assert "MNIST 60,000 / 10,000" in window.panel.data_box.dataset_label.text()
        assert not window.panel.data_box.download_button.isVisible()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_closing_the_window_ends_a_download_stuck_on_a_silent_server(window, qtbot, tmp_path):
    from tests.test_data import _serve

    release, sent = threading.Event(), threading.Event()

    def silent(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        handler.wfile.write(b"\x1f\x8b")
        handler.wfile.flush()
        sent.set()
        release.wait(30)  # longer than the window's wait for its threads when closing

    server, thread, url = _serve(silent)
    try:
        window.session.data.folder = tmp_path / "data"
        window.session.data.mirrors = [url]
        window.panel.data_box.download_button.click()
        qtbot.waitUntil(lambda: window.session.phase.value == "downloading", timeout=10_000)
        qtbot.waitUntil(sent.is_set, timeout=10_000)  # the server has gone silent: the read waits on it
        assert window.shutdown()  # every worker ended within the close's wait (not after the server's 30 s)
        assert live_workers() == 0
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def test_failed_download_from_the_window_keeps_the_sample(window, qtbot, tmp_path):
    window.session.data.folder = tmp_path / "data"
    window.session.data.mirrors = ["http://127.0.0.1:9/"]
    window.panel.data_box.download_button.click()
    qtbot.waitUntil(lambda: "Could not download" in window.panel.message_label.text(), timeout=30_000)
    assert window.session.dataset.is_embedded_sample and window.panel.train_button.isEnabled()


@pytest.mark.real_unsaved_dialog
def test_opening_another_model_with_unsaved_training_asks_first(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    other = save_checkpoint(tmp_path / "other.aegui.pt", build_model(ModelConfig(hidden_sizes=(16,), code_size=3)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(other), ""))
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    train_briefly(window, qtbot)
    trained, seen = window.session.model, []
    answer_dialog(QMessageBox.StandardButton.Cancel, seen)
    with qtbot.waitSignal(window.session.openEnded, timeout=20_000):  # the file is read, then the question
        window.findChild(QAction, "openAction").trigger()
    assert seen and window.session.model is trained
    answer_dialog(QMessageBox.StandardButton.Discard, seen)
    with qtbot.waitSignal(window.session.openEnded, timeout=20_000):
        window.findChild(QAction, "openAction").trigger()
    assert window.session.model.code_size == 3 and not window.session.dirty
    window.close()


def test_file_open_warns_about_a_file_it_cannot_open_and_keeps_the_model(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    bad = tmp_path / "bad.aegui.pt"
    bad.write_bytes(b"\x00" * 100)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(bad), ""))
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warned.append(text))
    model = window.session.model
    with qtbot.waitSignal(window.session.openEnded, timeout=20_000):
        window.findChild(QAction, "openAction").trigger()
    assert len(warned) == 1 and "current model is unchanged" in warned[0] and window.session.model is model
    with qtbot.waitSignal(window.session.openEnded, timeout=20_000):  # not picked in the dialog (a script,
        window.files.open_model(bad)  # the command line): the message line says it, no dialog
    assert len(warned) == 1 and "current model is unchanged" in window.panel.message_label.text()


def test_unusable_settings_fall_back_to_defaults(qtbot):
    from aegui.gui.window.settings import make_settings

    settings = make_settings()
    unusable = {"training/preset": "no-such-preset", "training/epochs": "many", "training/lr": "fast",
                "window/geometry": "not bytes", "plot/log_scale": "perhaps", "data/choice": 42}  # fmt: skip
    for key, value in unusable.items():
        settings.setValue(key, value)
    settings.sync()
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    assert window.panel.preset_name() == "default" and not window.parts.log_check.isChecked()
    window.close()


@pytest.mark.parametrize(
    ("key", "stored"),
    [("training/epochs", "3000000000"), ("training/batch_size", "1e12"), ("training/code_size", "99999999999"),
     ("training/lr", "nan"), ("training/augment", "nan"), ("training/lr", "inf"), ("training/epochs", "2.5")],
)  # fmt: skip
def test_out_of_range_settings_fall_back_to_the_field_defaults(qtbot, key, stored):
    """Every stored value is checked against its field's type and range: the window starts with the value
    it has when nothing is stored (before: nan showed as the maximum, a huge count raised at start)."""
    from aegui.gui.window.settings import make_settings

    name = key.split("/")[1]
    values = []
    for value in (None, stored):
        settings = make_settings()
        settings.clear()
        settings.setValue("training/preset", "default")
        if value is not None:
            settings.setValue(key, value)
        settings.sync()
        window = MainWindow()
        qtbot.addWidget(window)
        values.append(window.panel.value(name))
        qtbot.waitUntil(lambda w=window: w.session.dataset is not None, timeout=20_000)
        window.close()
    assert values[1] == values[0]


def test_leftovers_of_killed_autosave_writes_are_removed_at_start(tmp_path):
    import time

    from aegui.gui.session.autosave import Autosave

    folder = tmp_path / "autosave"
    folder.mkdir()
    stale, fresh = time.time() - checkpoints.STALE_SECONDS - 60, time.time()
    names = {
        "autosave-7-dead.aegui.pt.writing": stale,
        "autosave-7-dead.aegui.pt.writing.x1.tmp": stale,
        "autosave-8-live.aegui.pt.writing.x2.tmp": fresh,
    }  # fmt: skip  (a write in progress elsewhere)
    for name, when in names.items():
        (folder / name).write_bytes(b"partial")
        os.utime(folder / name, (when, when))
    assert Autosave(folder).find_orphan() is None
    assert [p.name for p in folder.iterdir()] == ["autosave-8-live.aegui.pt.writing.x2.tmp"]


def test_cyclic_garbage_is_collected_in_the_gui_thread_only(window, qtbot):
    """A worker thread must never run the cycle collector (it could free Qt objects there: a deadlock seen
    in a test run); the GUI thread collects instead."""
    import gc

    assert not gc.isenabled()  # workers have run (the data loaded in one)

    class Node:
        pass

    node = Node()
    node.itself = node
    gone = weakref.ref(node)
    del node
    survivors = [[] for _ in range(gc.get_threshold()[0] + 100)]  # generation 0 over its threshold
    qtbot.waitUntil(lambda: gone() is None, timeout=10_000)
    del survivors
