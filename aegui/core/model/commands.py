"""The `aegui train` line that reproduces a run: its preset and every setting that differs from it, the
epochs and seed always, and the data it trained on. The window's "Copy as command", `--print-command` and
the metrics file all take it from here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from aegui.core.data.shapes import AUTO_READING, Reading
from aegui.core.model.configs import ModelConfig, TrainConfig
from aegui.core.model.fields import setting_options
from aegui.core.model.presets import PRESETS

# setting -> option, for every setting the command line takes
MODEL_OPTIONS = setting_options("model")
TRAIN_OPTIONS = {name: flag for name, flag in setting_options("train").items() if name != "epochs"}  # (always written)


_PLAIN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def shell_word(word: str) -> str:
    """`word` for a shell line: quoted as shlex quotes it, or, where it holds control or bidi characters or bytes
    that are not UTF-8, in bash's $'...' with those written as escapes, so that the line is safe to show and still
    names the same file."""
    if not _PLAIN.search(word):
        return shlex.quote(word)

    def escaped(character: str) -> str:
        code = ord(character)
        if character in "\\'":
            return "\\" + character
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
            return f"\\x{code - 0xDC00:02x}"
        if _PLAIN.match(character):
            return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        return character

    return "$'" + "".join(escaped(character) for character in word) + "'"


def setting_word(value) -> str:
    """A setting's value as the command line writes it: 512,256 for layers, 0.001 for a rate."""
    if isinstance(value, tuple):
        return ",".join(str(part) for part in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def train_command(preset: str, model: ModelConfig, train: TrainConfig, dataset: str = "auto",
                  images: str | Path | None = None, data_dir: str | Path | None = None,
                  reading: Reading = AUTO_READING) -> str:  # fmt: skip
    """`aegui train …` with exactly these settings, as one shell-quoted line; `reading`: how the image folder
    was read (a Dataset's `reading`), given as its options."""
    base = PRESETS.get(preset) or PRESETS["default"]
    words = ["aegui", "train", "--preset", base.name]
    for options, wanted, default in ((MODEL_OPTIONS, model, base.model), (TRAIN_OPTIONS, train, base.train)):
        for name, option in options.items():
            value = getattr(wanted, name)
            if value == getattr(default, name):
                continue
            if isinstance(value, bool):
                words.append(option if value else f"--no-{option[2:]}")
            else:
                words += [option, setting_word(value)]
    words += ["--epochs", str(train.epochs), "--seed", str(train.seed)]
    if images is not None:
        words += ["--images", str(images), *reading.words()]
    elif dataset not in ("", "auto"):
        words += ["--dataset", dataset, *reading.words()]
    if data_dir is not None and images is None:
        words += ["--data-dir", str(data_dir)]
    return " ".join(shell_word(word) for word in words)
