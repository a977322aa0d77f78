"""What training reports and keeps: a record per batch (`BatchEnd`), per epoch (`EpochEnd`), a pause and the end
(`Ended`); the weights published for readers (`Snapshot`); everything a model has been through (`History`). Small
dataclasses of plain values, safe to pass between threads and processes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch


@dataclass(frozen=True)
class BatchEnd:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    step: int  # batches done in this run
    total_steps: int
    loss: float
    elapsed: float  # seconds of training in this run, pauses excluded
    eta: float  # seconds left, estimated


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    epochs: int
    train_loss: float  # mean batch loss over the epoch
    test_loss: float
    test_mse: float
    test_sse_per_image: float
    samples_per_s: float
    seconds: float  # this epoch, evaluation included, pauses excluded
    elapsed: float
    eta: float
    lr: float
    train_kl: float = 0.0  # a VAE's mean KL divergence per image from its prior, in nats (0: not a VAE)
    test_kl: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Paused:
    step: int


@dataclass(frozen=True)
class Ended:
    reason: str  # "finished", "stopped" or "diverged"
    message: str
    steps: int
    elapsed: float


Event = BatchEnd | EpochEnd | Paused | Ended


@dataclass(frozen=True)
class Snapshot:
    """Detached CPU copies of the weights, safe to read from any thread."""

    version: int
    step: int
    epoch: int
    state: dict[str, torch.Tensor]


@dataclass
class History:
    """Everything a model has been through, kept in its checkpoint."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)

    @property
    def epochs_done(self) -> int:
        return len(self.epochs)

    def copy(self) -> History:
        """A copy whose lists can grow without changing this one (for a worker to write)."""
        return History(list(self.epochs), list(self.batch_losses))
