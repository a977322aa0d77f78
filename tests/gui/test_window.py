import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from aegui.core.training.pacing import MAX_UPDATES_PER_SECOND
from aegui.core.training.trainer import Ended
from aegui.gui.concurrency.training_process import TrainingProgress
from tests.conftest import REPO, open_and_wait
from tests.gui.conftest import drag

CONTRACT = ["trainButton", "stopButton", "presetCombo", "lossPlot", "reconstructionGallery", "drawCanvas",
            "clearButton", "codeView", "reconstructionView"]  # fmt: skip


def test_builds_with_no_arguments_on_the_embedded_sample(window):
    assert window.objectName() == "aeguiMainWindow"
    for name in CONTRACT:
        assert window.findChild(QWidget, name) is not None, name
    assert "Embedded sample 5,000" in window.panel.data_box.dataset_label.text()
    assert window.panel.data_box.download_button.isVisible()
    assert window.panel.train_button.isEnabled() and not window.panel.stop_button.isEnabled()


def short_run(window, epochs=2):
    window.panel.epochs_spin.setValue(epochs)


def test_training_through_the_buttons(window, qtbot):
    short_run(window)
    before = window.parts.gallery.updates
    with qtbot.waitSignal(window.session.trainingStarted):
        qtbot.mouseClick(window.panel.train_button, Qt.MouseButton.LeftButton)
    assert window.session.is_training() and not window.panel.train_button.isEnabled()
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000) as finished:
        pass
    ended: Ended = finished.args[0]
    assert ended.reason == "finished"
    batches = -(-4000 // window.panel.batch_spin.value())  # the 4,000 sample images, the last batch partial
    assert window.parts.loss_plot.batch_points() == 2 * batches
    assert window.parts.loss_plot.epoch_points() == 2
    assert window.parts.gallery.updates > before
    picture = window.parts.gallery.picture()
    assert picture[30:58].max() > 0.2  # the reconstruction row is drawn
    assert "Finished: test MSE" in window.panel.message_label.text()
    assert window.session.dirty and window.windowTitle().endswith("*")
    x, _ = window.parts.loss_plot.batch_data()
    assert np.all(np.diff(x) > 0) and x[-1] == pytest.approx(2.0)


def test_updates_are_throttled(window, qtbot):
    epochs = 1
    short_run(window, epochs=epochs)
    window.panel.batch_spin.setValue(8)  # 500 tiny batches an epoch: far more batches than updates
    updates = []
    window.start_training()
    window.session.trainingProgress.connect(lambda item: updates.append((time.perf_counter(), item)))
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        pass
    progress = [t for t, item in updates if isinstance(item, TrainingProgress)]
    batches = sum(len(item.losses) for _, item in updates if isinstance(item, TrainingProgress))
    assert batches == 500 * epochs and len(progress) < batches / 2
    seconds = progress[-1] - progress[0]
    assert len(progress) <= MAX_UPDATES_PER_SECOND * seconds + 2 * epochs + 2  # plus a flush at each epoch's end


def test_pause_resume_and_stop(window, qtbot):
    short_run(window, epochs=50)
    window.start_training()
    qtbot.waitUntil(lambda: window.parts.loss_plot.batch_points() > 0, timeout=20_000)
    with qtbot.waitSignal(window.session.trainingPaused, timeout=20_000) as paused:
        qtbot.mouseClick(window.panel.pause_button, Qt.MouseButton.LeftButton)
        assert window.panel.pause_button.text() == "Resume"
    paused_at = window.parts.loss_plot.batch_points()
    assert paused_at == paused.args[0]  # every loss before the pause has arrived, none after
    assert window.status_line.label.text().startswith(f"Paused after batch {paused_at:,}")
    progress = []
    window.session.trainingProgress.connect(progress.append)
    qtbot.mouseClick(window.panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.parts.loss_plot.batch_points() > paused_at, timeout=20_000)
    assert progress[0].first_step == paused_at + 1  # resumed where it paused: no batch lost, none repeated
    with qtbot.waitSignal(window.session.trainingPaused, timeout=20_000) as paused:
        qtbot.mouseClick(window.panel.pause_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=10_000) as finished:
        qtbot.mouseClick(window.panel.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].reason == "stopped"
    assert finished.args[0].steps == paused.args[0]  # stopped while paused: not a batch was trained meanwhile
    assert window.parts.loss_plot.batch_points() == paused.args[0]
    assert window.panel.train_button.isEnabled()


def test_space_starts_and_pauses(window, qtbot):
    short_run(window, epochs=50)
    window.actions["startPauseAction"].trigger()
    assert window.session.is_training()
    window.actions["startPauseAction"].trigger()
    qtbot.waitUntil(lambda: window.session.trainer is not None and window.session.trainer.is_paused)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=10_000):
        window.stop_training()


def test_learning_rate_changes_while_training(window, qtbot):
    short_run(window, epochs=50)
    window.start_training()
    qtbot.waitUntil(lambda: window.parts.loss_plot.batch_points() > 0, timeout=20_000)
    window.panel.lr_spin.setValue(0.0005)
    qtbot.waitUntil(lambda: window.session.trainer is not None and abs(window.session.trainer.lr - 0.0005) < 1e-12)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=10_000):
        window.stop_training()


def test_huge_learning_rate_takes_the_nan_path(window, qtbot):
    short_run(window, epochs=3)
    window.panel.optimizer_combo.setCurrentIndex(window.panel.optimizer_combo.findData("sgd"))
    window.panel.lr_spin.setValue(1_000_000.0)  # Adam's steps are bounded by the rate; plain SGD's are not
    window.start_training()
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000) as finished:
        pass
    assert finished.args[0].reason == "diverged"
    text = window.panel.message_label.text()
    assert ("nan" in text or "inf" in text) and "last good weights" in text
    state = window.session.model.state_dict()
    assert all(torch.isfinite(t).all() for t in state.values())
    inference = window.session.inference.model.state_dict()
    assert all(torch.equal(inference[k], state[k]) for k in state)


def test_close_during_training_stops_the_worker(window, qtbot):
    short_run(window, epochs=100)
    window.start_training()
    qtbot.waitUntil(lambda: window.parts.loss_plot.batch_points() > 0, timeout=20_000)
    window.close()  # asks the loop to stop, then waits for it (how long it takes: `python -m benchmarks gui`)
    from aegui.gui.concurrency.threads import live_workers

    assert live_workers() == 0 and not window.isVisible()


@pytest.mark.parametrize("signal", ["trainingProgress", "epochEnded"])
def test_process_exits_when_closed_while_training(tmp_path, signal):
    """Closing the window while training ends the process cleanly: the training thread is stopped and
    waited for, nothing is destroyed while running. (The time it takes is a benchmark figure.) Just after an
    epoch's end, a worker created then had not started yet (superqt starts it on the loop's next turn): the
    window's wait missed it, and it ran after the window had gone."""
    script = (
        "import sys, time\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(sys.argv)\n"
        "from aegui.gui import MainWindow\n"
        "from aegui.gui.window.file_actions import FileActions\n"
        "FileActions.ask_unsaved = lambda self, doing: 'discard'\n"
        "window = MainWindow()\n"
        "window.panel.epochs_spin.setValue(100)\n"
        "window.show()\n"
        "window.session.datasetLoaded.connect(lambda _: window.start_training())\n"
        "def close():\n"
        "    print('training' if window.session.is_training() else 'idle', flush=True)\n"
        "    print(f'closing {time.time()}', flush=True)\n"
        "    window.close()\n"
        "asked = []\n"
        "def close_once_batches_are_trained(_):\n"  # (from the event loop, once: not inside the session's signal)
        "    if not asked:\n"
        "        asked.append(True)\n"
        "        QTimer.singleShot(0, close)\n"
        f"window.session.{signal}.connect(close_once_batches_are_trained)\n"
        "app.exec()\n"
        "from aegui.gui.concurrency.threads import live_workers\n"
        "print(f'threads left {live_workers()}', flush=True)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "training" in result.stdout and "closing" in result.stdout
    assert "threads left 0" in result.stdout
    assert "QThread: Destroyed" not in result.stderr


def test_fields_that_differ_from_the_loaded_model_are_marked(window, qtbot):
    panel = window.panel
    assert not panel.new_model_label.isVisibleTo(panel)
    panel.code_spin.setValue(panel.code_spin.value() + 3)
    assert panel.new_model_label.isVisibleTo(panel)
    assert "code size" in panel.new_model_label.text() and "Train starts a new model" in panel.new_model_label.text()
    assert "bold" in panel.code_spin.styleSheet() and "bold" not in panel.activation_combo.styleSheet()
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("seed"))  # other layers as well
    assert "layers (preset)" in panel.new_model_label.text()
    window.new_model()  # the panel's settings are now the loaded model's
    assert not panel.new_model_label.isVisibleTo(panel) and "bold" not in panel.code_spin.styleSheet()


def test_status_shows_the_phase_and_a_labelled_progress_bar(window, qtbot):
    short_run(window, epochs=2)
    assert not window.status_line.progress.isVisibleTo(window)  # idle: no empty bar
    with qtbot.waitSignal(window.session.trainingStarted):
        window.start_training()
    assert window.status_line.progress.isVisibleTo(window) and window.status_line.progress.text().startswith(
        "epoch 1/2"
    )
    qtbot.waitUntil(lambda: window.status_line.label.text().startswith("Epoch"), timeout=20_000)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        pass
    assert window.status_line.label.text().startswith(
        "Training finished"
    ) and not window.status_line.progress.isVisibleTo(window)
    long = "x" * 2000
    window.status_line.label.setText(long)
    assert window.status_line.label.toolTip() == long and window.status_line.label.shown_text().endswith("…")


def test_reset_model(window, qtbot):
    short_run(window, epochs=1)
    window.start_training()
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        pass
    trained = window.session.model
    qtbot.mouseClick(window.panel.reset_button, Qt.MouseButton.LeftButton)
    assert window.session.model is not trained and window.session.history.epochs_done == 0
    assert window.parts.loss_plot.batch_points() == 0


def test_training_continues_the_same_model(window, qtbot):
    short_run(window, epochs=1)
    for _ in range(2):
        with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
            window.start_training()
    assert [e["epoch"] for e in window.session.history.epochs] == [1, 2]
    assert window.parts.loss_plot.epoch_points() == 2


def test_save_open_and_export(window, qtbot, tmp_path):
    short_run(window, epochs=1)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.start_training()
    path = tmp_path / "digits.aegui.pt"
    assert window.files.save_model(path) and not window.session.dirty
    window.reset_model()
    assert open_and_wait(qtbot, window.session, path) is None
    assert window.session.history.epochs_done == 1 and window.parts.loss_plot.epoch_points() == 1
    assert window.windowTitle() == "aegui – digits.aegui.pt"
    bad = tmp_path / "bad.aegui.pt"
    bad.write_bytes(b"garbage")
    model = window.session.model
    assert "a text file, not a model file" in open_and_wait(qtbot, window.session, bad)
    assert window.session.model is model and "a text file, not a model file" in window.panel.message_label.text()
    for widget, name in ((window.parts.loss_plot, "loss.png"), (window.parts.gallery, "gallery.png")):
        assert window.files.export_png(widget, tmp_path / name)
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_settings_are_remembered(qtbot):
    from aegui.gui import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.session.dataset is not None, timeout=20_000)
    first.panel.preset_combo.setCurrentIndex(first.panel.preset_combo.findData("seed"))
    first.panel.epochs_spin.setValue(3)
    first.parts.log_check.setChecked(True)
    first.resize(1000, 700)
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.session.dataset is not None, timeout=20_000)
    assert second.panel.preset_name() == "seed" and second.panel.epochs_spin.value() == 3
    assert second.parts.log_check.isChecked()
    second.close()


def test_about_names_versions_and_device(window):
    from aegui.gui.window.dialogs import about_text

    text = about_text(window.session.device)
    assert torch.__version__ in text and "Qt " in text and "cpu" in text
    assert "LeCun" in text and "CC BY-SA 3.0" in text  # the embedded digits are MNIST's


def test_epochs_follow_the_data_unless_set_by_hand(window):
    assert window.panel.epochs_spin.value() == 68  # the default preset's 9 epochs x 7.5, on 4,000 sample digits
    note = window.panel.epochs_note  # the window says why, in the CLI's words
    assert note.isVisibleTo(window.panel) and "9 epochs are for full MNIST" in note.text() and "68" in note.text()
    window.panel.preset_combo.setCurrentIndex(window.panel.preset_combo.findData("seed"))
    assert window.panel.epochs_spin.value() == 60
    window.panel.epochs_spin.setValue(5)
    assert not note.isVisibleTo(window.panel)  # set by hand: nothing to explain
    window.panel.set_train_size(60_000)
    assert window.panel.epochs_spin.value() == 5


def test_convolutional_denoising_from_the_window(window_factory, qtbot, tmp_path, monkeypatch, sample):
    # (what is checked is the window's conv and noise wiring, not learning: 500 digits do as 4,000 would)
    monkeypatch.setattr("aegui.gui.session.loaders.load_dataset", lambda *_args: sample.subset(500, 100))
    panel = (window := window_factory()).panel
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("conv"))
    panel.noise_combo.setCurrentIndex(panel.noise_combo.findData("masking"))
    panel.noise_spin.setValue(0.4)
    panel.augment_spin.setValue(0.3)
    panel.shift_spin.setValue(0.2)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=120_000) as finished:
        window.start_training()
    assert finished.args[0].reason == "finished"
    assert window.session.model.config.kind == "conv"
    assert window.parts.gallery.rows == 3  # test digits, noisy inputs, clean outputs
    path = tmp_path / "conv.aegui.pt"
    assert window.files.save_model(path)
    window.reset_model()
    assert open_and_wait(qtbot, window.session, path) is None and window.session.model.config.kind == "conv"
    assert panel.kind_combo.currentData() == "conv" and panel.noise_combo.currentData() == "masking"
    assert window.session.train_config.shift == 0.2 and panel.shift_spin.value() == 0.2
    with qtbot.waitSignal(window.session.trainingFinished, timeout=120_000):
        window.start_training()  # continues the opened model rather than starting a new one
    assert window.session.history.epochs_done == 2


def test_an_opened_model_keeps_its_layers_when_trained_further(window, qtbot, tmp_path):
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.autoencoder import ModelConfig, build_model

    config = ModelConfig(hidden_sizes=(48, 24), code_size=7, activation="relu")
    path = save_checkpoint(tmp_path / "custom.aegui.pt", build_model(config))
    assert open_and_wait(qtbot, window.session, path) is None
    model = window.session.model
    window.panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.start_training()
    assert window.session.model is model and model.config.hidden_sizes == (48, 24)


def test_the_gallery_shows_every_row_when_denoising_adds_one(qtbot):
    from aegui.gui.widgets.gallery import ReconstructionGallery

    gallery = ReconstructionGallery()
    qtbot.addWidget(gallery)
    gallery.resize(700, 200)
    gallery.show()
    digits = np.random.default_rng(0).random((10, 28, 28)).astype(np.float32)

    def whole_picture_in_view() -> bool:
        height, width = gallery.picture().shape
        (x0, x1), (y0, y1) = gallery.shown_area()
        return x0 <= 0.5 and x1 >= width - 0.5 and y0 <= 0.5 and y1 >= height - 0.5

    for noisy in (digits, None, digits):  # three rows, back to two, three again
        gallery.show_images(digits, digits, noisy)
        assert gallery.rows == (2 if noisy is None else 3)
        qtbot.waitUntil(whole_picture_in_view, timeout=2000)


@pytest.mark.parametrize(("screen", "canvas_side"), [((1366, 728), 256), ((1920, 1040), 320)])
def test_the_window_fits_a_laptop_screen(qtbot, monkeypatch, screen, canvas_side):
    """A 1366x768 screen less its task bar: the whole window fits, tabs scroll rather than overflow."""
    from aegui.gui.window import main_window

    monkeypatch.setattr(main_window, "_available_size", lambda: screen)
    window = main_window.MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=20_000)
    assert window.canvas.width() == window.canvas.height() == canvas_side
    needed = window.minimumSizeHint()
    assert needed.width() <= screen[0] and needed.height() <= screen[1] - 40  # room for a title bar
    assert window.width() <= screen[0] and window.height() <= screen[1]
    window.close()


def test_closing_before_the_data_has_loaded_starts_nothing_more(tmp_path):
    """`aegui gui --exit-when-shown` closes at once, while the data is still loading: its arrival must not
    start work for a window that is gone (that printed 'Signal source has been deleted' at exit)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "main.py", "gui", "--exit-when-shown"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and "window shown" in result.stdout
    assert "Traceback" not in result.stderr and "has been deleted" not in result.stderr, result.stderr[-2000:]


def test_the_first_frame_needs_neither_torch_nor_pyqtgraph():
    """What the window shows first (panel, canvas, menus) and the command line's parser import light: the
    model library loads after the window is up."""
    code = ("import sys, aegui.cli, aegui.gui.app, aegui.gui.window.main_window; "
            "print(sorted(m for m in ('torch', 'pyqtgraph') if m in sys.modules))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_the_window_shows_and_draws_before_the_model_library_has_loaded(qtbot):
    from aegui.gui.window.main_window import LOADING, MainWindow

    window = MainWindow(load_later=True)
    qtbot.addWidget(window)
    window.show()
    panel = window.panel
    assert not window.is_ready and LOADING in panel.message_label.text()
    assert not panel.train_button.isEnabled() and not panel.reset_button.isEnabled()
    assert window.actions["quitAction"].isEnabled() and not window.actions["openAction"].isEnabled()
    side = window.canvas.width()
    drag(window.canvas, [[(side * 0.5, side * 0.2), (side * 0.5, side * 0.8)]])  # a 1, drawn while it loads
    assert not window.canvas.is_empty()
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.load_the_rest()
    qtbot.waitUntil(lambda: window.session.dataset is not None and panel.train_button.isEnabled(), timeout=20_000)
    assert [window.tabs.tabText(index) for index in range(window.tabs.count())] == [
        "Training", "Code space", "Explore", "Generate", "Features", "Outliers"]  # fmt: skip
    qtbot.waitUntil(lambda: window.draw_panel.input_view.image() is not None, timeout=10_000)  # the drawing, seen
    assert LOADING not in panel.message_label.text()
    window.close()


def test_the_window_hands_freed_memory_back_now_and_then_in_a_worker(window, qtbot, monkeypatch):
    import threading

    from aegui.core.training import memory

    qtbot.waitUntil(lambda: window.is_ready, timeout=20_000)
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(threading.current_thread()) or True)
    assert window.memory_release.timer.isActive()
    window.memory_release.timer.setInterval(10)
    qtbot.waitUntil(lambda: len(calls) >= 2, timeout=5_000)
    assert threading.main_thread() not in calls  # never in the GUI thread
    window.close()
    assert not window.memory_release.timer.isActive()


def test_a_finished_run_says_how_its_test_error_compares_with_pca(window, qtbot):
    from aegui.core.model.pca import fit_components
    from tests.gui.test_faults import train_briefly

    train_briefly(window, qtbot)
    session = window.session
    qtbot.waitUntil(lambda: "PCA with" in window.panel.message_label.text(), timeout=60_000)
    pca = fit_components(session.dataset.train_images, session.model.code_size).test_mse(session.dataset.test_images)
    text = window.panel.message_label.text()
    assert f"PCA with {session.model.code_size} components: {pca:.5f}" in text and text.startswith("Finished")


def test_names_in_messages_are_shown_as_text_never_read_as_markup(window):
    from PySide6.QtCore import Qt

    window.panel.show_message("Opened <h1>BIG</h1><font color=red>x</font>.aegui.pt")
    label = window.panel.message_label
    assert label.textFormat() == Qt.TextFormat.PlainText and "<h1>" in label.text()
