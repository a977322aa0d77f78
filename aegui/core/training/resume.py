"""Where a training run stands, kept in the model file so that training continues exactly: the optimizer's
state, the learning-rate schedule's position, the run's planned and finished epochs, and the random
generators' states (the order of the training images, augmentation and noise).

Read back, nothing in it is trusted: every key, type, shape and number is checked against a fresh
optimizer and schedule for the same model and settings before any of it is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.configs import TrainConfig
from aegui.core.model.steps import make_optimizer, make_scheduler

GENERATOR_STATE = torch.Generator().get_state().numel()
OPTIMIZER_TENSORS = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "square_avg", "momentum_buffer", "grad_avg"}
MAX_ITEMS = 4096  # entries in any list or dict of the schedule's or optimizer's settings
MAX_EPOCHS = 100_000
MAX_BATCHES = 10_000_000  # in one epoch


@dataclass
class TrainingState:
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    run_epochs: int  # the epochs the run was planned for (its schedule spans them)
    run_epochs_done: int  # of those, finished
    batches_done: int  # batches of the next epoch already trained (a run stopped within it; all: in its evaluation)
    order_generator: torch.Tensor  # uint8 states of torch.Generator: as the next epoch began (its order)
    augment_generator: torch.Tensor  # as it is now

    @property
    def interrupted(self) -> bool:
        return self.run_epochs_done < self.run_epochs

    def to_payload(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer, "scheduler": self.scheduler, "run_epochs": self.run_epochs,
                "run_epochs_done": self.run_epochs_done, "batches_done": self.batches_done,
                "order_generator": self.order_generator, "augment_generator": self.augment_generator}  # fmt: skip


def plan(state: TrainingState | None, epochs: int | None, config_epochs: int) -> tuple[int, int, bool]:
    """(epochs to train now, the epochs the schedule spans, whether the schedule goes on from the file):
    an interrupted run goes on to its planned end (or `epochs` more, the plan growing to fit); a finished
    one trains `epochs` more (default: as many as its settings say), at the rate it ended on (no schedule)."""
    if state is None or not state.interrupted:
        now = epochs or config_epochs
        return now, now, False
    now = epochs or state.run_epochs - state.run_epochs_done
    return now, max(state.run_epochs, state.run_epochs_done + now), True


def _fail(why: str):
    raise ValueError(why)


def _plain(value: Any, template: Any, where: str, depth: int = 0) -> None:
    """`value` has the shape of `template`: the same keys, and numbers, texts, flags, lists where it has them."""
    if depth > 6:
        _fail(f"{where} nests too deeply")
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            _fail(f"{where} does not hold what this optimizer or schedule keeps")
        for key in template:
            _plain(value[key], template[key], f"{where}[{key!r}]", depth + 1)
    elif isinstance(template, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) > MAX_ITEMS or len(value) != len(template):
            _fail(f"{where} is not a list of the expected length")
        for item, model_item in zip(value, template, strict=True):
            _plain(item, model_item, where, depth + 1)
    elif isinstance(template, bool) or template is None or isinstance(template, str):
        if type(value) is not type(template) and not (template is None and value is None):
            _fail(f"{where} is {value!r}, not a setting of this kind")
        if isinstance(value, str) and len(value) > 256:
            _fail(f"{where} is too long")
    elif isinstance(template, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            _fail(f"{where} is {value!r}, not a finite number")
    elif isinstance(template, torch.Tensor):
        _tensor(value, tuple(template.shape), where)
    else:
        _fail(f"{where} is of a kind aegui never writes")


def _tensor(value: Any, shape: tuple[int, ...], where: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    if type(value) is not torch.Tensor or value.layout != torch.strided or value.dtype != dtype:
        _fail(f"{where} is not a plain {dtype} tensor")
    if tuple(value.shape) != shape or not value.is_contiguous() or value.storage_offset() != 0 \
            or value.untyped_storage().nbytes() < value.numel() * value.element_size():  # fmt: skip
        _fail(f"{where} does not fit the model (its shape is {tuple(value.shape)}, not {shape}), or was altered")
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        _fail(f"{where} holds NaN or infinite values")
    return value


def check(entry: Any, model: AutoEncoder, config: TrainConfig, steps_per_epoch: int = 1) -> TrainingState:
    """The training state a file holds, checked against a fresh optimizer and schedule for `model` and
    `config`; a ValueError says what does not fit."""
    if not isinstance(entry, dict) or set(entry) != set(TrainingState.__dataclass_fields__):
        _fail("it is not a training state aegui writes")
    run_epochs, done, batches = entry["run_epochs"], entry["run_epochs_done"], entry["batches_done"]
    if not all(type(number) is int for number in (run_epochs, done, batches)) \
            or not 0 <= done <= run_epochs <= MAX_EPOCHS or not 0 <= batches <= MAX_BATCHES \
            or (batches and done == run_epochs):  # fmt: skip
        _fail("its epochs are not counts of a run")
    generators = {"order_generator": _tensor(entry["order_generator"], (GENERATOR_STATE,), "its order generator",
                                             torch.uint8)}  # fmt: skip
    augment = entry["augment_generator"]  # (a GPU's generator keeps a shorter state)
    size = augment.numel() if type(augment) is torch.Tensor and augment.dim() == 1 else 0
    generators["augment_generator"] = _tensor(augment, (size,), "its augmentation generator", torch.uint8)
    if not 0 < size <= GENERATOR_STATE:
        _fail("its augmentation generator's state is not one")
    parameters = list(model.parameters())
    optimizer = make_optimizer(model, config)
    template = optimizer.state_dict()
    saved = entry["optimizer"]
    if not isinstance(saved, dict) or set(saved) != {"state", "param_groups"}:
        _fail("its optimizer state is not an optimizer's")
    _plain(saved["param_groups"], _with_schedule_keys(template["param_groups"], saved), "its optimizer's settings")
    state = saved["state"]
    if not isinstance(state, dict) or not set(state) <= set(range(len(parameters))):
        _fail("its optimizer state is for other weights")
    for index, values in state.items():
        if not isinstance(values, dict) or not set(values) <= OPTIMIZER_TENSORS:
            _fail(f"its optimizer state of weight {index} holds what this optimizer never keeps")
        for name, value in values.items():
            _tensor(value, () if name == "step" else tuple(parameters[index].shape), f"its optimizer's {name}")
    scheduler = make_scheduler(optimizer, config, max(run_epochs, 1) * steps_per_epoch)
    saved_schedule = entry["scheduler"]
    if scheduler is None and saved_schedule is not None:
        _fail("its schedule is not this run's")
    if scheduler is not None and saved_schedule is not None:  # (None: the rate was set by hand during the run)
        _plain(saved_schedule, scheduler.state_dict(), "its schedule")
    try:  # what the checks let through must also load
        optimizer.load_state_dict(saved)
        if scheduler is not None and saved_schedule is not None:
            scheduler.load_state_dict(saved_schedule)
        torch.Generator().set_state(generators["order_generator"])
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        _fail(f"its optimizer state cannot be used ({error})")
    return TrainingState(saved, saved_schedule, run_epochs, done, batches, generators["order_generator"],
                         generators["augment_generator"])  # fmt: skip


def _with_schedule_keys(groups: list[dict], saved: dict) -> list[dict]:
    """The optimizer's settings as a schedule leaves them: a one-cycle or cosine schedule adds its own keys
    (initial_lr, max_lr, …) to each group, with numbers."""
    extra = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
    saved_groups = saved.get("param_groups") if isinstance(saved.get("param_groups"), list) else []
    result = []
    for index, group in enumerate(groups):
        found = saved_groups[index] if index < len(saved_groups) and isinstance(saved_groups[index], dict) else {}
        result.append({**group, **{key: 0.0 for key in extra if key in found}})
    return result
