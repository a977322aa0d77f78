"""What a newcomer meets first in the window: advice in the window's own words, Train on other data than
the model was trained on, and a map count that matches the data."""

from __future__ import annotations

import pytest

from benchmarks.images import write_digit_folder
from tests.gui.test_faults import train_briefly


def test_the_status_bar_gives_the_windows_way_to_more_data_not_the_command_line(window):
    status = window.status_line.label.toolTip() or window.status_line.label.text()
    assert "File › Download full MNIST…" in status and "File › Choose data folder…" in status
    assert "aegui download" not in status and "--data-dir" not in status


def test_train_on_other_data_says_so_beside_train_and_offers_a_new_model(window, qtbot, tmp_path, sample):
    panel = window.panel
    assert not panel.data_note_label.isVisible()
    train_briefly(window, qtbot)
    assert not panel.data_note_label.isVisible()  # trained on the data that is loaded
    folder = write_digit_folder(tmp_path / "digits", sample.test_images[:60].numpy(), sample.test_labels[:60].numpy())
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        window.parts.data_controller.load_images(folder)
    note = panel.data_note_label.text()
    assert panel.data_note_label.isVisible() and panel.new_model_button.isVisible()
    assert "Embedded sample" in note and "digits" in note and "Train goes on training it" in note
    with qtbot.waitSignal(window.session.modelChanged):
        panel.new_model_button.click()  # (unsaved work: the tests answer Discard)
    assert window.session.history.epochs_done == 0 and not panel.data_note_label.isVisible()
    assert "reset to new, untrained weights" in panel.message_label.text()


def test_the_maps_count_never_says_more_digits_than_the_test_set_has(window, qtbot):
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.parts.code_space.latent is not None, timeout=30_000)
    spin = window.parts.code_space_panel.count_spin
    shown = len(window.parts.code_space.latent.labels)
    assert spin.value() == shown == len(window.session.dataset.test_images) == 1000
    assert spin.maximum() == 1000


def test_a_data_folder_chosen_in_the_window_is_the_one_the_commands_use(window, qtbot, tmp_path, monkeypatch, capsys):
    from aegui.cli import main
    from aegui.core.folders import chosen_data_folder

    folder = tmp_path / "datasets"
    folder.mkdir()
    monkeypatch.setattr("aegui.gui.data.controller.QFileDialog.getExistingDirectory", lambda *args: str(folder))
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=30_000):
        window.actions["chooseFolderAction"].trigger()
    assert window.session.data.folder == folder and chosen_data_folder() == folder.resolve()
    monkeypatch.delenv("AEGUI_DATA_DIR")
    assert main(["datasets"]) == 0
    assert f"Data folder: {folder.resolve()} (chosen in the window)" in capsys.readouterr().out


def test_file_export_model_writes_a_checked_onnx_decoder(window, qtbot, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime", reason="ONNX checks need the export extra: pip install 'aegui[export]'")
    target = tmp_path / "decoder.onnx"
    monkeypatch.setattr("aegui.gui.window.dialogs.QFileDialog.getSaveFileName",
                        lambda *args: (str(target), "ONNX, decoder: codes to images (*.onnx)"))  # fmt: skip
    window.actions["exportModelAction"].trigger()
    qtbot.waitUntil(lambda: "Checked in onnxruntime" in window.panel.message_label.text(), timeout=60_000)
    assert target.is_file() and "decoder as ONNX" in window.panel.message_label.text()


def test_train_on_an_opened_model_goes_on_exactly_as_the_command_line_would(window, qtbot, tmp_path, monkeypatch):
    """Two epochs from the command line, opened in the window and trained two more, give the weights of four
    straight: the window takes up the file's optimizer, schedule and random state."""
    import aegui
    import aegui.cli.keeping as keeping
    from aegui.cli import main
    from tests.conftest import open_and_wait

    monkeypatch.setattr(keeping, "fit_density", lambda *_args: None)  # (seconds each save; kept apart from weights)
    common = ["train", "--dataset", "sample", "--preset", "seed", "--precision", "fp32", "--batch-size", "500"]
    assert main([*common, "--epochs", "2", "--save", str(tmp_path / "two.aegui.pt")]) == 0
    assert main([*common, "--epochs", "4", "--save", str(tmp_path / "four.aegui.pt")]) == 0
    assert open_and_wait(qtbot, window.session, tmp_path / "two.aegui.pt") is None
    assert window.session.training_state is not None
    window.panel.epochs_spin.setValue(2)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        assert window.start_training()
    straight = aegui.load_model(tmp_path / "four.aegui.pt").state_dict()
    trained = window.session.model.state_dict()
    assert max(float((trained[key] - straight[key]).abs().max()) for key in straight) <= 1e-6
    assert window.session.history.epochs_done == 4 and window.session.training_state.run_epochs_done == 2


def test_copy_as_command_puts_the_panels_settings_on_the_clipboard(window, qtbot):
    import shlex

    from PySide6.QtGui import QGuiApplication

    window.panel.code_spin.setValue(12)
    window.panel.epochs_spin.setValue(3)
    window.actions["copyCommandAction"].trigger()
    command = QGuiApplication.clipboard().text()
    words = shlex.split(command)
    assert words[:4] == ["aegui", "train", "--preset", "default"]
    assert words[words.index("--code-size") + 1] == "12" and words[words.index("--epochs") + 1] == "3"
    assert words[words.index("--dataset") + 1] == "sample" and command in window.panel.message_label.text()
