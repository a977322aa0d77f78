"""One file per model: config, weights and training history, written atomically.

The file is a torch zip archive of plain types and tensors only, read back with
`weights_only=True`, so opening a file never runs code from it, with a checksum of its settings and
weights that is checked on opening (`checkpoint_archive`). A newer aegui's file opens, its settings
that this version does not know ignored and named in `Checkpoint.notes`, unless its weights need them.
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import time
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from aegui.core.checks import ConfigError
from aegui.core.errors import AeguiError
from aegui.core.files import checkpoint_archive as archive
from aegui.core.files.checkpoint_archive import FORMAT, CheckpointError
from aegui.core.files.checkpoint_archive import fail as _fail
from aegui.core.model.autoencoder import AutoEncoder, ModelConfig, model_for_weights
from aegui.core.model.density import MAX_COMPONENTS, CodeDensity, density_from_state
from aegui.core.training.resume import TrainingState
from aegui.core.training.resume import check as check_training_state
from aegui.core.training.trainer import History, TrainConfig
from aegui.core.writes import TEMPORARY, WriteError, atomic_file, readable_file, writable_target

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    model: AutoEncoder
    history: History = field(default_factory=History)
    train_config: TrainConfig | None = None
    dataset: str = ""
    preset: str = ""
    created: str = ""
    density_problem: str = ""  # why the file's code density was dropped ("": it had none, or it was usable)
    training_state: TrainingState | None = None  # where its last run stood: training goes on exactly from it
    training_state_problem: str = ""  # why the file's training state was dropped
    notes: tuple[str, ...] = ()  # what a person should be told about how the file was read (settings ignored)

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    def summary(self) -> str:
        """ "784-256-128 sigmoid, 3 epochs, test MSE 0.01234" ("…, 0 epochs, untrained")."""
        epochs = self.history.epochs_done
        trained = f"test MSE {self.history.epochs[-1]['test_mse']:.5f}" if epochs else "untrained"
        return f"{self.config.describe()}, {epochs} epoch{'s' if epochs != 1 else ''}, {trained}"


STALE_SECONDS = 300  # a save's temporary file older than this was left by a save that was killed midway


def remove_stale_temporaries(folder: Path, pattern: str) -> int:
    """Delete the files matching `pattern` in `folder` that saves killed midway left (younger ones may
    belong to a save in progress). Returns how many went."""
    removed = 0
    cutoff = time.time() - STALE_SECONDS
    try:
        candidates = list(folder.glob(pattern))
    except OSError:
        return 0
    for candidate in candidates:
        with contextlib.suppress(OSError):
            if candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed += 1
    return removed


def _version() -> str:
    from aegui._version import __version__

    return __version__


def save_checkpoint(
    path: str | Path,
    model: AutoEncoder,
    history: History | None = None,
    train_config: TrainConfig | None = None,
    dataset: str = "",
    preset: str = "",
    training_state: TrainingState | None = None,
) -> Path:
    """Write the model (with its code density, and where its training stands if given) to `path`
    atomically: a failed save leaves any earlier file intact."""
    return save_weights(path, model.config, model.state_dict(), history, train_config, dataset, preset, model.density,
                        training_state)  # fmt: skip


def save_weights(
    path: str | Path,
    config: ModelConfig,
    state: dict[str, torch.Tensor],
    history: History | None = None,
    train_config: TrainConfig | None = None,
    dataset: str = "",
    preset: str = "",
    density: CodeDensity | None = None,
    training_state: TrainingState | None = None,
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
        "state_dict": {name: tensor.detach().cpu().contiguous() for name, tensor in state.items()},
        "history_epochs": json.dumps(history.epochs),
        "history_batch_losses": torch.tensor(history.batch_losses, dtype=torch.float32),
    }
    if density is not None:
        payload["density"] = {key: tensor.detach().cpu().contiguous() for key, tensor in density.to_state().items()}
        payload["density_source"] = density.source
    if training_state is not None and train_config is not None:
        payload["training_state"] = training_state.to_payload()
    if (checksum := archive.checksum(payload)) is not None:  # (always, for a model's tensors)
        payload[archive.KEY] = checksum
    try:
        target = writable_target(path)  # a link stays a link; a device, pipe or folder is refused
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target.parent, f"{glob.escape(target.name)}.*{TEMPORARY}")
        with atomic_file(target) as out:
            torch.save(payload, out)
    except WriteError as error:
        raise CheckpointError(f"Could not save the model: {error} Nothing was overwritten.") from error
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CheckpointError(f"Could not save the model to {path}: {reason}. Nothing was overwritten.") from error
    return path


# Bounds on what a file may declare, checked before anything is allocated.
MAX_TEXT = 64 << 10  # each settings text
MAX_HISTORY_TEXT = 24 << 20
MAX_HISTORY_EPOCHS = 200_000
MAX_EPOCH_FIELDS = 32
MAX_BATCH_LOSSES = 5_000_000
EPOCH_NUMBERS = ("train_loss", "test_loss", "test_mse", "test_sse_per_image")


def _entry(payload: dict[str, Any], key: str, kind: type, limit: int | None = None) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        _fail(f"its entry {key!r} is missing or of the wrong type")
    if limit is not None and len(value) > limit:
        _fail(f"its entry {key!r} is {len(value):,} long, more than any aegui model's")
    return value


def _json(payload: dict[str, Any], key: str, limit: int) -> Any:
    try:
        return json.loads(_entry(payload, key, str, limit))
    except (json.JSONDecodeError, RecursionError):
        _fail(f"its entry {key!r} is not readable")


def _plain_tensor(value: Any, what: str, shape: tuple[int, ...] | None, max_elements: int) -> torch.Tensor:
    """A float32 tensor laid out plainly within its storage: no strides that repeat a few stored
    values into many (a tiny file must not expand into gigabytes), shape as expected, all finite."""
    if type(value) is not torch.Tensor or value.layout != torch.strided or value.dtype != torch.float32:
        _fail(f"{what} is not a plain float32 tensor")
    if shape is not None and tuple(value.shape) != shape:
        _fail(f"{what} does not fit its architecture: its shape is {tuple(value.shape)}, not {shape}")
    if value.numel() > max_elements or not value.is_contiguous():
        _fail(f"{what} is laid out in a way aegui never writes: the file was altered")
    storage_elements = value.untyped_storage().nbytes() // value.element_size()
    if value.storage_offset() < 0 or value.storage_offset() + value.numel() > storage_elements:
        _fail(f"{what} points outside its stored data: the file was altered")
    if not bool(torch.isfinite(value).all()):
        _fail(f"{what} holds NaN or infinite values")
    return value


def _history(payload: dict[str, Any]) -> History:
    epochs = _json(payload, "history_epochs", MAX_HISTORY_TEXT)
    if not isinstance(epochs, list) or len(epochs) > MAX_HISTORY_EPOCHS:
        _fail("its training history is not a list of epochs")
    for number, record in enumerate(epochs, 1):
        if not isinstance(record, dict) or len(record) > MAX_EPOCH_FIELDS:
            _fail(f"epoch {number} of its training history is not a record of numbers")
        for key, value in record.items():
            if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):  # fmt: skip
                _fail(f"epoch {number} of its training history holds {key!r}: {value!r}, not a finite number")
        if any(key not in record for key in ("epoch", *EPOCH_NUMBERS)):
            _fail(f"epoch {number} of its training history lacks its losses")
    losses = _plain_tensor(payload.get("history_batch_losses"), "its history of batch losses", None, MAX_BATCH_LOSSES)
    if losses.dim() != 1:
        _fail("its history of batch losses is not a list of numbers")
    return History(epochs=epochs, batch_losses=losses.tolist())


def _density(payload: dict[str, Any], code_size: int) -> tuple[CodeDensity | None, str]:
    """The code density fitted to the training codes, if the file has one, checked like the weights; an
    unusable one is dropped, with the reason (the weights still open: a density can be fitted again)."""
    if "density" not in payload:
        return None, ""
    try:
        state = _entry(payload, "density", dict)
        keys = ("weights", "means", "scale_tril")
        if set(state) != set(keys):
            _fail("its code density is not a mixture's weights, means and covariances")
        limit = MAX_COMPONENTS * code_size * code_size
        tensors = {key: _plain_tensor(state[key], f"its code density's {key}", None, limit) for key in keys}
        try:
            return density_from_state(tensors, _entry(payload, "density_source", str, MAX_TEXT), code_size), ""
        except ValueError as error:
            _fail(str(error))
    except CheckpointError as error:
        return None, f"{error}; it was dropped, and one is fitted again when digits are generated"


def _training_state(payload: dict[str, Any], model: AutoEncoder, config: TrainConfig | None):
    """Where the file's last run stood, checked against a fresh optimizer for the model; an unusable one is
    dropped with the reason (training then goes on with a fresh optimizer)."""
    if "training_state" not in payload:
        return None, ""
    try:
        if config is None:
            raise ValueError("it has no training settings to take it up with")
        return check_training_state(payload["training_state"], model, config), ""
    except ValueError as error:
        return None, f"its training state was dropped: {error}"


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    """Read and validate a model file; raise CheckpointError with a clear reason if it is unusable.

    Nothing the file declares is trusted: the archive's layout, every size, every tensor's shape and
    layout, and every number are checked before the model's memory is allocated, so a file that
    declares a huge model or expands a few bytes into gigabytes costs no more than a valid one.
    """
    path = Path(path)
    try:
        readable_file(path, "the model file")  # (a named pipe would make the reading wait forever)
    except AeguiError as error:
        raise CheckpointError(str(error)) from None
    intact = True
    try:
        size = path.stat().st_size
        if size == 0:
            _fail("it is empty")
        archive.check_archive(path)
        payload = archive.read_archive(path)
        version = _entry(payload, "format_version", int)
        if version > FORMAT_VERSION:
            _fail(f"it was written by a newer aegui (file format {version}, this version reads up to "
                  f"{FORMAT_VERSION}); update aegui to open it")  # fmt: skip
        intact = archive.matches(payload, size)  # (a mismatch is said with whatever else is wrong, or alone)
        model_config, model_unknown = _config(ModelConfig, _json(payload, "model_config", MAX_TEXT), "model")
        train_data = _json(payload, "train_config", MAX_TEXT)
        train_config, train_unknown = _config(TrainConfig, train_data, "training") if train_data is not None else \
            (None, [])  # fmt: skip
        state = _entry(payload, "state_dict", dict)
        with torch.device("meta"):  # the architecture's shapes, without its memory
            expected = {name: tuple(tensor.shape) for name, tensor in AutoEncoder(model_config).state_dict().items()}
        fits = set(state) == set(expected) and all(
            isinstance(state[name], torch.Tensor) and tuple(state[name].shape) == shape
            for name, shape in expected.items()
        )
        if model_unknown and not fits:  # settings this version cannot build: the weights need them
            _fail(f"it was written by a newer aegui: its model settings include {_listed(model_unknown)}, which this "
                  "version does not know, and its weights do not fit the model built without them; update aegui "
                  "to open it")  # fmt: skip
        if set(state) != set(expected):
            missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected), key=str)
            _fail(f"its weights do not fit its architecture ({model_config.describe()}): "
                  + "; ".join(part for part in (f"missing {', '.join(missing[:4])}" if missing else "",
                                                f"unexpected {', '.join(map(str, extra[:4]))}" if extra else "")
                              if part))  # fmt: skip
        for name, shape in expected.items():
            _plain_tensor(state[name], f"its weight {name}", shape, math.prod(shape))
        history = _history(payload)
        density, density_problem = _density(payload, model_config.code_size)
        texts = {key: _entry(payload, key, str, MAX_TEXT) if key in payload else "" for key in TEXT_KEYS}
        if not intact:
            _fail(archive.DAMAGED)
        model = model_for_weights(model_config)  # only now is memory allocated, for weights that fit
        model.load_state_dict(state, strict=True)
        model.density = density
        training_state, training_problem = _training_state(payload, model, train_config)
        notes = tuple(f"It was written by a newer aegui: its {what} settings {_listed(unknown)} are not known to this "
                      f"version and were ignored{why}." for what, unknown, why in (
                          ("model", model_unknown, " (its weights fit the model without them)"),
                          ("training", train_unknown, "")) if unknown)  # fmt: skip
    except CheckpointError as error:
        damaged = "" if intact or str(error) == archive.DAMAGED else f" ({archive.DAMAGED})"
        raise CheckpointError(f"Cannot open {path}: {error}{damaged}.") from None
    except MemoryError:
        raise CheckpointError(f"Cannot open {path}: it needs more memory than this machine has.") from None
    except OSError as error:
        raise CheckpointError(f"Cannot open {path}: it cannot be read ({error.strerror or error}).") from None
    model.to(device).eval()
    return Checkpoint(model=model, history=history, train_config=train_config, density_problem=density_problem,
                      training_state=training_state, training_state_problem=training_problem, notes=notes,
                      **texts)  # fmt: skip


TEXT_KEYS = ("dataset", "preset", "created")


def _listed(names: list[str]) -> str:
    """'depth' or 'depth, width': the names quoted, a few at most."""
    shown = ", ".join(repr(name[:40]) for name in names[:6])
    return shown + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _config(kind: type, data: Any, what: str) -> tuple[Any, list[str]]:
    """The settings a file holds, and the names of those this version does not know (left out: a newer
    aegui's file opens, saying which were ignored)."""
    if not isinstance(data, dict):
        _fail(f"its {what} settings are not readable")
    known = {item.name for item in fields(kind)}
    unknown = sorted(str(name) for name in data if name not in known)
    try:
        return kind.from_dict({name: value for name, value in data.items() if name in known}), unknown
    except ConfigError as error:
        _fail(f"its {what} settings are unusable: {error}")
    except (TypeError, ValueError) as error:  # a setting missing or unexpected for this version
        _fail(f"its {what} settings are unusable ({error})")


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
