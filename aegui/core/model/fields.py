"""The training fields a person can set, in one table: name, type, range or choices, help.

The window's panel builds its widgets' ranges and tooltips from it, the stored settings are checked
against it (anything out of range, of the wrong type or not finite falls back to the default), and
the command line checks its numbers with it before training starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from aegui.core.model.configs import (
    ACTIVATION_NAMES,
    LOSSES,
    MAX_BETA,
    MAX_LEARNING_RATE,
    MODEL_KINDS,
    NOISES,
    OPTIMIZERS,
    PRECISIONS,
)

MAX_EPOCHS = 100_000
MAX_BATCH = 65_536
MAX_CODE = 784
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATION_NAMES if name != "linear")
AUGMENT_HELP = "Random shifts, rotations, scaling and stroke-thickness changes while training (0: none, 1: the most)"
SHIFT_HELP = (
    "The share of training images moved one whole pixel in a random direction; nothing is resampled, so "
    "they stay sharp (0: none)"
)

MIRROR_HELP = (
    "The share of training images mirrored left to right, a photo seen the other way: twice the pictures to learn "
    "from (0: none; not for digits or text, which mirrored are other shapes)"
)


@dataclass(frozen=True)
class Field:
    name: str  # the ModelConfig or TrainConfig field
    part: str  # "model" or "train"
    kind: type  # int, float, str or bool
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""  # what messages call it (default: the name in words)
    window_note: str = ""  # what only the window's field can do (its tooltip says so; the command line does not)
    flag: str = ""  # the command-line option (default: --name with dashes)

    @property
    def words(self) -> str:
        """What messages call it."""
        return self.label or self.name.replace("_", " ")

    @property
    def option(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str:
        """The settings key."""
        return f"training/{self.name}"

    def describe_range(self) -> str:
        if self.kind is bool:
            return "true or false"
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is int:
            return f"{int(self.low)} to {int(self.high)}"
        return f"{self.low:g} to {self.high:g}"

    def parse(self, value: Any) -> Any:
        """`value` as this field's type if it is usable, else None (missing, wrong type, out of range)."""
        if self.kind is bool:  # (stored settings may hold a bool as the text "true" or "false")
            return value if isinstance(value, bool) else {"true": True, "false": False}.get(str(value).lower())
        if value is None or isinstance(value, bool):
            return None
        try:
            if self.kind is str:
                text = str(value)
                return text if text in self.choices else None
            number = float(value) if not isinstance(value, (int, float)) else value
            if not math.isfinite(number):
                return None
            if self.kind is int:
                if number != int(number):
                    return None
                number = int(number)
            if not self.low <= number <= self.high:
                return None
            return self.kind(number)
        except (TypeError, ValueError, OverflowError):
            return None

    def check(self, value: Any) -> Any:
        """`value` if usable, else a ValueError that says what is allowed."""
        parsed = self.parse(value)
        if parsed is None:
            raise ValueError(f"{self.words} must be {self.describe_range()}, not {value!r}")
        return parsed


FIELDS: tuple[Field, ...] = (
    Field(
        "kind",
        "model",
        str,
        "Fully connected layers or convolutions",
        choices=MODEL_KINDS,
        label="model",
        flag="--model",
    ),
    Field(
        "variational",
        "model",
        bool,
        "A variational autoencoder (VAE): a Gaussian code that new digits are drawn from",
        label="VAE",
    ),
    Field("code_size", "model", int, "How many values the code has", 1, MAX_CODE),
    Field("activation", "model", str, "The hidden layers' activation", choices=HIDDEN_ACTIVATIONS),
    Field("loss", "train", str, "mse: squared error; bce: binary cross-entropy", choices=LOSSES),
    Field("optimizer", "train", str, "How the weights are updated", choices=OPTIMIZERS),
    Field(
        "lr",
        "train",
        float,
        "Learning rate",
        1e-6,
        MAX_LEARNING_RATE,
        label="learning rate",
        window_note="can be changed while training",
    ),
    Field("batch_size", "train", int, "Images per optimizer step", 1, MAX_BATCH),
    Field("epochs", "train", int, "Passes over the training set", 1, MAX_EPOCHS),
    Field(
        "precision",
        "train",
        str,
        "Arithmetic of training: auto takes bf16 where the CPU or GPU computes it natively (faster), else "
        "fp32; weights and results stay fp32",
        choices=PRECISIONS,
    ),
    Field("augment", "train", float, AUGMENT_HELP, 0.0, 1.0),
    Field("shift", "train", float, SHIFT_HELP, 0.0, 1.0, label="the share of images shifted"),
    Field("mirror", "train", float, MIRROR_HELP, 0.0, 1.0, label="the share of images mirrored"),
    Field("noise", "train", str, "Denoising: train on noisy inputs with clean targets", choices=NOISES),
    Field("noise_level", "train", float, "Standard deviation of the noise, or the share of pixels masked", 0.0, 1.0),
    Field(
        "beta",
        "train",
        float,
        "VAE only: the weight of the KL term (1: the evidence lower bound)",
        0.0,
        MAX_BETA,
        label="KL weight (beta)",
    ),
    Field(
        "kl_warmup",
        "train",
        int,
        "VAE only: epochs over which the KL weight rises from 0",
        0,
        MAX_EPOCHS,
        label="KL warm-up",
    ),
)
FIELD = {field.name: field for field in FIELDS}
# not a panel field (the window trains with the preset's seed), checked the same way on the command line
SEED = Field("seed", "train", int, "Random seed for weights and batches", 0, 2**32 - 1)

# settings the command line takes that have no field in the panel: (setting, "model" or "train", option)
OTHER_OPTIONS = (("hidden_sizes", "model", "--hidden"), ("init", "model", "--init"),
                 ("channels", "model", "--channels"), ("linear_path", "model", "--linear-path"),
                 ("schedule", "train", "--schedule"),
                 ("exclude_class", "train", "--exclude-class"))  # fmt: skip


def setting_options(part: str) -> dict[str, str]:
    """Setting -> command-line option, for every `part` ("model" or "train") setting a run's command can change."""
    return {**{field.name: field.option for field in FIELDS if field.part == part},
            **{name: flag for name, of, flag in OTHER_OPTIONS if of == part}}  # fmt: skip
