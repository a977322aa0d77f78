"""Runs side by side (core and CLI): TensorBoard's smoothing, histories as CSV and back, TensorBoard logs."""

import math

import numpy as np
import pytest

from aegui.cli import main
from aegui.core.training import runs as runs_module
from aegui.core.training.runs import RunsFileError, read_runs_csv, smooth, tensorboard_available, write_runs_csv
from aegui.core.training.trainer import History

needs_tensorboard = pytest.mark.skipif(not tensorboard_available(), reason="the tensorboard extra is not installed")


def tensorboards_smoothing(values, weight):
    """TensorBoard's own algorithm (tensorboard/plugins/scalar/vz_line_chart2), point by point."""
    last, count, out = 0.0, 0, []
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99])
def test_smoothing_is_tensorboards(weight):
    values = np.random.default_rng(0).normal(1.0, 0.3, 500)
    values[[10, 200]] = [np.nan, np.inf]
    np.testing.assert_allclose(smooth(values, weight), tensorboards_smoothing(values, weight), rtol=1e-9)
    assert smooth(values, 0.9)[0] == values[0]  # debiased: the first point is not pulled towards zero


def _history(seed: int, epochs: int = 3, batches: int = 40) -> History:
    rng = np.random.default_rng(seed)
    history = History(batch_losses=list(rng.uniform(0.05, 0.3, batches)))
    for epoch in range(1, epochs + 1):
        history.epochs.append({"epoch": epoch, "train_loss": float(rng.uniform()), "test_loss": float(rng.uniform()),
                               "test_mse": float(rng.uniform()), "seconds": 1.5, "samples_per_s": 1000.0})  # fmt: skip
    return history


def test_runs_csv_reloads_to_the_same_numbers(tmp_path):
    runs = [("run 1: default", _history(1)), ("run 2: vae", _history(2, epochs=2, batches=25))]
    path = tmp_path / "runs.csv"
    write_runs_csv(path, runs)
    back = read_runs_csv(path)
    assert [record.name for record in back] == ["run 1: default", "run 2: vae"]
    for record, (_name, history) in zip(back, runs, strict=True):
        assert record.history.batch_losses == history.batch_losses  # exactly: floats written with repr
        assert record.history.epochs == history.epochs


def test_a_file_that_is_not_a_runs_file_is_refused(tmp_path):
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RunsFileError, match="not a runs file"):
        read_runs_csv(tmp_path / "other.csv")
    write_runs_csv(tmp_path / "runs.csv", [("r", _history(0))])
    lines = (tmp_path / "runs.csv").read_text().splitlines()
    lines[1] = "r,batch,1,0.075,low,,,,,,,"  # a batch loss that is not a number
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(RunsFileError, match="is not a number"):
        read_runs_csv(tmp_path / "bad.csv")


def test_cli_metrics_as_csv_hold_every_batch_and_epoch(tmp_path, capsys):
    path = tmp_path / "m.csv"
    assert main(["train", "--preset", "seed", "--epochs", "2", "--hidden", "32", "--code-size", "4",
                 "--metrics-out", str(path)]) == 0  # fmt: skip
    (run,) = read_runs_csv(path)
    assert run.name == "seed" and [int(r["epoch"]) for r in run.history.epochs] == [1, 2]
    assert len(run.history.batch_losses) == 2 * 16  # 4,000 sample digits in batches of 256, twice
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch: 0002")]
    assert f"{run.history.epochs[-1]['test_mse']:.9f}" in printed[0]


@needs_tensorboard
def test_cli_tensorboard_logs_are_read_by_tensorboards_own_reader(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folder = tmp_path / "tb"
    assert main(["train", "--preset", "seed", "--epochs", "2", "--hidden", "32", "--code-size", "4",
                 "--tensorboard", str(folder)]) == 0  # fmt: skip
    events = EventAccumulator(str(folder))
    events.Reload()
    assert {"loss/batch", "epoch/train_loss", "epoch/test_loss", "epoch/test_mse"} <= set(events.Tags()["scalars"])
    assert len(events.Scalars("loss/batch")) == 32 and [e.step for e in events.Scalars("epoch/test_loss")] == [1, 2]


def test_cli_without_tensorboard_says_how_to_get_it_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runs_module, "tensorboard_available", lambda: False)
    assert main(["train", "--preset", "seed", "--epochs", "1", "--tensorboard", str(tmp_path / "tb")]) == 2
    captured = capsys.readouterr()
    assert "pip install 'aegui[tensorboard]'" in captured.err and "Epoch:" not in captured.out
