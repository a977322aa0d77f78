"""Runs in the window: kept, listed, drawn faintly under the current model, renamed, hidden, removed,
exported as CSV, smoothed; TensorBoard logs when asked."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from aegui.core.model.autoencoder import ModelConfig
from aegui.core.training.runs import peak_bins, read_runs_csv, smooth, tensorboard_available
from tests.gui.conftest import ONE_EPOCH

SMALL = ModelConfig(hidden_sizes=(32,), code_size=4)
OTHER = ModelConfig(hidden_sizes=(32,), code_size=6)


def train(window, qtbot, config) -> None:
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        assert window.session.train(config, ONE_EPOCH)


def test_runs_are_kept_listed_and_drawn_under_the_next_model(window, qtbot, tmp_path):
    table, plot = window.parts.runs_view.table, window.parts.loss_plot
    train(window, qtbot, SMALL)
    assert table.rowCount() == 1 and table.item(0, 0).text() == "run 1"
    assert table.item(0, 2).text() == "4" and float(table.item(0, 3).text()) > 0
    assert plot.earlier_runs() == 0  # the current model's own run is its curve
    train(window, qtbot, SMALL)  # the same model again: a second run, still the current curve
    train(window, qtbot, OTHER)  # another architecture: a new model; the first two runs go beneath it
    assert table.rowCount() == 3 and plot.earlier_runs() == 2
    qtbot.waitUntil(lambda: len(plot._levels) == 100, timeout=30_000)  # every slider level, made ahead
    window.parts.runs_view.smoothing_slider.setValue(80)
    (x, raw), _ = plot.earlier_curves()
    shown = plot._earlier[0][0].getData()
    expected = peak_bins(x, smooth(raw, 0.8))
    np.testing.assert_allclose(shown[0], expected[0])
    np.testing.assert_allclose(shown[1], expected[1])
    window.parts.runs_view.smoothing_slider.setValue(0)
    table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)  # hide one
    assert plot.earlier_runs() == 1 and not window.parts.runs_controller.runs[0].visible
    table.item(1, 0).setText("wider")  # rename
    assert window.parts.runs_controller.runs[1].name == "wider"
    table.setCurrentCell(2, 0)
    window.parts.runs_view.remove_button.click()
    assert table.rowCount() == 2
    path = tmp_path / "runs.csv"
    assert window.files.export_runs(path)
    back = read_runs_csv(path)
    assert [record.name for record in back] == [run.name for run in window.parts.runs_controller.runs]
    assert back[1].history.batch_losses == window.parts.runs_controller.runs[1].history.batch_losses


def test_the_smoothing_slider_smooths_every_batch_curve_as_tensorboard(window, qtbot):
    train(window, qtbot, SMALL)
    _x, raw_y = window.parts.loss_plot.batch_data()
    window.parts.runs_view.smoothing_slider.setValue(90)
    assert window.parts.runs_view.smoothing_label.text() == "smoothing 0.90"
    _x, shown = window.parts.loss_plot._batch_curve.getData()
    np.testing.assert_allclose(shown, smooth(raw_y, 0.9))
    window.parts.runs_view.smoothing_slider.setValue(0)
    np.testing.assert_allclose(window.parts.loss_plot._batch_curve.getData()[1], raw_y)


@pytest.mark.skipif(not tensorboard_available(), reason="the tensorboard extra is not installed")
def test_the_window_writes_each_runs_tensorboard_log_when_asked(window, qtbot, tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setattr("aegui.gui.training.runs_controller.default_data_dir", lambda: tmp_path / "data")
    window.parts.runs_view.tensorboard_check.setChecked(True)
    with qtbot.waitSignal(window.parts.runs_controller.message, timeout=60_000,
                          check_params_cb=lambda text, error: text.startswith("TensorBoard logs:")):  # fmt: skip
        train(window, qtbot, SMALL)
    (folder,) = (tmp_path / "tensorboard").iterdir()
    events = EventAccumulator(str(folder))
    events.Reload()
    assert len(events.Scalars("loss/batch")) == len(window.session.history.batch_losses)
    assert [event.step for event in events.Scalars("epoch/test_loss")] == [1]


def test_only_the_newest_earlier_runs_are_drawn(window, qtbot, monkeypatch):
    """A long session keeps every run listed but draws only the newest few beneath the current model (each
    drawn run costs its smoothing levels: 62 runs held hundreds of MB in the soak benchmark)."""
    from aegui.gui.training import runs_controller

    monkeypatch.setattr(runs_controller, "MAX_OVERLAID", 1)
    plot = window.parts.loss_plot
    for config in (SMALL, SMALL, OTHER):
        train(window, qtbot, config)
    runs = window.parts.runs_controller.runs
    assert len(runs) == 3 and len(window.parts.runs_controller.earlier()) == 2 and plot.earlier_runs() == 1
    assert plot._earlier_colours == [runs[1].colour]  # the newer of the two


def _kept_files():
    from aegui.core.training.run_store import SUFFIX, runs_folder

    return sorted(runs_folder().glob(f"*{SUFFIX}"))


def test_runs_are_kept_between_sessions_and_a_damaged_file_stops_nothing(window_factory, qtbot):
    """As TensorBoard keeps its logs: each run (renamed, hidden) is there at the next start, drawn beneath the
    new model; a file that cannot be read is set aside and said, and the window starts all the same."""
    from aegui.core.training.run_store import runs_folder

    first = window_factory()
    train(first, qtbot, SMALL)
    qtbot.waitUntil(lambda: len(_kept_files()) == 1, timeout=10_000)
    first.parts.runs_view.table.item(0, 0).setText("kept")
    qtbot.waitUntil(lambda: '"name": "kept"' in _kept_files()[0].read_text(), timeout=10_000)
    history = first.parts.runs_controller.runs[0].history
    first.close()
    (runs_folder() / "20000101T000000-damaged.run.json").write_text('{"format": "aegui-run", "vers')
    second = window_factory()
    qtbot.waitUntil(lambda: second.parts.runs_controller.loaded, timeout=10_000)
    runs = second.parts.runs_controller.runs
    assert [run.name for run in runs] == ["kept"] and runs[0].history.batch_losses == history.batch_losses
    assert runs[0].history.epochs == history.epochs and second.parts.loss_plot.earlier_runs() == 1
    assert "set aside as" in second.panel.message_label.text()
    assert (runs_folder() / "20000101T000000-damaged.run.json.unreadable").exists()  # kept for a person to see
    second.parts.runs_view.table.setCurrentCell(0, 0)
    second.parts.runs_view.remove_button.click()  # removed from the list; its record kept aside
    assert not _kept_files() and len(list((runs_folder() / "removed").glob("*.run.json"))) == 1
    assert "move it back" in second.panel.message_label.text()


def test_a_runs_folder_that_is_a_file_says_so_and_the_window_works(window_factory, qtbot, tmp_path, monkeypatch):
    in_the_way = tmp_path / "runs-file"
    in_the_way.write_text("someone's notes")
    monkeypatch.setenv("AEGUI_RUNS_DIR", str(in_the_way))
    window = window_factory()
    qtbot.waitUntil(lambda: window.parts.runs_controller.loaded, timeout=10_000)
    assert "Runs are not kept between sessions" in window.panel.message_label.text()
    with qtbot.waitSignal(window.parts.runs_controller.message, timeout=60_000):  # (the run cannot be kept: said)
        train(window, qtbot, SMALL)
    assert window.parts.runs_view.table.rowCount() == 1 and in_the_way.read_text() == "someone's notes"
