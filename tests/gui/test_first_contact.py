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
        window.parts.data_picker.load_images(folder)
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
