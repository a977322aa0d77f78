"""Named model + training settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aegui.core.checks import ConfigError
from aegui.core.model.configs import ModelConfig, TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    model: ModelConfig
    train: TrainConfig
    reference_size: int = 60_000  # the training images its epochs are for (full MNIST's, for digits)


VAE_MODEL = ModelConfig(hidden_sizes=(512, 256), activation="relu", code_activation="linear", variational=True)
VAE_TRAINING = TrainConfig(epochs=14, batch_size=128, lr=2e-3, loss="bce", optimizer="adam", schedule="onecycle")

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "default",
            "What the app starts with: a 32-value code, quick on a CPU, sharp reconstructions of drawn digits.",
            # One wide layer beat 512-256 at the same code size: squared error 3.7 vs 4.6 per test image,
            # pen-drawn digits read back 0.9695 vs 0.9677 (means over seeds); 9 epochs did as well as 10.
            # Pixel shifts lowered its test error (half the digits moved: 3.55 vs 3.66, seed 0) but its pen digits
            # read back 0.9689, not 0.9710, under the 0.97 bar (a quarter: 0.9697): left out (docs/benchmarks.md).
            ModelConfig(hidden_sizes=(1024,), code_size=32, activation="relu", code_activation="linear"),
            TrainConfig(epochs=9, batch_size=256, lr=3e-3, loss="bce", optimizer="adam", schedule="onecycle"),
        ),
        Preset(
            "seed",
            "The lesson: 784-256-128, sigmoid everywhere, squared error, RMSProp 0.01, batch 256, 8 epochs, fp32.",
            ModelConfig(hidden_sizes=(256,), code_size=128, activation="sigmoid", code_activation="sigmoid"),
            # fp32 as the lesson: in bf16 its sigmoids and squared error lose precision (test error per image 11.33
            # vs 10.32 on full MNIST, for 11 s of training instead of 15 s, issue 30)
            TrainConfig(epochs=8, batch_size=256, lr=0.01, loss="mse", optimizer="rmsprop", precision="fp32"),
        ),
        Preset(
            "deep30",
            "Hinton & Salakhutdinov 2006: 784-1000-500-250-30 with a linear code.",
            ModelConfig(hidden_sizes=(1000, 500, 250), code_size=30, activation="relu", code_activation="linear"),
            TrainConfig(epochs=20, batch_size=128, lr=2e-3, loss="bce", optimizer="adam", schedule="onecycle"),
        ),
        Preset(
            "record30",
            "Beats the 2006 record (3.00 squared error per image with 30 values) on a CPU in under 10 minutes.",
            ModelConfig(
                kind="conv",
                channels=(32, 64),
                hidden_sizes=(512,),
                code_size=30,
                activation="silu",
                code_activation="linear",
            ),
            # Nine in ten training digits moved one whole pixel: without it the network learnt the training digits
            # (squared error 1.43 vs 2.36 on the test digits); with it 24 epochs reached 2.00, 28 epochs 1.98
            # (docs/benchmarks.md).
            TrainConfig(
                epochs=28, batch_size=128, lr=7e-3, loss="bce", optimizer="adam", schedule="onecycle", shift=0.9
            ),
        ),
        # Judge share of the digits drawn, codes from a mixture fitted class by class (issue 30): 784-512-256-16
        # with KL weight 1 0.900 (55 s here); 1024-512, weight 0.5 0.916 (99 s); convolutions 16-32 then 512,
        # weight 0.5 0.926 (160 s); 32-64 0.935 but 281 s. Once convolutions ran channels-last: 32-64 at learning
        # rate 4e-3, 8 epochs 0.933 (147 s, under the 3 minutes allowed), 9 epochs 0.933 (174 s); 16-32 at 4e-3,
        # 14 epochs 0.926, 18 epochs 0.928. (Earlier, one mixture for all classes: 14 epochs 0.891, 20 epochs
        # 0.891, a KL warm-up 0.877, batch 256 0.885.) Half the training digits moved one whole pixel (issue 30,
        # seeds 0, 1, 2): 0.9362, 0.9344, 0.9380 against 0.9334, 0.9279, 0.9345 without; nine in ten: 0.9319 (seed 0).
        Preset(
            "vae",
            "A variational autoencoder for generating digits: convolutions 32-64, then 512-16, KL weight 0.5.",
            replace(VAE_MODEL, kind="conv", channels=(32, 64), hidden_sizes=(512,), code_size=16),
            replace(VAE_TRAINING, beta=0.5, lr=4e-3, epochs=8, shift=0.5),
        ),
        Preset(
            "vae2d",
            "A VAE with a 2-value code, for the manifold of digits (Kingma & Welling 2014, figure 4).",
            replace(VAE_MODEL, code_size=2),
            VAE_TRAINING,
        ),
        Preset(
            "photos",
            "For photos and other colour images (32x32 to 64x64): three convolutions each way and a 256-value "
            "code, beside a linear path that starts as PCA.",
            ModelConfig(
                kind="conv",
                channels=(32, 64, 128),
                hidden_sizes=(),
                code_size=256,
                activation="silu",
                code_activation="linear",
                linear_path=True,
            ),
            # It starts as PCA (the linear path) and must end at or below PCA's test error. At 2e-3 the schedule's
            # peak pushed flowers (3,670 photos, 32 px) to 7.8x PCA's error and 30 epochs brought it back to 1.001x;
            # at 5e-4, the path at a tenth of it (`steps.PATH_RATE`) and half the photos mirrored, the test error is
            # below PCA's from the first epoch on (flowers 0.971x after the 14 epochs it now trains, ORL faces 0.937x,
            # face masks 0.940x: docs/benchmarks.md). 4 epochs of 20,000 photos: ~40,000
            # photos seen on smaller sets, a few minutes on a 2-core CPU.
            TrainConfig(
                epochs=4, batch_size=64, lr=5e-4, loss="mse", optimizer="adam", schedule="onecycle", mirror=0.5
            ),
            reference_size=20_000,
        ),
        Preset(
            "map2d",
            "A 2-value code for the latent map.",
            ModelConfig(hidden_sizes=(512, 256, 64), code_size=2, activation="relu", code_activation="linear"),
            TrainConfig(epochs=15, batch_size=128, lr=2e-3, loss="bce", optimizer="adam", schedule="onecycle"),
        ),
    )
}
PRESET_NAMES = tuple(PRESETS)
REFERENCE_TRAIN_SIZE = 60_000  # presets' epochs are for full MNIST


def epochs_for(preset: Preset, train_size: int) -> int:
    """The preset's epochs, raised on smaller data so that training still takes at least half the
    optimizer steps it takes on the data its epochs are for (digit presets: full MNIST; on 4,000 sample
    digits, 7.5 times the epochs)."""
    factor = max(1.0, 0.5 * preset.reference_size / max(train_size, 1))
    return max(preset.train.epochs, round(preset.train.epochs * factor))


def epochs_note(preset: Preset, train_size: int) -> str:
    """Why the epochs differ from the preset's, in a sentence ('' when they do not): the CLI prints it,
    the window shows it under the Epochs field."""
    epochs = epochs_for(preset, train_size)
    if epochs == preset.train.epochs:
        return ""
    data = "full MNIST" if preset.reference_size == REFERENCE_TRAIN_SIZE else f"{preset.reference_size:,} images"
    return (f"The '{preset.name}' preset's {preset.train.epochs} epochs are for {data}; on these {train_size:,} "
            f"training images it trains {epochs}, for about half as many optimizer steps.")  # fmt: skip


LOSS_NAMES = {"bce": "cross-entropy (bce)", "mse": "squared error (mse)"}  # the window's and the CLI's words


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"Unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}.") from None


def customise(preset: Preset, model: dict[str, Any] | None = None, train: dict[str, Any] | None = None) -> Preset:
    """The preset with some settings changed; None values are left as they are. Asking for a VAE brings what
    a VAE needs unless told otherwise: its code is a Gaussian's mean (linear), with no linear path beside it."""
    model_changes = {key: value for key, value in (model or {}).items() if value is not None}
    if model_changes.get("variational"):
        model_changes = {"code_activation": "linear", "linear_path": False, **model_changes}
    train_changes = {key: value for key, value in (train or {}).items() if value is not None}
    return replace(
        preset,
        model=replace(preset.model, **model_changes),
        train=replace(preset.train, **train_changes),
    )
