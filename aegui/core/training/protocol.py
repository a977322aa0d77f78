"""What the window and its training process say to each other over their pipe: every message is one of the
small frozen dataclasses here, and each side dispatches on the type (`aegui.core.training.server` is the
process's side, `aegui.gui.concurrency.training_process` the window's).

The window sends a `Job`, then any of `Pause`, `Resume`, `Stop`, `SetRate`; `Quit` ends the process. A
command for the run sent just as a job starts is never lost: it applies to that job, however the two cross.
The process answers `Ready` once (PyTorch imported), then for each job the records the window shows
(`TrainingProgress`, `EpochEnd`, `Paused`), `SnapshotWritten` whenever new weights are in the shared buffers,
and at its end `FinalWeights`, `RunState` (for a run that finished or stopped) and the `Ended` record. A
message either side does not know is answered with, or reported as, `Unknown`: never passed over in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from aegui.core.data.datasets import Dataset
from aegui.core.model.configs import TrainConfig
from aegui.core.training.records import BatchEnd, Ended, EpochEnd, Paused
from aegui.core.training.resume import TrainingState

if TYPE_CHECKING:
    import torch

__all__ = [
    "Command",
    "Ended",
    "EpochEnd",
    "FinalWeights",
    "Job",
    "Pause",
    "Paused",
    "Quit",
    "Ready",
    "Reply",
    "Resume",
    "RunState",
    "SetRate",
    "SharedWeights",
    "SnapshotWritten",
    "Stop",
    "TrainingProgress",
    "Unknown",
]

# --- the window's commands ---


class SharedWeights(Protocol):
    """Where the training process publishes the weights and the window reads them: `server.SnapshotBuffers`
    (shared memory; named here by what it does, so that the protocol imports nothing of either side)."""

    latest: int

    def write(self, state: dict[str, torch.Tensor]) -> int: ...
    def read(self, index: int) -> dict[str, torch.Tensor]: ...


@dataclass(frozen=True)
class Job:
    """One training run, as sent to the training process (its tensors in shared memory)."""

    model_config: dict[str, Any]
    train_config: TrainConfig
    history_epochs: list[dict[str, float]]
    dataset: Dataset
    device: str
    buffers: SharedWeights
    training_state: TrainingState | None = None  # where the model's last run stood, to go on exactly


@dataclass(frozen=True)
class Pause:
    """Stop after the batch in hand until resumed (a run not yet under way starts paused)."""


@dataclass(frozen=True)
class Resume:
    """Go on after a pause."""


@dataclass(frozen=True)
class Stop:
    """End the run before its next batch."""


@dataclass(frozen=True)
class SetRate:
    """The learning rate from the next batch on (the window checked it)."""

    lr: float


@dataclass(frozen=True)
class Quit:
    """Stop any run and end the process."""


Command = Job | Pause | Resume | Stop | SetRate | Quit

# --- the process's replies (besides the trainer's records) ---


@dataclass(frozen=True)
class Ready:
    """PyTorch is imported: the window hands its runs over from now on."""


@dataclass(frozen=True)
class TrainingProgress:
    """Batches done since the last update, and where training stands."""

    losses: np.ndarray  # per-batch losses, in order
    first_step: int  # the step of losses[0], 1-based within this run
    last: BatchEnd
    lr: float  # the learning rate now (the weights travel through SnapshotBuffers, not with the records)


@dataclass(frozen=True)
class SnapshotWritten:
    """New weights are in shared buffer `index`."""

    index: int
    version: int
    step: int
    epoch: int


@dataclass(frozen=True)
class FinalWeights:
    """The run's final weights (after a divergence, the last good ones) are in shared buffer `index`."""

    index: int


@dataclass(frozen=True)
class RunState:
    """Where a run that finished or stopped stands, to go on from exactly."""

    state: TrainingState


@dataclass(frozen=True)
class Unknown:
    """A message the other side does not know (what it was, in words): a mistake in one side, reported."""

    what: str


Reply = Ready | TrainingProgress | EpochEnd | Paused | SnapshotWritten | FinalWeights | RunState | Ended | Unknown
