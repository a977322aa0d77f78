"""Training runs side by side: smoothing as TensorBoard does it, histories as CSV (written and read
back), and TensorBoard event files through `torch.utils.tensorboard` (the `tensorboard` extra)."""

from __future__ import annotations

import csv
import functools
import importlib.util
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aegui.core.errors import AeguiError
from aegui.core.safe_text import csv_cell, from_csv_cell
from aegui.core.training.trainer import EpochEnd, History
from aegui.core.writes import atomic_file, write_text

EPOCH_COLUMNS = ("train_loss", "test_loss", "test_mse", "train_kl", "test_kl", "samples_per_s", "seconds")
CSV_COLUMNS = ("run", "kind", "step", "epoch", "batch_loss", *EPOCH_COLUMNS)
HOW_TO_GET_TENSORBOARD = "Writing TensorBoard logs needs the tensorboard package: pip install 'aegui[tensorboard]'."


SMOOTHING_LEVELS = 100  # the smoothing weights a slider offers: 0, 0.01, ..., 0.99
EARLIER_BINS = 300  # a run drawn under another: its lowest and highest loss in each of this many bins


class RunsFileError(AeguiError):
    """A runs CSV that cannot be read back, with the reason."""


SMOOTH_BLOCK = 64  # the moving average is computed block by block: a small matrix product per block


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average, debiased so that the first points are not
    pulled towards zero. Non-finite values stay as they are and leave the average untouched, as in
    TensorBoard. weight 0: the values themselves; 0.99: very smooth."""
    return smooth_many([values], weight)[0]


def smooth_many(curves: list[np.ndarray], weight: float) -> list[np.ndarray]:
    """`smooth` for several curves at once: one matrix product for all (a slider drag smooths every
    run's curve at each step)."""
    curves = [np.asarray(values, np.float64) for values in curves]
    if weight <= 0 or not curves:
        return [values.copy() for values in curves]
    finite = [np.isfinite(values) for values in curves]
    kept = [values if mask.all() else values[mask] for values, mask in zip(curves, finite, strict=True)]
    longest = max(len(values) for values in kept)
    if longest == 0:
        return [values.copy() for values in curves]
    block = SMOOTH_BLOCK
    blocks = -(-longest // block)
    padded = np.zeros((len(kept), blocks * block))  # zeros after a curve's end change nothing before it
    for row, values in zip(padded, kept, strict=True):
        row[: len(values)] = values
    averages = _moving_average(padded.reshape(len(kept), blocks, block), weight).reshape(len(kept), -1)
    averages /= _debias(weight, blocks * block)
    smoothed = []
    for values, mask, row in zip(curves, finite, averages, strict=True):
        if mask.all():
            smoothed.append(row[: len(values)].copy())
        else:
            out = values.copy()
            out[mask] = row[: int(mask.sum())]
            smoothed.append(out)
    return smoothed


def peak_bins(x: np.ndarray, y: np.ndarray, bins: int = EARLIER_BINS) -> tuple[np.ndarray, np.ndarray]:
    """The curve through each bin's lowest and highest finite value (pyqtgraph's "peak" downsampling,
    done once): the same picture at the plot's resolution."""
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(y) <= 2 * bins:
        return x, y
    per_bin = len(y) // bins
    count = per_bin * bins
    shaped = y[:count].reshape(bins, per_bin)
    centres = x[:count].reshape(bins, per_bin)[:, [0, -1]].reshape(-1)
    peaks = np.column_stack([shaped.min(1), shaped.max(1)]).reshape(-1)
    return np.concatenate([centres, x[count:]]), np.concatenate([peaks, y[count:]])


def smoothed_levels(curves: list[tuple[np.ndarray, np.ndarray]], levels: Iterable[int] = range(SMOOTHING_LEVELS),
                    ) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:  # fmt: skip
    """Each curve smoothed at each level (weight level / SMOOTHING_LEVELS), reduced by `peak_bins`: the
    faint earlier runs under the loss plot for every position of its smoothing slider."""
    found = {}
    for level in levels:
        smoothed = smooth_many([y for _x, y in curves], level / SMOOTHING_LEVELS)
        found[level] = [peak_bins(x, y) for (x, _y), y in zip(curves, smoothed, strict=True)]
    return found


def _debias(weight: float, count: int) -> np.ndarray:
    """1 - weight ** n for n = 1 .. count (past a few thousand values it is 1 to machine precision)."""
    debias = np.ones(count)
    head = min(count, 8192)
    debias[:head] = 1.0 - weight ** np.arange(1, head + 1)
    return debias


def _moving_average(blocks: np.ndarray, weight: float) -> np.ndarray:
    """a[n] = weight * a[n-1] + (1 - weight) * values[n], from a[-1] = 0, along the last two axes of
    (curves, blocks, SMOOTH_BLOCK), without a loop per value: each block is averaged by a triangular
    matrix product as if it started from zero, then every block gets what the blocks before it carry
    in, itself such a product over the blocks' last values (ten curves of 20,000 values: ~2 ms; a
    plain loop took ~10 ms a curve; scipy's lfilter costs a second-long import on first use)."""
    size = blocks.shape[-1]
    averages = blocks @ _decay_matrix(weight, size, 1.0 - weight).T
    # the average carried out of block k: its own last value plus what came in, decayed across it
    carried = averages[..., -1] @ _decay_matrix(weight**size, blocks.shape[-2], 1.0).T
    averages[..., 1:, :] += carried[..., :-1, None] * weight ** np.arange(1, size + 1)
    return averages


def _decay_matrix(factor: float, size: int, scale: float) -> np.ndarray:
    """M[i, j] = scale * factor ** (i - j) for j <= i, else 0 (from `size` powers, not size² of them)."""
    lags, lower = _lags(size)
    with np.errstate(under="ignore"):
        powers = scale * factor ** np.arange(size, dtype=np.float64)
    return np.where(lower, powers[lags], 0.0)


@functools.lru_cache(maxsize=8)
def _lags(size: int) -> tuple[np.ndarray, np.ndarray]:
    lags = np.subtract.outer(np.arange(size), np.arange(size))
    return np.maximum(lags, 0), lags >= 0


@dataclass(frozen=True)
class RunRecord:
    """One run as a CSV holds it: its name and its history."""

    name: str
    history: History


def write_runs_csv(path: str | Path, runs: Iterable[tuple[str, History]]) -> None:
    """Every run's batch losses and epoch records in one long table (one row per batch or epoch),
    readable with any spreadsheet or `pandas.read_csv`, and by `read_runs_csv`."""
    path = Path(path)
    try:
        with atomic_file(path, "w") as handle:  # (a device, a pipe or a folder is refused: WriteError)
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for name, history in runs:
                name = csv_cell(name)  # (a run's name as text a spreadsheet will not run; read back as it was)
                epochs, losses = history.epochs_done, history.batch_losses
                for step, loss in enumerate(losses, 1):
                    x = step * epochs / len(losses) if epochs else ""
                    writer.writerow([name, "batch", step, x, repr(float(loss)), *[""] * len(EPOCH_COLUMNS)])
                for record in history.epochs:
                    values = [repr(float(record[key])) if key in record else "" for key in EPOCH_COLUMNS]
                    writer.writerow([name, "epoch", "", int(record["epoch"]), "", *values])
    except OSError as error:
        raise AeguiError(f"Could not write {path}: {error.strerror or error}.") from error


def read_runs_csv(path: str | Path) -> list[RunRecord]:
    """The runs a `write_runs_csv` file holds, in their order."""
    from aegui.core.writes import readable_file

    try:
        path = readable_file(path, "the runs file")  # (a named pipe would wait forever)
    except AeguiError as error:
        raise RunsFileError(str(error)) from None
    runs: dict[str, History] = {}
    try:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
                raise RunsFileError(f"{path} is not a runs file written by aegui (its columns differ).")
            for line, row in enumerate(reader, 2):
                history = runs.setdefault(from_csv_cell(row["run"] or ""), History())
                if row["kind"] == "batch":
                    history.batch_losses.append(_number(row["batch_loss"], path, line))
                elif row["kind"] == "epoch":
                    record = {"epoch": int(_number(row["epoch"], path, line))}
                    record |= {key: _number(row[key], path, line) for key in EPOCH_COLUMNS if row[key] != ""}
                    history.epochs.append(record)
                else:
                    raise RunsFileError(f"{path}, line {line}: unknown kind {row['kind']!r}.")
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RunsFileError(f"Could not read {path}: {error}.") from error
    return [RunRecord(name, history) for name, history in runs.items()]


def _number(text: str, path: Path, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise RunsFileError(f"{path}, line {line}: {text!r} is not a number.") from None


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


class TensorBoardLog:
    """Scalars of one run for TensorBoard: batch loss per step, and each epoch's losses."""

    def __init__(self, folder: str | Path) -> None:
        if not tensorboard_available():
            raise AeguiError(HOW_TO_GET_TENSORBOARD)
        from torch.utils.tensorboard import SummaryWriter

        try:
            self._writer = SummaryWriter(log_dir=str(folder))
        except OSError as error:
            raise AeguiError(f"Cannot write TensorBoard logs to {folder}: {error.strerror or error}.") from error
        self.folder = Path(self._writer.log_dir)

    def add_batch_losses(self, losses: Iterable[float], first_step: int) -> None:
        for step, loss in enumerate(losses, first_step):
            if math.isfinite(loss):
                self._writer.add_scalar("loss/batch", float(loss), step)

    def add_epoch(self, record: EpochEnd) -> None:
        for key in ("train_loss", "test_loss", "test_mse"):
            self._writer.add_scalar(f"epoch/{key}", float(getattr(record, key)), record.epoch)
        if record.test_kl:
            self._writer.add_scalar("epoch/test_kl", float(record.test_kl), record.epoch)

    def close(self) -> None:
        self._writer.close()


EPOCH_METRICS = ("epoch", "train_loss", "test_loss", "test_mse", "samples_per_s", "seconds")
VAE_METRICS = ("train_kl", "test_kl")  # nats per image; test_loss is then the reconstruction term alone


def write_metrics(path: Path, preset_name: str, preset, dataset, run: dict, epochs: list[EpochEnd], ended) -> None:
    """The metrics JSON of a training run: its configuration (`run` says where it ran: device, precision,
    world_size), one entry per epoch and the final figures."""
    import json

    run = dict(run)
    baseline = run.pop("mean_image_test_mse", None)  # a final figure: what the mean training image scores
    metrics = {
        "config": {
            "preset": preset_name,
            "dataset": dataset.name,
            "data": dataset.source,
            "classes": list(dataset.classes),
            **run,
            "model": preset.model.to_dict(),
            "train": preset.train.to_dict(),
        },
        "epochs": [
            {key: getattr(record, key) for key in EPOCH_METRICS + (VAE_METRICS if preset.model.variational else ())}
            for record in epochs
        ],
        "final": {
            "test_mse": epochs[-1].test_mse if epochs else None,
            "test_sse_per_image": epochs[-1].test_sse_per_image if epochs else None,
            "mean_image_test_mse": baseline,
            "seconds": ended.elapsed,
            "reason": ended.reason,
        },
    }
    write_text(path, json.dumps(metrics, indent=2) + "\n", "the metrics")
