"""One file per model: config, weights and training history, written atomically.

The file is a torch zip archive of plain types and tensors only, read back with
`weights_only=True`, so opening a file never runs code from it.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from aegui.core.errors import AeguiError
from aegui.core.model import AutoEncoder, ModelConfig, model_for_weights
from aegui.core.training import History, TrainConfig

FORMAT = "aegui-checkpoint"
FORMAT_VERSION = 1
SUFFIX = ".aegui.pt"


class CheckpointError(AeguiError):
    """A model file that cannot be written or read, with the reason."""


@dataclass
class Checkpoint:
    model: AutoEncoder
    history: History = field(default_factory=History)
    train_config: TrainConfig | None = None
    dataset: str = ""
    preset: str = ""
    created: str = ""

    @property
    def config(self) -> ModelConfig:
        return self.model.config


def _version() -> str:
    from aegui import __version__

    return __version__


def save_checkpoint(
    path: str | Path,
    model: AutoEncoder,
    history: History | None = None,
    train_config: TrainConfig | None = None,
    dataset: str = "",
    preset: str = "",
) -> Path:
    """Write the model to `path` atomically: a failed save leaves any earlier file intact."""
    return save_weights(path, model.config, model.state_dict(), history, train_config, dataset, preset)


def save_weights(
    path: str | Path,
    config: ModelConfig,
    state: dict[str, torch.Tensor],
    history: History | None = None,
    train_config: TrainConfig | None = None,
    dataset: str = "",
    preset: str = "",
) -> Path:
    """save_checkpoint for weights without a model object, such as a training snapshot."""
    path = Path(path)
    history = history or History()
    payload: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "aegui_version": _version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_config": json.dumps(config.to_dict()),
        "train_config": json.dumps(train_config.to_dict() if train_config else None),
        "dataset": dataset,
        "preset": preset,
        "state_dict": {name: tensor.detach().cpu() for name, tensor in state.items()},
        "history_epochs": json.dumps(history.epochs),
        "history_batch_losses": torch.tensor(history.batch_losses, dtype=torch.float32),
    }
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            torch.save(payload, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except (OSError, RuntimeError) as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        reason = getattr(error, "strerror", None) or str(error)
        raise CheckpointError(f"Could not save the model to {path}: {reason}. Nothing was overwritten.") from error
    return path


def _require(payload: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind):
        raise CheckpointError(f"the entry {key!r} is missing or of the wrong type")
    return value


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    """Read and validate a model file; raise CheckpointError with a clear reason if it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist or is not a file.")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty.")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles before refusing them
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle, zip and torch errors all mean: not a model file we can read
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "Weights only load failed" in text or "Unsupported global" in str(error):
            text = "it holds Python objects other than plain data and tensors, which aegui never loads"
        raise CheckpointError(
            f"{path} is not a readable aegui model (corrupt, truncated or foreign): {text}."
        ) from None
    try:
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise CheckpointError("it is not an aegui model file")
        version = _require(payload, "format_version", int)
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"it was written by a newer aegui (file format {version}, this version reads up to "
                f"{FORMAT_VERSION}); update aegui to open it"
            )
        model_config = ModelConfig.from_dict(json.loads(_require(payload, "model_config", str)))
        train_data = json.loads(_require(payload, "train_config", str))
        train_config = TrainConfig.from_dict(train_data) if train_data else None
        state = _require(payload, "state_dict", dict)
        model = model_for_weights(model_config)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            raise CheckpointError(
                f"its weights do not fit its architecture ({model_config.describe()}): {str(error).splitlines()[0]}"
            ) from None
        if not all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point()):
            raise CheckpointError("its weights hold NaN or infinite values")
        epochs = json.loads(_require(payload, "history_epochs", str))
        losses = _require(payload, "history_batch_losses", torch.Tensor)
        history = History(epochs=list(epochs), batch_losses=losses.float().tolist())
    except CheckpointError as error:
        raise CheckpointError(f"Cannot open {path}: {error}.") from None
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as error:
        raise CheckpointError(f"Cannot open {path}: its settings are invalid ({error}).") from None
    model.to(device).eval()
    return Checkpoint(
        model=model,
        history=history,
        train_config=train_config,
        dataset=str(payload.get("dataset", "")),
        preset=str(payload.get("preset", "")),
        created=str(payload.get("created", "")),
    )


def autosave_folder() -> Path:
    """Where the window keeps its crash-recovery copies, one per running instance (AEGUI_AUTOSAVE_DIR
    moves them)."""
    folder = os.environ.get("AEGUI_AUTOSAVE_DIR")
    if not folder:
        import platformdirs

        folder = str(Path(platformdirs.user_data_dir("aegui", appauthor=False)) / "autosave")
    return Path(folder)


def load_model(path: str | Path, device: torch.device | str = "cpu") -> AutoEncoder:
    """The model in a file, ready for `encode`, `decode` and `reconstruct`."""
    return load_checkpoint(path, device).model
