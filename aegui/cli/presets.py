"""`aegui presets`: the presets, each with its model and training."""

from __future__ import annotations

import argparse

from aegui.core.model.presets import LOSS_NAMES, PRESETS
from aegui.core.words import count


def table() -> str:
    lines = ["presets (options left out take the preset's value):"]
    for preset in PRESETS.values():
        model, train = preset.model, preset.train
        lines.append(
            f"  {preset.name:8} {model.describe()}; {count(train.epochs, 'epoch')}, batch {train.batch_size}, "
            f"{train.optimizer} lr {train.lr:g} ({train.schedule}), {LOSS_NAMES[train.loss]} loss"
            + train.image_changes()
        )
    return "\n".join(lines)


def add_parser(commands) -> None:
    commands.add_parser("presets", help="list the presets")


def run(_args: argparse.Namespace) -> int:
    print(table())
    return 0
