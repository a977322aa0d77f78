"""Hostile model files: what opening each costs (peak memory, time) beside a valid file of the same
model, each opened in a fresh process so that peaks do not hide one another."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import torch

from benchmarks.common import REPO, Row

_OPEN = """
import sys, time
from aegui.core.files.checkpoints import CheckpointError, load_checkpoint


def peak_kb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))


open("/proc/self/clear_refs", "w").write("5")  # Linux: the peak restarts from here (torch imported)
before = peak_kb()
started = time.perf_counter()
try:
    load_checkpoint(sys.argv[1])
    outcome = "opened"
except CheckpointError as error:
    outcome = str(error)
seconds = time.perf_counter() - started
print(seconds, peak_kb() - before, outcome, sep="\\t")
"""


def _rewrite(source: Path, target: Path, **changes) -> Path:
    payload = torch.load(source, weights_only=True)
    payload.update(changes)
    torch.save(payload, target)
    return target


def _deflated_giant(source: Path, target: Path, gigabytes: float) -> Path:
    """A valid file's entries, plus one deflated entry that unpacks to `gigabytes` of zeros."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as archive:
        for entry in original.infolist():
            archive.writestr(entry, original.read(entry.filename))
        prefix = original.infolist()[0].filename.split("/")[0]
        chunk = bytes(1 << 24)
        info = zipfile.ZipInfo(f"{prefix}/data/998")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as out:
            for _ in range(int(gigabytes * (1 << 30)) // len(chunk)):
                out.write(chunk)
    return target


def _open(path: Path) -> tuple[float, float, str]:
    """Seconds, the peak memory opening took (MB, above the process with torch imported) and the outcome
    of opening `path` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _OPEN, str(path)], capture_output=True, text=True, cwd=REPO,
                          timeout=600, check=True)  # fmt: skip
    seconds, kilobytes, outcome = done.stdout.strip().split("\t", 2)
    return float(seconds), int(kilobytes) / 1024, outcome


def run() -> list[Row]:
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.autoencoder import build_model
    from aegui.core.model.presets import PRESETS
    from aegui.core.training.trainer import History

    folder = Path(tempfile.mkdtemp(prefix="aegui-hostile-"))
    model = build_model(PRESETS["default"].model)
    valid = save_checkpoint(folder / "valid.aegui.pt", model, History([], [0.1] * 10_000))
    huge = '{"hidden_sizes": [16384, 16384, 16384, 16384], "code_size": 32}'
    files = {
        "2 KB-style file declaring 4 hidden layers of 16,384": _rewrite(valid, folder / "a.pt", model_config=huge),
        "allowed sizes (2 x 4,096) with the default's weights": _rewrite(
            valid, folder / "b.pt", model_config='{"hidden_sizes": [4096, 4096], "code_size": 32}'),
        "history losses: 1 stored value expanded to 2x10^8": _rewrite(
            valid, folder / "c.pt", history_batch_losses=torch.zeros(1).expand(200_000_000)),
        "history losses: 1 stored value expanded to 10^10": _rewrite(
            valid, folder / "d.pt", history_batch_losses=torch.zeros(1).expand(10_000_000_000)),
        "history of 10^6 epochs as text": _rewrite(valid, folder / "e.pt", history_epochs=json.dumps(
            [{"epoch": 1, "train_loss": 1, "test_loss": 1, "test_mse": 1, "test_sse_per_image": 1}] * 1_000_000)),
        "a deflated entry that unpacks to 2 GB": _deflated_giant(valid, folder / "f.pt", 2.0),
    }  # fmt: skip
    base_seconds, base_mb, outcome = _open(valid)
    assert outcome == "opened", outcome
    rows = []
    for name, path in files.items():
        seconds, megabytes, outcome = _open(path)
        refused = outcome != "opened"
        size = f"{path.stat().st_size / 1e6:.1f} MB file"
        rows.append(Row(f"opening a hostile model file ({name}): extra peak memory", round(megabytes - base_mb, 1),
                        "MB", "<= 300", f"valid file of the default model: {base_mb:.0f} MB peak, {base_seconds:.2f} s",
                        refused and megabytes - base_mb <= 300, f"{size}; {seconds:.2f} s; "
                        + ("refused: " + outcome.split(": ", 1)[-1][:90] if refused else "OPENED")))  # fmt: skip
        rows.append(Row(f"opening a hostile model file ({name}): time beyond a valid file's",
                        round(seconds - base_seconds, 2), "s", "<= 1", f"valid file: {base_seconds:.2f} s",
                        refused and seconds - base_seconds <= 1))  # fmt: skip
    return rows
